"""CAP012: cluster-scoped kinds carry no namespace."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, rule

#: (API group, kind) of the cluster-scoped kinds this repository may render. Scopes of the
#: custom kinds are those of their upstream CRDs (nfd.openshift.io NodeFeatureRule is
#: namespaced, the upstream nfd.k8s-sigs.io one is not).
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "StorageClass"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("security.openshift.io", "SecurityContextConstraints"),
        ("config.openshift.io", "Infrastructure"),
        ("machineconfiguration.openshift.io", "MachineConfig"),
        ("machineconfiguration.openshift.io", "MachineConfigPool"),
        ("machineconfiguration.openshift.io", "MachineConfiguration"),
        ("nvidia.com", "ClusterPolicy"),
        ("nvidia.com", "NVIDIADriver"),
        ("autoscaling.openshift.io", "ClusterAutoscaler"),
        ("nfd.k8s-sigs.io", "NodeFeatureRule"),
        ("nfd.k8s-sigs.io", "NodeFeatureGroup"),
    }
)


@rule(
    "CAP012",
    "cluster-scoped-no-namespace",
    "Cluster-scoped objects have no namespace",
    what="""Objects of cluster-scoped kinds (Namespace, ClusterPolicy, ClusterAutoscaler, the upstream
    `nfd.k8s-sigs.io` NodeFeatureRule, RBAC cluster roles, CRDs, ...) and of kinds whose
    CustomResourceDefinition in the same overlay says `scope: Cluster` carry no
    `metadata.namespace`.""",
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
    scoped = set(CLUSTER_SCOPED) | _declared_cluster_scoped(context)
    for document in context.documents:
        if (document.group, document.kind) in scoped and document.namespace:
            yield Violation(
                f"{document.kind} is cluster-scoped but has namespace {document.namespace}",
                document,
                "/metadata/namespace",
            )


def _declared_cluster_scoped(context: LintContext) -> set[tuple[str, str]]:
    found = set()
    for crd in context.of_kind("apiextensions.k8s.io", "CustomResourceDefinition"):
        if crd.get("spec", "scope") == "Cluster":
            found.add((str(crd.get("spec", "group", default="")), str(crd.get("spec", "names", "kind", default=""))))
    return found
