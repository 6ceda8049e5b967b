"""CAP011: the ClusterAutoscaler is `default` and its GPU limits are the ones its pools give."""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import ACCELERATOR_LABEL, AUTOSCALING_GROUP
from ...model import gpu_limits
from ...render import Document
from ...toolbox import GENERATOR
from ..context import LintContext
from ..examples import Drop, PoolYaml, Set, example
from ..rule import Violation, rule

GPUS_PATH = "/spec/resourceLimits/gpus"


@rule(
    "CAP011",
    "cluster-autoscaler-gpus",
    "The ClusterAutoscaler is `default` and its GPU limits follow from the pools",
    what=f"""A ClusterAutoscaler is named `default`, and its `resourceLimits.gpus` is exactly what the
    overlay's pools give (`accelcap.model.gpu_limits`): one entry per `{ACCELERATOR_LABEL}` label of
    the NVIDIA GPU pools, `min` 0 and `max` the sum over those pools of their most machines
    (`maxReplicas` of the MachineAutoscaler, else `spec.replicas`: the autoscaler counts every node
    of the type) times the GPUs of the instance type (the instance-type table; a type it lacks is
    CAP048's finding, and the limits are then not compared). Autoscaled pools need a
    ClusterAutoscaler at all.""",
    why="""The operator ignores a ClusterAutoscaler with another name; a `gpus` type that matches no
    pool's label limits nothing; a GPU max below what the pools may reach stops scale-up early with
    pods Pending, silently, and one above it hides a forgotten limit. Counting GPUs from names is
    wrong for sizes such as g5.16xlarge (one GPU). The limits are generated so that raising a
    pool's maxReplicas in its pool.yaml is the whole change.""",
    fix=f"""Name it `default`. Run `{GENERATOR}`: it writes the limits into the capacity build's
    `gpu-limits.yaml` (the pre-commit hook does it on commit).""",
    failing=(
        example("not named default", Set("ClusterAutoscaler", "/metadata/name", "cluster")),
        example("GPU max too low", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/max", 1)),
        example("GPU max above what the pools give", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/max", 100)),
        example("stale gpus type", Set("ClusterAutoscaler", f"{GPUS_PATH}/0/type", "nvidia.com/gpu")),
        example(
            "maxReplicas raised in pool.yaml, GPU limits not regenerated",
            PoolYaml(max_replicas=4),
            Set("MachineAutoscaler", "/spec/maxReplicas", 4),
        ),
        example("no ClusterAutoscaler", Drop("ClusterAutoscaler")),
    ),
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
    limits, unknown = gpu_limits(context.pools)
    if unknown:  # the limits cannot be computed; CAP048 names each pool's type
        return
    wanted = [limit.entry() for limit in limits]
    for autoscaler in autoscalers:
        have = _gpus(autoscaler)
        if have != wanted:
            yield Violation(
                f"resourceLimits.gpus is {_describe(have)} but the pools give {_describe(wanted)} "
                f"(max = most machines x GPUs per instance); run {GENERATOR}",
                autoscaler,
                GPUS_PATH,
            )


def _gpus(autoscaler: Document) -> list[t.Any]:
    value = autoscaler.get("spec", "resourceLimits", "gpus", default=[])
    return value if isinstance(value, list) else [value]


def _describe(entries: list[t.Any]) -> str:
    parts = [f"{e.get('type')}: {e.get('min')}..{e.get('max')}" if isinstance(e, dict) else repr(e) for e in entries]
    return "[" + ", ".join(parts) + "]" if parts else "none"
