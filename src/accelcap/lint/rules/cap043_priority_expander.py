"""CAP043: the priority expander's ConfigMap lists every pool's MachineSets, Spot above On-Demand."""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import AUTOSCALING_GROUP
from ...markets import is_fallback
from ...model import ScaledMachineSet as Pool
from ...priority_expander import (
    FILE,
    KEY,
    NAME,
    NAMESPACE,
    ON_DEMAND_TIER,
    SPOT_TIER,
    BadPriorities,
    node_groups,
    parse_priorities,
    priority_of,
    tier,
)
from ...render import Document
from ...toolbox import GENERATOR
from ..context import LintContext
from ..examples import Drop, Remove, Set, example
from ..rule import Violation, rule

DATA = f"/data/{KEY}"


@rule(
    "CAP043",
    "priority-expander",
    "The priority expander's ConfigMap lists every pool, Spot above On-Demand",
    what=f"""An overlay with a Spot pool that falls back to On-Demand (pool.yaml `fallback`) has the
    ConfigMap `{NAME}` in `{NAMESPACE}` (the capacity build's generated `{FILE}`). Its
    `data.{KEY}` is YAML the expander can read (integer priorities, lists of regular expressions); every
    autoscaled MachineSet of the overlay's pools (the autoscaler's node groups) is matched by one of its expressions (against the node group ID
    `MachineSet/<namespace>/<name>`); each fallback has a lower priority than its pool's Spot
    MachineSet and every On-Demand MachineSet (a fallback, or an On-Demand pool without a reservation)
    has a lower priority than every Spot one. `{GENERATOR}` writes it so (reservations 30, Spot 20,
    On-Demand 10); that the file is current is the generator's check.
    A ConfigMap with another name or namespace is not the expander's.""",
    why="""The Priority expander grows the highest-priority node group that fits; a MachineSet no
    expression matches gets the lowest priority there is, and an order that prefers the On-Demand
    MachineSet pays On-Demand prices while Spot capacity is free, silently. A ConfigMap the expander
    cannot parse makes it fall back to choosing at random.""",
    fix=f"""Run `{GENERATOR}` (the pre-commit hook does) and list `{FILE}` under the capacity build's
    resources, beside `components/autoscaling/priority`.""",
    failing=(
        example("no ConfigMap, no Priority", Drop("ConfigMap", NAME), Remove("ClusterAutoscaler", "/spec/expanders")),
        example(
            "On-Demand preferred",
            Set("ConfigMap", DATA, "10:\n  - '^MachineSet/openshift-machine-api/{infraID}-gpu-us-west-2a$'\n"
                "20:\n  - '^MachineSet/openshift-machine-api/{infraID}-gpu-us-west-2a-ondemand$'\n", NAME),
        ),
        example(
            "the fallback missing",
            Set("ConfigMap", DATA, "20:\n  - '^MachineSet/openshift-machine-api/{infraID}-gpu-us-west-2a$'\n", NAME),
        ),
        example("not YAML of priorities", Set("ConfigMap", DATA, "high: everything", NAME)),
        example("a priority that is no integer", Set("ConfigMap", DATA, "high:\n  - '.*'\n", NAME)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    configmaps = [d for d in context.of_kind("", "ConfigMap") if d.name == NAME]
    pools = node_groups(context.pools)
    if not configmaps:
        if any(
            "Priority" in (a.get("spec", "expanders", default=None) or [])
            for a in context.of_kind(AUTOSCALING_GROUP, "ClusterAutoscaler")
        ):
            return  # the Priority expander without its ConfigMap: rule CAP044
        for pool in pools:
            if is_fallback(pool.machineset):
                yield Violation(
                    f"an On-Demand fallback but the overlay has no ConfigMap {NAME} in {NAMESPACE}: the autoscaler "
                    f"cannot prefer Spot (list the generated {FILE} under the capacity build's resources)",
                    pool.machineset,
                )
        return
    for configmap in configmaps:
        yield from _check_configmap(configmap, pools)


def _check_configmap(configmap: Document, pools: list[Pool]) -> t.Iterator[Violation]:
    if configmap.namespace != NAMESPACE:
        yield Violation(
            f"the priority expander reads {NAME} from the autoscaler's namespace {NAMESPACE}, not {configmap.namespace}",
            configmap,
            "/metadata/namespace",
        )
        return
    try:
        tiers = parse_priorities(configmap.get("data", KEY))
    except BadPriorities as error:
        yield Violation(str(error), configmap, DATA)
        return
    levels = {}
    for pool in pools:
        level = priority_of(tiers, pool)
        levels[pool.name] = level
        if level is None:
            yield Violation(f"no expression matches MachineSet {pool.name}", configmap, DATA)
    spot = [p for p in pools if tier(p) == SPOT_TIER]
    on_demand = [p for p in pools if tier(p) == ON_DEMAND_TIER]
    for low in on_demand:
        for high in spot:
            low_level, high_level = levels[low.name], levels[high.name]
            if low_level is not None and high_level is not None and low_level >= high_level:
                yield Violation(
                    f"On-Demand MachineSet {low.name} has priority {low_level}, not below {high_level} of the "
                    f"Spot MachineSet {high.name}: the autoscaler would pay On-Demand while Spot may be had",
                    configmap,
                    DATA,
                )
