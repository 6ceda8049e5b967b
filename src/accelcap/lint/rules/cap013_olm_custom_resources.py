"""CAP013: CRs of OLM-installed CRDs skip the dry run and sync after their Subscription."""

from __future__ import annotations

import typing as t

from ...catalog.operators import OLM_PACKAGES
from ...render import Document
from ..context import (
    SYNC_OPTIONS,
    SYNC_WAVE,
    BadWave,
    LintContext,
    application_sync_options,
    sync_options,
    sync_wave,
)
from ..examples import OPERATORS_APPLICATION, Drop, Remove, Set, annotation, example
from ..rule import Violation, rule

SKIP_DRY_RUN = "SkipDryRunOnMissingResource"
#: API group of custom resources -> OLM packages (Subscription ``spec.name``) that install
#: their CRDs.
OLM_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(row.package for row in OLM_PACKAGES.values() if group in row.crd_groups)
    for group in dict.fromkeys(group for row in OLM_PACKAGES.values() for group in row.crd_groups)
}


@rule(
    "CAP013",
    "olm-custom-resources",
    "Custom resources of OLM operators wait for their operator",
    what=f"""Every custom resource whose CRD an OLM operator installs (groups: {", ".join(sorted(OLM_GROUPS))})
    has `{SKIP_DRY_RUN}=true` in its `{SYNC_OPTIONS}` annotation or in its Application's
    `syncPolicy.syncOptions`, and syncs in a later wave than the Subscription of that operator:
    a higher `{SYNC_WAVE}` in the same Application, or an Application with a higher wave.""",
    why="""On a fresh cluster the CRD does not exist until OLM has installed the operator; without the
    option the whole sync fails its dry run (`the server could not find the requested resource`), and
    without the wave order the CR is applied before the operator exists. Between Applications the
    wave orders the Application objects; Argo CD waits for one before the next only when the
    Application health check is enabled in `argocd-cm`, so keep CRs with their Subscription's
    Application where you can.""",
    fix=f"""Annotate the CR with `{SYNC_OPTIONS}: {SKIP_DRY_RUN}=true` and a `{SYNC_WAVE}` above its
    Subscription's (operators in wave 0, NodeFeatureDiscovery 1, ClusterPolicy 2, ...).""",
    failing=(
        example("NFD without SkipDryRun", Remove("NodeFeatureDiscovery", annotation(SYNC_OPTIONS))),
        example("ClusterPolicy in the Subscription's wave", Set("ClusterPolicy", annotation(SYNC_WAVE), "0")),
        example("no GPU Operator Subscription", Drop("Subscription", name="gpu-operator-certified")),
        example("wave not a number", Set("ClusterPolicy", annotation(SYNC_WAVE), "two")),
    ),
    passing=(
        example(
            "SkipDryRun on the Application instead",
            Remove("NodeFeatureDiscovery", annotation(SYNC_OPTIONS)),
            Set("Application", "/spec/syncPolicy/syncOptions", [f"{SKIP_DRY_RUN}=true"], name=OPERATORS_APPLICATION),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    subscriptions = context.of_kind("operators.coreos.com", "Subscription")
    by_package: dict[str, list[Document]] = {}
    for subscription in subscriptions:
        by_package.setdefault(str(subscription.get("spec", "name", default="")), []).append(subscription)
    for document in context.documents:
        packages = OLM_GROUPS.get(document.group)
        if packages is None or document.kind == "CustomResourceDefinition":
            continue
        yield from _skip_dry_run(context, document)
        providers = [s for package in packages for s in by_package.get(package, [])]
        if not providers:
            yield Violation(
                f"no Subscription to {' or '.join(packages)} in this overlay installs the CRD of {document.kind}",
                document,
            )
            continue
        yield from _after(context, document, providers)


def _skip_dry_run(context: LintContext, document: Document) -> t.Iterator[Violation]:
    if sync_options(document).get(SKIP_DRY_RUN) == "true":
        return
    application = context.application_of(document)
    if application is not None and application_sync_options(application).get(SKIP_DRY_RUN) == "true":
        return
    where = f"Application {application.name}" if application is not None else "any followed Application"
    yield Violation(
        f"{SKIP_DRY_RUN}=true is set neither on it nor on {where}; its CRD comes from OLM",
        document,
        annotation(SYNC_OPTIONS),
    )


def _after(context: LintContext, document: Document, subscriptions: list[Document]) -> t.Iterator[Violation]:
    reasons = []
    for subscription in subscriptions:
        try:
            if document.application == subscription.application:
                mine, theirs = sync_wave(document), sync_wave(subscription)
                if mine > theirs:
                    return
                reasons.append(f"sync wave {mine} is not after Subscription {subscription.name}'s wave {theirs}")
                continue
            app, other = context.application_of(document), context.application_of(subscription)
            if app is None or other is None:
                reasons.append(f"cannot be ordered after Subscription {subscription.name}, which another build syncs")
                continue
            mine, theirs = sync_wave(app), sync_wave(other)
            if mine > theirs:
                return
            reasons.append(
                f"its Application {app.name} (wave {mine}) does not sync after Application {other.name} "
                f"(wave {theirs}), which holds Subscription {subscription.name}"
            )
        except BadWave as error:
            reasons.append(str(error))
    yield Violation("; ".join(reasons), document, annotation(SYNC_WAVE))
