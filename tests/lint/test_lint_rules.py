"""Each rule against the real prod render: clean as it is, and failing with exactly its own
ID after each of its mutations (lint_mutations.py)."""

from __future__ import annotations

import copy

import pytest

from accelcap.lint.engine import lint_overlay
from accelcap.lint.rule import RULES, all_rules
from accelcap.render import RenderedOverlay

from lint_mutations import MUTATIONS, PASSING, codes, machineset, provider, set_annotation

CASES = [(rule_id, description, mutate) for rule_id, entries in MUTATIONS.items() for description, mutate in entries]


def test_prod_lints_clean(prod_render: RenderedOverlay) -> None:
    assert lint_overlay(prod_render) == []


def test_every_rule_has_a_failing_mutation() -> None:
    assert sorted(MUTATIONS) == sorted(r.id for r in all_rules())


@pytest.mark.parametrize(("rule_id", "description", "mutate"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_mutation_fires_exactly_its_rule(prod: RenderedOverlay, rule_id: str, description: str, mutate) -> None:  # type: ignore[no-untyped-def]
    mutate(prod)
    findings = lint_overlay(prod)
    assert codes(findings) == {rule_id}, "\n".join(f"{f.code} {f.object} {f.message}" for f in findings)


@pytest.mark.parametrize(("description", "mutate"), PASSING, ids=[p[0] for p in PASSING])
def test_passing_variation_stays_clean(prod: RenderedOverlay, description: str, mutate) -> None:  # type: ignore[no-untyped-def]
    mutate(prod)
    assert lint_overlay(prod) == []


def test_findings_name_rule_object_overlay_and_source(prod: RenderedOverlay) -> None:
    machineset(prod).obj["spec"].pop("replicas")
    [finding] = lint_overlay(prod)
    assert finding.code == "CAP003"
    assert finding.overlay == "overlays/prod"
    assert finding.object == f"MachineSet/openshift-machine-api/{machineset(prod).name}"
    assert finding.file and finding.file.endswith(".yaml")
    assert finding.path == "/spec/replicas"


def test_ignore_annotation_with_reason_silences(prod: RenderedOverlay) -> None:
    target = machineset(prod)
    target.obj["spec"].pop("replicas")
    set_annotation(target, "lint.accel-capacity.io/ignore-CAP003", "replicas managed by hand during the test")
    assert lint_overlay(prod) == []


def test_ignore_annotation_without_reason_does_not_silence(prod: RenderedOverlay) -> None:
    target = machineset(prod)
    target.obj["spec"].pop("replicas")
    set_annotation(target, "lint.accel-capacity.io/ignore-CAP003", "")
    assert codes(lint_overlay(prod)) == {"CAP003", "CAP101"}


def test_ignore_annotation_applies_to_its_object_only(prod: RenderedOverlay) -> None:
    """Silencing CAP001 on the MachineSet does not silence it on another one."""
    gpu = machineset(prod)
    twin = copy.deepcopy(gpu)
    twin.obj["metadata"]["name"] = gpu.name.replace("-gpu-", "-gpu2-")
    for labels in (twin.obj["spec"]["selector"]["matchLabels"], twin.obj["spec"]["template"]["metadata"]["labels"]):
        labels["machine.openshift.io/cluster-api-machineset"] = twin.obj["metadata"]["name"]
    prod.documents.append(twin)
    for document in (gpu, twin):
        document.obj["metadata"]["annotations"].pop("argocd.argoproj.io/sync-options")
    set_annotation(gpu, "lint.accel-capacity.io/ignore-CAP001", "being retired by hand")
    findings = lint_overlay(prod)
    assert [(f.code, f.object) for f in findings] == [("CAP001", twin.ref)]


def test_pool_kind_comes_from_instance_type_not_labels(prod: RenderedOverlay) -> None:
    """Stripping every label and taint does not make a g5 MachineSet look ordinary."""
    spec = machineset(prod).obj["spec"]["template"]["spec"]
    spec.pop("taints")
    spec["metadata"] = {}
    assert {"CAP005"} <= codes(lint_overlay(prod))


def test_ordinary_pool_needs_no_gpu_taint(prod: RenderedOverlay) -> None:
    target = machineset(prod)
    provider(target).update(instanceType="m6i.xlarge")
    target.obj["spec"]["template"]["spec"].pop("taints")
    # The accelerator label and ClusterAutoscaler gpus entry now refer to no GPU pool.
    assert "CAP005" not in codes(lint_overlay(prod))


def test_rules_have_documentation() -> None:
    for rule in RULES.values():
        assert rule.title and rule.what and rule.why and rule.fix, rule.id
