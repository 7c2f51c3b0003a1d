"""The layers stay apart: storage knows neither SMTP nor HTTP; web never parses mail."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TypeGuard

import pytest

from storage.blobs import BlobStore

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "storage": {"inbox", "web"},
    "web": {"inbox"},
    "inbox/extract": {"storage", "web", "aiosmtpd", "sqlmodel", "sqlalchemy"},
    # The shared words: everyone imports them, they import nothing of ours and no framework.
    "vocabulary": {"inbox", "storage", "web", "sqlmodel", "sqlalchemy", "pydantic", "fastapi"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[layer])
        for path in (ROOT / layer).rglob("*.py")
    }

    assert {path: names for path, names in offenders.items() if names} == {}


# The SMTP side is typed against its own recipient value (inbox/recipient.py), never tables:
# storage's rows reach it only through the composition root (inbox/serve.py).
SMTP_SIDE = ("smtp.py", "guardedsmtp.py", "recipient.py", "recipientcache.py")


def test_the_smtp_side_imports_no_storage():
    offenders = {
        name: imported_packages(ROOT / "inbox" / name) & {"storage", "sqlmodel"} for name in SMTP_SIDE
    }

    assert {name: names for name, names in offenders.items() if names} == {}


def test_the_check_sees_imports():
    assert {"inbox", "argparse"} <= imported_packages(ROOT / "inbox" / "cli.py")


# A blob is a sha256 the store is asked about; where it lives is the store's business.
BLOB_CLIENTS = ("inbox", "web", "bench")
BLOB_INTERFACE = {name for name in (*vars(BlobStore), *BlobStore.__annotations__) if not name.startswith("_")}


def blob_path_uses(source: str) -> list[str]:
    """Calls outside the blob store interface, imports of a concrete store, paths built on
    a blobs directory."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _names_blob_store(node.value):
            if node.attr not in BLOB_INTERFACE:
                found.append((node.lineno, f".{node.attr} on the blob store"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("storage.blobs."):
            found.append((node.lineno, f"imports {node.module}"))
        elif _divides_by_blobs(node):
            found.append((node.lineno, "builds a path on 'blobs'"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def _names_blob_store(node: ast.expr) -> bool:
    """`blobs`, `self._blobs`, `store.blobs`, `self.store.blobs` (not `result.blobs`, a dict)."""
    if isinstance(node, ast.Name):
        return node.id.endswith("blobs")
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "_blobs":
        return True
    owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
    return node.attr == "blobs" and owner.endswith("store")


def _divides_by_blobs(node: ast.AST) -> TypeGuard[ast.BinOp]:
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and any(isinstance(side, ast.Constant) and side.value == "blobs" for side in (node.left, node.right))
    )


@pytest.mark.parametrize("package", BLOB_CLIENTS)
def test_nothing_outside_storage_touches_a_blob_path(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): blob_path_uses(path.read_text())
        for path in (ROOT / package).rglob("*.py")
    }

    assert {path: uses for path, uses in offenders.items() if uses} == {}


def test_the_blob_check_sees_paths() -> None:
    source = (
        "store.blobs.path(doc.sha256)\n"
        "self._blobs.root\n"
        "from storage.blobs.files import FileBlobStore\n"
        "data_dir / 'blobs' / sha[:2]\n"
        "store.blobs.stream(doc.sha256)\n"  # the interface: fine
    )

    assert blob_path_uses(source) == [
        "line 1: .path on the blob store",
        "line 2: .root on the blob store",
        "line 3: imports storage.blobs.files",
        "line 4: builds a path on 'blobs'",
    ]


def test_the_web_renders_read_models_not_table_rows():
    """Pages and JSON get storage's read models; no web module imports a table class."""
    from sqlmodel import SQLModel

    import storage.models

    tables = {name for name, value in vars(storage.models).items() if isinstance(value, type)
              and issubclass(value, SQLModel) and getattr(value, "__table__", None) is not None}  # fmt: skip
    imported = set()
    for path in (ROOT / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "storage.models":
                imported |= {f"{path.name}:{alias.name}" for alias in node.names if alias.name in tables}

    assert {"Document", "Message", "Account"} <= tables
    assert imported == set()
