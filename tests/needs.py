"""Markers for tests that need a program `make test` installs with apt-get."""

import shutil

import pytest

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract not installed (make test installs it)"
)
