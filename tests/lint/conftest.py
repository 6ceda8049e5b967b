"""Fixtures of the lint tests: the real prod overlay, rendered once per session.

Every failing fixture is a deep copy of that render with one small mutation
(``lint_mutations.py``), so the rules are tested against what the repository really renders.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.render import RenderedOverlay, render_overlay

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "lint"


@pytest.fixture(scope="session")
def prod_render() -> RenderedOverlay:
    """The prod overlay as rendered by the shared render layer (do not mutate)."""
    settings = load_settings(REPO)
    return render_overlay(settings.overlays / "prod", settings)


@pytest.fixture
def prod(prod_render: RenderedOverlay) -> RenderedOverlay:
    """A private deep copy of the prod render, free to mutate."""
    return copy.deepcopy(prod_render)


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def tool() -> Path:
    return TOOL
