"""Fixtures every test area shares: the real repository, and a disposable copy of it."""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

import pytest

from accelcap.config import load_settings

REPO = Path(__file__).resolve().parent.parent
#: What a repository copy needs: the manifests and the settings.
REPO_PARTS = ("base", "components", "overlays", "pyproject.toml")


@pytest.fixture(autouse=True)
def _fresh_settings() -> t.Iterator[None]:
    """Settings are cached per process; tests that move ACCELCAP_REPO need a fresh read."""
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's manifests that a test may edit; the tools use it.

    The shared data directory (upstream CRDs and schemas) stays the real one.
    """
    shared = load_settings(REPO).shared
    root = tmp_path / "repo"
    root.mkdir()
    for part in REPO_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, symlinks=True)
        else:
            shutil.copy2(source, root / part)
    monkeypatch.setenv("ACCELCAP_REPO", str(root))
    monkeypatch.setenv("ACCELCAP_SHARED", str(shared))
    load_settings.cache_clear()
    return root
