"""Where operand and validation images may come from: per vendor, the registries that vendor
publishes to, and the tags the project has reviewed (lint rule CAP034).

An image is admitted by digest (``@sha256:...``) from a registry of its vendor, or by a tag this
catalog lists for its repository. Everything else (another registry, ``latest``, an unreviewed
tag) is refused: the operators run these images as privileged DaemonSets on every accelerator
node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .operators import NEURON_OPERATOR_SOURCES, NEURON_PREBUILT_DRIVERS_SOURCES, NEURON_SCHEDULER_IMAGES


@dataclass(frozen=True)
class Registry:
    """A registry path a vendor publishes its images under."""

    vendor: str
    prefix: str
    source: str


NVIDIA = "nvidia"
RED_HAT = "red-hat"
AWS_NEURON = "aws-neuron"

REGISTRIES: tuple[Registry, ...] = (
    Registry(
        NVIDIA, "nvcr.io/nvidia/",
        "https://github.com/NVIDIA/gpu-operator/blob/v25.10.1/deployments/gpu-operator/values.yaml "
        "(every operand's repository: nvcr.io/nvidia, nvcr.io/nvidia/cloud-native, nvcr.io/nvidia/k8s)",
    ),
    Registry(
        RED_HAT, "registry.redhat.io/openshift4/",
        "https://docs.redhat.com/en/documentation/openshift_container_platform/4.20/html/"
        "specialized_hardware_and_driver_enablement/psap-node-feature-discovery-operator "
        "(operand image registry.redhat.io/openshift4/ose-node-feature-discovery-rhel9)",
    ),
    Registry(AWS_NEURON, "public.ecr.aws/neuron/", NEURON_OPERATOR_SOURCES[1]),
    Registry(AWS_NEURON, "public.ecr.aws/os-partners/neuron-openshift/", NEURON_PREBUILT_DRIVERS_SOURCES[0]),
    Registry(AWS_NEURON, "public.ecr.aws/eks-distro/kubernetes/", "accelcap.catalog.operators.NEURON_SCHEDULER_IMAGES"),
)  # fmt: skip

#: The tags the project has reviewed, by image repository. KMM appends "-<kernel>" to the
#: driver image's tag on the node; the tag here is the one the DeviceConfig names.
KNOWN_TAGS: dict[str, frozenset[str]] = {
    "public.ecr.aws/os-partners/neuron-openshift/neuron-kernel-module": frozenset({"2.28.0.0"}),
    "public.ecr.aws/neuron/neuron-device-plugin": frozenset({"2.30.0.0"}),
    "public.ecr.aws/neuron/neuron-scheduler": frozenset({"2.30.0.0"}),
    "public.ecr.aws/neuron/neuron-monitor": frozenset({"1.10.0"}),
    "public.ecr.aws/eks-distro/kubernetes/kube-scheduler": frozenset(
        row.image.rsplit(":", 1)[1] for row in NEURON_SCHEDULER_IMAGES.values()
    ),
    # The validation pods (base/validation).
    "nvcr.io/nvidia/k8s/cuda-sample": frozenset({"vectoradd-cuda12.5.0-ubi8"}),
    "public.ecr.aws/neuron/pytorch-inference-neuronx": frozenset({"2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04"}),
}

#: The vendor whose registries the images of each operand kind come from.
VENDOR_OF_KIND: dict[tuple[str, str], str] = {
    ("nvidia.com", "ClusterPolicy"): NVIDIA,
    ("nfd.openshift.io", "NodeFeatureDiscovery"): RED_HAT,
    ("k8s.aws", "DeviceConfig"): AWS_NEURON,
}

_REFERENCE = re.compile(
    r"^(?P<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def image_problem(reference: str, vendors: frozenset[str]) -> str | None:
    """Why ``reference`` may not run for ``vendors``; None when it may."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        return f"{reference!r} is not a full image reference (registry/repository:tag or @sha256:digest)"
    repository = match["repository"]
    registries = [r for r in REGISTRIES if r.vendor in vendors and repository.startswith(r.prefix)]
    if not registries:
        allowed = ", ".join(r.prefix for r in REGISTRIES if r.vendor in vendors)
        return f"{reference} is not from a registry of {'/'.join(sorted(vendors))} ({allowed})"
    if match["digest"]:
        return None
    tag = match["tag"]
    if tag is None:
        return f"{reference} names no tag or digest (latest, whatever it is today)"
    if tag not in KNOWN_TAGS.get(repository, frozenset()):
        return f"{reference}: tag {tag} is not one accelcap.catalog.images knows; pin it by digest or add the tag"
    return None


def vendors() -> frozenset[str]:
    return frozenset(r.vendor for r in REGISTRIES)
