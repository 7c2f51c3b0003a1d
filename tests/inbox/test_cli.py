"""The `inbox` command's handling of settings it cannot use: one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.cli import main


def test_an_unknown_blob_store_scheme_is_one_line_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["account", "list", "--data-dir", str(tmp_path), "--blob-url", "gs://bucket/x"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("inbox: error: INBOX_BLOB_URL: unsupported blob store 'gs://bucket/x'")
    assert err.count("\n") == 1
