"""CAP008: the selector matches the template; cluster-api-machineset values are unique."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from ...catalog.machine_api import MACHINESET_LABEL
from ...render import Document
from ..context import SYNC_OPTIONS, LintContext
from ..examples import Copy, Set, example
from ..rule import Violation, rule

PROTECTED = "Prune=false,Delete=false"


@rule(
    "CAP008",
    "selector-matches-template",
    "MachineSet selectors match their template and are unique",
    what=f"""`spec.selector.matchLabels` is non-empty, names `{MACHINESET_LABEL}`, and every one of its
    labels is in `spec.template.metadata.labels` with the same value. No two MachineSets of an overlay
    share a `{MACHINESET_LABEL}` value.""",
    why="""The API server rejects a MachineSet whose selector does not match its template, so the sync
    fails; two MachineSets with the same selector adopt each other's machines and scale them down.""",
    fix=f"""Copy the `{MACHINESET_LABEL}` value into both the selector and the template labels, and give
    each pool and zone its own value (components/pool fills it from the zone in the pool's pool.yaml).""",
    failing=(
        example("selector label not on the template", Set("MachineSet", "/spec/selector/matchLabels/extra", "x")),
        example(
            "two MachineSets, one selector",
            # A second MachineSet written by hand, not filled from a pool.yaml.
            Copy(
                "MachineSet",
                {"/metadata/name": "{infraID}-gpu2-us-west-2a", "/metadata/annotations": {SYNC_OPTIONS: PROTECTED}},
            ),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    owners: dict[str, list[Document]] = defaultdict(list)
    for machineset in context.machinesets:
        selector = machineset.get("spec", "selector", "matchLabels")
        template = machineset.get("spec", "template", "metadata", "labels", default={})
        template = template if isinstance(template, dict) else {}
        if not isinstance(selector, dict) or not selector:
            yield Violation("spec.selector.matchLabels is empty", machineset, "/spec/selector/matchLabels")
            continue
        for key, value in selector.items():
            if template.get(key) != value:
                yield Violation(
                    f"selector label {key}={value} is not on the template (template has {template.get(key)!r})",
                    machineset,
                    "/spec/template/metadata/labels",
                )
        if MACHINESET_LABEL not in selector:
            yield Violation(f"selector does not name {MACHINESET_LABEL}", machineset, "/spec/selector/matchLabels")
        else:
            owners[str(selector[MACHINESET_LABEL])].append(machineset)
    for value, machinesets in owners.items():
        if len(machinesets) > 1:
            others = ", ".join(m.name for m in machinesets)
            for machineset in machinesets:
                yield Violation(
                    f"{MACHINESET_LABEL}={value} is shared by {others}", machineset, "/spec/selector/matchLabels"
                )
