"""Lint against Argo CD: mutants of prod that a rule modelling Argo CD refuses, synced by the real
controller. Lint and Argo CD must agree (both refuse, Argo CD with the condition or operation
message the rule predicts); a disagreement fails naming the rule.

Covered: CAP018 (AppProject admission) and CAP019 (the controller's RBAC). Not yet: CAP020,
CAP022 and the fence's guard rules (docs/validate.md says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from argocd_world import ArgoCDWorld, GitRepository, World

from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.render import render_overlay

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-in-the-project
  namespace: nvidia-gpu-operator
data:
  key: value
"""
NFD_RULE = """\
  - apiGroups:
      - nfd.openshift.io
    resources:
      - nodefeaturediscoveries
    verbs: [create, delete, get, list, patch, update, watch]
"""


@dataclass(frozen=True)
class Mutant:
    rule: str
    description: str
    #: Words of Argo CD's refusal in prod-operators' conditions or last operation message.
    refusal: tuple[str, ...]

    def apply(self, repository: GitRepository) -> None:
        if self.rule == "CAP018":
            (repository.path / "base/operators/gpu-operator/configmap.yaml").write_text(CONFIGMAP)
            repository.edit(
                "base/operators/gpu-operator/kustomization.yaml", "resources:\n", "resources:\n  - configmap.yaml\n"
            )
        elif self.rule == "CAP019":
            repository.edit("base/bootstrap/controller-rbac.yaml", NFD_RULE, "")
        repository.commit(f"mutant: {self.description}")


MUTANTS = (
    Mutant("CAP018", "prod-operators syncs a ConfigMap its project does not admit", ("not permitted in project",)),
    Mutant("CAP019", "the bootstrap's ClusterRole lacks NodeFeatureDiscovery", ("forbidden", "nodefeaturediscoveries")),
)


def lint_codes(repository: GitRepository) -> set[str]:
    overlay = render_overlay(repository.path / "overlays" / "prod", load_settings(repository.path))
    return {finding.code for finding in lint_overlay(overlay)}


def refusal_of(world: ArgoCDWorld, name: str) -> str:
    status = (world.application(name) or {}).get("status") or {}
    messages = [c.get("message", "") for c in status.get("conditions") or []]
    operation = status.get("operationState") or {}
    if operation.get("phase") in ("Failed", "Error", "Running"):
        messages.append(operation.get("message", ""))
        messages += [r.get("message", "") for r in (operation.get("syncResult") or {}).get("resources") or []]
    return "\n".join(m for m in messages if m)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.rule for m in MUTANTS])
def test_lint_and_argocd_agree(argocd_world: World, mutant: Mutant) -> None:
    with argocd_world(operand_delay=1.0) as (world, _):
        mutant.apply(world.repository)
        assert mutant.rule in lint_codes(world.repository), f"{mutant.rule}: lint does not refuse {mutant.description}"
        world.bootstrap()

        def refused() -> str | None:
            said = refusal_of(world, "prod-operators")
            return said if all(word in said for word in mutant.refusal) else None

        said = world.wait_for(
            f"{mutant.rule}: Argo CD refuses {mutant.description} (lint does), saying {mutant.refusal}", refused, 240
        )
        assert mutant.refusal[0] in said
