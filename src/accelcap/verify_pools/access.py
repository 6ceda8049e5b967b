"""The RBAC ``verify-pools`` needs, exactly what it calls: the reads, and the writes of
``--workload``. ``docs/verify-pools.md`` shows them as ClusterRoles (generated), and the tests
run the tool as a service account bound to exactly these rules.

Discovery (``/api``, ``/apis``) needs no rule: every authenticated user has it
(``system:discovery``).
"""

from __future__ import annotations

import typing as t

import yaml

Rule = dict[str, list[str]]

#: Every read: one object by name (get) or a filtered list (list).
READ_RULES: tuple[Rule, ...] = (
    {"apiGroups": ["config.openshift.io"], "resources": ["infrastructures"], "verbs": ["get"]},
    {"apiGroups": ["argoproj.io"], "resources": ["applications"], "verbs": ["get"]},
    {"apiGroups": ["machine.openshift.io"], "resources": ["machinesets"], "verbs": ["get"]},
    {"apiGroups": ["machine.openshift.io"], "resources": ["machines"], "verbs": ["list"]},
    {"apiGroups": ["autoscaling.openshift.io"], "resources": ["machineautoscalers"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["list"]},
    {"apiGroups": ["nvidia.com"], "resources": ["clusterpolicies"], "verbs": ["get"]},
    {"apiGroups": ["k8s.aws"], "resources": ["deviceconfigs"], "verbs": ["get"]},
)

#: ``--workload``: the validation namespaces must exist, and in them one pod is created,
#: watched, its log read, and deleted (bind it in those namespaces only).
WORKLOAD_RULES: tuple[Rule, ...] = (
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
)


def cluster_roles() -> str:
    """The two ClusterRoles as YAML, for the docs."""

    def role(name: str, rules: t.Sequence[Rule]) -> dict[str, t.Any]:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": list(rules),
        }

    documents = [role("verify-pools-reader", READ_RULES), role("verify-pools-workload", WORKLOAD_RULES)]
    return yaml.safe_dump_all(documents, sort_keys=False)
