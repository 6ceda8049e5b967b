"""Each discovered rule against the real prod render: clean as it is, firing exactly its own
ID after each of its failing examples, clean after each of its passing examples. The
examples are declared with the rule (``accelcap.lint.examples``)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from accelcap.lint import rule as rule_module
from accelcap.lint.engine import lint_overlay
from accelcap.lint.examples import CAPACITY_APPLICATION, PROVIDER, Example, Remove, Set, annotation, apply
from accelcap.lint.rule import Rule, RuleDefinitionError, all_rules
from accelcap.render import RenderedOverlay
from support import PROD_POOL, codes, one

RULES = all_rules()
FAILING = [(rule, example) for rule in RULES for example in rule.failing]
PASSING = [(rule, example) for rule in RULES for example in rule.passing]
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


def test_discovery_refuses_a_rule_module_without_its_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One module, one rule: a module of the rules package that defines none stops discovery
    (so no rule module can be left out silently)."""
    package = tmp_path / "accelcap_test_rules"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "cap999_forgotten.py").write_text('"""A rule module whose rule was never written."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(rule_module, "RULES_PACKAGE", package.name)
    with pytest.raises(RuleDefinitionError, match="cap999_forgotten defines 0 rules"):
        rule_module._discover.__wrapped__()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_has_text_and_failing_examples(rule: Rule) -> None:
    assert rule.title and rule.what and rule.why and rule.fix, rule.id
    assert rule.failing, f"{rule.id} declares no failing example (failing=...)"


def test_prod_lints_clean(prod_render: RenderedOverlay) -> None:
    assert lint_overlay(prod_render) == []


@pytest.mark.parametrize(("rule", "example"), FAILING, ids=[f"{r.id}-{e.description}" for r, e in FAILING])
def test_failing_example_fires_exactly_its_rule(prod: RenderedOverlay, rule: Rule, example: Example) -> None:
    apply(example, prod)
    findings = lint_overlay(prod)
    assert codes(findings) == {rule.id}, "\n".join(f"{f.code} {f.object} {f.message}" for f in findings)


@pytest.mark.parametrize(("rule", "example"), PASSING, ids=[f"{r.id}-{e.description}" for r, e in PASSING])
def test_passing_example_stays_clean(prod: RenderedOverlay, rule: Rule, example: Example) -> None:
    apply(example, prod)
    assert lint_overlay(prod) == []


def test_findings_name_rule_object_overlay_and_source(prod: RenderedOverlay) -> None:
    apply(Example("", (Remove("MachineSet", "/spec/replicas", PROD_POOL),)), prod)
    [finding] = lint_overlay(prod)
    assert finding.code == "CAP003"
    assert finding.overlay == "overlays/prod"
    assert finding.object == one(prod, "MachineSet", PROD_POOL).ref
    assert finding.file == "base/pools/gpu/kustomization.yaml" and finding.line
    assert finding.path == "/spec/replicas"


def ignore(rule_id: str, reason: str) -> Set:
    return Set("MachineSet", annotation(f"lint.accel-capacity.io/ignore-{rule_id}"), reason, PROD_POOL)


def test_ignore_annotation_with_reason_silences(prod: RenderedOverlay) -> None:
    apply(
        Example("", (Remove("MachineSet", "/spec/replicas", PROD_POOL), ignore("CAP003", "replicas set by hand"))), prod
    )
    assert lint_overlay(prod) == []


def test_ignore_annotation_without_reason_does_not_silence(prod: RenderedOverlay) -> None:
    apply(Example("", (Remove("MachineSet", "/spec/replicas", PROD_POOL), ignore("CAP003", ""))), prod)
    assert codes(lint_overlay(prod)) == {"CAP003", "CAP101"}


def test_ignore_annotation_applies_to_its_object_only(prod: RenderedOverlay) -> None:
    """Silencing CAP001 on the MachineSet does not silence it on another one."""
    gpu = one(prod, "MachineSet", PROD_POOL)
    twin = copy.deepcopy(gpu)
    twin.obj["metadata"]["name"] = gpu.name.replace("-gpu-", "-gpu2-")
    del twin.obj["metadata"]["annotations"]["accel-capacity.io/pool"]  # written by hand, not from a pool.yaml
    for labels in (twin.obj["spec"]["selector"]["matchLabels"], twin.obj["spec"]["template"]["metadata"]["labels"]):
        labels["machine.openshift.io/cluster-api-machineset"] = twin.obj["metadata"]["name"]
    prod.documents.append(twin)
    for document in (gpu, twin):
        document.obj["metadata"]["annotations"].pop(SYNC_OPTIONS)
    apply(Example("", (ignore("CAP001", "being retired by hand"),)), prod)
    findings = lint_overlay(prod)
    assert [(f.code, f.object) for f in findings] == [("CAP001", twin.ref)]


def test_pool_kind_comes_from_instance_type_not_labels(prod: RenderedOverlay) -> None:
    """Stripping every label and taint does not make a g5 MachineSet look ordinary."""
    changes = (
        Remove("MachineSet", "/spec/template/spec/taints"),
        Set("MachineSet", "/spec/template/spec/metadata", {}),
    )
    apply(Example("", changes), prod)
    assert {"CAP005"} <= codes(lint_overlay(prod))


def test_ordinary_pool_needs_no_gpu_taint(prod: RenderedOverlay) -> None:
    changes = (
        Set("MachineSet", f"{PROVIDER}/instanceType", "m6i.xlarge"),
        Remove("MachineSet", "/spec/template/spec/taints"),
    )
    apply(Example("", changes), prod)
    # The accelerator label and ClusterAutoscaler gpus entry now refer to no GPU pool.
    assert "CAP005" not in codes(lint_overlay(prod))


def test_empty_sources_means_source_to_argo_cd_and_to_the_rules(prod: RenderedOverlay) -> None:
    # Argo CD uses spec.source when spec.sources is empty; the rules must check that source.
    moved = "https://example.com/elsewhere/{cluster}.git"
    apply(
        Example(
            "",
            (
                Set("Application", "/spec/sources", [], name=CAPACITY_APPLICATION),
                Set("Application", "/spec/source/repoURL", moved, name=CAPACITY_APPLICATION),
                Set("Application", "/spec/source/path", "overlays/CLUSTER/capacity", name=CAPACITY_APPLICATION),
            ),
        ),
        prod,
    )
    findings = lint_overlay(prod)
    assert [(f.code, f.path) for f in findings if f.code == "CAP018"] == [("CAP018", "/spec/source/repoURL")]
    assert [f.message for f in findings if f.code == "CAP007"] == ["placeholder CLUSTER survived rendering"]
