"""CRD -> JSON schema: every pinned CRD converts, and agrees with the catalog where it has one."""

from __future__ import annotations

import hashlib
import json
import typing as t
from pathlib import Path

import jsonschema
import pytest

from accelcap.errors import InputError
from accelcap.render import RenderedOverlay
from accelcap.validate.convert import convert_crd, convert_documents
from accelcap.validate.pinned import PinnedCRD, convert_pinned, pinned_crds, pinned_schemas
from accelcap.validate.resolver import compile_schema
from support import Result, mutated, shared_dir

PINNED = pinned_crds()


def source_rows() -> dict[tuple[str, str, str], list[str]]:
    """The rows of the shared data's crds/SOURCES.txt by (repo, path, commit): one path may have
    a row per commit (Argo CD's CRDs at several tags), each copy in a directory of its own."""
    sources = (shared_dir() / "crds" / "SOURCES.txt").read_text().splitlines()
    return {
        (fields[0], fields[1], fields[2]): fields
        for fields in (line.split("\t") for line in sources if not line.startswith("#"))
        if len(fields) > 7
    }


def shared_copy(crd: PinnedCRD) -> Path:
    """The byte-exact copy of a pinned CRD in the shared test data (at its pinned commit)."""
    row = source_rows().get((crd.repo, crd.path, crd.commit))
    assert row is not None, f"no row for {crd.repo} {crd.path} at {crd.commit} in the shared crds/SOURCES.txt"
    return shared_dir() / "crds" / row[7]


def test_the_pins_match_the_sources_of_the_shared_copies() -> None:
    """Every pin names a file the shared data holds, at the commit and sha256 it records."""
    rows = source_rows()
    # Every CRD file the shared data holds is pinned, at one of the commits it holds it at (the
    # data also holds files that are no CRD, e.g. the MCO's AMI list, pinned elsewhere).
    crd_paths = {(repo, path) for repo, path, _ in rows if path.endswith(".yaml")}
    assert crd_paths <= {(crd.repo, crd.path) for crd in PINNED}
    for crd in PINNED:
        _repo, _path, commit, _last, _date, sha256, *_rest = rows[(crd.repo, crd.path, crd.commit)]
        assert (crd.commit, crd.sha256) == (commit, sha256)
        assert hashlib.sha256(shared_copy(crd).read_bytes()).hexdigest() == crd.sha256
    catalog = (shared_dir() / "schemas" / "SOURCES.txt").read_text()
    for pin in pinned_schemas():
        assert f"{pin.sha256[:16]}  {pin.path}  <=  {pin.repo}@{pin.commit}:{pin.path}" in catalog
        assert hashlib.sha256((shared_dir() / "schemas" / pin.path).read_bytes()).hexdigest() == pin.sha256


@pytest.mark.parametrize("crd", PINNED, ids=[f"{c.group}/{c.kind}" for c in PINNED])
def test_every_pinned_crd_converts(crd: t.Any, settings: t.Any) -> None:
    converted = convert_pinned(crd, settings)
    assert [(s.group, s.kind, s.version) for s in converted] == [(crd.group, crd.kind, v) for v in crd.versions]
    for schema in converted:
        compile_schema(schema.schema, schema.relative_path)  # a valid Draft 4 schema
        assert "additionalProperties" not in schema.schema  # the root stays open, as kubeconform's


def _misspelt(obj: dict[str, t.Any]) -> None:
    obj.setdefault("spec", {})["specc"] = 1


WITH_CATALOG = [c for c in PINNED if c.catalog]


@pytest.mark.parametrize("crd", WITH_CATALOG, ids=[c.kind for c in WITH_CATALOG])
def test_converted_schema_agrees_with_the_catalog(crd: t.Any, settings: t.Any, prod: RenderedOverlay) -> None:
    catalog = json.loads((shared_dir() / "schemas" / crd.catalog).read_text())
    version = crd.catalog.rsplit("_", 1)[1].removesuffix(".json")
    (ours,) = [s for s in convert_pinned(crd, settings) if s.version == version]
    theirs_v, ours_v = compile_schema(catalog, crd.catalog).validator, compile_schema(ours.schema, "ours").validator
    documents = [d for d in prod.documents if d.kind == crd.kind and d.api_version == f"{crd.group}/{version}"]
    assert documents, f"prod has no {crd.kind} {version} to compare on"
    for document in documents:
        for variant, expected in ((document, True), (mutated(document, _misspelt), False)):
            assert ours_v.is_valid(variant.obj) is theirs_v.is_valid(variant.obj) is expected, variant.ref


