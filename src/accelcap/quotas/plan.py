"""The quota plan: what a rendered cluster's pools draw at their maximum, without AWS.

``verify-quotas --plan`` and ``tools/check`` print it; the vCPUs per instance type come from
``accelcap.instance_types`` (a type missing there is bad input), so nothing is asked of AWS
and nothing is compared with a quota.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..facts import ClusterFacts
from ..instance_types import require
from ..pools import find_pools
from ..render import RenderedOverlay
from ..report import Finding
from .demand import PoolPlan, plan_pools, pool_demands
from .offerings import not_checked_offline, targets
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


def offline_vcpus(plans: t.Sequence[PoolPlan], overlay: str) -> dict[str, int]:
    """vCPUs from ``accelcap.instance_types``; a type missing there is exit 2."""
    why = "--plan cannot size it (run without --plan to ask EC2)"
    return {plan.instance_type: require(plan.instance_type, f"{overlay}: {plan.ref}", why).vcpus for plan in plans}


def plan_overlay(overlay: RenderedOverlay, facts: ClusterFacts) -> QuotaPlan:
    """The demand of every pool ``overlay`` renders; bad input raises ``InputError``."""
    pools = find_pools(overlay.documents)
    plans = plan_pools(pools, overlay.name)
    rows, findings = plan_rows(pool_demands(plans, offline_vcpus(plans, overlay.name)), overlay.name)
    context = (
        f"cluster {facts.name}: demand of {len(plans)} pool(s) at their maximum - QUOTA NOT CHECKED "
        f"against AWS (--plan: no AWS calls, vCPUs from accelcap.instance_types; run "
        f"tools/verify-quotas {facts.name} with credentials for the real check). "
        + not_checked_offline(targets(pools, overlay.name))
    )
    return QuotaPlan(facts.name, rows, findings, len(plans), context)
