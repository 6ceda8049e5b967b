"""Reading the instance-type catalog: a type's family, its accelerator, its table entry.

The table and its sources are ``accelcap.catalog.instance_types``.
"""

from __future__ import annotations

from .catalog.instance_types import ACCELERATOR_BY_FAMILY_PREFIX, INSTANCE_TYPES, Accelerator, InstanceType
from .errors import InputError
from .suggest import distance, nearest

#: The one name of the instance-type table in messages: where it is, and where it is documented.
TABLE = "the instance-type table (src/accelcap/catalog/instance_types.py, docs/catalog.md)"


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


def sizes_of(family: str) -> list[str]:
    """The types of ``family`` in the table, smallest first."""
    return sorted((name for name in INSTANCE_TYPES if family_of(name) == family), key=lambda n: INSTANCE_TYPES[n].vcpus)


def _multiplier(size: str) -> int:
    """``4xlarge`` -> 4, ``xlarge`` -> 1 (``large``, ``metal``: 0)."""
    digits = size.split("x", 1)[0]
    return int(digits) if digits.isdigit() else (1 if size.startswith("x") else 0)


def _nearest_size(instance_type: str, sizes: list[str]) -> str:
    """Of a family's ``sizes``, the one whose size is fewest edits away, then nearest in
    multiplier (``g5.3xlarge`` -> ``g5.2xlarge``)."""
    wanted = instance_type.partition(".")[2].lower()
    return min(
        sizes,
        key=lambda name: (
            distance(wanted, name.partition(".")[2]),
            abs(_multiplier(wanted) - _multiplier(name.partition(".")[2])),
        ),
    )


def unknown_type_message(instance_type: str) -> str:
    """What to say of a type the table lacks: the family's known sizes and the nearest name.

    Nothing here invites a row by hand: a type AWS sells goes into the table with its AWS source.
    """
    family = family_of(instance_type)
    sizes = sizes_of(family)
    guess = _nearest_size(instance_type, sizes) if sizes else nearest(instance_type, INSTANCE_TYPES)
    known = f"its family {family} has {', '.join(sizes)}" if sizes else f"it has no {family} type"
    hint = f"; did you mean {guess}?" if guess is not None else ""
    return f"instanceType {instance_type} is not in {TABLE}: {known}{hint}"


def require(instance_type: str, where: str, why: str) -> InstanceType:
    """The table's entry for ``instance_type``; a type missing there is bad input at ``where``.

    ``why`` says what needs the entry (shown in the error).
    """
    known = INSTANCE_TYPES.get(instance_type)
    if known is None:
        raise InputError(where, f"{unknown_type_message(instance_type)} ({why})")
    return known
