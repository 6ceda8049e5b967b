"""Findings and the reporters that print them, chosen by name from ``REPORTERS``.

A finding has a severity: ``error`` (the check failed), ``warning`` (worth a look, never
fails) or ``cannot-check`` (the check could not be done, e.g. a subnet referenced by ID whose
zone only AWS knows). A cannot-check finding fails the run only when ``blocking``: when the
safety the rule exists for depends on the part that could not be checked. Every format shows
the level.
"""

from __future__ import annotations

import json
import os
import typing as t
from dataclasses import asdict, dataclass

from .tables import markdown_table

ERROR = "error"
WARNING = "warning"
CANNOT_CHECK = "cannot-check"


@dataclass(frozen=True)
class Check:
    """A kind of finding a tool reports: its code and the text its docs show."""

    code: str
    description: str
    remediation: str
    severity: str = "error"


def checks_table(checks: t.Iterable[Check]) -> str:
    """The Markdown table of ``checks`` that a tool's doc carries (a test keeps them equal)."""
    rows = [(f"`{c.code}`", c.severity, c.description, c.remediation) for c in checks]
    return markdown_table(("Code", "Severity", "What it means", "What to do"), rows)


@dataclass(frozen=True)
class Finding:
    """One problem found in one object (or one overlay, when ``object`` is None)."""

    code: str
    message: str
    overlay: str | None = None
    object: str | None = None
    file: str | None = None
    line: int | None = None
    #: JSON path inside the object, e.g. ``/spec/template/spec``.
    path: str | None = None
    severity: str = "error"
    #: For ``cannot-check`` findings: whether the run fails because of it.
    blocking: bool = False
    #: Which check produced it, where one tool runs several (``tools/check``: ``validate``,
    #: ``lint``, ...); None in the tools that run one.
    check: str | None = None

    @property
    def label(self) -> str:
        """The code as people read it: ``CAP001``, or ``lint CAP001`` when a check is named."""
        return f"{self.check} {self.code}" if self.check else self.code

    @property
    def fails(self) -> bool:
        """Whether this finding makes the tool exit 1."""
        return self.severity == ERROR or (self.severity == CANNOT_CHECK and self.blocking)

    @property
    def level(self) -> str:
        """The severity as people read it: ``error``, ``warning``, ``cannot check`` (``, blocking``)."""
        if self.severity != CANNOT_CHECK:
            return self.severity
        return "cannot check, blocking" if self.blocking else "cannot check"


def failed(findings: t.Iterable[Finding]) -> bool:
    return any(f.fails for f in findings)


def use_colour(stream: t.TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


class Reporter(t.Protocol):
    def __call__(
        self, tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO
    ) -> None: ...


def write_findings_text(findings: t.Sequence[Finding], stream: t.TextIO) -> None:
    """One aligned line per finding: overlay, object (and path), code, level and message."""
    colour = use_colour(stream)
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if colour else ("", "", "", "")
    rows = []
    for f in findings:
        where = f.object or f.overlay or ""
        if f.path:
            where = f"{where} {f.path}"
        rows.append((f.overlay or "", where, f.label))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    for (overlay, where, code), f in zip(rows, findings, strict=True):
        paint = red if f.fails else yellow
        label = "" if f.severity == ERROR else f"[{f.level}] "
        stream.write(
            f"{dim}{overlay:<{widths[0]}}{reset}  {where:<{widths[1]}}  {paint}{code:<{widths[2]}}{reset}  "
            f"{label}{f.message}\n"
        )


def verdict_text(findings: t.Sequence[Finding], checked: str = "") -> str:
    """``ok (checked)``, or the counts of each level (``2 error(s), 1 warning(s) (checked)``)."""
    tail = f" ({checked})" if checked else ""
    if not findings:
        return f"ok{tail}"
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    unchecked = [f for f in findings if f.severity == CANNOT_CHECK]
    counts = f"{errors} error(s), {warnings} warning(s)"
    if unchecked:
        counts += f", {len(unchecked)} cannot check ({sum(1 for f in unchecked if f.blocking)} blocking)"
    return f"{counts}{tail}"


def report_text(tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    write_findings_text(findings, stream)
    stream.write(f"{tool}: {verdict_text(findings, summary.get('checked', ''))}\n")


def report_json(tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    document = {
        "tool": tool,
        "ok": not failed(findings),
        "summary": summary,
        "findings": [finding_dict(f) for f in findings],
    }
    json.dump(document, stream, indent=2, sort_keys=True)
    stream.write("\n")


def finding_dict(finding: Finding) -> dict[str, t.Any]:
    """A finding for JSON; ``check`` only where a tool runs several checks."""
    fields = asdict(finding)
    if fields["check"] is None:
        del fields["check"]
    return fields


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def report_github(tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    for f in findings:
        properties = []
        if f.file:
            properties.append(f"file={_escape_property(f.file)}")
            if f.line:
                properties.append(f"line={f.line}")
        # The check's name where one tool runs several: the same title its own tool gives.
        title = f"{f.check or tool} {f.code}" + (f" ({f.level})" if f.severity == CANNOT_CHECK else "")
        properties.append(f"title={_escape_property(title)}")
        subject = " ".join(p for p in (f.overlay, f.object, f.path) if p)
        level = "error" if f.fails else "warning"
        label = "" if f.severity in (ERROR, WARNING) else f"[{f.level}] "
        stream.write(f"::{level} {','.join(properties)}::{_escape_data(f'{subject}: {label}{f.message}')}\n")
    if not findings:
        stream.write(f"{tool}: ok\n")


REPORTERS: dict[str, Reporter] = {"text": report_text, "json": report_json, "github": report_github}


def report(fmt: str, tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    REPORTERS[fmt](tool, findings, summary, stream)
