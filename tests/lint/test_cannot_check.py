"""The "cannot check" level: visible in every format, failing only where the rule's safety
depends on it. And the false findings real manifests showed (stable channel, default
tolerations, subnets by ID) are gone."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest

from accelcap.lint import cli as lint_cli
from accelcap.lint.engine import lint_overlay
from accelcap.lint.examples import Add, Example, apply
from accelcap.lint.rule import all_rules
from accelcap.render import Document, RenderedOverlay
from accelcap.report import CANNOT_CHECK, Finding, report
from accelcap.yamlload import load_file
from support import PROD_POOL, one, run_in_process, shared_dir

PROVIDER = ("spec", "template", "spec", "providerSpec", "value")
CORPUS = "corpus/realworld/valid"


def corpus(name: str) -> dict[str, object]:
    (document,) = load_file(shared_dir() / CORPUS / name)
    return document  # type: ignore[no-any-return]


def ordinary_machineset(prod: RenderedOverlay, subnet: dict[str, object]) -> dict[str, object]:
    """prod's pool turned into an ordinary (no accelerator) one, with ``subnet``."""
    obj = copy.deepcopy(one(prod, "MachineSet", PROD_POOL).obj)
    provider = obj["spec"]["template"]["spec"]["providerSpec"]["value"]
    provider["instanceType"] = "m6i.xlarge"
    provider["subnet"] = subnet
    obj["spec"]["template"]["spec"].pop("taints")
    obj["spec"]["template"]["spec"]["metadata"] = {}
    return obj


def test_subnet_by_id_is_reported_and_does_not_fail(prod_render: RenderedOverlay, tmp_path: Path) -> None:
    # Without facts: with them, CAP009 compares the subnet with the workers' own (spec.subnets).
    file = tmp_path / "pool.yaml"
    file.write_text(json.dumps(ordinary_machineset(prod_render, {"id": "subnet-0da4f60eed8e71c53"})))
    result = run_in_process(lint_cli, str(file), "--rule", "CAP009", "--format", "json")
    assert result.code == 0, result.out + result.err
    report_ = json.loads(result.out)
    (finding,) = report_["findings"]
    assert (finding["code"], finding["severity"], finding["blocking"]) == ("CAP009", CANNOT_CHECK, False)
    assert report_["ok"] is True
    text = run_in_process(lint_cli, str(file), "--rule", "CAP009")
    assert text.code == 0 and "[cannot check] subnet is referenced by ID" in text.out
    assert "1 cannot check (0 blocking)" in text.out
    github = run_in_process(lint_cli, str(file), "--rule", "CAP009", "--format", "github")
    assert github.out.startswith("::warning ") and "title=lint CAP009 (cannot check)" in github.out
    assert "[cannot check] subnet is referenced by ID" in github.out


def test_security_group_by_id_is_cannot_check(prod: RenderedOverlay) -> None:
    # Without facts: with them, CAP031 compares the security groups with the workers' own.
    machineset = one(prod, "MachineSet", PROD_POOL)
    provider = machineset.get(*PROVIDER)
    provider["securityGroups"] = [{"id": "sg-0123456789abcdef0"}]
    prod.facts = None
    findings = lint_overlay(prod, [rule for rule in all_rules() if rule.id == "CAP007"])
    assert [(f.code, f.severity, f.blocking, f.fails) for f in findings] == [("CAP007", CANNOT_CHECK, False, False)]


def test_a_blocking_cannot_check_fails_in_every_format() -> None:
    findings = [
        Finding(
            "CAP017", "channel stable ...", "overlays/prod", "Subscription/x/y", severity=CANNOT_CHECK, blocking=True
        )
    ]
    out = io.StringIO()
    report("text", "lint", findings, {}, out)
    assert "[cannot check, blocking]" in out.getvalue() and "1 cannot check (1 blocking)" in out.getvalue()
    out = io.StringIO()
    report("json", "lint", findings, {}, out)
    assert json.loads(out.getvalue())["ok"] is False
    out = io.StringIO()
    report("github", "lint", findings, {}, out)
    assert out.getvalue().startswith("::error ") and "[cannot check, blocking] channel stable" in out.getvalue()


# --- false findings that real manifests showed --------------------------------------------------


def test_stable_is_a_real_gpu_operator_channel(tmp_path: Path) -> None:
    """gitops-catalog subscribes to stable: no "unknown channel", but cannot check (blocking)."""
    source = shared_dir() / CORPUS / "gitops-catalog-gpu-subscription-stable.yaml"
    result = run_in_process(lint_cli, str(source), "--cluster", "prod", "--format", "json")
    (finding,) = json.loads(result.out)["findings"]
    assert finding["code"] == "CAP017" and finding["severity"] == CANNOT_CHECK and finding["blocking"] is True
    assert "unknown" not in finding["message"] and "stable" in finding["message"]
    assert result.code == 1


@pytest.mark.parametrize(
    "name",
    [
        "gpu-operator-sample-clusterpolicy.yaml",
        "ai-accelerator-clusterpolicy-base.yaml",
        "release-build10-clusterpolicy.yaml",
        "gpu-operator-bundle-alm-example-clusterpolicy.yaml",
    ],
)
def test_a_clusterpolicy_without_tolerations_keeps_the_defaults(prod: RenderedOverlay, name: str) -> None:
    """Real ClusterPolicies set no spec.daemonsets.tolerations: the operator's defaults tolerate the
    prod pool's nvidia.com/gpu taint, so CAP010 has nothing to say."""
    policy = one(prod, "ClusterPolicy")
    real = corpus(name)
    assert not (real.get("spec") or {}).get("daemonsets", {}).get("tolerations")  # type: ignore[union-attr]
    prod.documents[prod.documents.index(policy)] = Document(
        real, policy.overlay, policy.rendered_from, policy.application, policy.source
    )
    assert "CAP010" not in {f.code for f in lint_overlay(prod)}


def test_a_namespace_on_a_kind_of_unknown_scope_is_cannot_check(prod: RenderedOverlay) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}
    apply(Example("", (Add(widget, beside="ClusterPolicy"),)), prod)
    findings = [f for f in lint_overlay(prod) if f.code == "CAP012"]
    assert [(f.object, f.severity, f.blocking) for f in findings] == [("Widget/default/w", CANNOT_CHECK, False)]
