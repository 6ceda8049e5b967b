"""CAP022: from 4.19, Applications that sync MachineSets leave the boot image to the MCO."""

from __future__ import annotations

import typing as t

from ...catalog.boot_images import HOT_LOOP_LIMIT, MACHINE_CONFIGURATION, MANAGED_POINTERS, managed_by_default
from ...catalog.machine_api import MACHINE_GROUP
from ...model import is_machineset
from ...render import Document
from ..context import LintContext, application_sync_options, ignore_differences, sync_options
from ..examples import BOOT_IMAGE_IGNORE, CAPACITY_APPLICATION, REPLICAS_IGNORE, Add, Facts, Set, example
from ..rule import Violation, rule

RESPECT = "RespectIgnoreDifferences"
_GROUP, _KIND, _NAME = MACHINE_CONFIGURATION
OPT_OUT = {
    "apiVersion": f"{_GROUP}/v1",
    "kind": _KIND,
    "metadata": {"name": _NAME},
    "spec": {
        "managedBootImages": {
            "machineManagers": [
                {
                    "resource": "machinesets",
                    "apiGroup": MACHINE_GROUP,
                    "selection": {
                        "mode": "Partial",
                        "partial": {
                            "machineResourceSelector": {
                                "matchExpressions": [{"key": "accel-capacity.io/pool", "operator": "DoesNotExist"}]
                            }
                        },
                    },
                }
            ]
        }
    },
}