def _crd(schema: dict[str, t.Any] | None, versions: list[dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
    version = {"name": "v1", "served": True, "storage": True}
    if schema is not None:
        version["schema"] = {"openAPIV3Schema": schema}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": versions or [version]},
    }


def test_strict_below_the_root_int_or_string_and_preserve_unknown_fields() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "port": {"format": "int-or-string", "x-kubernetes-int-or-string": True},
                    "size": {"x-kubernetes-int-or-string": True},
                    "open": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                        "properties": {"a": {"type": "string"}},
                    },
                    "items": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string"}}}},
                },
            }
        },
    }
    (converted,) = convert_crd(_crd(schema), "test")
    assert converted.relative_path == "example.com/widget_v1.json"
    out = converted.schema
    spec = out["properties"]["spec"]
    assert "additionalProperties" not in out and spec["additionalProperties"] is False
    assert spec["properties"]["port"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert spec["properties"]["size"]["oneOf"] == [{"type": "string"}, {"type": "integer"}]
    assert "additionalProperties" not in spec["properties"]["open"]
    assert spec["properties"]["items"]["items"]["additionalProperties"] is False
    validator = jsonschema.Draft4Validator(out)
    assert validator.is_valid({"spec": {"port": 80, "size": "1Gi", "open": {"x": 1}, "items": [{"b": "c"}]}})
    assert not validator.is_valid({"spec": {"items": [{"c": "d"}]}})
    assert not validator.is_valid({"spec": {"port": 1.5}})


def test_every_served_version_and_only_those() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    versions = [
        {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}},
        {"name": "v1beta1", "served": True, "schema": {"openAPIV3Schema": schema}},
        {"name": "v1alpha1", "served": False, "schema": {"openAPIV3Schema": schema}},
    ]
    assert [s.version for s in convert_crd(_crd(None, versions), "test")] == ["v1", "v1beta1"]


def test_a_list_of_crds_converts() -> None:
    schema = {"type": "object"}
    converted = convert_documents([{"apiVersion": "v1", "kind": "List", "items": [_crd(schema), _crd(schema)]}], "list")
    assert len(converted) == 2


def test_crd_without_openapi_schema_is_bad_input() -> None:
    with pytest.raises(InputError, match=r"version v1 has no schema\.openAPIV3Schema"):
        convert_crd(_crd(None), "test")


def test_cli_converts_files_into_kubeconform_layout(
    run: t.Callable[..., Result], settings: t.Any, tmp_path: Path
) -> None:
    source = shared_copy(next(c for c in PINNED if c.kind == "MachineAutoscaler"))
    result = run("crd-schemas", str(source), "-o", str(tmp_path))
    assert result.code == 0, result.err
    written = tmp_path / "autoscaling.openshift.io" / "machineautoscaler_v1beta1.json"
    assert result.out.strip() == str(written)
    assert json.loads(written.read_text())["properties"]["spec"]["additionalProperties"] is False


def test_cli_pinned_writes_every_pinned_file(run: t.Callable[..., Result], tmp_path: Path) -> None:
    result = run("crd-schemas", "--pinned", "-o", str(tmp_path))
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == sum(len(c.versions) for c in PINNED) + len(pinned_schemas())
    assert (tmp_path / "nfd.k8s-sigs.io" / "nodefeaturerule_v1alpha1.json").is_file()


def test_cli_crd_without_schema_exits_2(run: t.Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "crd.yaml"
    source.write_text(json.dumps(_crd(None)))
    result = run("crd-schemas", str(source), "-o", str(tmp_path / "out"))
    assert result.code == 2 and not (tmp_path / "out").exists()
    assert result.err.count("\n") == 1 and result.err.startswith("crd-schemas: ") and "openAPIV3Schema" in result.err


# --from-cluster runs against a real API server: tests/kube/test_cluster_client.py


def test_cli_unreachable_url_and_not_a_crd_exit_2(run: t.Callable[..., Result], tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = run("crd-schemas", f"http://127.0.0.1:{port}/crd.yaml", "-o", str(tmp_path))
    assert unreachable.code == 2 and "unreachable" in unreachable.err and unreachable.err.count("\n") == 1
    not_crd = tmp_path / "ns.yaml"
    not_crd.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    result = run("crd-schemas", str(not_crd), "-o", str(tmp_path))
    assert result.code == 2 and "not a CustomResourceDefinition" in result.err


def test_a_pinned_json_schema_serves_its_kind(run: t.Callable[..., Result], tmp_path: Path) -> None:
    """nfd.k8s-sigs.io NodeFeatureRule has no pinned CRD, only a pinned CRDs-catalog schema:
    the upstream sample validates against it, and a misspelt field fails."""
    sample = shared_dir() / "corpus" / "realworld" / "valid" / "nfd-operator-sample-nodefeaturerule-k8s-sigs.yaml"
    result = run("validate", str(sample), "--format", "json")
    assert result.code == 0, result.out + result.err
    source = json.loads(result.out)["summary"]["schemas"]["nfd.k8s-sigs.io/v1alpha1 NodeFeatureRule"]
    assert source.endswith("/nfd.k8s-sigs.io/nodefeaturerule_v1alpha1.json")
    misspelt = tmp_path / "rule.yaml"
    misspelt.write_text(sample.read_text().replace("spec:", "spec:\n  rulez: []", 1))
    assert run("validate", str(misspelt)).code == 1
