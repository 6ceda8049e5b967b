"""The report in each ``--format``.

text: one line per check (aligned; the result coloured on a terminal unless ``NO_COLOR``)
and a summary line. json and github go through the shared reporters (``accelcap.report``):
what is not done becomes a finding (github: an annotation at the rendered source of the
object), and the JSON summary carries every result. markdown: a table for
``$GITHUB_STEP_SUMMARY`` with what to do under it.
"""

from __future__ import annotations

import typing as t

from ..report import Finding, report, use_colour
from ..tables import markdown_table
from .checks import CHECKS
from .model import Result, Status

TOOL = "verify-pools"
FORMATS = ("text", "json", "markdown", "github")

_COLOURS = {
    Status.OK: "\033[32m",
    Status.ZERO: "\033[33m",
    Status.NOT_DONE: "\033[31m",
    Status.CANNOT_CHECK: "\033[31m",
}


def findings(results: t.Iterable[Result], overlay: str) -> list[Finding]:
    """What is not done, as the shared reporters' findings."""
    return [Finding(r.check, r.message, overlay, r.subject, r.file, r.line) for r in results if not r.status.done]


def counts(results: t.Sequence[Result]) -> dict[str, int]:
    return {str(status): sum(1 for r in results if r.status == status) for status in Status}


def verdict_line(results: t.Sequence[Result]) -> str:
    tally = counts(results)
    failed = tally[Status.NOT_DONE] + tally[Status.CANNOT_CHECK]
    parts = [f"{n} {status}" for status, n in tally.items() if n]
    head = "not done" if failed else "all done"
    return f"{TOOL}: {head}: {', '.join(parts) or 'nothing to check'}"


def _detail(result: Result, machinesets: set[str]) -> str:
    """The message, prefixed with the object unless it is the pool's own MachineSet."""
    return result.message if result.subject in machinesets else f"{result.subject}: {result.message}"


def _rows(results: t.Sequence[Result]) -> list[tuple[str, str, str, str]]:
    machinesets = {r.subject for r in results if r.pool and r.subject.startswith("MachineSet/")}
    return [(str(r.status), r.pool or "-", r.check, _detail(r, machinesets)) for r in results]


def _text(results: t.Sequence[Result], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    colour = use_colour(stream)
    stream.write(f"{TOOL}: {summary['context']}\n")
    header = ("RESULT", "POOL", "CHECK", "DETAIL")
    rows = _rows(results)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    stream.write("  ".join(h.ljust(w) for h, w in zip(header[:3], widths, strict=True)) + "  " + header[3] + "\n")
    for result, row in zip(results, rows, strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        if colour:
            cells[0] = f"{_COLOURS[result.status]}{cells[0]}\033[0m"
        stream.write("  ".join(cells) + "  " + row[3] + "\n")
    stream.write(verdict_line(results) + "\n")


def _markdown(results: t.Sequence[Result], summary: dict[str, t.Any]) -> str:
    failed = [r for r in results if not r.status.done]
    icon = ":x:" if failed else ":white_check_mark:"
    status = f"{len(failed)} not done" if failed else "all done"
    out = [f"### {TOOL} `{summary['cluster']}`: {icon} {status}", "", str(summary["context"]), ""]
    out.append(markdown_table(("Result", "Pool", "Check", "Detail"), _rows(results)).rstrip("\n"))
    if failed:
        out.append("")
        for r in failed:
            out.append(f"- **{r.status}** `{r.check}` {r.pool or r.subject}: {r.message}")
            out.append(f"  - what to do: {CHECKS[r.check].remediation}")
    return "\n".join(out) + "\n"


def write(fmt: str, results: t.Sequence[Result], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    summary = {**summary, "counts": counts(results), "checks": [r.as_dict() for r in results]}
    if fmt == "text":
        _text(results, summary, stream)
    elif fmt == "markdown":
        stream.write(_markdown(results, summary))
    else:
        report(fmt, TOOL, findings(results, str(summary["overlay"])), summary, stream)
