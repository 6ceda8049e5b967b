"""CAP003: spec.replicas is explicit on every MachineSet."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Remove, Set, example
from ..rule import Violation, rule


@rule(
    "CAP003",
    "machineset-replicas-explicit",
    "MachineSets state spec.replicas",
    what="Every MachineSet sets `spec.replicas` to a whole number (0 or more).",
    why="""The MachineSet CRD defaults `replicas` to 1, so a pool without it starts one paid
    accelerator node as soon as Argo CD syncs it.""",
    fix="Set `spec.replicas: 0` (the default of this repository) or the size you mean.",
    failing=(
        example("replicas removed", Remove("MachineSet", "/spec/replicas")),
        example("replicas a string", Set("MachineSet", "/spec/replicas", "1")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for machineset in context.machinesets:
        value = machineset.get("spec", "replicas")
        if value is None:
            yield Violation("spec.replicas is missing: the CRD defaults it to 1 node", machineset, "/spec/replicas")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            yield Violation(f"spec.replicas is {value!r}, not a whole number", machineset, "/spec/replicas")
