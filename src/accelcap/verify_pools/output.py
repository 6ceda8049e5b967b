"""The report in each ``--format``.

Through the shared reporters (``accelcap.report.REPORTERS``): text and markdown show one row
per check (the result coloured on a terminal unless ``NO_COLOR``), markdown with what to do
under each that is not done; what is not done becomes a finding (github: an annotation at the
rendered source of the object), and the JSON summary carries every result.
"""

from __future__ import annotations

import typing as t

from ..report import Finding, Output, Table, write_output
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


def write(fmt: str, results: t.Sequence[Result], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    summary = {**summary, "counts": counts(results), "checks": [r.as_dict() for r in results]}
    not_done = sum(1 for r in results if not r.status.done)
    table = Table(
        ("RESULT", "POOL", "CHECK", "DETAIL"),
        _rows(results),
        note=f"{TOOL}: {summary['context']}",
        colours=[_COLOURS[r.status] for r in results],
    )
    write_output(
        fmt,
        Output(
            TOOL,
            findings(results, str(summary["overlay"])),
            summary,
            [table],
            verdict=verdict_line(results).removeprefix(f"{TOOL}: "),
            headline=f"{not_done} not done" if not_done else "all done",
            failed=bool(not_done),
            subject=str(summary["cluster"]),
            list_findings=False,
            remedy=lambda f: CHECKS[f.code].remediation if f.code in CHECKS else None,
            remedy_label="what to do",
        ),
        stream,
    )
