"""CAP004: Argo CD leaves an autoscaled MachineSet's replicas to the autoscaler."""

from __future__ import annotations

import typing as t

from ...catalog.machine_api import MACHINE_GROUP
from ...model import autoscaler_bounds, autoscaler_target
from ...render import Document
from ..context import SYNC_OPTIONS, LintContext, application_sync_options, ignore_differences, sync_options
from ..examples import BOOT_IMAGE_IGNORE, CAPACITY_APPLICATION, Copy, Facts, PoolYaml, Set, annotation, example
from ..rule import Violation, rule

RESPECT = "RespectIgnoreDifferences"


@rule(
    "CAP004",
    "autoscaled-replicas-ignored",
    "Autoscaled MachineSets: replicas ignored by Argo CD, autoscaler target and bounds valid",
    what="""A MachineSet targeted by a MachineAutoscaler is synced by an Application whose
    `spec.ignoreDifferences` covers group `machine.openshift.io`, kind `MachineSet`, JSON pointer
    `/spec/replicas`, with `RespectIgnoreDifferences=true` in its sync options. Every
    MachineAutoscaler targets a MachineSet of the overlay, and `0 <= minReplicas <= maxReplicas`,
    `maxReplicas >= 1`.""",
    why="""Without both, self-heal resets `spec.replicas` to the value in Git after every scale-up and
    the autoscaler and Argo CD fight (openshift/release #79184, argo-cd #7820). A MachineAutoscaler
    whose target does not exist, or whose bounds are inverted, silently scales nothing.""",
    fix="""List `components/autoscaling/argocd` in the cluster's Applications (`overlays/<cluster>/apps`;
    it adds the ignoreDifferences entry, the capacity Application sets the sync option), and point
    `scaleTargetRef.name` at the pool's MachineSet.""",
    failing=(
        example(
            "replicas not ignored",
            Set("Application", "/spec/ignoreDifferences", [BOOT_IMAGE_IGNORE], name=CAPACITY_APPLICATION),
        ),
        # On 4.18 the boot image rule (CAP022), which needs the same option, does not apply.
        example(
            "no RespectIgnoreDifferences",
            Set("Application", "/spec/syncPolicy/syncOptions", [], name=CAPACITY_APPLICATION),
            Facts(openshift_version="4.18"),
        ),
        example(
            "MachineSet opts out of RespectIgnoreDifferences",
            Set("MachineSet", annotation(SYNC_OPTIONS), "Prune=false,Delete=false,RespectIgnoreDifferences=false"),
            Facts(openshift_version="4.18"),
        ),
        example("min above max", Set("MachineAutoscaler", "/spec/minReplicas", 3), PoolYaml(min_replicas=3)),
        example(
            "target missing",
            Copy(
                "MachineAutoscaler",
                {"/metadata/name": "{infraID}-stray", "/spec/scaleTargetRef/name": "no-such-machineset"},
            ),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    machinesets = {(d.namespace, d.name): d for d in context.machinesets}
    for autoscaler in context.machineautoscalers:
        yield from _bounds(autoscaler)
        kind = autoscaler.get("spec", "scaleTargetRef", "kind")
        api_version = str(autoscaler.get("spec", "scaleTargetRef", "apiVersion", default=""))
        if kind != "MachineSet" or api_version.rpartition("/")[0] != MACHINE_GROUP:
            yield Violation(
                f"scaleTargetRef is {api_version or '?'} {kind or '?'}, not a {MACHINE_GROUP} MachineSet",
                autoscaler,
                "/spec/scaleTargetRef",
            )
            continue
        namespace, name = autoscaler_target(autoscaler)
        if (namespace, name) not in machinesets:
            yield Violation(
                f"targets MachineSet {namespace}/{name}, which this overlay does not define",
                autoscaler,
                "/spec/scaleTargetRef/name",
            )
    for pool in context.pools:
        if pool.autoscaler is not None:
            yield from _replicas_ignored(context, pool.machineset)


def _bounds(autoscaler: Document) -> t.Iterator[Violation]:
    low, high = autoscaler_bounds(autoscaler)
    if not _whole(low) or not _whole(high):
        yield Violation(f"minReplicas {low!r} and maxReplicas {high!r} must both be whole numbers", autoscaler, "/spec")
    elif low < 0 or high < 1 or low > high:
        yield Violation(f"bounds {low}..{high} are invalid (need 0 <= min <= max, max >= 1)", autoscaler, "/spec")


def _whole(value: t.Any) -> t.TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _replicas_ignored(context: LintContext, machineset: Document) -> t.Iterator[Violation]:
    application = context.application_of(machineset)
    if application is None:
        yield Violation(
            "is autoscaled but no followed Argo CD Application syncs it, so nothing shows that "
            "/spec/replicas is ignored (lint the cluster overlay directory)",
            machineset,
            "/spec/replicas",
        )
        return
    if not any(_covers(entry, machineset) for entry in ignore_differences(application)):
        yield Violation(
            f"is autoscaled but Application {application.name} does not ignore its /spec/replicas "
            f"(ignoreDifferences: group {MACHINE_GROUP}, kind MachineSet, jsonPointers [/spec/replicas])",
            machineset,
            "/spec/replicas",
        )
    resource_option = sync_options(machineset).get(RESPECT)
    app_option = application_sync_options(application).get(RESPECT)
    # A per-resource sync option overrides the Application's in either direction.
    effective = resource_option if resource_option is not None else app_option
    if effective != "true":
        yield Violation(
            f"is autoscaled but {RESPECT}=true is not in effect (Application {application.name}), so a "
            "sync still resets /spec/replicas",
            machineset,
            "/spec/replicas",
        )


def _covers(entry: dict[str, t.Any], machineset: Document) -> bool:
    if entry.get("group") != MACHINE_GROUP or entry.get("kind") != "MachineSet":
        return False
    if entry.get("name") not in (None, machineset.name) or entry.get("namespace") not in (None, machineset.namespace):
        return False
    pointers = entry.get("jsonPointers") or []
    expressions = entry.get("jqPathExpressions") or []
    return (isinstance(pointers, list) and "/spec/replicas" in pointers) or (
        isinstance(expressions, list) and ".spec.replicas" in expressions
    )
