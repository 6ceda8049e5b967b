"""CAP048: every pool's instance type is in the instance-type table."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import lookup, unknown_type_message
from ..context import LintContext
from ..examples import PoolYaml, Set, example
from ..provider import PROVIDER
from ..rule import Violation, rule


@rule(
    "CAP048",
    "instance-type-known",
    "Every pool's instance type is in the instance-type table",
    what="""A pool's `instanceType` (its `pool.yaml`, rendered into the MachineSet) is a type of the
    instance-type table (`src/accelcap/catalog/instance_types.py`, listed in `docs/catalog.md`),
    which gives its vCPUs, its accelerators and their node label. The finding names the sizes the
    table has of the type's family and the nearest one.""",
    why="""Every figure about a pool comes from that table: the GPU limits of the ClusterAutoscaler
    (CAP011), the accelerator label (CAP005), the quota plan and the capacity diff. A misspelt size
    (`g5.3xlarge`) is no EC2 type: its MachineSet could never launch a machine. This one finding
    stands for all of them; the other checks go on without the pool.""",
    fix="""Set `instanceType` in the pool's `pool.yaml` to one of the sizes the finding lists. A type
    that EC2 sells but the table lacks goes into the table with its AWS source (the
    DescribeInstanceTypes figures, cited as the other rows are), never from memory.""",
    failing=(
        example(
            "a size EC2 does not sell",
            PoolYaml(instance_type="g5.3xlarge"),
            Set("MachineSet", f"{PROVIDER}/instanceType", "g5.3xlarge"),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    # A pool with an On-Demand fallback renders two MachineSets of one type: one finding per
    # pool (the first MachineSet), as the person fixes one pool.yaml.
    reported: set[tuple[str, str]] = set()
    for machineset in context.pools:
        instance_type = machineset.instance_type
        if instance_type is None or lookup(instance_type) is not None:
            continue
        if (machineset.pool_name, instance_type) not in reported:
            reported.add((machineset.pool_name, instance_type))
            yield Violation(unknown_type_message(instance_type), machineset.machineset, f"{PROVIDER}/instanceType")
