"""Kept for imports not yet moved: the instance-type table and its readers are
``accelcap.catalog.instance_types``."""

from __future__ import annotations

from .catalog.instance_types import (
    ACCELERATOR_BY_FAMILY_PREFIX,
    INSTANCE_TYPES,
    TABLE,
    Accelerator,
    InstanceType,
    accelerator_of,
    family_of,
    lookup,
    require,
    sizes_of,
    unknown_type_message,
)

__all__ = [
    "ACCELERATOR_BY_FAMILY_PREFIX",
    "INSTANCE_TYPES",
    "TABLE",
    "Accelerator",
    "InstanceType",
    "accelerator_of",
    "family_of",
    "lookup",
    "require",
    "sizes_of",
    "unknown_type_message",
]
