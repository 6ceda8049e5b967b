from __future__ import annotations

from pathlib import Path

from accelcap.lint.docs import DOCS_FILE, main, render_docs
from accelcap.lint.rule import all_rules


def test_docs_file_is_current(repo: Path) -> None:
    """docs/lint-rules.md is generated from the registry: run python -m accelcap.lint.docs."""
    assert (repo / DOCS_FILE).read_text() == render_docs()


def test_docs_cover_every_rule() -> None:
    text = render_docs()
    for rule in all_rules():
        assert f"### {rule.id}" in text


def test_check_mode_reports_stale_file(tmp_path: Path) -> None:
    target = tmp_path / "rules.md"
    assert main(["--output", str(target), "--check"]) == 1
    assert main(["--output", str(target)]) == 0
    assert main(["--output", str(target), "--check"]) == 0
