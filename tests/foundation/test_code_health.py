"""ruff (lint and format) and mypy (strict, on src/) are clean, so .ci/run enforces them.

They come with the test extras (pyproject.toml); a missing checker fails, it never skips.
The settings are in pyproject.toml; the same checks run as pre-commit hooks.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from support import REPO

CHECKS = {
    "ruff-lint": ("ruff", "check", "--no-cache", "src", "tests", "benchmarks"),
    "ruff-format": ("ruff", "format", "--check", "--no-cache", "src", "tests", "benchmarks"),
    "mypy": ("mypy", "--no-incremental"),
}


#: mypy checks the whole of src/ strictly from scratch: a minute, not for the inner loop.
SLOW = {"mypy"}


@pytest.mark.parametrize(
    "command", [pytest.param(c, id=name, marks=pytest.mark.slow if name in SLOW else ()) for name, c in CHECKS.items()]
)
def test_checker_is_clean(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
