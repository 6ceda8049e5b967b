"""CAP024: the Neuron scheduler and the NodeFeatureRule API follow the cluster's OpenShift version."""

from __future__ import annotations

import typing as t

from ...catalog.operators import (
    NEURON_SCHEDULER_IMAGES,
    NODE_FEATURE_RULE_APIS,
    VERSION_SKEW_POLICY,
    node_feature_rule_api,
)
from ..context import SYNC_OPTIONS, SYNC_WAVE, LintContext
from ..examples import DEVICE_CONFIG, Add, Facts, Set, admitted, example
from ..rule import Violation, rule

SCHEDULERS = "; ".join(f"{row.openshift}: {row.image}" for row in NEURON_SCHEDULER_IMAGES.values())
APIS = "; ".join(f"{row.openshift}: {row.api_version}" for row in NODE_FEATURE_RULE_APIS)
NEURON_GROUP_OF_NFD = ("nfd.openshift.io", "nfd.k8s-sigs.io")


def _node_feature_rule(api_version: str) -> Add:
    annotations = {SYNC_OPTIONS: "SkipDryRunOnMissingResource=true", SYNC_WAVE: "2"}
    metadata = {"name": "aws-neuron", "namespace": "openshift-nfd", "annotations": annotations}
    obj = {"apiVersion": api_version, "kind": "NodeFeatureRule", "metadata": metadata, "spec": {"rules": []}}
    return Add(obj, beside="ClusterPolicy")


@rule(
    "CAP024",
    "operands-match-openshift",
    "The Neuron scheduler and the NodeFeatureRule API follow the cluster's OpenShift version",
    what=f"""A `DeviceConfig` (`k8s.aws`) sets `spec.customSchedulerImage` to the kube-scheduler of the
    cluster's `openshiftVersion` from the table in `accelcap.catalog.operators` ({SCHEDULERS}); a
    version missing from the table is a finding. A NodeFeatureRule uses the API the NFD operator of
    that version serves ({APIS}).""",
    why=f"""The Neuron operator runs a second kube-scheduler from that image; one newer than the cluster's
    API server breaks the version skew policy ({VERSION_SKEW_POLICY}) and the operator's default tracks
    the newest Kubernetes. A NodeFeatureRule in a group the cluster's NFD does not serve is refused by
    the API server, or labels nothing, so the DeviceConfig's selector matches no node.""",
    fix="""Patch `spec.customSchedulerImage` in overlays/<cluster>/inferentia/operators to the row of the
    cluster's OpenShift version (docs/catalog.md) whenever `openshiftVersion` changes, and write the
    NodeFeatureRule in the group the table names.""",
    needs_facts=True,
    failing=(
        example("no DeviceConfig scheduler for the version", *DEVICE_CONFIG, Facts(openshift_version="4.18")),
        example(
            "scheduler newer than the API server",
            *DEVICE_CONFIG,
            Set("DeviceConfig", "/spec/customSchedulerImage", NEURON_SCHEDULER_IMAGES["4.22"].image),
        ),
        example(
            "NodeFeatureRule in the group 4.20 no longer uses",
            *admitted("nfd.openshift.io", "NodeFeatureRule", "nodefeaturerules", "openshift-nfd"),
            _node_feature_rule("nfd.openshift.io/v1alpha1"),
        ),
    ),
    passing=(
        example(
            "NodeFeatureRule in the group 4.20 serves",
            *admitted("nfd.k8s-sigs.io", "NodeFeatureRule", "nodefeaturerules", "openshift-nfd"),
            _node_feature_rule("nfd.k8s-sigs.io/v1alpha1"),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    if context.facts is None:
        return
    version = context.facts.openshift_version
    wanted = NEURON_SCHEDULER_IMAGES.get(version)
    for config in context.of_kind("k8s.aws", "DeviceConfig"):
        image = config.get("spec", "customSchedulerImage")
        if image is None:
            continue  # no second scheduler (DRA mode)
        if wanted is None:
            yield Violation(
                f"no Neuron scheduler is known for OpenShift {version} (known: {', '.join(NEURON_SCHEDULER_IMAGES)}); "
                "add its row to accelcap.catalog.operators",
                config,
                "/spec/customSchedulerImage",
            )
        elif image != wanted.image:
            yield Violation(
                f"customSchedulerImage is {image}, not {wanted.image}, the kube-scheduler of Kubernetes "
                f"{wanted.kubernetes} that OpenShift {version} runs",
                config,
                "/spec/customSchedulerImage",
            )
    api = node_feature_rule_api(version)
    for group in NEURON_GROUP_OF_NFD:
        for nfr in context.of_kind(group, "NodeFeatureRule"):
            if api is None:
                yield Violation(f"no NodeFeatureRule API is known for OpenShift {version}", nfr, "/apiVersion")
            elif nfr.api_version != api.api_version:
                yield Violation(
                    f"apiVersion {nfr.api_version}: the NFD operator of OpenShift {version} serves NodeFeatureRule as "
                    f"{api.api_version}",
                    nfr,
                    "/apiVersion",
                )
