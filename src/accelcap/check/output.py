"""``tools/check``'s report: every finding names its check; the quota plan is a table.

- text: one verdict line per check, the quota plan of each cluster (as ``verify-quotas
  --plan`` prints it), the findings aligned (``lint CAP001``), then the run's verdict;
- json: the shared reporter's document; ``summary.checks`` holds each check's summary (the
  quota plan's rows among them), ``summary.render`` what was rendered;
- github: one workflow annotation per finding, titled as its own tool titles it;
- markdown: for ``$GITHUB_STEP_SUMMARY``: a table of the checks, the findings, the plans.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..quotas.output import table_cells
from ..quotas.plan import QuotaPlan
from ..report import Finding, Output, Table, verdict_text, write_output
from .checks import OverlayCheck, QuotaPlanCheck

TOOL = "check"
FORMATS = ("text", "json", "github", "markdown")


@dataclass
class CheckRun:
    """What one run checked and found."""

    checks: list[OverlayCheck]
    #: Every finding, check by check in the order of ``checks``, overlays in the order asked.
    findings: list[Finding]
    overlays: list[str]
    objects: int
    #: The builds: how many were asked for, how many rendered (each once), how many at once.
    render: dict[str, int]

    def of(self, check: OverlayCheck) -> list[Finding]:
        return [f for f in self.findings if f.check == check.name]

    @property
    def checked(self) -> str:
        builds = self.render["builds"]
        return (
            f"{len(self.overlays)} overlay(s), {self.objects} object(s); {builds} build(s) rendered once each, "
            f"up to {self.render['jobs']} at a time"
        )

    def summary(self) -> dict[str, t.Any]:
        return {
            "checked": self.checked,
            "overlays": self.overlays,
            "objects": self.objects,
            "checks": {check.name: check.summary() for check in self.checks},
            "render": self.render,
        }

    @property
    def plans(self) -> list[QuotaPlan]:
        return [plan for check in self.checks if isinstance(check, QuotaPlanCheck) for plan in check.plans]


def output(run: CheckRun) -> Output:
    """The run for ``accelcap.report``'s reporters."""
    checks = [
        (f"`{check.name}`", f"`{check.tool}`", verdict_text(run.of(check)), check.summary()["checked"])
        for check in run.checks
    ]
    tables = [Table(("check", "alone", "verdict", "checked"), checks, markdown_only=True)]
    for plan in run.plans:
        header, body = table_cells(plan.rows, plan=True)
        tables.append(Table(header, body, title=f"Quota plan `{plan.cluster}`", note=plan.context, empty="No pools."))
    return Output(
        TOOL,
        run.findings,
        run.summary(),
        tables,
        # What each check made of the run first, then the quota tables, then the findings next
        # to the run's verdict at the end, where a reader of a long table looks.
        preamble=[
            f"{TOOL}: {check.name}: {verdict_text(run.of(check), check.summary()['checked'])}" for check in run.checks
        ],
        findings_table=True,
    )


def write(fmt: str, run: CheckRun, stream: t.TextIO) -> None:
    write_output(fmt, output(run), stream)
