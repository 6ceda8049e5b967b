"""The quota table in each ``--format``; findings go through ``accelcap.report``.

text and github print the table (text) or annotations (github) and then the shared
reporter; json puts the rows into the shared reporter's summary; markdown is a table for
``$GITHUB_STEP_SUMMARY`` (the shared reporters have no markdown, and a table is what a
summary page needs).
"""

from __future__ import annotations

import typing as t

from ..report import Finding, report
from ..tables import markdown_table, text_table
from .verdict import CHECKS, Row

FORMATS = ("text", "json", "markdown", "github")
TOOL = "verify-quotas"

_CHECK_COLUMNS = ("CLASS", "MARKET", "CODE", "QUOTA", "IN USE", "POOLS NOW", "PLANNED", "HEADROOM", "USE", "VERDICT")
_PLAN_COLUMNS = ("CLASS", "MARKET", "CODE", "PLANNED vCPU", "POOLS")


def _cell(value: t.Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def table_cells(rows: t.Sequence[Row], plan: bool) -> tuple[tuple[str, ...], list[list[str]]]:
    """The quota table's header and cells: the demand alone (``plan``) or the full check."""
    if plan:
        return _PLAN_COLUMNS, [
            [r.quota_class, r.market.value, _cell(r.code), str(r.planned), ", ".join(r.pools)] for r in rows
        ]
    body = []
    for r in rows:
        percent = r.percent
        shown = "-" if percent is None else ("inf" if percent == float("inf") else f"{percent:.0f}%")
        quota = _cell(r.quota) + (" (default)" if r.quota_source == "default" else "")
        body.append(
            [r.quota_class, r.market.value, _cell(r.code), quota, _cell(r.in_use), _cell(r.own),
             str(r.planned), _cell(r.headroom), shown, r.verdict]
        )  # fmt: skip
    return _CHECK_COLUMNS, body


def capacity_line(entry: dict[str, t.Any]) -> str:
    """One pool's capacity checks for people (``accelcap.quotas.offerings``)."""
    parts = [f"{entry['pool']} in {entry['zone']} ({entry.get('zoneId') or 'zone ID unknown'}), {entry['market']}"]
    parts.append("offered" if entry.get("offered") else "NOT offered")
    if entry.get("reservation"):
        state = entry.get("reservationState", "missing")
        size = (
            f", {entry['reservationInUse']}/{entry['reservationTotal']} in use" if "reservationTotal" in entry else ""
        )
        end = f", ends {entry['reservationEnd']}" if entry.get("reservationEnd") else ""
        parts.append(f"reservation {entry['reservation']} {state}{size}{end}")
    if "spotScore" in entry:
        score = entry["spotScore"]
        parts.append(
            f"Spot score {score if score is not None else 'not listed'}/10 (threshold {entry['spotScoreThreshold']})"
        )
    return "; ".join(parts)


def _markdown(rows: t.Sequence[Row], findings: t.Sequence[Finding], summary: dict[str, t.Any], plan: bool) -> str:
    header, body = table_cells(rows, plan)
    errors = [f for f in findings if f.severity == "error"]
    status = "not enough quota" if errors else ("enough quota" if not plan else "demand only (--plan)")
    icon = ":x:" if errors else (":warning:" if findings else ":white_check_mark:")
    out = [f"### {TOOL} `{summary['cluster']}`: {icon} {status}", ""]
    out.append(f"{summary['context']}")
    out.append("")
    if body:
        out.append(markdown_table(header, body).rstrip("\n"))
    else:
        out.append("No pools.")
    capacity = summary.get("capacity") or []
    if capacity:
        out.append("")
        out += [f"- {capacity_line(entry)}" for entry in capacity]
    if findings:
        out.append("")
        for f in findings:
            out.append(f"- **{f.severity}** `{f.code}` {f.object or ''}: {f.message}")
            out.append(f"  - fix: {CHECKS[f.code].remediation}")
    return "\n".join(out) + "\n"


def write(
    fmt: str,
    rows: t.Sequence[Row],
    findings: t.Sequence[Finding],
    summary: dict[str, t.Any],
    stream: t.TextIO,
    plan: bool,
) -> None:
    summary = {**summary, "rows": [r.as_dict() for r in rows]}
    if fmt == "markdown":
        stream.write(_markdown(rows, findings, summary, plan))
        return
    if fmt == "text":
        stream.write(f"{TOOL}: {summary['context']}\n")
        header, body = table_cells(rows, plan)
        stream.write(text_table(header, body) if body else "no pools\n")
        stream.writelines(f"capacity: {capacity_line(entry)}\n" for entry in summary.get("capacity") or [])
    report(fmt, TOOL, findings, summary, stream)