@rule(
    "CAP022",
    "boot-images",
    "From OpenShift 4.19, Argo CD leaves MachineSet boot images to the Machine Config Operator",
    what=f"""On a cluster at `openshiftVersion` 4.19 or newer, every Application that syncs a MachineSet
    ignores the fields the Machine Config Operator rewrites on AWS ({", ".join(f"`{p}`" for p in MANAGED_POINTERS)}):
    an `ignoreDifferences` entry for group `{MACHINE_GROUP}`, kind `MachineSet` whose `jsonPointers` (or
    `jqPathExpressions`) cover them, with `{RESPECT}=true` in effect, so syncs honour it too. A
    MachineSet the cluster opts out of boot image management is exempt: `MachineConfiguration` `{_NAME}`
    in the render with a `machinesets` machine manager in mode `None`, or `Partial` with a selector that
    does not match the MachineSet's labels (docs/catalog.md, "Boot images").""",
    why=f"""From 4.19 the MCO updates the boot image of AWS MachineSets by default at every upgrade. Argo CD
    self-heal would write Git's AMI back; the MCO patches it again, and after {HOT_LOOP_LIMIT} identical
    patches its hot-loop guard stops and degrades machine-config, in the middle of the first upgrade.""",
    fix="""List components/boot-images in every build of Applications that sync MachineSets
    (overlays/<cluster>/apps, overlays/<cluster>/inferentia/apps), or opt the pools out through the
    cluster's MachineConfiguration (docs/runbook.md, "Boot images", weighs the two).""",
    needs_facts=True,
    failing=(
        example(
            "no boot-image ignore",
            Set("Application", "/spec/ignoreDifferences", [REPLICAS_IGNORE], name=CAPACITY_APPLICATION),
        ),
        example(
            "user data secret not ignored",
            Set(
                "Application",
                "/spec/ignoreDifferences",
                [REPLICAS_IGNORE, {**BOOT_IMAGE_IGNORE, "jsonPointers": BOOT_IMAGE_IGNORE["jsonPointers"][:1]}],
                name=CAPACITY_APPLICATION,
            ),
        ),
        example(
            "opted out, but not this pool",
            Set("Application", "/spec/ignoreDifferences", [REPLICAS_IGNORE], name=CAPACITY_APPLICATION),
            Add(OPT_OUT, beside="ClusterRole"),
        ),
    ),
    passing=(
        example(
            "below 4.19",
            Set("Application", "/spec/ignoreDifferences", [REPLICAS_IGNORE], name=CAPACITY_APPLICATION),
            Facts(openshift_version="4.18"),
        ),
        example(
            "the pool is opted out",
            Set("Application", "/spec/ignoreDifferences", [REPLICAS_IGNORE], name=CAPACITY_APPLICATION),
            Add(OPT_OUT, beside="ClusterRole"),
            Set("MachineSet", "/metadata/labels/accel-capacity.io~1pool", "gpu"),
        ),
        example(
            "ignored by a parent path and a jq expression",
            Set(
                "Application",
                "/spec/ignoreDifferences",
                [
                    REPLICAS_IGNORE,
                    {"group": MACHINE_GROUP, "kind": "MachineSet", "jsonPointers": ["/spec/template/spec/providerSpec/value/ami"],
                     "jqPathExpressions": [".spec.template.spec.providerSpec.value.userDataSecret"]},
                ],
                name=CAPACITY_APPLICATION,
            ),
        ),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    if context.facts is None or not managed_by_default(context.facts.openshift_version):
        return
    managers = _machineset_managers(context)
    for followed in context.followed:
        application = followed.application
        for machineset in filter(is_machineset, followed.documents):
            if not _managed(machineset, managers):
                continue
            entries = [e for e in ignore_differences(application) if _applies(e, machineset)]
            missing = [p for p in MANAGED_POINTERS if not any(_covers(e, p) for e in entries)]
            if missing:
                yield Violation(
                    f"OpenShift {context.facts.openshift_version}: the Machine Config Operator rewrites "
                    f"{', '.join(missing)} of this MachineSet, and Application {application.name} does not ignore "
                    "it, so self-heal would fight the MCO until it degrades",
                    machineset,
                    missing[0],
                )
                continue
            # A resource's sync option overrides its Application's, in either direction.
            option = sync_options(machineset).get(RESPECT)
            if option is None:
                option = application_sync_options(application).get(RESPECT)
            if option != "true":
                yield Violation(
                    f"Application {application.name} ignores the boot image fields but {RESPECT}=true is not in "
                    "effect, so a sync still writes Git's AMI back",
                    machineset,
                )


def _applies(entry: dict[str, t.Any], machineset: Document) -> bool:
    return (
        entry.get("group") == MACHINE_GROUP
        and entry.get("kind") == "MachineSet"
        and entry.get("name") in (None, machineset.name)
        and entry.get("namespace") in (None, machineset.namespace)
    )


def _covers(entry: dict[str, t.Any], pointer: str) -> bool:
    pointers = entry.get("jsonPointers") or []
    expressions = entry.get("jqPathExpressions") or []
    paths = [str(p) for p in pointers] if isinstance(pointers, list) else []
    if isinstance(expressions, list):
        paths += ["/" + str(e).lstrip(".").replace(".", "/") for e in expressions if str(e).startswith(".")]
    return any(pointer == path or pointer.startswith(path.rstrip("/") + "/") for path in paths)


def _machineset_managers(context: LintContext) -> list[dict[str, t.Any]]:
    """The ``machinesets`` machine managers of the cluster's MachineConfiguration in the render."""
    found = []
    for document in context.of_kind(_GROUP, _KIND):
        if document.name != _NAME:
            continue
        managers = document.get("spec", "managedBootImages", "machineManagers", default=[])
        for manager in managers if isinstance(managers, list) else []:
            if (
                isinstance(manager, dict)
                and manager.get("resource") == "machinesets"
                and manager.get("apiGroup") == MACHINE_GROUP
            ):
                found.append(manager)
    return found


def _managed(machineset: Document, managers: list[dict[str, t.Any]]) -> bool:
    """Whether the MCO manages this MachineSet's boot image (the AWS default when nothing says)."""
    if not managers:
        return True
    for manager in managers:
        selection = manager.get("selection")
        mode = selection.get("mode") if isinstance(selection, dict) else None
        if mode == "All":
            return True
        if mode == "Partial" and isinstance(selection, dict):
            partial = selection.get("partial")
            selector = partial.get("machineResourceSelector") if isinstance(partial, dict) else None
            if _selects(selector, machineset.labels):
                return True
    return False


def _selects(selector: t.Any, labels: dict[str, t.Any]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions) against ``labels``."""
    if not isinstance(selector, dict):
        return False
    match = selector.get("matchLabels") or {}
    if isinstance(match, dict) and any(labels.get(k) != v for k, v in match.items()):
        return False
    expressions = selector.get("matchExpressions") or []
    for expression in expressions if isinstance(expressions, list) else []:
        if not isinstance(expression, dict):
            return False
        key, operator = str(expression.get("key")), expression.get("operator")
        values = expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
