"""CAP016: a NodeFeatureDiscovery sets neither operand.image nor customConfig."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, rule


@rule(
    "CAP016",
    "nfd-no-image-customconfig",
    "NodeFeatureDiscovery leaves the image to the operator",
    what="A NodeFeatureDiscovery (`nfd.openshift.io`) sets neither `spec.operand.image` nor `spec.customConfig`.",
    why="""With no image the operator runs the operand that matches its own version; pinned images
    (`:latest`, or names the 4.17 rename broke) crash-looped. `customConfig` was removed from the CRD
    and makes every Argo CD sync fail.""",
    fix="""Delete `spec.operand.image` and `spec.customConfig`; put worker settings in
    `spec.workerConfig.configData`.""",
    failing=(
        example(
            "operand image",
            Set(
                "NodeFeatureDiscovery",
                "/spec/operand",
                {"image": "registry.redhat.io/openshift4/ose-node-feature-discovery-rhel9@sha256:" + "0" * 64},
            ),
        ),
        example("customConfig", Set("NodeFeatureDiscovery", "/spec/customConfig", {"configMapName": "x"})),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for nfd in context.of_kind("nfd.openshift.io", "NodeFeatureDiscovery"):
        if nfd.get("spec", "operand", "image") is not None:
            yield Violation(
                "sets spec.operand.image; let the operator choose the operand image", nfd, "/spec/operand/image"
            )
        if nfd.get("spec", "customConfig") is not None:
            yield Violation("sets spec.customConfig, which the CRD no longer has", nfd, "/spec/customConfig")
