"""Schema locations: kubeconform's template semantics, placeholders, order, remote cache."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import typing as t
from pathlib import Path

import pytest

from accelcap.errors import InputError
from accelcap.model import ClusterModel
from accelcap.render import RenderedOverlay
from accelcap.validate import ValidateOptions, Validator
from accelcap.validate.core_schemas import DEFAULT_KUBERNETES_VERSION, bundle_directory
from accelcap.validate.locations import (
    DEFAULT_LOCATIONS,
    DEFAULT_URL,
    ResourceType,
    configured_locations,
    parse_location,
)
from support import REPO, Result, first, shared_dir

ALL_FIELDS = "{{.Group}}|{{.ResourceKind}}|{{.ResourceAPIVersion}}|{{.NormalizedKubernetesVersion}}|{{.KindSuffix}}|{{ .StrictSuffix }}.json"


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("v1", "Namespace", "v1|namespace|v1|v1.31.0|-v1|-strict.json"),
        ("apps/v1", "DaemonSet", "apps|daemonset|v1|v1.31.0|-apps-v1|-strict.json"),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "rbac.authorization.k8s.io|clusterrole|v1|v1.31.0|-rbac-v1|-strict.json",
        ),
        (
            "machine.openshift.io/v1beta1",
            "MachineSet",
            "machine.openshift.io|machineset|v1beta1|v1.31.0|-machine-v1beta1|-strict.json",
        ),
    ],
)
def test_template_fields(settings: t.Any, api_version: str, kind: str, expected: str) -> None:
    location = parse_location("http://example.invalid/" + ALL_FIELDS, settings, None)
    assert location.expand(ResourceType(api_version, kind), "1.31") == "http://example.invalid/" + expected


def test_default_alias_and_default_tail(settings: t.Any) -> None:
    namespace = ResourceType("v1", "Namespace")
    assert parse_location("default", settings, None).template == DEFAULT_URL
    assert parse_location("default", settings, None).expand(namespace, "1.33.2") == (
        "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.33.2-standalone-strict/namespace-v1.json"
    )
    mirror = parse_location("https://mirror.example/k8s/", settings, None)
    assert mirror.expand(namespace, "1.30") == "https://mirror.example/k8s/v1.30.0-standalone-strict/namespace-v1.json"


def test_placeholders(settings: t.Any, tmp_path: Path) -> None:
    project = parse_location("{project}/{{.Group}}/x.json", settings, None)
    assert project.template == f"{REPO}/src/accelcap/schemas/kinds/{{{{.Group}}}}/x.json"
    with pytest.raises(InputError, match=r"unknown placeholder \{shared\}"):
        parse_location("{shared}/schemas/{{.Group}}/x.json", settings, None)
    generated = parse_location("{generated}/{{.Group}}/x.json", settings, tmp_path / "gen")
    assert generated.generated and generated.template.startswith(str(tmp_path / "gen"))
    assert parse_location("{repo}/overlays/x.json", settings, None).template == f"{settings.root}/overlays/x.json"


def test_precedence_flags_environment_settings_defaults(settings: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert configured_locations(settings) == list(settings.raw.get("schema-locations", DEFAULT_LOCATIONS))
    monkeypatch.setenv("ACCELCAP_SCHEMA_LOCATIONS", "default, kubernetes-validate")
    assert configured_locations(settings) == ["default", "kubernetes-validate"]
    assert configured_locations(settings, ["x"]) == ["x"]


def test_first_match_wins(prod: RenderedOverlay, settings: t.Any, tmp_path: Path) -> None:
    directory = tmp_path / "first" / "v1"
    directory.mkdir(parents=True)
    (directory / "namespace_v1.json").write_text(json.dumps({"type": "object", "required": ["nope"]}))
    earlier = f"{tmp_path}/first/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json"
    validator = Validator(settings, ValidateOptions(schema_locations=[earlier, "kubernetes-validate"]))
    outcome = validator.validate_documents([first(prod, "Namespace")], "1.31")
    assert [f.message for f in outcome.findings] == ["'nope' is a required property"]
    validator = Validator(settings, ValidateOptions(schema_locations=["kubernetes-validate", earlier]))
    assert validator.validate_documents([first(prod, "Namespace")], "1.31").findings == []


def test_kubernetes_version_comes_from_the_facts(prod: RenderedOverlay, settings: t.Any) -> None:
    validator = Validator(settings)
    assert prod.facts is not None
    assert validator.kubernetes_version(prod) == prod.facts.kubernetes_version
    bare = ClusterModel(prod.overlay, None)
    assert validator.kubernetes_version(bare) == DEFAULT_KUBERNETES_VERSION
    assert Validator(settings, ValidateOptions(kubernetes_version="1.29")).kubernetes_version(prod) == "1.29"
    assert bundle_directory("1.31").name == "v1.31.0-local-strict"
    assert bundle_directory("1.99.3").name.startswith("v1.")  # newest bundled, not newer


def test_a_field_the_kubernetes_version_does_not_have(prod: RenderedOverlay, settings: t.Any) -> None:
    """Pod spec.hostUsers exists since 1.25; resourceClaims since 1.26: older bundles refuse it."""
    pod = first(prod, "Pod")
    changed = json.loads(json.dumps(pod.obj))
    changed["spec"]["resourceClaims"] = []
    from accelcap.render import Document

    document = Document(changed, pod.overlay, pod.rendered_from)
    validator = Validator(settings)
    assert validator.validate_documents([document], "1.31").findings == []
    assert [f.path for f in validator.validate_documents([document], "1.25").findings] == ["/spec"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: t.Any) -> None:
        pass


def test_remote_schemas_are_fetched_once_and_cached(
    run: t.Callable[..., Result],
    prod: RenderedOverlay,
    tmp_path: Path,
    settings: t.Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    served = tmp_path / "served" / "operators.coreos.com"
    served.mkdir(parents=True)
    (served / "subscription_v1alpha1.json").write_bytes(
        (shared_dir() / "schemas" / "operators.coreos.com" / "subscription_v1alpha1.json").read_bytes()
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path / "served"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    location = (
        f"http://127.0.0.1:{server.server_port}/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json"
    )
    document = tmp_path / "subscription.yaml"
    document.write_text(json.dumps(first(prod, "Subscription").obj))
    try:
        fetched = run("validate", str(document), "--schema-location", location, "--format", "json")
    finally:
        server.shutdown()
        server.server_close()
    assert fetched.code == 0, fetched.err
    assert json.loads(fetched.out)["summary"]["schemas"]["operators.coreos.com/v1alpha1 Subscription"].startswith(
        "http://127.0.0.1"
    )
    assert len(list((tmp_path / "cache" / "schemas").iterdir())) == 1
    again = run("validate", str(document), "--schema-location", location)  # server gone: the cache answers
    assert again.code == 0, again.err
