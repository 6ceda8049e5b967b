"""Inferentia is off in prod and one uncommented line turns it on."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelcap.catalog.instance_types import Accelerator
from accelcap.config import load_settings
from accelcap.model import find_machinesets, render_model
from accelcap.render import RenderedOverlay
from support import REPO, enable_inferentia, one


def render(root: Path) -> RenderedOverlay:
    return render_model(root / "overlays" / "prod", load_settings(root))


def test_off_by_default(repo_copy: Path) -> None:
    rendered = render(repo_copy)
    assert {p.accelerator for p in find_machinesets(rendered.documents)} == {Accelerator.NVIDIA_GPU}
    assert not rendered.of_kind("DeviceConfig", "NodeFeatureRule")
    assert {d.name for d in rendered.of_kind("Pod")} == {"cuda-vectoradd"}


def test_one_line_turns_it_on(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    rendered = render(repo_copy)
    apps = {f.application.name: f for f in rendered.applications if f.application.name != "prod-root"}
    assert set(apps) == {"prod-capacity", "prod-operators", "prod-neuron-operators", "prod-inferentia-capacity"}
    # The root Application syncs the Inferentia Applications through a second source.
    root_paths = [f.path for f in rendered.applications if f.application.name == "prod-root"]
    assert root_paths == ["overlays/prod/apps", "overlays/prod/inferentia/apps"]
    assert {apps[name].parent for name in ("prod-neuron-operators", "prod-inferentia-capacity")} == {"prod-root"}
    (neuron_pool,) = [p for p in find_machinesets(rendered.documents) if p.accelerator is Accelerator.NEURON]
    assert neuron_pool.machineset.application == "prod-inferentia-capacity"
    assert neuron_pool.name == "prod-x7k2p-inferentia-us-west-2a"
    assert (neuron_pool.instance_type, neuron_pool.market, neuron_pool.replicas) == ("inf2.xlarge", "spot", 0)
    labels = neuron_pool.machineset.get("spec", "template", "metadata", "labels")
    assert labels["machine.openshift.io/cluster-api-machine-role"] == "inferentia"
    assert neuron_pool.node_labels == {"node-role.kubernetes.io/inferentia": ""}
    # The DeviceConfig cannot tolerate a hard taint: the pool only prefers to repel.
    assert neuron_pool.taints == [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "PreferNoSchedule"}]
    assert "Prune=false" in neuron_pool.machineset.annotations["argocd.argoproj.io/sync-options"]

    neuron_kinds = {d.kind for d in apps["prod-neuron-operators"].documents}
    assert {"Subscription", "NodeFeatureRule", "DeviceConfig"} <= neuron_kinds
    subscriptions = {d.name: d for d in apps["prod-neuron-operators"].documents if d.kind == "Subscription"}
    assert set(subscriptions) == {"kernel-module-management", "aws-neuron-operator"}
    assert subscriptions["aws-neuron-operator"].get("spec", "source") == "community-operators"
    for cr in rendered.of_kind("DeviceConfig", "NodeFeatureRule"):
        assert "SkipDryRunOnMissingResource=true" in cr.annotations["argocd.argoproj.io/sync-options"]
        assert int(cr.annotations["argocd.argoproj.io/sync-wave"]) > max(
            int(s.annotations["argocd.argoproj.io/sync-wave"]) for s in subscriptions.values()
        )
    for image_field in ("driversImage", "devicePluginImage", "nodeMetricsImage"):
        image = rendered.of_kind("DeviceConfig")[0].get("spec", image_field)
        assert ":" in image and not image.endswith(":latest")

    (pod,) = [d for d in rendered.of_kind("Pod") if d.name == "neuron-ls"]
    assert pod.application is None and pod.rendered_from == "overlays/prod/inferentia/validation"
    assert pod.get("spec", "containers", 0, "resources", "limits") == {"aws.amazon.com/neuron": 1}

    project = one(rendered, "AppProject", "accelerator-capacity")
    assert {"group": "k8s.aws", "kind": "DeviceConfig"} in project.get("spec", "namespaceResourceWhitelist")
    role = one(rendered, "ClusterRole", "accelerator-capacity-argocd-sync")
    assert {("k8s.aws", "deviceconfigs"), ("nfd.k8s-sigs.io", "nodefeaturerules")} <= {
        (rule["apiGroups"][0], resource) for rule in role.get("rules") for resource in rule["resources"]
    }


def test_prod_project_stays_least_privilege(repo_copy: Path) -> None:
    rendered = render(repo_copy)
    project = one(rendered, "AppProject", "accelerator-capacity")
    kinds = {entry["kind"] for entry in project.get("spec", "namespaceResourceWhitelist")}
    assert "DeviceConfig" not in kinds and "NodeFeatureRule" not in kinds
    role = one(rendered, "ClusterRole", "accelerator-capacity-argocd-sync")
    assert not {"k8s.aws", "nfd.k8s-sigs.io"} & {group for rule in role.get("rules") for group in rule["apiGroups"]}


def planned_rows(root: Path) -> dict[tuple[str, str], tuple[int, list[str]]]:
    import json
    import os
    import subprocess

    result = subprocess.run(
        [str(REPO / "tools" / "verify-quotas"), "prod", "--plan", "--format", "json"],
        capture_output=True, text=True, env={**os.environ, "ACCELCAP_REPO": str(root)}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["summary"]["rows"]
    return {(r["class"], r["market"]): (r["planned"], r["pools"]) for r in rows}


@pytest.mark.slow
def test_quota_plan_shows_inf_only_when_on(repo_copy: Path) -> None:
    assert set(planned_rows(repo_copy)) == {("G", "spot"), ("G", "on-demand")}  # the GPU pool and its fallback
    enable_inferentia(repo_copy)
    rows = planned_rows(repo_copy)
    assert rows[("Inf", "spot")] == (0, ["prod-x7k2p-inferentia-us-west-2a"])  # replicas: 0 until scaled
    pool = repo_copy / "overlays" / "prod" / "inferentia" / "capacity" / "inf2-us-west-2a" / "kustomization.yaml"
    pool.write_text(
        pool.read_text() + "patches:\n  - target:\n      kind: MachineSet\n    patch: |-\n"
        "      - op: replace\n        path: /spec/replicas\n        value: 2\n"
    )
    assert planned_rows(repo_copy)[("Inf", "spot")][0] == 8  # 2 x inf2.xlarge
