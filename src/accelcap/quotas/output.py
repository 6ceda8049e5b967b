"""The quota table in each ``--format``; findings go through ``accelcap.report``.

The table and the findings go to the shared reporters (``accelcap.report.REPORTERS``): text
prints the table before the findings, json puts the rows into the summary, github annotates
the findings, markdown is the table and the findings with what to do, for
``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import typing as t

from ..report import Finding, Output, Table, write_output
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


#: How a pool scaled by hand is named in the plan: it draws its ``replicas``, not a maximum.
HAND_SCALED = "scaled by hand: replicas, no autoscaler"


def pool_names(row: Row) -> str:
    """The pools of a row, each scaled by hand said so (its vCPUs are its replicas')."""
    return ", ".join(f"{name} ({HAND_SCALED})" if name in row.hand_scaled else name for name in row.pools)


def table_cells(rows: t.Sequence[Row], plan: bool) -> tuple[tuple[str, ...], list[list[str]]]:
    """The quota table's header and cells: the demand alone (``plan``) or the full check."""
    if plan:
        return _PLAN_COLUMNS, [
            [r.quota_class, r.market.value, _cell(r.code), str(r.planned), pool_names(r)] for r in rows
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


def write(
    fmt: str,
    rows: t.Sequence[Row],
    findings: t.Sequence[Finding],
    summary: dict[str, t.Any],
    stream: t.TextIO,
    plan: bool,
) -> None:
    summary = {**summary, "rows": [r.as_dict() for r in rows]}
    header, body = table_cells(rows, plan)
    errors = any(f.severity == "error" for f in findings)
    write_output(
        fmt,
        Output(
            TOOL,
            findings,
            summary,
            [
                Table(
                    header,
                    body,
                    title=None,
                    note=f"{TOOL}: {summary['context']}",
                    empty="no pools",
                    # What the capacity checks found of each pool (accelcap.quotas.offerings).
                    highlights=[f"capacity: {capacity_line(entry)}" for entry in summary.get("capacity") or []],
                )
            ],
            headline="not enough quota" if errors else ("enough quota" if not plan else "demand only (--plan)"),
            subject=str(summary["cluster"]),
            remedy=lambda f: CHECKS[f.code].remediation if f.code in CHECKS else None,
        ),
        stream,
    )
