"""How the accelerator operators say a node is ready: the labels, pods and status fields
``tools/verify-pools`` reads on a live cluster.

NVIDIA (GPU Operator): NFD labels a node with an NVIDIA PCI device; the operator then runs
its operands there, among them one driver pod per node; the ClusterPolicy's
``status.state`` is ``ready`` when every operand is. AWS Neuron (operator for AI chips on
AWS): the DeviceConfig becomes a KMM Module of the same name and namespace; KMM loads the
driver on each node its selector picks (and labels the node when the module is loaded), then
runs the device plugin there. KMM loads a module with short-lived worker pods, so "the
driver runs on the node" is KMM's ready label, not a long-running pod.
"""

from __future__ import annotations

SOURCES = (
    "NVIDIA/gpu-operator controllers/state_manager.go: gpuNodeLabels (the NFD PCI labels that make a GPU node)",
    (
        "NVIDIA/gpu-operator api/nvidia/v1/clusterpolicy_types.go and config/crd/bases/nvidia.com_clusterpolicies.yaml: "
        "status.state (ignored, ready, notReady), status.namespace (the operator's namespace), status.conditions"
    ),
    (
        "NVIDIA/gpu-operator assets/state-driver/0500_daemonset.yaml and NVIDIA's GPU Operator docs (troubleshooting: "
        "'kubectl get ds -l app.kubernetes.io/component=nvidia-driver'): the driver pods' label; on OpenShift the "
        "driver DaemonSet is named per RHCOS version, so only this label finds every one"
    ),
    (
        "awslabs/operator-for-ai-chips-on-aws internal/controllers/device_config_reconciler.go (handleKMMModule: the KMM "
        "Module is named as the DeviceConfig, in its namespace; no DeviceConfig status is written yet, its "
        "status handling is left for later) and internal/kmmmodule/kmmmodule.go (getNodeSelector: spec.selector, else "
        "feature.node.kubernetes.io/pci-1d0f.present=true)"
    ),
    (
        "kubernetes-sigs/kernel-module-management internal/utils/kmmlabels.go (GetKernelModuleReadyNodeLabel: "
        "kmm.node.kubernetes.io/<namespace>.<module>.ready) and internal/constants/constants.go (device plugin pods: "
        "kmm.node.kubernetes.io/module.name=<module>, kmm.node.kubernetes.io/role=device-plugin)"
    ),
)

# --- NVIDIA ---------------------------------------------------------------------------------

#: NFD's labels of a node with an NVIDIA PCI device (vendor 10de): any one makes it a GPU node.
NVIDIA_PCI_LABELS = (
    "feature.node.kubernetes.io/pci-10de.present",
    "feature.node.kubernetes.io/pci-0302_10de.present",
    "feature.node.kubernetes.io/pci-0300_10de.present",
)
#: ``status.state`` of a ClusterPolicy whose operands are all ready.
CLUSTER_POLICY_READY = "ready"
#: The driver pods of the GPU Operator, in its namespace (``status.namespace``).
NVIDIA_DRIVER_PODS = "app.kubernetes.io/component=nvidia-driver"

# --- AWS Neuron -----------------------------------------------------------------------------

#: The DeviceConfig's node selector when it sets none: NFD's label of PCI vendor 1d0f.
NEURON_DEFAULT_SELECTOR = {"feature.node.kubernetes.io/pci-1d0f.present": "true"}


def kmm_module_ready_label(namespace: str, module: str) -> str:
    """The node label KMM sets once ``module`` is loaded on the node."""
    return f"kmm.node.kubernetes.io/{namespace}.{module}.ready"


def kmm_device_plugin_pods(module: str) -> str:
    """The label selector of the device plugin pods KMM runs for ``module``."""
    return f"kmm.node.kubernetes.io/module.name={module},kmm.node.kubernetes.io/role=device-plugin"
