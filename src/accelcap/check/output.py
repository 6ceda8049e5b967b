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
from ..report import Finding, failed, report, verdict_text, write_findings_text
from ..tables import markdown_table, text_table
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


def write_text(run: CheckRun, stream: t.TextIO) -> None:
    # What each check made of the run first, then the quota tables, then the findings next
    # to the run's verdict at the end, where a reader of a long table looks.
    stream.writelines(
        f"{TOOL}: {check.name}: {verdict_text(run.of(check), check.summary()['checked'])}\n" for check in run.checks
    )
    for plan in run.plans:
        header, body = table_cells(plan.rows, plan=True)
        stream.write(f"{TOOL}: quota-plan: {plan.context}\n")
        stream.write(text_table(header, body) if body else "no pools\n")
    write_findings_text(run.findings, stream)
    stream.write(f"{TOOL}: {verdict_text(run.findings, run.checked)}\n")


def write_markdown(run: CheckRun, stream: t.TextIO) -> None:
    icon = ":x:" if failed(run.findings) else (":warning:" if run.findings else ":white_check_mark:")
    out = [f"### {TOOL}: {icon} {verdict_text(run.findings)}", "", run.checked, ""]
    rows = [
        (f"`{check.name}`", f"`{check.tool}`", verdict_text(run.of(check)), check.summary()["checked"])
        for check in run.checks
    ]
    out.append(markdown_table(("check", "alone", "verdict", "checked"), rows).rstrip("\n"))
    if run.findings:
        out += ["", "#### Findings", ""]
        findings = [
            (f"`{f.check}`", f.overlay or "", f.object or f.file or "", f"`{f.code}`", f.level, f.message)
            for f in run.findings
        ]
        out.append(markdown_table(("check", "overlay", "object", "code", "level", "message"), findings).rstrip("\n"))
    for plan in run.plans:
        header, body = table_cells(plan.rows, plan=True)
        out += ["", f"#### Quota plan `{plan.cluster}`", "", plan.context, ""]
        out.append(markdown_table(header, body).rstrip("\n") if body else "No pools.")
    stream.write("\n".join(out) + "\n")


def write(fmt: str, run: CheckRun, stream: t.TextIO) -> None:
    if fmt == "text":
        write_text(run, stream)
    elif fmt == "markdown":
        write_markdown(run, stream)
    else:
        report(fmt, TOOL, run.findings, run.summary(), stream)
