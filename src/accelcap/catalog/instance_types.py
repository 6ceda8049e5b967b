"""EC2 instance types the tools know offline: vCPUs, accelerators, the node label value.

The one table of instance types in the project. ``tools/verify-quotas`` asks EC2 for vCPUs
instead; this table serves the checks that run without AWS (linter, capacity diff,
``--plan``). Its readers (``family_of``, ``accelerator_of``, ``lookup``, ``require``) are at
the end.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import InputError
from ..suggest import distance, nearest

#: Where the numbers come from; the counts agree with kubernetes/autoscaler's table.
SOURCES = (
    (
        "https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html "
        "(Specifications for Amazon EC2 accelerated computing instances)"
    ),
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html (general purpose: m6i)",
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html (memory optimized: r5a)",
    "https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go",
)


class Accelerator(enum.Enum):
    """What kind of accelerator an instance family carries."""

    NONE = "none"
    NVIDIA_GPU = "nvidia-gpu"
    AMD_GPU = "amd-gpu"
    NEURON = "neuron"

    @property
    def resource(self) -> str | None:
        """The extended resource a pod requests to use one (the device plugins' names)."""
        return {Accelerator.NVIDIA_GPU: "nvidia.com/gpu", Accelerator.NEURON: "aws.amazon.com/neuron"}.get(self)


#: Instance family prefix -> accelerator, longest prefix first wins: g4ad carries AMD GPUs,
#: every other g* and p* family NVIDIA GPUs, inf* and trn* AWS Neuron devices.
ACCELERATOR_BY_FAMILY_PREFIX: dict[str, Accelerator] = {
    "g4ad": Accelerator.AMD_GPU,
    "inf": Accelerator.NEURON,
    "trn": Accelerator.NEURON,
    "g": Accelerator.NVIDIA_GPU,
    "p": Accelerator.NVIDIA_GPU,
}


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    #: NVIDIA GPUs, or Inferentia/Trainium devices for Neuron families.
    accelerators: int = 0
    #: The value the project uses for the node label cluster-api/accelerator.
    accelerator_label: str | None = None


def _sizes(family: str, label: str | None, *rows: tuple[str, int, int]) -> dict[str, InstanceType]:
    return {
        f"{family}.{size}": InstanceType(f"{family}.{size}", vcpus, accelerators, label)
        for size, vcpus, accelerators in rows
    }


# fmt: off
INSTANCE_TYPES: dict[str, InstanceType] = {
    # NVIDIA. Note the trap: the 16xlarge sizes of g4dn/g5/g6/g6e have ONE GPU.
    **_sizes("g4dn", "nvidia-t4", ("xlarge", 4, 1), ("2xlarge", 8, 1), ("4xlarge", 16, 1), ("8xlarge", 32, 1),
             ("16xlarge", 64, 1), ("12xlarge", 48, 4), ("metal", 96, 8)),
    **_sizes("g5", "nvidia-a10g", ("xlarge", 4, 1), ("2xlarge", 8, 1), ("4xlarge", 16, 1), ("8xlarge", 32, 1),
             ("16xlarge", 64, 1), ("12xlarge", 48, 4), ("24xlarge", 96, 4), ("48xlarge", 192, 8)),
    **_sizes("g6", "nvidia-l4", ("xlarge", 4, 1), ("2xlarge", 8, 1), ("4xlarge", 16, 1), ("8xlarge", 32, 1),
             ("16xlarge", 64, 1), ("12xlarge", 48, 4), ("24xlarge", 96, 4), ("48xlarge", 192, 8)),
    **_sizes("g6e", "nvidia-l40s", ("xlarge", 4, 1), ("2xlarge", 8, 1), ("4xlarge", 16, 1), ("8xlarge", 32, 1),
             ("16xlarge", 64, 1), ("12xlarge", 48, 4), ("24xlarge", 96, 4), ("48xlarge", 192, 8)),
    **_sizes("p4d", "nvidia-a100", ("24xlarge", 96, 8)),
    **_sizes("p4de", "nvidia-a100", ("24xlarge", 96, 8)),
    **_sizes("p5", "nvidia-h100", ("4xlarge", 16, 1), ("48xlarge", 192, 8)),
    **_sizes("p5e", "nvidia-h200", ("48xlarge", 192, 8)),
    **_sizes("p5en", "nvidia-h200", ("48xlarge", 192, 8)),
    # AWS Neuron: devices, not GPUs (the autoscaler sees 0 GPUs on these).
    **_sizes("inf2", "aws-inferentia2", ("xlarge", 4, 1), ("8xlarge", 32, 1), ("24xlarge", 96, 6), ("48xlarge", 192, 12)),
    **_sizes("trn1", "aws-trainium", ("2xlarge", 8, 1), ("32xlarge", 128, 16)),
    **_sizes("trn1n", "aws-trainium", ("32xlarge", 128, 16)),
    # Baseline types of the clusters (control plane, workers), for capacity reports.
    **_sizes("m6i", None, ("large", 2, 0), ("xlarge", 4, 0), ("2xlarge", 8, 0), ("4xlarge", 16, 0)),
    **_sizes("r5a", None, ("large", 2, 0), ("xlarge", 4, 0), ("2xlarge", 8, 0), ("4xlarge", 16, 0)),
}
# fmt: on


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


#: The one name of the instance-type table in messages: where it is, and where it is documented.
TABLE = "the instance-type table (src/accelcap/catalog/instance_types.py, docs/catalog.md)"


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
