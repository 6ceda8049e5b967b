"""CAP006: specialized pools never use the machine role/type worker."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ...catalog.machine_api import ROLE_LABELS
from ...yamlload import pointer_step
from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, rule


@rule(
    "CAP006",
    "specialized-pool-role",
    "Accelerator pools use their own machine role",
    what=f"""A pool whose instance family carries accelerators (GPU, Neuron) sets both
    `{ROLE_LABELS[0]}` and `{ROLE_LABELS[1]}` in its machine template labels, and neither is
    `worker`.""",
    why="""The clusters repository converts every MachineSet whose machine role is `worker` to Spot
    and resizes it as baseline capacity; an accelerator pool with that role would be rewritten
    by a script this repository does not control.""",
    fix="Set both labels to the pool's kind, e.g. `gpu` or `inferentia` (base/pools/* do).",
    failing=(
        example(
            "machine role worker",
            Set("MachineSet", f"/spec/template/metadata/labels/{pointer_step(ROLE_LABELS[0])}", "worker"),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for pool in context.pools:
        if pool.accelerator is Accelerator.NONE:
            continue
        labels = pool.machineset.get("spec", "template", "metadata", "labels", default={})
        labels = labels if isinstance(labels, dict) else {}
        for key in ROLE_LABELS:
            value = labels.get(key)
            if not value:
                yield Violation(
                    f"{pool.instance_type} pool has no {key} label", pool.machineset, "/spec/template/metadata/labels"
                )
            elif value == "worker":
                yield Violation(
                    f"{pool.instance_type} pool has {key}=worker; the baseline scripts of the clusters repo would take it over",
                    pool.machineset,
                    "/spec/template/metadata/labels",
                )
