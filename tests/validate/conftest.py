"""Fixtures of the validate tests: an isolated cache, the rendered prod overlay, a CLI runner."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

from accelcap.cli import run_tool
from accelcap.config import load_settings
from accelcap.validate import cli as validate_cli
from accelcap.validate import crd_schemas
from support import REPO, Result


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache per test session, so generated schemas are converted once, not per test."""
    return tmp_path_factory.mktemp("accelcap-cache")


@pytest.fixture(autouse=True)
def _isolated(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's cache, configured locations or a real kubeconform."""
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(shared_cache))
    monkeypatch.delenv("ACCELCAP_SCHEMA_LOCATIONS", raising=False)
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "kubeconform").exists())
    )


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
