"""Lint against Argo CD: mutants of prod that a rule modelling Argo CD refuses, synced by the real
controller. Lint and Argo CD must agree (both refuse, Argo CD with the condition or operation
message the rule predicts); a disagreement fails naming the rule.

Covered: CAP018 (AppProject admission), CAP019 (the controller's RBAC) and CAP022 (boot-image
ignoreDifferences: Argo CD reverts the MCO). Not yet: CAP020 and the fence's guard rules
(docs/validate.md says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from argocd_world import ArgoCDWorld, GitRepository, World, status_of

from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.model import render_model

#: A kind no AppProject of the bootstrap admits (ConfigMap is admitted: the priority expander).
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: not-in-the-project
  namespace: nvidia-gpu-operator
spec:
  ports:
    - port: 8080
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
            (repository.path / "base/operators/gpu-operator/service.yaml").write_text(SERVICE)
            repository.edit(
                "base/operators/gpu-operator/kustomization.yaml", "resources:\n", "resources:\n  - service.yaml\n"
            )
        elif self.rule == "CAP019":
            repository.edit("base/bootstrap/controller-rbac.yaml", NFD_RULE, "")
        repository.commit(f"mutant: {self.description}")


MUTANTS = (
    Mutant("CAP018", "prod-operators syncs a Service its project does not admit", ("not permitted in project",)),
    Mutant("CAP019", "the bootstrap's ClusterRole lacks NodeFeatureDiscovery", ("forbidden", "nodefeaturediscoveries")),
)


def lint_codes(repository: GitRepository) -> set[str]:
    overlay = render_model(repository.path / "overlays" / "prod", load_settings(repository.path))
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


def test_cap022_without_the_boot_image_ignores_argocd_reverts_the_mco(argocd_world: World) -> None:
    """CAP022: without components/boot-images, lint refuses; Argo CD (self-heal) reverts the AMI
    the MCO writes, which is what the rule predicts."""
    with argocd_world(operand_delay=1.0) as (world, _):
        world.repository.edit("overlays/prod/apps/kustomization.yaml", "  - ../../../components/boot-images", "")
        world.repository.commit("mutant: no boot-image ignoreDifferences")
        assert "CAP022" in lint_codes(world.repository), "CAP022: lint does not refuse the missing boot-image ignores"
        world.bootstrap()
        pool, namespace = "prod-x7k2p-gpu-us-west-2a", "openshift-machine-api"
        world.wait_for(
            "prod-capacity Synced", lambda: status_of(world.application("prod-capacity"))[0] == "Synced", 300
        )
        machineset = world.get("machine.openshift.io/v1beta1", "MachineSet", pool, namespace) or {}
        provider = machineset["spec"]["template"]["spec"]["providerSpec"]["value"]
        git_ami = provider["ami"]
        provider["ami"] = {"id": "ami-0123456789abcdef0"}
        world.server.apply(
            {"apiVersion": "machine.openshift.io/v1beta1", "kind": "MachineSet",
             "metadata": {"name": pool, "namespace": namespace},
             "spec": {"template": {"spec": {"providerSpec": {"value": provider}}}}}
        )  # fmt: skip

        def reverted() -> bool:
            live = world.get("machine.openshift.io/v1beta1", "MachineSet", pool, namespace) or {}
            return bool(live["spec"]["template"]["spec"]["providerSpec"]["value"].get("ami") == git_ami)

        world.wait_for("CAP022: Argo CD reverts the MCO's AMI (lint predicts it)", reverted, 180)
