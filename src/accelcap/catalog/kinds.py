"""The API resources the repository may render: each kind's resource name and scope.

Argo CD admits an object by its group, kind and scope (an AppProject has separate white- and
blacklists for cluster-scoped and namespaced kinds), and the API server authorizes it by group
and resource (the plural). ``tools/lint`` reads both here; a kind that is neither here nor
defined by a CustomResourceDefinition in the same render cannot be checked.

Scopes are those of the API server the cluster runs: for custom kinds, the CRD the operator of
the cluster's OpenShift version installs. One kind differs from upstream on purpose: the OpenShift
NFD operator ships ``nfd.k8s-sigs.io`` NodeFeatureRule as *Namespaced*, while upstream
node-feature-discovery defines it cluster-scoped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    group: str
    kind: str
    #: The resource name RBAC rules use (lower-case plural).
    resource: str
    namespaced: bool
    source: str


KUBERNETES = "https://kubernetes.io/docs/reference/kubernetes-api/ (Kubernetes API reference: resource names and scope)"
OPENSHIFT_API = "https://github.com/openshift/api (the CRD manifests of each group)"
PINNED = "src/accelcap/validate/crds.yaml (the pinned upstream CRD: spec.names.plural, spec.scope)"
NFD_OPERATOR_K8S_SIGS = (
    "https://github.com/openshift/cluster-nfd-operator/blob/20a9750f108d1f509116a157923cd4935d3b09f0/"
    "config/crd/bases/nfd.k8s-sigs.io_nodefeaturerules.yaml (scope: Namespaced; unchanged at the pinned "
    "0e25cc101cfcb83719d64deef8184b320100c3c6)"
)
ARGOCD_OPERATOR = (
    "https://github.com/argoproj-labs/argocd-operator/blob/a1f47b1c54a6be36118800f79725fa75c1b94e82/"
    "api/v1beta1/argocd_types.go (ArgoCD: namespaced, resource argocds)"
)


def _kinds(group: str, source: str, *rows: tuple[str, str, bool]) -> list[Kind]:
    return [Kind(group, kind, resource, namespaced, source) for kind, resource, namespaced in rows]


KINDS: dict[tuple[str, str], Kind] = {
    (row.group, row.kind): row
    for row in (
        *_kinds(
            "", KUBERNETES,
            ("Namespace", "namespaces", False), ("Node", "nodes", False),
            ("PersistentVolume", "persistentvolumes", False), ("ConfigMap", "configmaps", True),
            ("Secret", "secrets", True), ("ServiceAccount", "serviceaccounts", True),
            ("Service", "services", True), ("Pod", "pods", True),
            ("PersistentVolumeClaim", "persistentvolumeclaims", True),
        ),
        *_kinds("apps", KUBERNETES, ("Deployment", "deployments", True), ("DaemonSet", "daemonsets", True),
                ("StatefulSet", "statefulsets", True)),
        *_kinds("batch", KUBERNETES, ("Job", "jobs", True), ("CronJob", "cronjobs", True)),
        *_kinds(
            "rbac.authorization.k8s.io", KUBERNETES,
            ("ClusterRole", "clusterroles", False), ("ClusterRoleBinding", "clusterrolebindings", False),
            ("Role", "roles", True), ("RoleBinding", "rolebindings", True),
        ),
        *_kinds("apiextensions.k8s.io", KUBERNETES,
                ("CustomResourceDefinition", "customresourcedefinitions", False)),
        *_kinds("scheduling.k8s.io", KUBERNETES, ("PriorityClass", "priorityclasses", False)),
        *_kinds("storage.k8s.io", KUBERNETES, ("StorageClass", "storageclasses", False)),
        *_kinds(
            "admissionregistration.k8s.io", KUBERNETES,
            ("ValidatingWebhookConfiguration", "validatingwebhookconfigurations", False),
            ("MutatingWebhookConfiguration", "mutatingwebhookconfigurations", False),
        ),
        *_kinds("security.openshift.io", OPENSHIFT_API,
                ("SecurityContextConstraints", "securitycontextconstraints", False)),
        *_kinds("config.openshift.io", OPENSHIFT_API, ("Infrastructure", "infrastructures", False)),
        *_kinds("operator.openshift.io", OPENSHIFT_API, ("MachineConfiguration", "machineconfigurations", False)),
        *_kinds(
            "machineconfiguration.openshift.io", OPENSHIFT_API,
            ("MachineConfig", "machineconfigs", False), ("MachineConfigPool", "machineconfigpools", False),
        ),
        *_kinds("machine.openshift.io", PINNED, ("MachineSet", "machinesets", True), ("Machine", "machines", True)),
        *_kinds(
            "autoscaling.openshift.io", PINNED,
            ("ClusterAutoscaler", "clusterautoscalers", False), ("MachineAutoscaler", "machineautoscalers", True),
        ),
        *_kinds(
            "operators.coreos.com", PINNED,
            ("Subscription", "subscriptions", True), ("OperatorGroup", "operatorgroups", True),
            ("CatalogSource", "catalogsources", True),
        ),
        *_kinds("nvidia.com", PINNED, ("ClusterPolicy", "clusterpolicies", False),
                ("NVIDIADriver", "nvidiadrivers", False)),
        *_kinds(
            "nfd.openshift.io", PINNED,
            ("NodeFeatureDiscovery", "nodefeaturediscoveries", True), ("NodeFeatureRule", "nodefeaturerules", True),
        ),
        *_kinds("nfd.k8s-sigs.io", NFD_OPERATOR_K8S_SIGS, ("NodeFeatureRule", "nodefeaturerules", True)),
        *_kinds("kmm.sigs.x-k8s.io", PINNED, ("Module", "modules", True)),
        *_kinds("k8s.aws", PINNED, ("DeviceConfig", "deviceconfigs", True)),
        *_kinds(
            "argoproj.io", PINNED,
            ("Application", "applications", True), ("AppProject", "appprojects", True),
            ("ApplicationSet", "applicationsets", True),
        ),
        *_kinds("argoproj.io", ARGOCD_OPERATOR, ("ArgoCD", "argocds", True)),
    )
}  # fmt: skip

SOURCES = (KUBERNETES, OPENSHIFT_API, PINNED, NFD_OPERATOR_K8S_SIGS, ARGOCD_OPERATOR)


def lookup(group: str, kind: str) -> Kind | None:
    return KINDS.get((group, kind))
