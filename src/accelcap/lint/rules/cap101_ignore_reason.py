"""CAP101: every ignore annotation names a known rule and gives a reason."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Set, annotation, example
from ..rule import Violation, rule, rules_by_id
from ..silence import IGNORE_PREFIX, ignore_annotations


@rule(
    "CAP101",
    "ignore-needs-reason",
    "Ignore annotations name a rule and say why",
    what=f"""An annotation `{IGNORE_PREFIX}<RULE-ID>` names a rule that exists and can be silenced, and
    its value, the reason, is not empty. An annotation without a reason silences nothing. An
    annotation naming a guard rule (CAP018, CAP019, CAP021, CAP023 and the others marked *guard
    rule*) is an error whatever its reason: those rules hold for every object.""",
    why="""An exception to a safety rule must be explained where it is made, so a reviewer can judge it
    and a later reader can remove it when the reason is gone.""",
    fix=f"""Write the reason as the value: `{IGNORE_PREFIX}CAP005: "validation pool, untainted on
    purpose until 2026-12"`; fix the rule ID when it is misspelt.""",
    silenceable=False,
    failing=(
        example("ignore without a reason", Set("MachineSet", annotation(f"{IGNORE_PREFIX}CAP003"), " ")),
        example("ignore of an unknown rule", Set("MachineSet", annotation(f"{IGNORE_PREFIX}CAP999"), "why")),
        example("ignore of CAP101 itself", Set("MachineSet", annotation(f"{IGNORE_PREFIX}CAP101"), "why")),
        example(
            "ignore of a guard rule, with a reason",
            Set("MachineSet", annotation(f"{IGNORE_PREFIX}CAP023"), "public on purpose"),
        ),
    ),
    passing=(
        example(
            "ignore with a reason on a clean object", Set("MachineSet", annotation(f"{IGNORE_PREFIX}CAP003"), "test")
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    rules = rules_by_id()
    for document in context.documents:
        for rule_id, reason in ignore_annotations(document).items():
            path = annotation(IGNORE_PREFIX + rule_id)
            target = rules.get(rule_id)
            if target is None:
                yield Violation(f"ignores unknown rule {rule_id!r}", document, path)
            elif target.guard:
                yield Violation(
                    f"rule {rule_id} is a guard rule: no annotation silences it, and naming it here is an error; "
                    "fix what it reports instead",
                    document,
                    path,
                )
            elif not target.silenceable:
                yield Violation(f"rule {rule_id} cannot be silenced", document, path)
            elif not isinstance(reason, str) or not reason.strip():
                yield Violation(f"ignores {rule_id} without a reason; the rule still applies", document, path)
