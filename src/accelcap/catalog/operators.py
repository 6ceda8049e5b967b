"""Which OpenShift versions each accelerator operator release supports.

``tools/lint`` (CAP017) checks a cluster's GPU Operator channel and its Inferentia gate
against these tables and the cluster's ``openshiftVersion``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenShiftRange:
    """OpenShift ``4.<first>`` to ``4.<last>``, both included."""

    first: int
    last: int

    def covers(self, version: str) -> bool:
        """Whether OpenShift ``version`` (``4.20``, ``4.20.3``) lies in the range."""
        major, _, rest = version.partition(".")
        minor = rest.split(".", 1)[0]
        return major == "4" and minor.isdigit() and self.first <= int(minor) <= self.last

    def __str__(self) -> str:
        return f"4.{self.first}-4.{self.last}"


@dataclass(frozen=True)
class GpuOperatorChannel:
    """A version channel of the NVIDIA GPU Operator (package ``gpu-operator-certified``)."""

    channel: str
    #: The release the supported versions were read from.
    release: str
    openshift: OpenShiftRange

    @property
    def source(self) -> str:
        """The file of the release that lists them (``com.redhat.openshift.versions``)."""
        return f"https://github.com/NVIDIA/gpu-operator/blob/{self.release}/bundle/metadata/annotations.yaml"


#: Every version channel the project may pin, oldest first. Each release is also published to
#: ``stable`` (its bundle's channels are ``stable,v<major.minor>``), so ``stable`` always
#: follows the newest release: see ``STABLE_CHANNEL``.
GPU_OPERATOR_CHANNELS: dict[str, GpuOperatorChannel] = {
    row.channel: row
    for row in (
        GpuOperatorChannel("v24.9", "v24.9.2", OpenShiftRange(12, 17)),
        GpuOperatorChannel("v25.3", "v25.3.4", OpenShiftRange(14, 19)),
        GpuOperatorChannel("v25.10", "v25.10.1", OpenShiftRange(14, 20)),
        GpuOperatorChannel("v26.3", "v26.3.3", OpenShiftRange(14, 22)),
    )
}

#: ``stable`` is a real channel of ``gpu-operator-certified``: it carries every release, so a
#: Subscription to it installs whichever release is newest in the catalog when OLM resolves
#: it. The newest release read is the last row of ``GPU_OPERATOR_CHANNELS``.
STABLE_CHANNEL = "stable"


def newest_gpu_operator_release() -> GpuOperatorChannel:
    return list(GPU_OPERATOR_CHANNELS.values())[-1]


#: What the GPU operator's operand DaemonSets tolerate when the ClusterPolicy sets no
#: ``spec.daemonsets.tolerations``: every operand asset ships this toleration, and the operator
#: replaces it only when the list is set and not empty.
GPU_OPERATOR_DEFAULT_TOLERATIONS: tuple[dict[str, str], ...] = (
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
)
GPU_OPERATOR_TOLERATION_SOURCES = (
    (
        'https://github.com/NVIDIA/gpu-operator (controllers/object_controls.go: "set tolerations if '
        'specified", if len(config.Daemonsets.Tolerations) > 0 { ... Tolerations = config.Daemonsets.Tolerations })'
    ),
    "https://github.com/NVIDIA/gpu-operator (assets/state-*/0500_daemonset.yaml: nvidia.com/gpu Exists NoSchedule)",
)

#: The AWS Neuron operator (package ``aws-neuron-operator``, community-operators) is offered
#: for these OpenShift versions only: the feasibility gate of docs/inferentia.md.
NEURON_OPERATOR_OPENSHIFT = OpenShiftRange(19, 22)
NEURON_OPERATOR_SOURCES = (
    (
        "https://github.com/redhat-openshift-ecosystem/community-operators-prod/tree/main/operators/"
        "aws-neuron-operator/catalog-templates (v4.19.yaml ... v4.22.yaml)"
    ),
    "operators/aws-neuron-operator/1.3.0/release-config.yaml of the same repository",
)

#: Prebuilt Neuron driver images (KMM appends the node's kernel version to the tag) exist for
#: these OpenShift versions; elsewhere the driver must be built on the cluster.
NEURON_PREBUILT_DRIVERS_OPENSHIFT = OpenShiftRange(20, 22)
NEURON_PREBUILT_DRIVERS_SOURCES = (
    (
        "https://github.com/awslabs/kmod-with-kmm-for-ai-chips-on-aws (build-matrix.json, "
        "driver-toolkit/driver-toolkit.json)"
    ),
)


@dataclass(frozen=True)
class OlmPackage:
    """An OLM package the repository may subscribe to, from the catalog source that ships it."""

    package: str
    source: str
    #: The namespace the repository installs it in (and therefore owns).
    namespace: str
    reference: str
    #: API groups of the CRDs the operator installs (its custom resources must wait for it).
    crd_groups: tuple[str, ...] = ()


MARKETPLACE_NAMESPACE = "openshift-marketplace"
#: The only (package, catalog source) pairs a Subscription may name (lint rule CAP023).
OLM_PACKAGES: dict[str, OlmPackage] = {
    row.package: row
    for row in (
        OlmPackage(
            "nfd", "redhat-operators", "openshift-nfd",
            "https://docs.redhat.com/en/documentation/openshift_container_platform/4.20/html/"
            "specialized_hardware_and_driver_enablement/psap-node-feature-discovery-operator",
            crd_groups=("nfd.openshift.io", "nfd.k8s-sigs.io"),
        ),
        OlmPackage(
            "gpu-operator-certified", "certified-operators", "nvidia-gpu-operator",
            "https://github.com/NVIDIA/gpu-operator/blob/v25.10.1/bundle/metadata/annotations.yaml "
            "(operators.operatorframework.io.bundle.package.v1: gpu-operator-certified)",
            crd_groups=("nvidia.com",),
        ),
        OlmPackage(
            "kernel-module-management", "redhat-operators", "openshift-kmm",
            "https://docs.redhat.com/en/documentation/openshift_container_platform/4.20/html/"
            "specialized_hardware_and_driver_enablement/kernel-module-management-operator",
            crd_groups=("kmm.sigs.x-k8s.io",),
        ),
        OlmPackage(
            "aws-neuron-operator", "community-operators", "aws-neuron-operator",
            "https://github.com/redhat-openshift-ecosystem/community-operators-prod/tree/main/operators/"
            "aws-neuron-operator",
            crd_groups=("k8s.aws",),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class NeuronScheduler:
    """The kube-scheduler image the Neuron operator's second scheduler runs on one OpenShift version."""

    openshift: str
    kubernetes: str
    image: str
    source: str


