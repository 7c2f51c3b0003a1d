"""The layers stay apart: storage knows neither SMTP nor HTTP; web never parses mail."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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


def test_the_check_sees_imports():
    assert {"inbox", "argparse"} <= imported_packages(ROOT / "inbox" / "cli.py")


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
