"""`inbox user add` over the real command: an account name two accounts share is refused,
naming their ids, instead of adding the user to whichever came first."""

from __future__ import annotations

import json
from pathlib import Path

from tests.service import inbox_cli


def create(data: Path, name: str, email: str) -> str:
    made = inbox_cli(
        data,
        "account",
        "create",
        name,
        "--email",
        email,
        "--password-stdin",
        "--json",
        stdin="pw-123456789\n",
    )
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["id"]


def test_an_ambiguous_account_name_is_refused_and_an_id_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert inbox_cli(data, "migrate").returncode == 0
    first, second = create(data, "Acme", "a@one.example"), create(data, "Acme", "b@two.example")

    refused = inbox_cli(
        data, "user", "add", "Acme", "c@three.example", "--password-stdin", stdin="pw-123456789\n"
    )

    assert refused.returncode != 0
    assert (
        "2 accounts are named 'Acme'" in refused.stderr
        and first in refused.stderr
        and second in refused.stderr
    )
    added = inbox_cli(
        data, "user", "add", second, "c@three.example", "--role", "accountant", "--password-stdin", "--json",
        stdin="pw-123456789\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["account_id"] == second
