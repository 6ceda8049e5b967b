"""CAP017: the accelerator operators support the cluster's OpenShift version."""

from __future__ import annotations

import typing as t

from ...catalog.instance_types import Accelerator
from ...catalog.operators import (
    GPU_OPERATOR_CHANNELS,
    NEURON_OPERATOR_OPENSHIFT,
    NEURON_PREBUILT_DRIVERS_OPENSHIFT,
    STABLE_CHANNEL,
    newest_gpu_operator_release,
)
from ..context import LintContext
from ..examples import Facts, Set, example, neuron_pool
from ..rule import Violation, cannot_check, rule

#: Each channel and the OpenShift versions it supports, for the rule's text (from the catalog).
CHANNELS = ", ".join(f"{row.channel}: {row.openshift}" for row in GPU_OPERATOR_CHANNELS.values())


@rule(
    "CAP017",
    "operator-openshift-support",
    "Accelerator operators support the cluster's OpenShift version",
    what=f"""The NVIDIA GPU Operator Subscription's channel is a version channel whose release
    supports the cluster's `openshiftVersion` (facts), and a cluster with a Neuron pool (inf*,
    trn*) runs an OpenShift version for which the AWS Neuron operator is in the catalog
    ({NEURON_OPERATOR_OPENSHIFT}). `stable` is a real channel that carries every release: which
    one a cluster gets is the catalog's choice, not Git's, so it is reported as cannot check
    (blocking) while its newest release supports the cluster, and as an error when not.""",
    why=f"""An unsupported channel installs an operator release that was never tested on the
    cluster's kernel and driver toolkit, or none at all; `stable` moves to a new major release
    without review. Outside {NEURON_OPERATOR_OPENSHIFT} the Neuron operator package is not offered, so its
    Subscription never resolves and the inf2 nodes get no driver (docs/inferentia.md, the gate).""",
    fix=f"""Patch the GPU Operator channel in `overlays/<cluster>/operators` to one that covers the
    cluster's version ({CHANNELS}; `docs/catalog.md`), and turn Inferentia on only on
    {NEURON_OPERATOR_OPENSHIFT} ({NEURON_PREBUILT_DRIVERS_OPENSHIFT} for prebuilt driver images); correct
    `openshiftVersion` with `tools/set-infra-id <cluster> --from-cluster` if the facts are stale.""",
    needs_facts=True,
    failing=(
        example("cluster upgraded past the channel", Facts(openshift_version="4.21")),
        example(
            "stable channel: cannot check",
            Set("Subscription", "/spec/channel", "stable", name="gpu-operator-certified"),
        ),
        example("unknown channel", Set("Subscription", "/spec/channel", "v25.1", name="gpu-operator-certified")),
        example("Neuron pool below 4.19", neuron_pool([]), Facts(openshift_version="4.18")),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    if context.facts is None:
        return
    version = context.facts.openshift_version
    for subscription in context.of_kind("operators.coreos.com", "Subscription"):
        if subscription.get("spec", "name") != "gpu-operator-certified":
            continue
        channel = str(subscription.get("spec", "channel", default=""))
        supported = GPU_OPERATOR_CHANNELS.get(channel)
        if channel == STABLE_CHANNEL:
            newest = newest_gpu_operator_release()
            if not newest.openshift.covers(version):
                yield Violation(
                    f"channel stable installs the newest release ({newest.release}: OpenShift {newest.openshift}), "
                    f"the cluster runs {version}",
                    subscription,
                    "/spec/channel",
                )
            else:
                yield cannot_check(
                    f"channel stable installs whichever release is newest in the catalog when OLM resolves it "
                    f"({newest.release}, OpenShift {newest.openshift}, as read); support for {version} cannot be "
                    "checked from Git: pin a version channel",
                    subscription,
                    "/spec/channel",
                    blocking=True,
                )
        elif supported is None:
            known = ", ".join(GPU_OPERATOR_CHANNELS)
            yield Violation(
                f"channel {channel!r} is not a known version channel ({known})", subscription, "/spec/channel"
            )
        elif not supported.openshift.covers(version):
            yield Violation(
                f"channel {channel} supports OpenShift {supported.openshift}, the cluster runs {version}",
                subscription,
                "/spec/channel",
            )
    for pool in context.pools:
        if pool.accelerator is Accelerator.NEURON and not NEURON_OPERATOR_OPENSHIFT.covers(version):
            yield Violation(
                f"Neuron pool on OpenShift {version}; the AWS Neuron operator is offered for "
                f"{NEURON_OPERATOR_OPENSHIFT} only",
                pool.machineset,
            )
