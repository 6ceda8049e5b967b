"""Fixtures of the validate tests: an isolated cache, the rendered prod overlay, a CLI runner."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.cli import run_tool
from accelcap.config import load_settings
from accelcap.validate import cli as validate_cli
from accelcap.validate import crd_schemas
from support import REPO, Result, path_without_kubeconform


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
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., Result]:
    """Run a tool in-process as its console script would (``run("validate", "--format", "json")``)."""
    monkeypatch.chdir(REPO)

    def invoke(tool: str, *argv: str) -> Result:
        module = validate_cli if tool == "validate" else crd_schemas
        capsys.readouterr()
        code = run_tool(tool, module.build_parser, module.execute, list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
