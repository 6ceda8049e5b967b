"""Findings and the reporters that print them, chosen by name from ``REPORTERS``.

Every tool hands its reporter one ``Output``: its findings, its JSON summary, and the tables
its text and markdown show (the quota rows, the pool results, the capacity changes). The four
formats are written here once: ``text`` (tables, aligned findings, verdict line), ``json``
(one document), ``github`` (workflow annotations), ``markdown`` (for ``$GITHUB_STEP_SUMMARY``).

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

from .tables import markdown_table, text_table

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


@dataclass(frozen=True)
class Table:
    """A table a tool shows beside its findings."""

    header: t.Sequence[str]
    rows: t.Sequence[t.Sequence[str]]
    #: The line above it (text), its heading (markdown).
    title: str | None = None
    #: A sentence under the title.
    note: str | None = None
    #: Shown instead of a table without rows.
    empty: str = "nothing"
    #: Shown in markdown only (a text report says the same in its lines).
    markdown_only: bool = False
    #: text on a colour terminal: an ANSI colour for the first cell of each row.
    colours: t.Sequence[str] = ()
    #: Lines a reader must not miss (a change's cost): under the table in text, as bold items
    #: above it in markdown.
    highlights: t.Sequence[str] = ()


@dataclass
class Output:
    """Everything one run of a tool reports, for every format."""

    tool: str
    findings: t.Sequence[Finding]
    summary: dict[str, t.Any]
    tables: t.Sequence[Table] = ()
    #: The run's verdict in a few words (text: the last line); default the counts of the
    #: findings and what was checked (``verdict_text``).
    verdict: str | None = None
    #: The markdown heading's verdict; default the counts of the findings.
    headline: str | None = None
    #: The markdown heading's name of the report; default the tool's name.
    title: str | None = None
    #: Whether the run failed, for the markdown icon; default: a finding fails.
    failed: bool | None = None
    #: What the markdown heading names after the tool (``prod``).
    subject: str | None = None
    #: text: lines before the tables (each check's verdict in ``check``).
    preamble: t.Sequence[str] = ()
    #: text: lines between the findings and the verdict (each check's verdict in ``check``).
    details: t.Sequence[str] = ()
    #: text: list the findings (False where a table shows them already).
    list_findings: bool = True
    #: markdown: a table of the findings (else a list with what to do under each).
    findings_table: bool = False
    #: markdown: what to do about a finding, under it.
    remedy: t.Callable[[Finding], str | None] | None = None
    #: markdown: the word before the remedy.
    remedy_label: str = "fix"

    @property
    def has_failed(self) -> bool:
        return failed(self.findings) if self.failed is None else self.failed


class Reporter(t.Protocol):
    def __call__(self, output: Output, stream: t.TextIO) -> None: ...


def report_text(output: Output, stream: t.TextIO) -> None:
    colour = use_colour(stream)
    bold, reset = ("\033[1m", "\033[0m") if colour else ("", "")
    stream.writelines(f"{line}\n" for line in output.preamble)
    for table in output.tables:
        if table.markdown_only:
            continue
        if table.title:
            stream.write(f"{bold}{table.title}{reset}\n")
        if table.note:
            stream.write(f"{table.note}\n")
        if not table.rows:
            stream.write(f"{table.empty}\n")
        else:
            lines = text_table(table.header, table.rows).splitlines(keepends=True)
            stream.write(lines[0])
            for index, line in enumerate(lines[1:]):
                paint = table.colours[index] if colour and index < len(table.colours) else ""
                if paint:
                    first = len(str(table.rows[index][0]))
                    line = f"{paint}{line[:first]}{reset}{line[first:]}"
                stream.write(line)
        stream.writelines(f"{bold}{line}{reset}\n" for line in table.highlights)
    if output.list_findings:
        write_findings_text(output.findings, stream)
    stream.writelines(f"{line}\n" for line in output.details)
    verdict = (
        output.verdict
        if output.verdict is not None
        else verdict_text(output.findings, output.summary.get("checked", ""))
    )
    stream.write(f"{output.tool}: {verdict}\n")


def report_json(output: Output, stream: t.TextIO) -> None:
    document = {
        "tool": output.tool,
        "ok": not output.has_failed,
        "summary": output.summary,
        "findings": [finding_dict(f) for f in output.findings],
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


def report_github(output: Output, stream: t.TextIO) -> None:
    tool, findings = output.tool, output.findings
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


def report_markdown(output: Output, stream: t.TextIO) -> None:
    icon = ":x:" if output.has_failed else (":warning:" if output.findings else ":white_check_mark:")
    subject = f" `{output.subject}`" if output.subject else ""
    headline = output.headline if output.headline is not None else verdict_text(output.findings)
    out = [f"### {output.title or output.tool}{subject}: {icon} {headline}", ""]
    checked = output.summary.get("checked")
    if isinstance(checked, str) and checked:
        out += [checked, ""]
    for table in output.tables:
        if table.title:
            out += [f"#### {table.title}", ""]
        if table.highlights:
            out += [*(f"- **{line}**" for line in table.highlights), ""]
        if table.note:
            out += [table.note, ""]
        # A terminal's upper-case header (RESULT, IN USE) in sentence case on a page.
        header = [cell.capitalize() if cell.isupper() else cell for cell in table.header]
        out += [markdown_table(header, table.rows).rstrip("\n") if table.rows else table.empty, ""]
    if output.findings and output.findings_table:
        rows = [
            (f"`{f.check}`" if f.check else "", f.overlay or "", f.object or f.file or "", f"`{f.code}`", f.level,
             f.message)
            for f in output.findings
        ]  # fmt: skip
        out += ["#### Findings", "", markdown_table(("check", "overlay", "object", "code", "level", "message"), rows)]
    elif output.findings:
        for f in output.findings:
            out.append(f"- **{f.level}** `{f.code}` {f.object or f.overlay or ''}: {f.message}")
            remedy = output.remedy(f) if output.remedy else None
            if remedy:
                out.append(f"  - {output.remedy_label}: {remedy}")
    stream.write("\n".join(out).rstrip("\n") + "\n")


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "github": report_github,
    "markdown": report_markdown,
}


def _notice_text(tool: str, line: str, stream: t.TextIO) -> None:
    """Nothing more on standard output: the caller has said it on standard error."""


def _notice_github(tool: str, line: str, stream: t.TextIO) -> None:
    stream.write(f"::warning title={_escape_property(tool)}::{_escape_data(line)}\n")


def _notice_markdown(tool: str, line: str, stream: t.TextIO) -> None:
    stream.write(f"\n> **{line}**\n")


#: A line a run adds after its report (``verify-quotas`` with ``SKIP_QUOTAS=1``), per format;
#: every tool says it on standard error too.
NOTICES: dict[str, t.Callable[[str, str, t.TextIO], None]] = {
    "text": _notice_text,
    "json": _notice_text,
    "github": _notice_github,
    "markdown": _notice_markdown,
}


def write_output(fmt: str, output: Output, stream: t.TextIO) -> None:
    """``output`` in format ``fmt`` (a key of ``REPORTERS``)."""
    REPORTERS[fmt](output, stream)


def report(fmt: str, tool: str, findings: t.Sequence[Finding], summary: dict[str, t.Any], stream: t.TextIO) -> None:
    """Findings and a summary alone, in format ``fmt``."""
    write_output(fmt, Output(tool, findings, summary), stream)
