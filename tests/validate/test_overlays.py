"""Every object of every overlay validates; misspelt fields fail with the right path."""

from __future__ import annotations

import json
import typing as t

import pytest

from accelcap.render import RenderedOverlay
from accelcap.validate import ValidateOptions, Validator, validate_overlay
from accelcap.validate.locations import BUILTIN_CORE, PROJECT_SCHEMAS
from support import Result, enable_inferentia, first, mutated

#: Core kinds, the pinned upstream CRDs, and the project's schemas of kinds no pinned upstream
#: file covers (docs/validate.md, exceptions: the ArgoCD instance's health check).
PINNED_ONLY = (
    BUILTIN_CORE,
    "{generated}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
    "{project}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
)
#: Kinds checked against a project schema instead of an upstream one (docs/validate.md).
PROJECT_SCHEMA_KINDS = {"argoproj.io/v1beta1 ArgoCD"}


def test_every_overlay_validates(run: t.Callable[..., Result]) -> None:
    result = run("validate", "--format", "json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["findings"] == []
    summary = report["summary"]
    assert summary["engine"] == "builtin"
    assert summary["validated"] == summary["objects"] > 0
    assert summary["facts"] == {"overlays/prod": "overlays/prod/facts/cluster.yaml"}


def test_each_custom_kind_is_checked_against_an_upstream_schema(prod: RenderedOverlay, settings: t.Any) -> None:
    validator = Validator(settings)
    outcome = validator.validate_overlay(prod)
    assert outcome.findings == [] and outcome.checked == len(prod.documents)
    for kind, source in outcome.schemas.items():
        if source.startswith("kubernetes-validate:"):
            # Kubernetes' own kinds (core, rbac): the bundled schemas of the cluster's version.
            assert prod.facts is not None
            version = prod.facts.kubernetes_version
            assert source.startswith(f"kubernetes-validate:v{version}.0-local-strict/"), (kind, source)
        elif kind in PROJECT_SCHEMA_KINDS:
            assert source.startswith(str(PROJECT_SCHEMAS)), (kind, source)
        else:  # a custom kind: a schema made from its pinned upstream file
            assert source.startswith(str(validator.generated.directory)), (kind, source)


def test_prod_validates_against_the_pinned_crds_alone(prod: RenderedOverlay, settings: t.Any) -> None:
    validator = Validator(settings, ValidateOptions(schema_locations=PINNED_ONLY))
    outcome = validator.validate_overlay(prod)
    assert outcome.findings == []
    assert outcome.checked == len(prod.documents)


def _set(path: tuple[str, ...], key: str, value: t.Any) -> t.Callable[[dict[str, t.Any]], None]:
    def change(obj: dict[str, t.Any]) -> None:
        node = obj
        for step in path:
            node = node[step]
        node[key] = value

    return change


MISSPELLINGS = [
    ("MachineSet", ("spec", "template", "spec"), "tains", [], "/spec/template/spec"),
    ("ClusterPolicy", ("spec", "driver"), "enabeld", True, "/spec/driver"),
    ("Subscription", ("spec",), "chanel", "stable", "/spec"),
    ("Application", ("spec", "syncPolicy", "automated"), "selfheal", True, "/spec/syncPolicy/automated"),
    ("MachineAutoscaler", ("spec",), "maxReplica", 3, "/spec"),
    ("Namespace", ("metadata",), "lables", {}, "/metadata"),
    ("Pod", ("spec",), "restartPolicyy", "Never", "/spec"),
]


@pytest.mark.parametrize("locations", [None, PINNED_ONLY], ids=["default-locations", "pinned-crds"])
@pytest.mark.parametrize(("kind", "parent", "key", "value", "path"), MISSPELLINGS, ids=[m[0] for m in MISSPELLINGS])
def test_a_misspelt_field_fails_with_its_path(
    prod: RenderedOverlay,
    settings: t.Any,
    locations: t.Any,
    kind: str,
    parent: tuple[str, ...],
    key: str,
    value: t.Any,
    path: str,
) -> None:
    document = mutated(first(prod, kind), _set(parent, key, value))
    validator = Validator(settings, ValidateOptions(schema_locations=locations))
    outcome = validator.validate_documents([document], "1.31")
    assert [(f.code, f.path, f.object) for f in outcome.findings] == [("schema-invalid", path, document.ref)]
    assert repr(key) in outcome.findings[0].message
    assert outcome.findings[0].overlay == "overlays/prod"


@pytest.mark.parametrize(
    ("key", "value"),
    [("instancetype", "g5.2xlarge"), ("spotMarketOption", {})],
    ids=["instancetype", "spotMarketOption"],
)
def test_a_misspelt_provider_spec_field_fails(prod: RenderedOverlay, settings: t.Any, key: str, value: t.Any) -> None:
    base = ("spec", "template", "spec", "providerSpec", "value")
    document = mutated(first(prod, "MachineSet"), _set(base, key, value))
    outcome = Validator(settings).validate_documents([document], "1.31")
    assert [(f.code, f.path) for f in outcome.findings] == [("provider-spec-invalid", "/" + "/".join(base))]
    assert repr(key) in outcome.findings[0].message


def test_provider_spec_types_and_required_fields(prod: RenderedOverlay, settings: t.Any) -> None:
    def change(obj: dict[str, t.Any]) -> None:
        value = obj["spec"]["template"]["spec"]["providerSpec"]["value"]
        del value["instanceType"]
        value["blockDevices"][0]["ebs"]["volumeSize"] = "120"
        value["kind"] = "GCPMachineProviderSpec"

    outcome = Validator(settings).validate_documents([mutated(first(prod, "MachineSet"), change)], "1.31")
    found = {(f.path, f.message.split(" ")[0]) for f in outcome.findings}
    base = "/spec/template/spec/providerSpec/value"
    assert {p for p, _ in found} == {base, f"{base}/blockDevices/0/ebs/volumeSize", f"{base}/kind"}


def test_python_api(prod: RenderedOverlay, settings: t.Any) -> None:
    assert validate_overlay(prod, settings) == []


def test_cli_reports_overlay_object_path_and_message(
    run: t.Callable[..., Result], prod: RenderedOverlay, tmp_path: t.Any
) -> None:
    document = mutated(first(prod, "Subscription"), _set(("spec",), "chanel", "stable"))
    target = tmp_path / "rendered.yaml"
    target.write_text(json.dumps(document.obj))
    result = run("validate", str(target), "--cluster", "prod")
    assert result.code == 1
    assert f"{document.ref} /spec" in result.out and "schema-invalid" in result.out and "'chanel'" in result.out
    github = run("validate", str(target), "--cluster", "prod", "--format", "github")
    assert github.code == 1 and github.out.startswith("::error ") and "title=validate schema-invalid" in github.out


def test_the_inferentia_stack_validates_too(run: t.Callable[..., Result], repo_copy: t.Any) -> None:
    """prod with its one Inferentia line on: NodeFeatureRule, DeviceConfig and the neuron pool."""
    enable_inferentia(repo_copy)
    result = run("validate", "--format", "json")
    assert result.code == 0, result.out + result.err
    schemas = json.loads(result.out)["summary"]["schemas"]
    assert {"k8s.aws/v1beta1 DeviceConfig", "nfd.k8s-sigs.io/v1alpha1 NodeFeatureRule"} <= set(schemas)


@pytest.mark.parametrize("kind", ["ClusterPolicy", "MachineAutoscaler", "NodeFeatureDiscovery", "Application"])
def test_a_misspelt_top_level_field_of_a_custom_kind_fails(prod: RenderedOverlay, settings: t.Any, kind: str) -> None:
    """CRD schemas leave their root open; the API server's strict field validation does not."""
    document = mutated(first(prod, kind), lambda obj: obj.__setitem__("specs", {}))
    outcome = Validator(settings).validate_documents([document], "1.31")
    assert [(f.code, f.path) for f in outcome.findings] == [("root-field-unknown", "/")]
    assert "'specs'" in outcome.findings[0].message


def test_a_misspelt_top_level_field_of_a_core_kind_fails(prod: RenderedOverlay, settings: t.Any) -> None:
    document = mutated(first(prod, "Pod"), lambda obj: obj.__setitem__("specs", {}))
    outcome = Validator(settings).validate_documents([document], "1.31")
    assert [(f.code, f.path) for f in outcome.findings] == [("schema-invalid", "/")]


def test_changed_files_select_the_overlays(run: t.Callable[..., Result]) -> None:
    untouched = run("validate", "--changed", "README.md", "--format", "json")
    assert untouched.code == 0 and json.loads(untouched.out)["summary"]["overlays"] == []
    touched = run("validate", "--changed", "base/machineset/machineset.yaml", "--format", "json")
    assert touched.code == 0 and json.loads(touched.out)["summary"]["overlays"] == ["overlays/prod"]
