"""The quota plan: what a rendered cluster's pools draw at their maximum, without AWS.

``verify-quotas --plan`` and ``tools/check`` print it; the vCPUs per instance type come from
``accelcap.catalog.instance_types`` (a type missing there is bad input), so nothing is asked of AWS
and nothing is compared with a quota.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..catalog.instance_types import lookup, require
from ..facts import ClusterFacts
from ..model import ClusterModel
from ..report import Finding
from .capacity import not_checked_offline, targets
from .demand import PoolPlan, plan_pools, pool_demands
from .verdict import Row, plan_rows


@dataclass(frozen=True)
class QuotaPlan:
    """One cluster's demand per quota class and market."""

    cluster: str
    rows: list[Row]
    findings: list[Finding]
    pools: int
    #: One sentence for people: whose demand, and that no quota was checked.
    context: str
    #: Pools left out because the instance-type table lacks their type (``skip_unknown``).
    unsized: tuple[str, ...] = ()


def offline_vcpus(plans: t.Sequence[PoolPlan], overlay: str) -> dict[str, int]:
    """vCPUs from ``accelcap.catalog.instance_types``; a type missing there is exit 2."""
    why = "--plan cannot size it; without --plan, EC2 is asked"
    return {plan.instance_type: require(plan.instance_type, f"{overlay}: {plan.ref}", why).vcpus for plan in plans}


def plan_overlay(overlay: ClusterModel, facts: ClusterFacts, skip_unknown: bool = False) -> QuotaPlan:
    """The demand of every pool ``overlay`` renders; bad input raises ``InputError``.

    ``skip_unknown``: a pool whose type the instance-type table lacks is left out and named
    in ``unsized`` instead (``tools/check``, where lint rule CAP048 reports it once, and the
    other pools are still planned).
    """
    machinesets = overlay.machinesets
    unsized = tuple(m.name for m in machinesets if skip_unknown and m.instance_type and lookup(m.instance_type) is None)
    plans = plan_pools([m for m in machinesets if m.name not in unsized], overlay.name)
    rows, findings = plan_rows(pool_demands(plans, offline_vcpus(plans, overlay.name)), overlay.name)
    context = (
        f"cluster {facts.name}: demand of {len(plans)} pool(s) at their maximum (a pool scaled by hand: "
        f"its replicas) - QUOTA NOT CHECKED "
        f"against AWS (--plan: no AWS calls, vCPUs from the instance-type table; run "
        f"tools/verify-quotas {facts.name} with credentials for the real check). "
        + not_checked_offline(targets(machinesets, overlay.name))
    )
    if unsized:
        context += f"; left out, their instance type unknown (lint CAP048): {', '.join(unsized)}"
    return QuotaPlan(facts.name, rows, findings, len(plans), context, unsized)
