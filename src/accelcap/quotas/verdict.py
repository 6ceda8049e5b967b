"""Quota, use and plan -> one row per quota class and market, and the findings.

Every check the tool can report is registered in ``CHECKS`` (ID, description,
remediation); ``docs/verify-quotas.md`` lists them and a test keeps the two in step.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..catalog.ec2_quotas import Market, NoQuota
from ..report import Check, Finding
from .capacity import CAPACITY_CHECKS
from .demand import PoolDemand, PoolPlan, QuotaKey
from .usage import Usage

DEFAULT_WARN_PERCENT = 80.0


CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        Check(
            "quota-exceeded",
            "Use plus every pool at its maximum needs more vCPUs than the quota of the class and market.",
            "Request a quota increase (Service Quotas, the code in the row) or lower the pools' maxReplicas.",
        ),
        Check(
            "quota-near-limit",
            "Use plus plan stays within the quota but above the warning threshold.",
            "Request an increase before the pools grow; --warn-at sets the threshold.",
            severity="warning",
        ),
        Check(
            "quota-unknown",
            "Service Quotas has neither an applied nor a default value for the code: it cannot be checked.",
            "Check the Region and the quota code in accelcap.catalog.ec2_quotas; the check fails closed.",
        ),
        Check(
            "no-spot-market",
            "A Spot pool uses a family that EC2 sells On-Demand only (High Memory, HPC, trn2u).",
            "Set market: OnDemand in the pool's pool.yaml.",
        ),
        Check(
            "usage-unclassified",
            "A running instance or open Spot request has a type whose quota cannot be told: its family is not "
            "in the EC2 quota table, or AWS documents no quota for it in that market (P6 Spot).",
            "Add the family with its AWS source to accelcap.catalog.ec2_quotas; until then the check fails closed.",
        ),
        Check(
            "ami-missing",
            "A pool's AMI (ami.id) does not exist in the cluster's Region: DescribeImages does not know it.",
            "Use the RHCOS AMI of the cluster's Region (tools/set-infra-id <cluster> --from-cluster captures it).",
        ),
    )
} | CAPACITY_CHECKS  # the capacity checks of the same session (accelcap.quotas.offerings)


@dataclass(frozen=True)
class Row:
    """One quota class and market that the pools draw on."""

    quota_class: str
    market: Market
    code: str | None
    #: vCPUs the pools can launch: each pool at its maximum, or at what it runs when that is
    #: more (``judge`` adds the machines above the maximum).
    planned: int
    pools: tuple[str, ...]
    #: Each pool's vCPUs at its maximum, in the order of ``pools``.
    pool_vcpus: tuple[int, ...] = ()
    #: Of ``planned``: vCPUs of running machines beyond their pools' maximum.
    above_maximum: int = 0
    quota: float | None = None
    quota_source: str | None = None  # "applied" | "default"
    in_use: int | None = None
    own: int | None = None
    verdict: str = "planned"  # planned | ok | warn | fail | unknown | no-spot-market
    #: Of ``pools``: those scaled by hand (no autoscaler), counted at their ``replicas``.
    hand_scaled: tuple[str, ...] = ()

    @property
    def needed(self) -> int | None:
        return None if self.in_use is None else self.in_use + self.planned

    @property
    def headroom(self) -> float | None:
        if self.quota is None or self.needed is None:
            return None
        return self.quota - self.needed

    @property
    def percent(self) -> float | None:
        if self.quota is None or self.needed is None:
            return None
        if self.quota == 0:
            return 0.0 if self.needed == 0 else float("inf")
        return 100.0 * self.needed / self.quota

    def as_dict(self) -> dict[str, t.Any]:
        percent = self.percent
        return {
            "class": self.quota_class,
            "market": self.market.value,
            "code": self.code,
            "quota": _number(self.quota),
            "quotaSource": self.quota_source,
            "inUse": self.in_use,
            "poolsRunning": self.own,
            "planned": self.planned,
            "aboveMaximum": self.above_maximum,
            "headroom": _number(self.headroom),
            "percent": None if percent is None or percent == float("inf") else round(percent, 1),
            "verdict": self.verdict,
            "pools": list(self.pools),
            "handScaled": list(self.hand_scaled),
        }


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _finding(check: str, message: str, overlay: str, obj: str | None = None, plan: PoolPlan | None = None) -> Finding:
    return Finding(
        code=check,
        message=message,
        overlay=overlay,
        object=obj,
        file=plan.file if plan else None,
        line=plan.line if plan else None,
        severity=CHECKS[check].severity,
    )


def plan_rows(demands: t.Sequence[PoolDemand], overlay: str) -> tuple[list[Row], list[Finding]]:
    """Rows of demand alone (``--plan`` and the start of a real check)."""
    grouped: dict[QuotaKey, list[PoolDemand]] = {}
    for demand in demands:
        grouped.setdefault(demand.plan.key, []).append(demand)
    rows, findings = [], []
    for (class_key, market), members in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        members = sorted(members, key=lambda m: m.plan.name)
        quota = members[0].plan.quota
        verdict = "planned"
        if quota is None:
            verdict = "no-spot-market"
            for member in members:
                reason = member.plan.family.quota(market)
                assert isinstance(reason, NoQuota)  # the group's key says the family has no quota here
                findings.append(
                    _finding(
                        "no-spot-market",
                        f"{member.plan.instance_type} ({member.plan.family.quota_class}) as {market.value}: "
                        f"{reason.value}",
                        overlay,
                        member.plan.ref,
                        member.plan,
                    )
                )
        rows.append(
            Row(
                quota_class=class_key,
                market=market,
                code=quota.code if quota else None,
                planned=sum(m.vcpus for m in members),
                pools=tuple(m.plan.name for m in members),
                pool_vcpus=tuple(m.vcpus for m in members),
                verdict=verdict,
                hand_scaled=tuple(m.plan.name for m in members if m.plan.scaled_by_hand),
            )
        )
    return rows, findings


def with_running_above_maximum(row: Row, usage: Usage) -> Row:
    """``row`` with each pool counted at max(running, maximum) vCPUs.

    Machines a pool runs beyond its maximum (the maximum was lowered, or someone scaled the
    MachineSet by hand) keep drawing on the quota until they go; leaving them out would let
    a plan pass that the account cannot run.
    """
    effective = [
        max(usage.own_by_pool.get(name, 0), vcpus) for name, vcpus in zip(row.pools, row.pool_vcpus, strict=True)
    ]
    planned = sum(effective)
    return Row(**{**row.__dict__, "planned": planned, "above_maximum": planned - sum(row.pool_vcpus)})


def judge(
    rows: t.Sequence[Row],
    quotas: t.Mapping[str, t.Mapping[str, t.Any] | None],
    usage: Usage,
    overlay: str,
    warn_percent: float = DEFAULT_WARN_PERCENT,
) -> tuple[list[Row], list[Finding]]:
    """Fill quota and use into ``rows`` and decide each; unknowns fail (fail closed)."""
    judged, findings = [], []
    for row in (with_running_above_maximum(r, usage) for r in rows):
        subject = f"{row.quota_class}/{row.market.value}"
        in_use = usage.in_use.get((row.quota_class, row.market), 0)
        own = usage.own.get((row.quota_class, row.market), 0)
        if row.code is None:
            judged.append(Row(**{**row.__dict__, "in_use": in_use, "own": own}))
            continue
        quota = quotas.get(row.code)
        if quota is None or quota.get("Value") is None:
            judged.append(Row(**{**row.__dict__, "in_use": in_use, "own": own, "verdict": "unknown"}))
            findings.append(
                _finding("quota-unknown", f"no applied or default value for quota {row.code}", overlay, subject)
            )
            continue
        value = float(quota["Value"])
        source = "default" if quota.get("Default") else "applied"
        filled = Row(**{**row.__dict__, "quota": value, "quota_source": source, "in_use": in_use, "own": own})
        needed = in_use + row.planned
        percent = filled.percent or 0.0
        if needed > value:
            verdict = "fail"
            beyond = f" (of which {row.above_maximum} run above their pools' maximum)" if row.above_maximum else ""
            findings.append(
                _finding(
                    "quota-exceeded",
                    f"{in_use} vCPU in use + {row.planned} planned{beyond} = {needed} > quota {_number(value)} "
                    f"({row.code}, {source}); short by {_number(needed - value)}",
                    overlay,
                    subject,
                )
            )
        elif percent > warn_percent:
            verdict = "warn"
            findings.append(
                _finding(
                    "quota-near-limit",
                    f"{needed} of {_number(value)} vCPU ({percent:.0f}% > {warn_percent:g}%) of quota {row.code}",
                    overlay,
                    subject,
                )
            )
        else:
            verdict = "ok"
        judged.append(Row(**{**filled.__dict__, "verdict": verdict}))
    for item in usage.unclassified:
        findings.append(
            _finding(
                "usage-unclassified",
                f"{item.instance_type}: {item.reason}; its vCPUs cannot be counted",
                overlay,
                item.resource,
            )
        )
    return judged, findings
