"""CAP020: sync waves on Applications have a parent Application and a health check to wait on."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from ...catalog.gitops import APPLICATION_HEALTH_SOURCES, INSTANCE_NAME, INSTANCE_NAMESPACE
from ...render import Document
from ..context import SYNC_WAVE, BadWave, LintContext, sync_wave
from ..examples import CAPACITY_APPLICATION, OPERATORS_APPLICATION, Detach, Remove, Set, annotation, example
from ..rule import Violation, rule

HEALTH_PATH = "/spec/resourceHealthChecks"


@rule(
    "CAP020",
    "waves-need-parent",
    "Sync waves on Applications have a parent that waits for health",
    what=f"""An Application that carries `{SYNC_WAVE}` is synced by another Application of the render (app
    of apps): one applied from the bootstrap has nothing that orders it. When the Applications one
    parent syncs are in different waves, the render configures the Application health check on the
    OpenShift GitOps instance: `ArgoCD` `{INSTANCE_NAME}` in `{INSTANCE_NAMESPACE}` with a
    `spec.resourceHealthChecks` entry for group `argoproj.io`, kind `Application` and a check.""",
    why=f"""Sync waves order the resources of one Application's sync. Applications applied with `oc apply`
    are created at once, whatever their waves; and since Argo CD 1.8 an Application has no health
    of its own, so even a parent moves to the next wave without waiting for a child to be healthy:
    pools would sync before their operators. Sources: {"; ".join(APPLICATION_HEALTH_SOURCES)}.""",
    fix="""Let the cluster's root Application (base/bootstrap) sync the Applications that carry waves, and
    keep the health check in base/bootstrap/argocd-application-health.yaml.""",
    failing=(
        example("capacity Application applied by the bootstrap", Detach("Application", name=CAPACITY_APPLICATION)),
        example("no Application health check", Remove("ArgoCD", f"{HEALTH_PATH}/0")),
        example(
            "health check of another kind",
            Set("ArgoCD", f"{HEALTH_PATH}/0/kind", "ApplicationSet"),
        ),
    ),
    passing=(
        example(
            "one wave for all children: nothing to wait for",
            Remove("ArgoCD", HEALTH_PATH),
            Set("Application", annotation(SYNC_WAVE), "0", name=CAPACITY_APPLICATION),
            Set("Application", annotation(SYNC_WAVE), "0", name=OPERATORS_APPLICATION),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    children: dict[str, list[Document]] = defaultdict(list)
    for application in context.applications.values():
        if application.application is None:
            if SYNC_WAVE in application.annotations:
                yield Violation(
                    f"has {SYNC_WAVE} but no Application syncs it (the bootstrap applies it), so the wave orders "
                    "nothing: let the cluster's root Application sync it",
                    application,
                    annotation(SYNC_WAVE),
                )
            continue
        children[application.application].append(application)
    if _health_check_configured(context):
        return
    for parent, apps in sorted(children.items()):
        waves = set()
        for app in apps:
            try:
                waves.add(sync_wave(app))
            except BadWave:
                continue  # CAP013 reports an unreadable wave
        if len(waves) > 1:
            yield Violation(
                f"Application {parent} syncs Applications in waves {sorted(waves)}, but no ArgoCD {INSTANCE_NAME} in "
                "the render restores the Application health check, so it will not wait for a wave to be healthy",
                context.applications.get(parent),
            )


def _health_check_configured(context: LintContext) -> bool:
    for instance in context.of_kind("argoproj.io", "ArgoCD"):
        if instance.name != INSTANCE_NAME or (instance.namespace or "") != INSTANCE_NAMESPACE:
            continue
        checks = instance.get("spec", "resourceHealthChecks", default=[])
        for entry in checks if isinstance(checks, list) else []:
            if (
                isinstance(entry, dict)
                and entry.get("group") == "argoproj.io"
                and entry.get("kind") == "Application"
                and isinstance(entry.get("check"), str)
                and entry["check"].strip()
            ):
                return True
    return False
