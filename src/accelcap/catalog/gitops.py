"""OpenShift GitOps: the default Argo CD instance, its application controller's identity and
the permissions the operator gives that controller out of the box.

``tools/lint`` (CAP018-CAP020) judges each Application as this instance would: the AppProject
lives in its namespace, the controller writes with these grants plus whatever ClusterRole the
cluster's bootstrap binds to its service account (docs/runbook.md, "Bootstrap").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: The operator's default, cluster-scoped instance: ``ArgoCD`` ``openshift-gitops`` in the
#: namespace of the same name (the operator sets ARGOCD_CLUSTER_CONFIG_NAMESPACES to it).
INSTANCE_NAME = "openshift-gitops"
INSTANCE_NAMESPACE = "openshift-gitops"
#: argocd-operator names namespaced resources ``<instance>-<component>`` and cluster-scoped ones
#: ``<instance>-<namespace>-<component>`` (``generateResourceName`` / ``GenerateUniqueResourceName``).
CONTROLLER_SERVICE_ACCOUNT = f"{INSTANCE_NAME}-argocd-application-controller"
DEFAULT_CLUSTER_ROLE = f"{INSTANCE_NAME}-{INSTANCE_NAMESPACE}-argocd-application-controller"
#: Argo CD's name for the cluster it runs in.
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"

#: The operator code the rules below were read from: the gitops-operator built on the ArgoCD
#: v1beta1 API (OpenShift GitOps 1.10 and later). Older copies (v1alpha1 API) misspell the
#: machine-config group ``machineconfig.openshift.io``; later copies add only
#: ``serviceaccounts`` ``impersonate``; the write grants are otherwise the same.
OPERATOR_SOURCE = (
    "https://github.com/redhat-developer/gitops-operator/blob/be8d462baacf43fa4e92e93675d9f875450a5923/"
    "controllers/argocd/openshift/openshift.go (OpenShift GitOps 1.10+, ArgoCD v1beta1 API; "
    "policyRulesForClusterConfig: the default instance's application controller ClusterRole; "
    "getPolicyRuleForApplicationController: its Role in the instance namespace, plus the rules of the "
    "cluster's `admin` ClusterRole). Later copies of the file add only `serviceaccounts` `impersonate`."
)
SOURCES = (
    OPERATOR_SOURCE,
    (
        "https://github.com/argoproj-labs/argocd-operator (controllers/argocd: generateResourceName, "
        "GenerateUniqueResourceName): the names of the controller's service account and ClusterRole"
    ),
    (
        "https://docs.redhat.com/en/documentation/red_hat_openshift_gitops/1.14/html/declarative_cluster_configuration/"
        "customizing-permissions-by-creating-user-defined-cluster-roles-for-cluster-scoped-instances"
    ),
)

#: What Argo CD's controller does to the objects an Application syncs: it caches them
#: (get/list/watch), creates and applies them (create, patch; server-side apply creates through
#: PATCH), replaces them (update, ``Replace=true``) and deletes them on prune or cascade.
SYNC_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})
#: The writes a sync cannot do without (reads come from the default read-everything rule).
WRITE_VERBS = frozenset({"create", "update", "patch", "delete"})


@dataclass(frozen=True)
class Grant:
    """One rule of a role: API groups, resources (``*`` for all) and verbs."""

    groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]

    def allows(self, group: str, resource: str, verb: str) -> bool:
        return (
            ("*" in self.groups or group in self.groups)
            and ("*" in self.resources or resource in self.resources)
            and ("*" in self.verbs or verb in self.verbs)
        )


def _grant(groups: tuple[str, ...], resources: tuple[str, ...], verbs: tuple[str, ...] = ("*",)) -> Grant:
    return Grant(frozenset(groups), frozenset(resources), frozenset(verbs))


#: ``policyRulesForClusterConfig``: what the default instance's controller may do cluster-wide.
DEFAULT_CLUSTER_GRANTS: tuple[Grant, ...] = (
    _grant(("*",), ("*",), ("get", "list", "watch")),
    _grant(("operators.coreos.com",), ("*",)),
    _grant(("operator.openshift.io",), ("*",)),
    _grant(("user.openshift.io",), ("*",)),
    _grant(("config.openshift.io",), ("*",)),
    _grant(("console.openshift.io",), ("*",)),
    _grant(("",), ("namespaces", "persistentvolumeclaims", "persistentvolumes", "configmaps")),
    _grant(("rbac.authorization.k8s.io",), ("*",)),
    _grant(("storage.k8s.io",), ("*",)),
    _grant(("machine.openshift.io",), ("*",)),
    _grant(("machineconfiguration.openshift.io",), ("*",)),
    _grant(("compliance.openshift.io",), ("scansettingbindings",)),
)

#: ``getPolicyRuleForApplicationController``: the controller's Role in the instance namespace
#: (the operator appends the `admin` ClusterRole's rules, which differ per cluster and are not
#: counted here).
DEFAULT_INSTANCE_NAMESPACE_GRANTS: tuple[Grant, ...] = (
    _grant(("*",), ("*",), ("get", "list", "watch")),
    _grant(("monitoring.coreos.com",), ("*",)),
    _grant(("argoproj.io",), ("applications", "applicationsets", "appprojects", "argocds")),
)


@functools.lru_cache(maxsize=4096)
def granted_by_default(group: str, resource: str, namespace: str | None, verb: str) -> bool:
    """Whether the default instance's controller may ``verb`` the resource without extra RBAC
    (kept per question: lint asks it of every verb of every synced object)."""
    if any(grant.allows(group, resource, verb) for grant in DEFAULT_CLUSTER_GRANTS):
        return True
    return namespace == INSTANCE_NAMESPACE and any(
        grant.allows(group, resource, verb) for grant in DEFAULT_INSTANCE_NAMESPACE_GRANTS
    )


#: Argo CD has no health check for Applications since 1.8, so a parent Application does not
#: wait for a child of an earlier sync wave; the check is restored per instance.
APPLICATION_HEALTH_SOURCES = (
    (
        'https://argo-cd.readthedocs.io/en/release-3.3/operator-manual/health/ ("Argocd App": the health '
        "assessment of argoproj.io/Application was removed in 1.8, argoproj/argo-cd #3781; restore it for "
        "app-of-apps waves)"
    ),
    (
        "https://github.com/argoproj-labs/argocd-operator/blob/a1f47b1c54a6be36118800f79725fa75c1b94e82/"
        "api/v1beta1/argocd_types.go (ArgoCDSpec.ResourceHealthChecks: group, kind, check; the operator "
        "writes them into argocd-cm, which it owns)"
    ),
)
