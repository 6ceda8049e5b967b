"""CAP017: the accelerator operators support the cluster's OpenShift version."""

from __future__ import annotations

import typing as t

from ...instance_types import Accelerator
from ..context import LintContext
from ..rule import Violation, rule

#: NVIDIA GPU Operator channel -> OpenShift minor versions it supports (inclusive), from
#: bundle/metadata/annotations.yaml of NVIDIA/gpu-operator at v24.9.2, v25.3.4, v25.10.1, v26.3.3.
GPU_OPERATOR_CHANNELS = {"v24.9": (12, 17), "v25.3": (14, 19), "v25.10": (14, 20), "v26.3": (14, 22)}
#: The AWS Neuron operator is offered by community-operators for these OpenShift versions
#: only (catalog-templates v4.19 ... v4.22): the feasibility gate of docs/inferentia.md.
NEURON_OPERATOR_OPENSHIFT = (19, 22)


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _span(low_high: tuple[int, int]) -> str:
    return f"4.{low_high[0]}-4.{low_high[1]}"


@rule(
    "CAP017",
    "operator-openshift-support",
    "Accelerator operators support the cluster's OpenShift version",
    what="""The NVIDIA GPU Operator Subscription's channel is a version channel whose release
    supports the cluster's `openshiftVersion` (facts), and a cluster with a Neuron pool (inf*,
    trn*) runs an OpenShift version for which the AWS Neuron operator is in the catalog
    (4.19-4.22).""",
    why="""An unsupported channel installs an operator release that was never tested on the
    cluster's kernel and driver toolkit, or none at all; `stable` moves to a new major release
    without review. Below 4.19 the Neuron operator package is not offered, so its Subscription
    never resolves and the inf2 nodes get no driver (docs/inferentia.md, the gate).""",
    fix="""Patch the GPU Operator channel in `overlays/<cluster>/operators` to one that covers the
    cluster's version (v25.10: 4.14-4.20, v26.3: 4.14-4.22), and turn Inferentia on only on
    4.19+ (4.20+ for prebuilt driver images); correct `openshiftVersion` with
    `tools/set-infra-id <cluster> --from-cluster` if the facts are stale.""",
    needs_facts=True,
)
def check(context: LintContext) -> t.Iterator[Violation]:
    if context.facts is None:
        return
    version = context.facts.openshift_version
    minor = _minor(version)
    for subscription in context.of_kind("operators.coreos.com", "Subscription"):
        if subscription.get("spec", "name") != "gpu-operator-certified":
            continue
        channel = str(subscription.get("spec", "channel", default=""))
        supported = GPU_OPERATOR_CHANNELS.get(channel)
        if supported is None:
            known = ", ".join(GPU_OPERATOR_CHANNELS)
            yield Violation(f"channel {channel!r} is not a known version channel ({known})", subscription, "/spec/channel")
        elif not supported[0] <= minor <= supported[1]:
            yield Violation(
                f"channel {channel} supports OpenShift {_span(supported)}, the cluster runs {version}",
                subscription,
                "/spec/channel",
            )
    low, high = NEURON_OPERATOR_OPENSHIFT
    for pool in context.pools:
        if pool.accelerator is Accelerator.NEURON and not low <= minor <= high:
            yield Violation(
                f"Neuron pool on OpenShift {version}; the AWS Neuron operator is offered for "
                f"{_span(NEURON_OPERATOR_OPENSHIFT)} only",
                pool.machineset,
            )
