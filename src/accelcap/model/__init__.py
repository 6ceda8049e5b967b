"""The cluster model every tool reads: ``ClusterModel`` (one rendered overlay with its facts and
its pools), ``Pool`` (a pool.yaml joined with its MachineSets, autoscalers and GPU share),
``ScaledMachineSet`` (one MachineSet and its autoscaler). Above the render layer, below the
tools; import these names from ``accelcap.model``.
"""

from __future__ import annotations

from .cluster_model import (
    ClusterModel,
    build_cache,
    facts_of_overlay,
    model_of,
    render_model,
    render_models,
    rendering_models,
)
from .machinesets import (
    ScaledMachineSet,
    autoscaler_bounds,
    autoscaler_target,
    find_machinesets,
    is_machineautoscaler,
    is_machineset,
    market_of,
    whole_number,
)
from .pools import GpuLimit, Pool, gpu_limits, join_pools

__all__ = [
    "ClusterModel",
    "GpuLimit",
    "Pool",
    "ScaledMachineSet",
    "autoscaler_bounds",
    "autoscaler_target",
    "build_cache",
    "facts_of_overlay",
    "find_machinesets",
    "gpu_limits",
    "is_machineautoscaler",
    "is_machineset",
    "join_pools",
    "market_of",
    "model_of",
    "render_model",
    "render_models",
    "rendering_models",
    "whole_number",
]
