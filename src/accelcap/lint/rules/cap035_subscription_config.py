"""CAP035: Subscriptions configure the operator only as the catalog allows: no volumes, no image overrides."""

from __future__ import annotations

import re
import typing as t

from ...catalog.operators import INSTALL_PLAN_APPROVALS, SUBSCRIPTION_CONFIG_KEYS
from ..context import LintContext
from ..examples import Set, example
from ..rule import Violation, rule
from .cap034_operand_images import LOADER_ENV

SUBSCRIPTION = "gpu-operator-certified"
#: An env variable that overrides an image the operator deploys (``RELATED_IMAGE_*``,
#: ``*_IMAGE``): operators read their operand images from such variables.
IMAGE_ENV = re.compile(r"(^RELATED_IMAGE_|_IMAGE$|^IMAGE$)")
#: Proxy settings would send the operator's traffic (registry pulls included) elsewhere.
PROXY_ENV = re.compile(r"^(HTTPS?_PROXY|NO_PROXY|ALL_PROXY)$", re.IGNORECASE)


@rule(
    "CAP035",
    "subscription-config",
    "Subscriptions configure operators only as the catalog allows",
    what=f"""Each Subscription's `installPlanApproval` is one of {", ".join(sorted(INSTALL_PLAN_APPROVALS))}, and
    its `spec.config` sets only {", ".join(f"`{k}`" for k in sorted(SUBSCRIPTION_CONFIG_KEYS))}
    (accelcap.catalog.operators): no `volumes`, `volumeMounts`, `envFrom` or `selector`, and no `env`
    variable that overrides an operand image (`*_IMAGE`, `RELATED_IMAGE_*`), loads code
    (`LD_*`) or routes traffic (`*_PROXY`). The (package, catalog source) pair is CAP023's.""",
    why="""OLM copies `spec.config` into the operator's Deployment, which runs with cluster-wide rights:
    a `hostPath: /` volume hands it the node, an `*_IMAGE` variable makes it deploy the attacker's
    operand image as a privileged DaemonSet on every GPU node.""",
    fix="""Remove the field; an operand setting belongs in the operator's custom resource (ClusterPolicy,
    DeviceConfig), where CAP034 judges its images.""",
    guard=True,
    failing=(
        example("hostPath volume", Set("Subscription", "/spec/config",
                                       {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}, name=SUBSCRIPTION)),
        example("operand image override", Set("Subscription", "/spec/config",
                                              {"env": [{"name": "DRIVER_IMAGE", "value": "quay.io/x/driver:1"}]},
                                              name=SUBSCRIPTION)),
        example("install plan approval not in the allowlist",
                Set("Subscription", "/spec/installPlanApproval", "Always", name=SUBSCRIPTION)),
    ),
    passing=(
        example("operator on infra nodes", Set("Subscription", "/spec/config",
                                               {"nodeSelector": {"node-role.kubernetes.io/infra": ""}},
                                               name=SUBSCRIPTION)),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    for subscription in context.of_kind("operators.coreos.com", "Subscription"):
        approval = subscription.get("spec", "installPlanApproval")
        if approval is not None and approval not in INSTALL_PLAN_APPROVALS:
            yield Violation(
                f"installPlanApproval {approval!r} is not one of {', '.join(sorted(INSTALL_PLAN_APPROVALS))}",
                subscription,
                "/spec/installPlanApproval",
            )
        config = subscription.get("spec", "config")
        if config is None:
            continue
        if not isinstance(config, dict):
            yield Violation("spec.config is not a mapping", subscription, "/spec/config")
            continue
        for key in sorted(set(config) - SUBSCRIPTION_CONFIG_KEYS):
            yield Violation(
                f"spec.config.{key} is not allowed (only {', '.join(sorted(SUBSCRIPTION_CONFIG_KEYS))})",
                subscription,
                f"/spec/config/{key}",
            )
        env = config.get("env")
        for index, variable in enumerate(env if isinstance(env, list) else []):
            name = variable.get("name") if isinstance(variable, dict) else None
            if not isinstance(name, str):
                continue
            if IMAGE_ENV.search(name) or LOADER_ENV.match(name) or PROXY_ENV.match(name):
                yield Violation(
                    f"spec.config.env {name} would override what the operator deploys or loads",
                    subscription,
                    f"/spec/config/env/{index}",
                )
