"""Fixtures of the lint tests (the prod render, ``prod_render`` and ``prod``, is shared by
every test area: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import REPO


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def tool() -> Path:
    return REPO / "tools" / "lint"
