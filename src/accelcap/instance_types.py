"""Reading the instance-type catalog: a type's family, its accelerator, its table entry.

The table and its sources are ``accelcap.catalog.instance_types``.
"""

from __future__ import annotations

from .catalog.instance_types import ACCELERATOR_BY_FAMILY_PREFIX, INSTANCE_TYPES, Accelerator, InstanceType
from .errors import InputError


def family_of(instance_type: str) -> str:
    """``g5.2xlarge`` -> ``g5``."""
    return instance_type.split(".", 1)[0].lower()


def accelerator_of(instance_type: str) -> Accelerator:
    """The accelerator kind of ``instance_type``, from its family name alone.

    Labels can be edited away; the instance type is what AWS launches, so pool rules key on
    this. The longest matching prefix of ``ACCELERATOR_BY_FAMILY_PREFIX`` decides.
    """
    family = family_of(instance_type)
    for length in range(len(family), 0, -1):
        found = ACCELERATOR_BY_FAMILY_PREFIX.get(family[:length])
        if found is not None:
            return found
    return Accelerator.NONE


def lookup(instance_type: str) -> InstanceType | None:
    return INSTANCE_TYPES.get(instance_type)


def require(instance_type: str, where: str, why: str) -> InstanceType:
    """The table's entry for ``instance_type``; a type missing there is bad input at ``where``.

    ``why`` says what needs the entry (shown in the error).
    """
    known = INSTANCE_TYPES.get(instance_type)
    if known is None:
        raise InputError(where, f"instanceType {instance_type} is not in accelcap.instance_types; {why}")
    return known
