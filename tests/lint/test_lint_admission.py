"""Would it sync? Each of the four defects OpenShift GitOps would refuse, and each admission
rule, mutated into the real repository files (a copy), fails with exactly its rule ID.

The rules' own examples (test_lint_rules) change the rendered objects; these change the
manifests a platform engineer edits, so the render layer (Application following, components)
is part of what is tested.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.lint import cli as lint_cli
from accelcap.lint.engine import lint_overlay
from accelcap.model import render_model
from accelcap.render import RenderedOverlay
from accelcap.validate import cli as validate_cli
from support import codes, enable_inferentia, run_in_process


def render(root: Path) -> RenderedOverlay:
    return render_model(root / "overlays" / "prod", load_settings(root), allow_remote=True)


def edit(root: Path, relative: str, old: str, new: str) -> None:
    file = root / relative
    text = file.read_text()
    assert old in text, f"{relative} no longer contains {old!r}; the mutation needs updating"
    file.write_text(text.replace(old, new, 1))


def add_resource(root: Path, build: str, name: str, manifest: str) -> None:
    """A file ``name`` with ``manifest`` listed under ``resources:`` of ``build``."""
    (root / build / name).write_text(textwrap.dedent(manifest))
    edit(root, f"{build}/kustomization.yaml", "resources:\n", f"resources:\n  - {name}\n")


def lint_codes(root: Path) -> set[str]:
    return codes(f for f in lint_overlay(render(root)) if f.fails)


def test_with_inferentia_on_it_lints_and_validates_clean(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    assert lint_overlay(render(repo_copy)) == []
    result = run_in_process(validate_cli)
    assert result.code == 0, result.out + result.err


# --- the four defects --------------------------------------------------------------------


def test_defect_1_application_without_destination_namespace(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "base/argocd/application-capacity.yaml",
        "    server: https://kubernetes.default.svc\n    namespace: openshift-machine-api\n",
        "    server: https://kubernetes.default.svc\n",
    )
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP018"}
    assert any("namespace (empty)" in f.message for f in findings)


def test_defect_2_no_controller_rbac_in_the_bootstrap(repo_copy: Path) -> None:
    edit(repo_copy, "base/bootstrap/kustomization.yaml", "  - controller-rbac.yaml\n", "")
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP019"}
    denied = {f.object.split("/")[0] for f in findings if f.object}
    assert {"ClusterAutoscaler", "MachineAutoscaler", "ClusterPolicy", "NodeFeatureDiscovery"} <= denied


def test_defect_2_with_inferentia_its_kinds_need_rbac_too(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    edit(
        repo_copy, "components/inferentia/kustomization.yaml", "      kind: ClusterRole\n", "      kind: ClusterRoleX\n"
    )
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP019"}
    assert {f.object.split("/")[0] for f in findings if f.object} == {"NodeFeatureRule", "DeviceConfig"}


def test_defect_3_boot_image_drift(repo_copy: Path) -> None:
    edit(repo_copy, "overlays/prod/apps/kustomization.yaml", "  - ../../../components/boot-images\n", "")
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP022"}
    assert [f.object for f in findings] == [
        "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a",
        "MachineSet/openshift-machine-api/prod-x7k2p-gpu-us-west-2a-ondemand",  # the On-Demand fallback
    ]


def test_defect_3_below_4_19_nothing_to_ignore(repo_copy: Path) -> None:
    edit(repo_copy, "overlays/prod/apps/kustomization.yaml", "  - ../../../components/boot-images\n", "")
    edit(repo_copy, "overlays/prod/facts/cluster.yaml", 'openshiftVersion: "4.20"', 'openshiftVersion: "4.18"')
    assert lint_overlay(render(repo_copy)) == []


def test_defect_4_waves_on_applications_the_bootstrap_applies(repo_copy: Path) -> None:
    """The old layout: `oc apply -k overlays/prod` created the Applications, no parent synced them."""
    edit(repo_copy, "base/bootstrap/kustomization.yaml", "  - application-root.yaml\n", "")
    edit(
        repo_copy,
        "overlays/prod/kustomization.yaml",
        "  - ../../base/bootstrap\ncomponents:\n",
        "  - ../../base/bootstrap\n  - ../../base/argocd\ncomponents:\n"
        "  - ../../components/autoscaling/argocd\n  - ../../components/boot-images\n",
    )
    findings = lint_overlay(render(repo_copy))
    assert codes(findings) == {"CAP020"}
    assert {f.object for f in findings} == {
        "Application/openshift-gitops/prod-capacity",
        "Application/openshift-gitops/prod-operators",
    }


def test_defect_4_no_application_health_check(repo_copy: Path) -> None:
    edit(repo_copy, "base/bootstrap/kustomization.yaml", "  - argocd-application-health.yaml\n", "")
    # No instance health checks at all: no Application check (CAP020), none for the operator kinds (CAP040).
    assert lint_codes(repo_copy) == {"CAP020", "CAP040"}


# --- each new rule, on the real files ------------------------------------------------------

CLUSTER_ROLE_BINDING = """\
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: pools-admin
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cluster-admin
    subjects:
      - kind: Group
        name: system:authenticated
        apiGroup: rbac.authorization.k8s.io
