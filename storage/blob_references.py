"""Whether anything still needs a blob. Blobs are content-addressed and shared: the same
bytes mailed to two accounts, or attached twice, are one blob, so a blob goes only when no
row of any account points at it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from storage.models import Document, Message, Thumbnail


def unreferenced(session: Session, candidates: Iterable[str]) -> list[str]:
    """The candidates no message (whose raw mail is kept), document or thumbnail uses."""
    left = set(candidates)
    for batch in _batches(sorted(left)):
        raw = select(Message.raw_sha256).where(
            col(Message.raw_sha256).in_(batch), col(Message.raw_removed_at).is_(None)
        )
        files = select(Document.sha256).where(col(Document.sha256).in_(batch))
        images = select(Thumbnail.png_sha256).where(col(Thumbnail.png_sha256).in_(batch))
        used = [*session.exec(raw), *session.exec(files), *session.exec(images)]
        left.difference_update(used)
    return sorted(left)


def drop_orphan_thumbnails(session: Session, sources: Iterable[str]) -> list[str]:
    """Deletes the thumbnails of files no document uses any more; returns their images'
    blobs, which the caller removes (after its commit) when nothing else uses them."""
    images: list[str] = []
    for batch in _batches(sorted(set(sources))):
        used = set(session.exec(select(Document.sha256).where(col(Document.sha256).in_(batch))))
        for thumbnail in session.exec(select(Thumbnail).where(col(Thumbnail.source_sha256).in_(batch))):
            if thumbnail.source_sha256 not in used:
                images += [thumbnail.png_sha256] if thumbnail.png_sha256 else []
                session.delete(thumbnail)
    session.flush()
    return images


def _batches(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
