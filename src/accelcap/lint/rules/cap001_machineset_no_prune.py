"""CAP001: every MachineSet carries Prune=false and Delete=false."""

from __future__ import annotations

import typing as t

from ..context import SYNC_OPTIONS, LintContext, sync_options
from ..examples import Remove, Set, annotation, example
from ..rule import Violation, rule

REQUIRED = {"Prune": "false", "Delete": "false"}


@rule(
    "CAP001",
    "machineset-no-prune",
    "MachineSets carry Prune=false and Delete=false",
    what=f"Every MachineSet has `{SYNC_OPTIONS}` with both `Prune=false` and `Delete=false`.",
    why="""A MachineSet that disappears from Git (a renamed directory, a bad merge) would otherwise be
    pruned by Argo CD, and deleting the Application would delete it: either way every node of the pool
    is drained and terminated. The resource annotation overrides the Application's prune policy.""",
    fix=f"""Keep `{SYNC_OPTIONS}: Prune=false,Delete=false` on the MachineSet (the pool bases under
    base/pools/ set it).""",
    failing=(
        example("Delete=false dropped", Set("MachineSet", annotation(SYNC_OPTIONS), "Prune=false")),
        example("no sync-options", Remove("MachineSet", annotation(SYNC_OPTIONS))),
    ),
    passing=(
        example("options with spaces", Set("MachineSet", annotation(SYNC_OPTIONS), " Delete=false , Prune=false ")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for machineset in context.machinesets:
        options = sync_options(machineset)
        missing = [f"{key}={value}" for key, value in REQUIRED.items() if options.get(key) != value]
        if missing:
            yield Violation(
                f"{SYNC_OPTIONS} lacks {' and '.join(missing)}: Argo CD may delete this pool",
                machineset,
                annotation(SYNC_OPTIONS),
            )
