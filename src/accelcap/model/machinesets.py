"""A rendered MachineSet with the MachineAutoscaler that sizes it: the unit the machine API
scales, and what a pool (``accelcap.model.pools``) is made of. Every raw read of the
autoscaler's bounds and the MachineSet's replicas, market and node template is here.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..catalog.instance_types import Accelerator, accelerator_of, lookup
from ..catalog.machine_api import AUTOSCALING_GROUP, MACHINE_GROUP
from ..pool_file import POOL_ANNOTATION
from ..render import Document


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


def whole_number(value: t.Any) -> int | None:
    """``value`` when it is an int (not a bool), else None: how every count is read."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def autoscaler_bounds(autoscaler: Document) -> tuple[t.Any, t.Any]:
    """(minReplicas, maxReplicas) of a MachineAutoscaler as written (None where missing): the
    one place its bounds are read."""
    return autoscaler.get("spec", "minReplicas"), autoscaler.get("spec", "maxReplicas")


def autoscaler_target(autoscaler: Document) -> tuple[str | None, str]:
    """(namespace, name) of the MachineSet a MachineAutoscaler scales."""
    return autoscaler.namespace, str(autoscaler.get("spec", "scaleTargetRef", "name", default=""))


@dataclass(frozen=True)
class ScaledMachineSet:
    """One rendered MachineSet and the MachineAutoscaler that targets it, if any."""

    machineset: Document
    autoscaler: Document | None

    @property
    def name(self) -> str:
        return self.machineset.name

    @property
    def namespace(self) -> str:
        """Its namespace; ``default`` where the render leaves it out."""
        return self.machineset.namespace or "default"

    @property
    def pool_name(self) -> str:
        """The pool it was filled from (its ``accel-capacity.io/pool``); its own name when it
        has none (a MachineSet written by hand)."""
        value = self.machineset.annotations.get(POOL_ANNOTATION)
        return value if isinstance(value, str) and value else self.name

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
    def devices(self) -> int | None:
        """Accelerators per node (the instance table's count); None when the table lacks the type."""
        known = lookup(self.instance_type) if self.instance_type else None
        return known.accelerators if known else None

    @property
    def market(self) -> str:
        return market_of(self.provider)

    @property
    def zone(self) -> str | None:
        """``placement.availabilityZone`` of its provider spec; None when it is not a string."""
        placement = self.provider.get("placement")
        value = placement.get("availabilityZone") if isinstance(placement, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def replicas(self) -> int | None:
        return whole_number(self.machineset.get("spec", "replicas"))

    @property
    def min_replicas(self) -> int | None:
        """The autoscaler's minReplicas (0 when it leaves it out); None without an autoscaler."""
        if self.autoscaler is None:
            return None
        low, _ = autoscaler_bounds(self.autoscaler)
        return 0 if low is None else whole_number(low)

    @property
    def max_replicas(self) -> int | None:
        """The most machines the pool can have: the autoscaler's max, else ``spec.replicas``."""
        if self.autoscaler is not None:
            return whole_number(autoscaler_bounds(self.autoscaler)[1])
        return self.replicas

    @property
    def bounds(self) -> tuple[int, int] | None:
        """(minReplicas, maxReplicas) of its MachineAutoscaler; None without one, or when they
        are not whole numbers."""
        low, high = self.min_replicas, self.max_replicas
        if self.autoscaler is None or low is None or high is None:
            return None
        return low, high

    @property
    def node_labels(self) -> dict[str, t.Any]:
        value = self.machineset.get("spec", "template", "spec", "metadata", "labels", default={})
        return value if isinstance(value, dict) else {}

    @property
    def taints(self) -> list[dict[str, t.Any]]:
        value = self.machineset.get("spec", "template", "spec", "taints", default=[])
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def find_machinesets(documents: t.Iterable[Document]) -> list[ScaledMachineSet]:
    """Every MachineSet of ``documents`` with the MachineAutoscaler that targets it, if any."""
    documents = list(documents)
    autoscalers = {autoscaler_target(d): d for d in documents if is_machineautoscaler(d)}
    return [ScaledMachineSet(d, autoscalers.get((d.namespace, d.name))) for d in documents if is_machineset(d)]
