"""Kept for imports not yet moved: the pool model is ``accelcap.model`` (``ScaledMachineSet``
is what this module called ``Pool``), the machine API's names are ``accelcap.catalog.machine_api``.
"""

from __future__ import annotations

from .catalog.install_naming import naming_of, tag_names
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
from .model.machinesets import (
    ScaledMachineSet,
    autoscaler_target,
    find_machinesets,
    is_machineautoscaler,
    is_machineset,
    market_of,
)
from .model.pools import GpuLimit, gpu_limits

Pool = ScaledMachineSet
find_pools = find_machinesets

__all__ = [
    "ACCELERATOR_LABEL",
    "AUTOSCALING_GROUP",
    "CLUSTER_LABEL",
    "CLUSTER_TAG_PREFIX",
    "MACHINESET_LABEL",
    "MACHINE_GROUP",
    "PROVIDER",
    "ROLE_LABELS",
    "GpuLimit",
    "Pool",
    "ScaledMachineSet",
    "autoscaler_target",
    "find_pools",
    "gpu_limits",
    "is_machineautoscaler",
    "is_machineset",
    "market_of",
    "naming_of",
    "tag_names",
]