def _eks_distro(openshift: str, kubernetes: str, tag: str, commit: str, release: int) -> NeuronScheduler:
    minor = kubernetes.replace(".", "-")
    return NeuronScheduler(
        openshift,
        kubernetes,
        f"public.ecr.aws/eks-distro/kubernetes/kube-scheduler:{tag}",
        f"https://github.com/aws/eks-distro/blob/{commit}/docs/contents/releases/{minor}/{release}/index.md",
    )


#: ``DeviceConfig`` ``spec.customSchedulerImage`` per ``openshiftVersion``: an EKS Distro
#: kube-scheduler of the Kubernetes minor version the OpenShift release ships
#: (``catalog.openshift_versions``). A scheduler newer than the API server breaks Kubernetes'
#: version skew policy (kube-scheduler must not be newer than kube-apiserver, and may be one
#: minor older); the operator's own default tracks the newest Kubernetes.
NEURON_SCHEDULER_IMAGES: dict[str, NeuronScheduler] = {
    row.openshift: row
    for row in (
        _eks_distro("4.19", "1.32", "v1.32.13-eks-1-32-43", "b2efbfe11e6ca0ba3b5b060d6cd4450ec9e8e255", 43),
        _eks_distro("4.20", "1.33", "v1.33.7-eks-1-33-23", "f963601e780375899ef5949362262f220c34207b", 23),
        _eks_distro("4.21", "1.34", "v1.34.11-eks-1-34-24", "506ae4230a7d841cc280af3a011661971e3fda93", 24),
        _eks_distro("4.22", "1.35", "v1.35.5-eks-1-35-10", "616aea73c4758d016fa3fd4b5ab43aeb4909c5ac", 10),
    )
}
VERSION_SKEW_POLICY = (
    "https://kubernetes.io/releases/version-skew-policy/ (kube-controller-manager, kube-scheduler and "
    "cloud-controller-manager must not be newer than the kube-apiserver; they may be one minor version older)"
)


@dataclass(frozen=True)
class NodeFeatureRuleApi:
    """The NodeFeatureRule API the NFD operator of a range of OpenShift versions serves."""

    openshift: OpenShiftRange
    api_version: str
    namespaced: bool
    source: str


#: Where a NodeFeatureRule goes, per OpenShift version (lint rule CAP024). The NFD operator
#: ships the upstream group ``nfd.k8s-sigs.io`` beside its own ``nfd.openshift.io`` since its
#: CRDs gained it in April 2025 (commit 20a9750f); the project uses it from 4.20, the first
#: release certainly cut after that, and keeps ``nfd.openshift.io`` before. Unlike upstream's
#: cluster-scoped kind, OpenShift's copy is Namespaced. Upstream and OpenShift are moving to
#: ``nfd.k8s-sigs.io``.
NODE_FEATURE_RULE_APIS: tuple[NodeFeatureRuleApi, ...] = (
    NodeFeatureRuleApi(
        OpenShiftRange(14, 19), "nfd.openshift.io/v1alpha1", True,
        "https://github.com/openshift/cluster-nfd-operator/blob/0e25cc101cfcb83719d64deef8184b320100c3c6/"
        "config/crd/bases/nfd.openshift.io_nodefeaturerules.yaml",
    ),
    NodeFeatureRuleApi(
        OpenShiftRange(20, 22), "nfd.k8s-sigs.io/v1alpha1", True,
        "https://github.com/openshift/cluster-nfd-operator/blob/20a9750f108d1f509116a157923cd4935d3b09f0/"
        "config/crd/bases/nfd.k8s-sigs.io_nodefeaturerules.yaml (and config/samples/"
        "nfd.k8s-sigs.io_v1alpha1_nodefeaturerules.yaml at 0e25cc101cfcb83719d64deef8184b320100c3c6)",
    ),
)  # fmt: skip


def node_feature_rule_api(version: str) -> NodeFeatureRuleApi | None:
    for row in NODE_FEATURE_RULE_APIS:
        if row.openshift.covers(version):
            return row
    return None


#: What ``Subscription.spec.config`` may set (OLM's SubscriptionConfig,
#: operator-framework/api pkg/operators/v1alpha1/subscription_types.go): where the operator's
#: pods run and how big they are. Volumes, volume mounts, ``envFrom`` and selectors are not
#: allowed: they hand the operator's pod (cluster rights) a host path or other data.
SUBSCRIPTION_CONFIG_KEYS = frozenset({"nodeSelector", "tolerations", "resources", "affinity", "env"})
#: ``installPlanApproval`` values a Subscription may use (the CRD's enum).
INSTALL_PLAN_APPROVALS = frozenset({"Automatic", "Manual"})
