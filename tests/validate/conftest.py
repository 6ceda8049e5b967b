"""Fixtures of the validate tests: an isolated cache, the rendered prod overlay, a CLI runner."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.config import load_settings
from accelcap.validate import cli as validate_cli
from accelcap.validate import crd_schemas
from support import REPO, Result, path_without_kubeconform, run_in_process

TOOLS = {module.TOOL: module for module in (validate_cli, crd_schemas)}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never configured locations or a real kubeconform (the session's cache, never the
    user's, comes from the top conftest: schemas are converted once per session)."""
    monkeypatch.delenv("ACCELCAP_SCHEMA_LOCATIONS", raising=False)
    monkeypatch.setenv("PATH", path_without_kubeconform())


@pytest.fixture
def settings() -> t.Any:
    return load_settings(REPO)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., Result]:
    """Run a tool in-process from the repository as its console script would
    (``run("validate", "--format", "json")``; ``support.run_in_process``)."""
    monkeypatch.chdir(REPO)

    def invoke(tool: str, *argv: str) -> Result:
        return run_in_process(TOOLS[tool], *argv)

    return invoke
