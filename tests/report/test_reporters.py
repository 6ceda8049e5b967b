"""One reporter registry: every tool's text, json, github and markdown come from
``report.REPORTERS``, and no tool writes a format of its own."""

from __future__ import annotations

import ast
import io
import json
import typing as t

import pytest

from accelcap import report
from accelcap.report import REPORTERS, Finding, Output, Table, write_output
from support import REPO

FORMATS = ("text", "json", "github", "markdown")
OUTPUT = Output(
    "tool",
    [Finding("X001", "it broke", "overlays/prod", "MachineSet/ns/a", "a.yaml", 3)],
    {"checked": "1 overlay(s)"},
    [Table(("NAME", "IN USE"), [("a", "1")], title="Pools", note="what the table is")],
    subject="prod",
    remedy=lambda finding: "mend it",
)


def written(fmt: str, output: Output = OUTPUT) -> str:
    stream = io.StringIO()
    write_output(fmt, output, stream)
    return stream.getvalue()


def test_the_registry_has_every_format() -> None:
    assert sorted(REPORTERS) == sorted(FORMATS)


def test_each_format_shows_the_findings_and_tables() -> None:
    text = written("text")
    assert text.splitlines()[:3] == ["Pools", "what the table is", "NAME  IN USE"]
    assert "it broke" in text and text.endswith("tool: 1 error(s), 0 warning(s) (1 overlay(s))\n")
    document = json.loads(written("json"))
    assert document["ok"] is False and document["findings"][0]["code"] == "X001"
    assert written("github").startswith("::error file=a.yaml,line=3,title=tool X001::")
    markdown = written("markdown")
    assert markdown.startswith("### tool `prod`: :x: 1 error(s), 0 warning(s)\n")
    assert "| Name | In use |" in markdown and "  - fix: mend it" in markdown


@pytest.mark.parametrize(
    "module",
    [
        "check/output.py",
        "quotas/output.py",
        "verify_pools/output.py",
        "capacity_diff.py",
        "lint/cli.py",
        "validate/cli.py",
        "check_yaml.py",
        "quotas/cli.py",
    ],
)
def test_tools_write_through_the_registry(module: str) -> None:
    """A tool hands its output to ``write_output``/``report``; none branches on the format or
    writes a markdown heading itself."""
    source = (REPO / "src" / "accelcap" / module).read_text()
    tree = ast.parse(source)
    compared = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(c, ast.Constant) and c.value in FORMATS for c in node.comparators)
    ]
    assert not compared, f"{module} dispatches on a format itself (line {compared[0].lineno})"
    assert "### " not in source, f"{module} writes markdown itself"
    assert any(call in source for call in ("write_output(", "report(", "NOTICES["))


def test_the_registry_is_what_the_tools_call(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Output] = []
    monkeypatch.setitem(report.REPORTERS, "markdown", lambda output, stream: seen.append(output))
    from accelcap.verify_pools.output import write

    write("markdown", [], {"context": "c", "cluster": "prod", "overlay": "overlays/prod"}, io.StringIO())
    assert [o.tool for o in seen] == ["verify-pools"] and t.cast(Output, seen[0]).headline == "all done"
