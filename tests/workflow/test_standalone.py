"""The README's main job in a fresh clone that has nothing beside it: the pinned upstream files
come from a mirror URL (here on loopback, serving the shared test data), once, into the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_ci_workflow import readme_command

from accelcap.config import MIRROR_ENV
from accelcap.validate.fetch import CACHE_ENV
from accelcap.validate.pinned import pinned_files
from mirror import serve
from support import REPO

pytestmark = pytest.mark.slow

INSTALL_STEPS = ("python3 -m venv .venv", ".venv/bin/pip install -q -e .")


@pytest.fixture
def lone_clone(tmp_path: Path) -> Path:
    """The working tree, alone in its directory (no ../shared), with the README's set-up done
    (the project's virtual environment is this test's interpreter)."""
    root = tmp_path / "alone" / "clone"
    shutil.copytree(
        REPO,
        root,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".cache", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache"
        ),
    )
    assert sorted(p.name for p in root.parent.iterdir()) == ["clone"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def main_job_after_set_up() -> str:
    steps = readme_command("Main job").split(" && ")
    assert tuple(steps[: len(INSTALL_STEPS)]) == INSTALL_STEPS, steps
    return " && ".join(steps[len(INSTALL_STEPS) :])


def test_main_job_passes_from_a_mirror_url_and_then_from_the_cache(
    lone_clone: Path, tmp_path: Path, _pinned_files_from_the_shared_data: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCELCAP_")}
    env[CACHE_ENV] = str(tmp_path / "empty-cache")
    command = main_job_after_set_up()
    before = files(lone_clone)
    with serve(_pinned_files_from_the_shared_data) as (url, requests):
        env[MIRROR_ENV] = url
        first = run_main_job(command, lone_clone, env)
        assert first.returncode == 0, first.stdout + first.stderr
        fetched = list(requests)
        pinned = {f"/{p.relative}" for p in pinned_files()}
        assert fetched and set(fetched) <= pinned and len(fetched) == len(set(fetched))
        second = run_main_job(command, lone_clone, env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert requests == fetched  # the second run made no request
    # Nothing fetched, nor anything made from it, landed in the clone.
    assert files(lone_clone) == before


def run_main_job(command: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True, text=True, check=False)


def files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if ".venv" not in p.parts and "__pycache__" not in p.parts}
