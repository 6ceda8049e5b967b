"""CAP012: cluster-scoped kinds carry no namespace."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, cannot_check, rule


@rule(
    "CAP012",
    "cluster-scoped-no-namespace",
    "Cluster-scoped objects have no namespace",
    what="""Objects of cluster-scoped kinds (Namespace, ClusterPolicy, ClusterAutoscaler, RBAC cluster
    roles, CRDs, MachineConfiguration, ...; the scopes of `accelcap.catalog.kinds`, listed in
    docs/catalog.md) and of kinds whose CustomResourceDefinition in the same overlay says
    `scope: Cluster` carry no `metadata.namespace`.""",
    why="""Kustomize's `namespace:` stamps a namespace onto kinds it does not know, such as ClusterPolicy
    and ClusterAutoscaler; Argo CD then compares against an object that cannot exist, shows it
    OutOfSync forever, or refuses it as outside the AppProject's destinations.""",
    fix="""Remove the namespace (do not set `namespace:` in a kustomization that includes cluster-scoped
    custom kinds; set it on the namespaced objects instead).""",
    failing=(
        example("ClusterPolicy namespaced", Set("ClusterPolicy", "/metadata/namespace", "nvidia-gpu-operator")),
        example(
            "ClusterAutoscaler namespaced", Set("ClusterAutoscaler", "/metadata/namespace", "openshift-machine-api")
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for document in context.documents:
        if not document.namespace:
            continue
        namespaced = context.namespaced(document)
        if namespaced is False:
            yield Violation(
                f"{document.kind} is cluster-scoped but has namespace {document.namespace}",
                document,
                "/metadata/namespace",
            )
        elif namespaced is None:
            # Not blocking: a kind nothing here knows is reported by the rules whose safety
            # hangs on its scope (CAP018 blocks on it); a stray namespace only shows OutOfSync.
            yield cannot_check(
                f"scope of {document.group or 'core'}/{document.kind} is unknown (not in accelcap.catalog.kinds, "
                f"no CRD in the render), so its namespace {document.namespace} cannot be checked",
                document,
                "/metadata/namespace",
                blocking=False,
            )