"""
KUBE_SYSTEM_OBJECT = """\
    apiVersion: operators.coreos.com/v1
    kind: OperatorGroup
    metadata:
      name: sneaky
      namespace: kube-system
    spec: {}
"""


@pytest.mark.parametrize(
    ("name", "manifest"),
    [("crb.yaml", CLUSTER_ROLE_BINDING), ("kube-system.yaml", KUBE_SYSTEM_OBJECT)],
    ids=["ClusterRoleBinding", "kube-system object"],
)
def test_cap018_objects_slipped_into_the_capacity_build(repo_copy: Path, name: str, manifest: str) -> None:
    add_resource(repo_copy, "overlays/prod/capacity", name, manifest)
    assert lint_codes(repo_copy) == {"CAP018"}


def test_cap019_a_grant_no_application_needs(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "base/bootstrap/controller-rbac.yaml",
        "      - clusterpolicies\n",
        "      - clusterpolicies\n      - nvidiadrivers\n",
    )
    assert lint_codes(repo_copy) == {"CAP019"}


def test_cap021_remote_base_is_not_fetched_and_fails(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "overlays/prod/capacity/kustomization.yaml",
        "  - gpu-us-west-2a\n",
        "  - gpu-us-west-2a\n  - https://github.com/example/pools//gpu?ref=main\n",
    )
    rendered = render(repo_copy)
    assert [r.value for r in rendered.remote_references] == ["https://github.com/example/pools//gpu?ref=main"]
    findings = lint_overlay(rendered)
    assert codes(findings) == {"CAP021"}
    assert findings[0].file == "overlays/prod/capacity/kustomization.yaml"
    lint = run_in_process(lint_cli, "--format", "json")
    assert lint.code == 1 and [f["code"] for f in json.loads(lint.out)["findings"]] == ["CAP021"]
    # Every other tool refuses the build as bad input instead of fetching it.
    validate = run_in_process(validate_cli)
    assert validate.code == 2 and "overlays/prod/capacity/kustomization.yaml" in validate.err
    assert "CAP021" in validate.err


def test_cap023_public_ip_on_a_pool(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "overlays/prod/capacity/gpu-us-west-2a/kustomization.yaml",
        "components:\n",
        "patches:\n  - target: {kind: MachineSet}\n    patch: |-\n"
        "      - {op: add, path: /spec/template/spec/providerSpec/value/publicIp, value: true}\ncomponents:\n",
    )
    assert lint_codes(repo_copy) == {"CAP023"}


def test_cap024_neuron_scheduler_newer_than_the_api_server(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    edit(
        repo_copy, "overlays/prod/inferentia/operators/kustomization.yaml", "v1.33.7-eks-1-33-23", "v1.35.5-eks-1-35-10"
    )
    assert lint_codes(repo_copy) == {"CAP024"}


def test_cap024_node_feature_rule_in_the_old_group(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    edit(
        repo_copy,
        "base/instances/aws-neuron/nodefeaturerule.yaml",
        "apiVersion: nfd.k8s-sigs.io/v1alpha1",
        "apiVersion: nfd.openshift.io/v1alpha1",
    )
    edit(repo_copy, "components/inferentia/kustomization.yaml", "group: nfd.k8s-sigs.io\n", "group: nfd.openshift.io\n")
    edit(repo_copy, "components/inferentia/kustomization.yaml", "- nfd.k8s-sigs.io\n", "- nfd.openshift.io\n")
    assert lint_codes(repo_copy) == {"CAP024"}


def test_settings_that_do_nothing_are_gone(prod_render: RenderedOverlay) -> None:
    for document in prod_render.documents:
        if document.kind == "Application":
            assert "PruneLast=true" not in (document.get("spec", "syncPolicy", "syncOptions") or [])
        if document.kind == "NodeFeatureDiscovery":
            assert "servicePort" not in (document.get("spec", "operand") or {})
