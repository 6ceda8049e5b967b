"""CAP011: the ClusterAutoscaler is `default` and its GPU limits cover the autoscaled GPU pools."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from ...catalog.instance_types import Accelerator
from ...instance_types import lookup
from ...pools import ACCELERATOR_LABEL, AUTOSCALING_GROUP, Pool
from ...render import Document
from ..context import LintContext
from ..examples import Drop, Set, example
from ..provider import PROVIDER
from ..rule import Violation, rule

GPUS_PATH = "/spec/resourceLimits/gpus"


@rule(
    "CAP011",
    "cluster-autoscaler-gpus",
    "The ClusterAutoscaler is `default` and its GPU limits fit the pools",
    what=f"""A ClusterAutoscaler is named `default`. Each `resourceLimits.gpus[].type` equals the
    `{ACCELERATOR_LABEL}` label of some pool, and for every autoscaled NVIDIA GPU pool a `gpus` entry
    with its label exists whose `max` is at least the sum, over the autoscaled pools with that label,
    of `maxReplicas` times the GPUs of the instance type (from `accelcap.instance_types`; an unknown
    instance type is a finding). Autoscaled pools need a ClusterAutoscaler at all.""",
    why="""The operator ignores a ClusterAutoscaler with another name; a `gpus` type that matches no
    `{ACCELERATOR_LABEL}` value limits nothing; a GPU max below what the pools may reach stops
    scale-up early with pods Pending, silently. Counting GPUs from names is wrong for sizes such as
    g5.16xlarge (one GPU).""",
    fix=f"""Name it `default`; set each `gpus[].type` to the pools' `{ACCELERATOR_LABEL}` value and
    `max` to at least the GPUs the pools can add (`maxReplicas` x GPUs per instance); add an unknown
    instance type to `accelcap/catalog/instance_types.py` with its AWS specification.""",
    failing=(
        example("not named default", Set("ClusterAutoscaler", "/metadata/name", "cluster")),
        example("GPU max too low", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/max", 1)),
        example("stale gpus type", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/type", "nvidia.com/gpu")),
        example("unknown instance type", Set("MachineSet", f"{PROVIDER}/instanceType", "g5.3xlarge")),
        example("16xlarge has one GPU, 12xlarge four", Set("MachineSet", f"{PROVIDER}/instanceType", "g5.12xlarge")),
        example("no ClusterAutoscaler", Drop("ClusterAutoscaler")),
    ),
    passing=(example("GPU max raised", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/max", 100)),),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    autoscalers = context.of_kind(AUTOSCALING_GROUP, "ClusterAutoscaler")
    for autoscaler in autoscalers:
        if autoscaler.name != "default":
            yield Violation(
                "the cluster-autoscaler-operator only acts on the ClusterAutoscaler named default",
                autoscaler,
                "/metadata/name",
            )
    autoscaled = [p for p in context.pools if p.autoscaler is not None]
    if autoscaled and not autoscalers:
        for pool in autoscaled:
            yield Violation("has a MachineAutoscaler but the overlay has no ClusterAutoscaler", pool.machineset)
        return
    labels = {str(p.node_labels.get(ACCELERATOR_LABEL)) for p in context.pools if p.node_labels.get(ACCELERATOR_LABEL)}
    needed, unknown = _gpus_needed(autoscaled)
    for pool in unknown:
        yield Violation(
            f"autoscaled GPU pool with instance type {pool.instance_type}, whose GPU count is not in "
            "accelcap.instance_types, so the GPU limit cannot be checked",
            pool.machineset,
            "/spec/template/spec/providerSpec/value/instanceType",
        )
    for autoscaler in autoscalers:
        limits = _limits(autoscaler)
        for index, (kind, _) in enumerate(limits):
            if kind not in labels:
                yield Violation(
                    f"gpus[{index}].type {kind!r} matches no pool's {ACCELERATOR_LABEL} label "
                    f"(pools: {sorted(labels) or 'none'})",
                    autoscaler,
                    f"{GPUS_PATH}/{index}/type",
                )
        maxima = dict(limits)
        for kind, (gpus, pools) in sorted(needed.items()):
            names = ", ".join(p.name for p in pools)
            if kind not in maxima:
                yield Violation(
                    f"no gpus entry of type {kind!r} for autoscaled GPU pools {names}", autoscaler, GPUS_PATH
                )
                continue
            high = maxima[kind]
            if high is None or high < gpus:
                yield Violation(
                    f"gpus max for {kind!r} is {high!r} but pools {names} may reach {gpus} GPUs",
                    autoscaler,
                    GPUS_PATH,
                )


def _gpus_needed(pools: list[Pool]) -> tuple[dict[str, tuple[int, list[Pool]]], list[Pool]]:
    """GPUs the autoscaled NVIDIA pools may reach, by accelerator label; and pools of unknown type."""
    totals: dict[str, int] = defaultdict(int)
    members: dict[str, list[Pool]] = defaultdict(list)
    unknown = []
    for pool in pools:
        if pool.accelerator is not Accelerator.NVIDIA_GPU:
            continue
        known = lookup(pool.instance_type or "")
        if known is None or not known.accelerators:
            unknown.append(pool)
            continue
        label = pool.node_labels.get(ACCELERATOR_LABEL)
        if not label:
            continue  # CAP005 reports the missing label
        # An invalid maxReplicas counts 0 here; CAP004 reports it.
        totals[str(label)] += (pool.max_replicas or 0) * known.accelerators
        members[str(label)].append(pool)
    return {label: (totals[label], members[label]) for label in totals}, unknown


def _limits(autoscaler: Document) -> list[tuple[str, int | None]]:
    gpus = autoscaler.get("spec", "resourceLimits", "gpus", default=[])
    limits = []
    for entry in gpus if isinstance(gpus, list) else []:
        if isinstance(entry, dict):
            high = entry.get("max")
            limits.append(
                (str(entry.get("type", "")), high if isinstance(high, int) and not isinstance(high, bool) else None)
            )
    return limits
