"""Rules never crash on objects of unexpected shape: they report, they do not raise."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from accelcap.lint.engine import lint_overlay
from accelcap.lint.examples import PROVIDER, Example, Set, apply
from accelcap.render import Document, RenderedOverlay
from support import PROD_POOL

ODD_SPECS: list[t.Any] = [
    None,
    "text",
    3,
    [],
    {"template": []},
    {"template": {"spec": {"providerSpec": {"value": []}}}},
    {"selector": {"matchLabels": []}, "replicas": True, "template": {"metadata": {"labels": "x"}}},
]
KINDS = [
    ("machine.openshift.io/v1beta1", "MachineSet"),
    ("autoscaling.openshift.io/v1beta1", "MachineAutoscaler"),
    ("autoscaling.openshift.io/v1", "ClusterAutoscaler"),
    ("nvidia.com/v1", "ClusterPolicy"),
    ("nfd.openshift.io/v1", "NodeFeatureDiscovery"),
    ("argoproj.io/v1alpha1", "Application"),
    ("k8s.aws/v1beta1", "DeviceConfig"),
    ("kmm.sigs.x-k8s.io/v1beta1", "Module"),
    ("operators.coreos.com/v1alpha1", "Subscription"),
    ("v1", "Pod"),
]


@pytest.mark.parametrize("spec", ODD_SPECS, ids=[repr(s)[:30] for s in ODD_SPECS])
def test_odd_shapes_do_not_crash(spec: t.Any) -> None:
    documents = []
    for api_version, kind in KINDS:
        metadata: dict[str, t.Any] = {
            "name": f"odd-{kind.lower()}",
            "namespace": "ns",
            "annotations": {
                "argocd.argoproj.io/sync-wave": [],
                "argocd.argoproj.io/sync-options": 7,
                "lint.accel-capacity.io/ignore-CAP001": None,
            },
        }
        documents.append(
            Document(
                {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}, "odd", "odd/validation"
            )
        )
    documents.append(
        Document({"apiVersion": "v1", "kind": "Pod", "metadata": "not a mapping"}, "odd", "odd/validation")
    )
    findings = lint_overlay(RenderedOverlay(Path("odd"), "odd", documents, []))
    assert all(f.code.startswith("CAP") for f in findings)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("blockDevices", [], "root volumeSize is None"),
        ("blockDevices", ["not a mapping"], "root volumeSize is None"),
        ("placement", "us-east-1a", "zone is None"),
    ],
)
def test_pool_yaml_rule_reports_a_provider_field_of_odd_shape(
    prod: RenderedOverlay, field: str, value: t.Any, says: str
) -> None:
    apply(Example("", (Set("MachineSet", f"{PROVIDER}/{field}", value, PROD_POOL),)), prod)
    findings = [f for f in lint_overlay(prod) if f.code == "CAP030"]
    assert [f.message.split(" but ")[0] for f in findings] == [says]
