"""Every tool runs the same code from a checkout (tools/<name>) and installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

from accelcap.toolbox import TOOLS

REPO = Path(__file__).resolve().parents[2]


def test_console_scripts_match_toolbox() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == TOOLS


def test_every_tool_has_a_checkout_launcher() -> None:
    for name in TOOLS:
        launcher = REPO / "tools" / name
        assert launcher.is_symlink() and launcher.resolve() == (REPO / "tools" / "_run").resolve(), name
