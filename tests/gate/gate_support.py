"""Crafted pull requests against a copy of the repository, and the verdict of the gate on them.

A test edits the ``repo_copy`` (tests/conftest.py) the way a pull request would, then runs a
tool in this process, as its console script would, and asserts the exit code and the rule that
catches the change. ``edit`` refuses an edit whose old text is not there, so a test cannot pass
because the repository moved under it.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

from accelcap.lint import cli as lint_cli
from support import Result, run_in_process


def edit(root: Path, path: str, old: str, new: str) -> None:
    """Replace the first ``old`` of ``path`` (relative to ``root``) with ``new``."""
    file = root / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


def append(root: Path, path: str, text: str) -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text((file.read_text() if file.exists() else "") + text)


def lint(*argv: str) -> Result:
    return run_in_process(lint_cli, "--format", "json", *argv)


def findings(result: Result) -> list[dict[str, t.Any]]:
    return t.cast(list[dict[str, t.Any]], json.loads(result.out)["findings"]) if result.out else []


def codes(result: Result) -> set[str]:
    return {f["code"] for f in findings(result)}


def caught(result: Result, rule: str) -> list[dict[str, t.Any]]:
    """The findings of ``rule``; the run must have failed (exit 1) because of them."""
    assert result.code == 1, (result.code, result.err, result.out[:2000])
    found = [f for f in findings(result) if f["code"] == rule and f["severity"] == "error"]
    assert found, f"{rule} did not fire: {sorted(codes(result))}\n{result.out[:3000]}"
    return found
