"""Worker pools as the tools see them: a MachineSet, its instance type, its market, and
the MachineAutoscaler that may size it. Shared by the linter, the quota check and the
capacity diff so they agree on what a pool is.
"""

from __future__ import annotations

import typing as t
from collections import defaultdict
from dataclasses import dataclass

from .catalog.install_naming import naming_of, tag_names
from .catalog.instance_types import Accelerator
from .catalog.machine_api import (
    ACCELERATOR_LABEL,
    AUTOSCALING_GROUP,
    CLUSTER_LABEL,
    CLUSTER_TAG_PREFIX,
    MACHINE_GROUP,
    MACHINESET_LABEL,
    PROVIDER,
    ROLE_LABELS,
)
from .instance_types import accelerator_of, lookup
from .render import Document

__all__ = [
    "ACCELERATOR_LABEL",
    "AUTOSCALING_GROUP",
    "CLUSTER_LABEL",
    "CLUSTER_TAG_PREFIX",
    "MACHINESET_LABEL",
    "MACHINE_GROUP",
    "PROVIDER",
    "ROLE_LABELS",
    "naming_of",
    "tag_names",
]


def market_of(provider: dict[str, t.Any]) -> str:
    """``spot`` when an AWS provider spec asks for Spot (spotMarketOptions or marketType), else
    ``on-demand``."""
    if "spotMarketOptions" in provider or provider.get("marketType") == "Spot":
        return "spot"
    return "on-demand"


def is_machineset(document: Document) -> bool:
    return document.kind == "MachineSet" and document.group == MACHINE_GROUP


def is_machineautoscaler(document: Document) -> bool:
    return document.kind == "MachineAutoscaler" and document.group == AUTOSCALING_GROUP


@dataclass(frozen=True)
class Pool:
    machineset: Document
    autoscaler: Document | None

    @property
    def name(self) -> str:
        return self.machineset.name

    @property
    def provider(self) -> dict[str, t.Any]:
        value = self.machineset.get("spec", "template", "spec", "providerSpec", "value", default={})
        return value if isinstance(value, dict) else {}

    @property
    def instance_type(self) -> str | None:
        value = self.provider.get("instanceType")
        return value if isinstance(value, str) and value else None

    @property
    def accelerator(self) -> Accelerator:
        return accelerator_of(self.instance_type) if self.instance_type else Accelerator.NONE

    @property
    def market(self) -> str:
        return market_of(self.provider)

    @property
    def replicas(self) -> int | None:
        value = self.machineset.get("spec", "replicas")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def max_replicas(self) -> int | None:
        """The most machines the pool can have: the autoscaler's max, else ``spec.replicas``."""
        if self.autoscaler is not None:
            value = self.autoscaler.get("spec", "maxReplicas")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        return self.replicas

    @property
    def node_labels(self) -> dict[str, t.Any]:
        value = self.machineset.get("spec", "template", "spec", "metadata", "labels", default={})
        return value if isinstance(value, dict) else {}

    @property
    def taints(self) -> list[dict[str, t.Any]]:
        value = self.machineset.get("spec", "template", "spec", "taints", default=[])
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def autoscaler_target(autoscaler: Document) -> tuple[str | None, str]:
    """(namespace, name) of the MachineSet a MachineAutoscaler scales."""
    return autoscaler.namespace, str(autoscaler.get("spec", "scaleTargetRef", "name", default=""))


def find_pools(documents: t.Iterable[Document]) -> list[Pool]:
    """Every MachineSet of ``documents`` with the MachineAutoscaler that targets it, if any."""
    documents = list(documents)
    autoscalers = {autoscaler_target(d): d for d in documents if is_machineautoscaler(d)}
    return [Pool(d, autoscalers.get((d.namespace, d.name))) for d in documents if is_machineset(d)]


@dataclass(frozen=True)
class GpuLimit:
    """One ``resourceLimits.gpus`` entry of the ClusterAutoscaler: the GPUs of one type."""

    type: str
    max: int
    #: The pools that make up ``max``.
    pools: tuple[str, ...]
    min: int = 0

    def entry(self) -> dict[str, t.Any]:
        return {"type": self.type, "min": self.min, "max": self.max}


def gpu_limits(pools: t.Iterable[Pool]) -> tuple[list[GpuLimit], list[Pool]]:
    """The ClusterAutoscaler's GPU limits that follow from ``pools``, and the pools it cannot count.

    For each ``cluster-api/accelerator`` label of the NVIDIA pools, the most GPUs they can run:
    the sum of their most machines (``maxReplicas``, or ``spec.replicas`` of a pool scaled by
    hand: the autoscaler counts every node of the type against the limit) times the GPUs of
    the instance type (``accelcap.catalog.instance_types``). A pool whose type the table does
    not know is returned apart; one without the label is left out (rule CAP005 reports it).
    """
    totals: dict[str, int] = defaultdict(int)
    members: dict[str, list[str]] = defaultdict(list)
    unknown = []
    for pool in pools:
        if pool.accelerator is not Accelerator.NVIDIA_GPU:
            continue
        known = lookup(pool.instance_type or "")
        if known is None or not known.accelerators:
            unknown.append(pool)
            continue
        label = pool.node_labels.get(ACCELERATOR_LABEL)
        if not isinstance(label, str) or not label:
            continue
        totals[label] += max(pool.max_replicas or 0, 0) * known.accelerators
        members[label].append(pool.name)
    limits = [GpuLimit(label, totals[label], tuple(members[label])) for label in sorted(totals) if totals[label] > 0]
    return limits, unknown
