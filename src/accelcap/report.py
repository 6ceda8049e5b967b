"""Findings and the reporters that print them, chosen by name from ``REPORTERS``."""

from __future__ import annotations

import json
import os
import typing as t
from dataclasses import asdict, dataclass

from .tables import markdown_table


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


def use_colour(stream: t.TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


class Reporter(t.Protocol):
    def __call__(
        self, tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO
    ) -> None: ...


def report_text(tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    colour = use_colour(stream)
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if colour else ("", "", "", "")
    rows = []
    for f in findings:
        where = f.object or f.overlay or ""
        if f.path:
            where = f"{where} {f.path}"
        rows.append((f.overlay or "", where, f.code, f.message, f.severity))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    for overlay, where, code, message, severity in rows:
        paint = red if severity == "error" else yellow
        stream.write(
            f"{dim}{overlay:<{widths[0]}}{reset}  {where:<{widths[1]}}  {paint}{code:<{widths[2]}}{reset}  {message}\n"
        )
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    checked = summary.get("checked", "")
    tail = f" ({checked})" if checked else ""
    if errors or warnings:
        stream.write(f"{tool}: {errors} error(s), {warnings} warning(s){tail}\n")
    else:
        stream.write(f"{tool}: ok{tail}\n")


def report_json(tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    document = {
        "tool": tool,
        "ok": not any(f.severity == "error" for f in findings),
        "summary": summary,
        "findings": [asdict(f) for f in findings],
    }
    json.dump(document, stream, indent=2, sort_keys=True)
    stream.write("\n")


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
        properties.append(f"title={_escape_property(f'{tool} {f.code}')}")
        subject = " ".join(p for p in (f.overlay, f.object, f.path) if p)
        level = "error" if f.severity == "error" else "warning"
        stream.write(f"::{level} {','.join(properties)}::{_escape_data(f'{subject}: {f.message}')}\n")
    if not findings:
        stream.write(f"{tool}: ok\n")


REPORTERS: dict[str, Reporter] = {"text": report_text, "json": report_json, "github": report_github}


def report(fmt: str, tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    REPORTERS[fmt](tool, findings, summary, stream)
