"""docs/lint-rules.md says what each discovered rule is (the generator keeps it current)."""

from __future__ import annotations

from accelcap.lint.docs import DOCS_FILE
from accelcap.lint.rule import all_rules
from support import REPO


def test_docs_file_has_a_section_for_every_rule() -> None:
    text = (REPO / DOCS_FILE).read_text()
    for rule in all_rules():
        section = text.split(f"\n### {rule.id}\n", 1)
        assert len(section) == 2, f"{DOCS_FILE} has no section for {rule.id}"
        body = section[1].split("\n### ", 1)[0]
        for part in (rule.title, rule.what, rule.why, rule.fix):
            assert part in body, f"{DOCS_FILE} {rule.id} lacks: {part[:60]}"
