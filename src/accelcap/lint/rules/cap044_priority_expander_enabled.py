"""CAP044: the ClusterAutoscaler uses the Priority expander exactly where its ConfigMap exists."""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import AUTOSCALING_GROUP
from ...priority_expander import EXPANDER, FILE, NAME, NAMESPACE
from ..context import LintContext
from ..examples import Drop, Remove, Set, example
from ..rule import Violation, rule

EXPANDERS = "/spec/expanders"


@rule(
    "CAP044",
    "priority-expander-enabled",
    "The Priority expander is set only where its ConfigMap exists, and first",
    what=f"""A ClusterAutoscaler whose `spec.expanders` lists `{EXPANDER}` is in an overlay with the
    ConfigMap `{NAME}` in `{NAMESPACE}`; an overlay with that ConfigMap has a ClusterAutoscaler whose
    `expanders` lists `{EXPANDER}` first (`components/autoscaling/priority`).""",
    why="""The priority expander needs its ConfigMap to exist before the autoscaler starts with it;
    without one it has nothing to go by. A ConfigMap without the expander set does nothing: the
    autoscaler chooses at random between the Spot MachineSet and its On-Demand fallback. Expanders
    run in order, so Priority after another expander decides only among that one's ties.""",
    fix=f"""List both `components/autoscaling/priority` and the generated `{FILE}` in the capacity build,
    or neither.""",
    failing=(
        example("Priority without the ConfigMap", Drop("ConfigMap", NAME)),
        example("ConfigMap without Priority", Remove("ClusterAutoscaler", EXPANDERS)),
        example("Priority after Random", Set("ClusterAutoscaler", EXPANDERS, ["Random", "Priority"])),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    configmap = any(d.name == NAME and d.namespace == NAMESPACE for d in context.of_kind("", "ConfigMap"))
    for autoscaler in context.of_kind(AUTOSCALING_GROUP, "ClusterAutoscaler"):
        value = autoscaler.get("spec", "expanders", default=[])
        expanders = value if isinstance(value, list) else []
        if EXPANDER in expanders and not configmap:
            yield Violation(
                f"expanders lists {EXPANDER} but the overlay has no ConfigMap {NAME} in {NAMESPACE} "
                f"(the generated {FILE})",
                autoscaler,
                EXPANDERS,
            )
        elif configmap and expanders[:1] != [EXPANDER]:
            yield Violation(
                f"the overlay has the priority expander's ConfigMap but expanders is {expanders or 'not set'} "
                f"({EXPANDER} first: list components/autoscaling/priority)",
                autoscaler,
                EXPANDERS,
            )
