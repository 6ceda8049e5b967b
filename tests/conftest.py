"""Fixtures every test area shares: the real repository, its prod render, and a disposable
copy of the repository. Helpers to import live in ``support``."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.render import RenderedOverlay
from support import copy_repository, render_prod, shared_dir


@pytest.fixture(autouse=True)
def _fresh_settings() -> t.Iterator[None]:
    """Settings are cached per process; tests that move ACCELCAP_REPO need a fresh read."""
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


@pytest.fixture(scope="session")
def prod_render() -> RenderedOverlay:
    """The prod overlay as the render layer renders it, once per session (do not mutate)."""
    return render_prod()


@pytest.fixture
def prod(prod_render: RenderedOverlay) -> RenderedOverlay:
    """A private deep copy of the prod render, free to mutate."""
    return copy.deepcopy(prod_render)


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's manifests that a test may edit; the tools use it.

    The shared data directory (upstream CRDs and schemas) stays the real one.
    """
    shared = shared_dir()
    root = copy_repository(tmp_path / "repo")
    monkeypatch.setenv("ACCELCAP_REPO", str(root))
    monkeypatch.setenv("ACCELCAP_SHARED", str(shared))
    load_settings.cache_clear()
    return root
