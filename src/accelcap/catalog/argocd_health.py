"""Which resources count for an Application's health in Argo CD, and which kinds need no check.

Argo CD's ``controller/health.go`` (``setApplicationHealth``) computes an Application's health
from its resources, but skips a resource that is Missing unless its kind has a health check
built into Go (``GetHealthCheckFunc`` of gitops-engine's ``pkg/health/health.go``) or an override
in argocd-cm (``resource.customizations.health.<group>_<kind>``, which the OpenShift GitOps
operator writes from the ``ArgoCD`` instance's ``spec.resourceHealthChecks``). The Lua scripts
built into Argo CD (``resource_customizations/``, Subscription's among them) do not count. So an
Application whose objects do not exist yet is Healthy, and a parent that waits for it between
sync waves does not wait: lint rule CAP040 checks every kind an earlier wave syncs.

Argo CD v3.4 (OpenShift GitOps 1.21) goes further: a Missing resource never counts, override or
not ("the OutOfSync status already indicates resources are missing"), and an Application with
no live resource at all is Missing. There only the Application check's wait for ``Synced``
(base/bootstrap) keeps the root from moving on; the per-kind checks still judge what exists.
"""

from __future__ import annotations

#: The Argo CD release the tests run (test/argocd) and these facts were read from.
ARGOCD_TAG = "v3.1.16"

SOURCES = (
    (
        f"https://github.com/argoproj/argo-cd/blob/{ARGOCD_TAG}/controller/health.go (setApplicationHealth: "
        '"health status is missing but resource has not built-in/custom health check then it should not affect '
        'parent app health"); the same in v3.3.14'
    ),
    (
        "https://github.com/argoproj/argo-cd/blob/v3.4.4/controller/health.go (setApplicationHealth: a Missing "
        "resource never counts; an Application without any live resource is Missing)"
    ),
    "https://github.com/argoproj/argo-cd/issues/6708 (Missing resources without a health check are ignored; open)",
    (
        "https://github.com/argoproj/argo-cd/blob/v3.3.14/gitops-engine/pkg/health/health.go "
        "(GetHealthCheckFunc: the kinds whose health check is built into Go)"
    ),
    (
        f"https://github.com/argoproj/argo-cd/blob/{ARGOCD_TAG}/util/lua/lua.go (GetConfigMapKey: an override is "
        "keyed <group>/<kind>, argocd-cm resource.customizations.health.<group>_<kind>)"
    ),
)

#: (group, kind) whose health check is built into Go: a Missing one counts without an override.
GO_HEALTH_CHECKS: frozenset[tuple[str, str]] = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "ReplicaSet"),
        ("apps", "DaemonSet"),
        ("extensions", "Ingress"),
        ("networking.k8s.io", "Ingress"),
        ("argoproj.io", "Workflow"),
        ("apiregistration.k8s.io", "APIService"),
        ("", "Service"),
        ("", "PersistentVolumeClaim"),
        ("", "Pod"),
        ("batch", "Job"),
        ("autoscaling", "HorizontalPodAutoscaler"),
    }
)

#: Kinds a later wave does not wait for, with why. What a Namespace or an OperatorGroup is for
#: is done once it exists, and until the sync has created it the Application is not Synced,
#: which the Application health check (base/bootstrap) already waits for. The pool kinds are
#: what the waves order, never what they wait for: no Application of a later wave needs a pool.
NO_CHECK_NEEDED: dict[tuple[str, str], str] = {
    ("", "Namespace"): "a namespace is usable once it exists",
    ("operators.coreos.com", "OperatorGroup"): (
        "OLM's scope for the Subscriptions beside it; the Subscription's check waits for the install"
    ),
    ("machine.openshift.io", "MachineSet"): "a pool: no later wave depends on one",
    ("autoscaling.openshift.io", "MachineAutoscaler"): "a pool's autoscaling: no later wave depends on one",
    ("autoscaling.openshift.io", "ClusterAutoscaler"): "the pools' limits: no later wave depends on them",
    # The capacity build's only ConfigMap is the priority expander's (accelcap.priority_expander).
    ("", "ConfigMap"): "data read when it is used (the autoscaler's priority expander): usable once it exists",
}
