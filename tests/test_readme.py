"""The README's promises are executed: its commands exist and its settings are real."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from inbox.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README


@pytest.mark.parametrize(
    "command", sorted(set(re.findall(r"^\| `inbox ([a-z-]+(?: [a-z][a-z-]*)?)", README, re.M)))
)
def test_every_documented_command_exists(command: str):
    result = subprocess.run(
        [sys.executable, "-m", "inbox", *command.split(), "--help"], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def test_every_documented_variable_is_a_setting_and_every_setting_is_documented():
    documented = set(re.findall(r"`INBOX_([A-Z0-9_]+)`", README))

    assert documented == {f.name.upper() for f in fields(Settings)}
