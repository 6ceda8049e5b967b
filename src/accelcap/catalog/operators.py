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


#: Every version channel the project may pin, oldest first. ``stable`` is left out on
#: purpose: it moves to a new major release without review.
GPU_OPERATOR_CHANNELS: dict[str, GpuOperatorChannel] = {
    row.channel: row
    for row in (
        GpuOperatorChannel("v24.9", "v24.9.2", OpenShiftRange(12, 17)),
        GpuOperatorChannel("v25.3", "v25.3.4", OpenShiftRange(14, 19)),
        GpuOperatorChannel("v25.10", "v25.10.1", OpenShiftRange(14, 20)),
        GpuOperatorChannel("v26.3", "v26.3.3", OpenShiftRange(14, 22)),
    )
}

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


def channels_covering(version: str) -> list[str]:
    """The GPU Operator channels that support OpenShift ``version``."""
    return [row.channel for row in GPU_OPERATOR_CHANNELS.values() if row.openshift.covers(version)]
