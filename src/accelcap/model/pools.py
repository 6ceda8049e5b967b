"""A pool as every tool sees it: its pool.yaml (the settings a platform engineer edits), the
MachineSet(s) filled from it, each with its MachineAutoscaler, and its share of the
ClusterAutoscaler's GPU limits. The MachineSets are matched to the pool by the annotation
components/pool writes (``accel-capacity.io/pool``), never by their names, so a pool can hold
more than one MachineSet (an On-Demand fallback beside a Spot one).
"""

from __future__ import annotations

import typing as t
from collections import defaultdict
from dataclasses import dataclass, field

from ..catalog.instance_types import Accelerator, lookup
from ..catalog.machine_api import ACCELERATOR_LABEL
from ..pool_file import PoolFile
from .machinesets import ScaledMachineSet


@dataclass(frozen=True)
class GpuLimit:
    """One ``resourceLimits.gpus`` entry of the ClusterAutoscaler: the GPUs of one type."""

    type: str
    max: int
    #: The MachineSets that make up ``max``.
    pools: tuple[str, ...]
    min: int = 0

    def entry(self) -> dict[str, t.Any]:
        return {"type": self.type, "min": self.min, "max": self.max}


def gpu_limits(machinesets: t.Iterable[ScaledMachineSet]) -> tuple[list[GpuLimit], list[ScaledMachineSet]]:
    """The ClusterAutoscaler's GPU limits that follow from ``machinesets``, and those it cannot count.

    For each ``cluster-api/accelerator`` label of the NVIDIA MachineSets, the most GPUs they
    can run: the sum of their most machines (``maxReplicas``, or ``spec.replicas`` of one scaled
    by hand: the autoscaler counts every node of the type against the limit) times the GPUs of
    the instance type (``accelcap.catalog.instance_types``). A MachineSet whose type the table
    does not know is returned apart; one without the label is left out (rule CAP005 reports it).
    """
    totals: dict[str, int] = defaultdict(int)
    members: dict[str, list[str]] = defaultdict(list)
    unknown = []
    for machineset in machinesets:
        if machineset.accelerator is not Accelerator.NVIDIA_GPU:
            continue
        known = lookup(machineset.instance_type or "")
        if known is None or not known.accelerators:
            unknown.append(machineset)
            continue
        label = machineset.node_labels.get(ACCELERATOR_LABEL)
        if not isinstance(label, str) or not label:
            continue
        totals[label] += max(machineset.max_replicas or 0, 0) * known.accelerators
        members[label].append(machineset.name)
    limits = [GpuLimit(label, totals[label], tuple(members[label])) for label in sorted(totals) if totals[label] > 0]
    return limits, unknown


@dataclass(frozen=True)
class Pool:
    """One pool of a cluster, joined from everything that says something about it."""

    name: str
    #: Its pool.yaml; None for MachineSets written by hand (no ``accel-capacity.io/pool``).
    file: PoolFile | None
    #: Its MachineSets in render order (the first is the pool's own; others are fallbacks).
    machinesets: tuple[ScaledMachineSet, ...]
    #: GPUs of each ``cluster-api/accelerator`` type its MachineSets add to the limits.
    gpus: dict[str, int] = field(default_factory=dict)

    @property
    def max_replicas(self) -> int | None:
        """The most machines of all its MachineSets; None when any cannot be counted."""
        counts = [m.max_replicas for m in self.machinesets]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)


def join_pools(machinesets: t.Sequence[ScaledMachineSet], files: t.Sequence[PoolFile]) -> list[Pool]:
    """Every pool: one per pool.yaml (in file order; with no MachineSet when none was filled
    from it), then one per MachineSet that names no pool.yaml, in render order."""
    by_pool: dict[str, list[ScaledMachineSet]] = defaultdict(list)
    for machineset in machinesets:
        by_pool[machineset.pool_name].append(machineset)
    limits, _ = gpu_limits(machinesets)
    share: dict[str, dict[str, int]] = defaultdict(dict)
    for machineset in machinesets:
        known = lookup(machineset.instance_type or "")
        label = machineset.node_labels.get(ACCELERATOR_LABEL)
        if known is None or not isinstance(label, str) or not any(machineset.name in g.pools for g in limits):
            continue
        gpus = max(machineset.max_replicas or 0, 0) * known.accelerators
        share[machineset.pool_name][label] = share[machineset.pool_name].get(label, 0) + gpus
    named = {file.name: file for file in files}
    pools = [Pool(name, file, tuple(by_pool.get(name, ())), share.get(name, {})) for name, file in named.items()]
    pools += [
        Pool(name, None, tuple(members), share.get(name, {})) for name, members in by_pool.items() if name not in named
    ]
    return pools
