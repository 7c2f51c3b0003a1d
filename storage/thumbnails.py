"""Cached first-page images, keyed by the source file's sha256 (a pure function of its bytes)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Thumbnail


def get_thumbnail(*, session: Session, source_sha256: str) -> Thumbnail | None:
    return session.get(Thumbnail, source_sha256)


def cached_sources(*, session: Session, source_sha256s: list[str]) -> set[str]:
    """Which of these files already have a thumbnail (or a recorded failure)."""
    rows = session.exec(
        select(Thumbnail.source_sha256).where(col(Thumbnail.source_sha256).in_(source_sha256s))
    )
    return set(rows)


def save_thumbnail(*, session: Session, source_sha256: str, png_sha256: str | None, reason: str = "") -> None:
    """Idempotent: two processes rendering the same file store the same answer."""
    row = session.get(Thumbnail, source_sha256) or Thumbnail(source_sha256=source_sha256)
    row.png_sha256, row.reason = png_sha256, reason[:500]
    session.add(row)
