"""Bad input: one line on stderr, exit 2 (never a traceback, never a hang)."""

from __future__ import annotations

import json
import socket
import threading
import typing as t
from pathlib import Path

import pytest

from accelcap.config import load_settings
from accelcap.render import RenderedOverlay
from accelcap.validate.pinned import pinned_crds
from support import Result, first

GROUP_TEMPLATE = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


def _one_line_exit_2(result: Result, *expected: str) -> None:
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("validate: "), result.err
    assert "Traceback" not in result.err
    for text in expected:
        assert text in result.err, result.err


@pytest.fixture
def namespace_file(prod: RenderedOverlay, tmp_path: Path) -> Path:
    path = tmp_path / "namespace.yaml"
    path.write_text(json.dumps(first(prod, "Namespace").obj))
    return path


def test_corrupted_schema_file(run: t.Callable[..., Result], namespace_file: Path, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas" / "v1"
    schemas.mkdir(parents=True)
    (schemas / "namespace_v1.json").write_text('{"type": "object", "properties": ')
    result = run("validate", str(namespace_file), "--schema-location", f"{tmp_path}/schemas/{GROUP_TEMPLATE}")
    _one_line_exit_2(result, "namespace_v1.json", "not a JSON schema")


def test_schema_that_is_not_a_schema(run: t.Callable[..., Result], namespace_file: Path, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas" / "v1"
    schemas.mkdir(parents=True)
    (schemas / "namespace_v1.json").write_text('{"type": 5}')
    result = run("validate", str(namespace_file), "--schema-location", f"{tmp_path}/schemas/{GROUP_TEMPLATE}")
    _one_line_exit_2(result, "not a valid JSON schema")


def test_location_that_does_not_exist(run: t.Callable[..., Result], namespace_file: Path, tmp_path: Path) -> None:
    result = run("validate", str(namespace_file), "--schema-location", f"{tmp_path}/nowhere/{GROUP_TEMPLATE}")
    _one_line_exit_2(result, "nowhere", "does not exist")


def test_unknown_template_field(run: t.Callable[..., Result], namespace_file: Path) -> None:
    result = run("validate", str(namespace_file), "--schema-location", "{generated}/{{.Kind}}.json")
    _one_line_exit_2(result, "unknown template field .Kind")


def test_bad_kubernetes_version(run: t.Callable[..., Result], namespace_file: Path) -> None:
    _one_line_exit_2(
        run("validate", str(namespace_file), "--kubernetes-version", "latest"), "'latest' is not a Kubernetes version"
    )


def test_unreachable_url(run: t.Callable[..., Result], namespace_file: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("validate", str(namespace_file), "--schema-location", f"http://127.0.0.1:{port}/{GROUP_TEMPLATE}")
    _one_line_exit_2(result, f"127.0.0.1:{port}", "unreachable")


@pytest.mark.parametrize("missing", ["apiVersion", "kind"])
def test_object_without_api_version_or_kind(
    run: t.Callable[..., Result], prod: RenderedOverlay, tmp_path: Path, missing: str
) -> None:
    obj = dict(first(prod, "Namespace").obj)
    del obj[missing]
    path = tmp_path / "objects.yaml"
    path.write_text(json.dumps(obj))
    _one_line_exit_2(run("validate", str(path)), f"object without {missing}")


def test_missing_schema_fails_unless_ignored(run: t.Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    _one_line_exit_2(run("validate", str(path)), "Widget/w", "no schema for example.com/v1 Widget")
    ignored = run("validate", str(path), "--ignore-missing-schemas", "--format", "json")
    assert ignored.code == 0, ignored.err
    report = json.loads(ignored.out)
    assert report["summary"]["skipped"] == 1
    assert [(f["code"], f["severity"]) for f in report["findings"]] == [("schema-missing", "warning")]


def _machineautoscaler_file(prod: RenderedOverlay, tmp_path: Path) -> Path:
    path = tmp_path / "ma.yaml"
    path.write_text(json.dumps(first(prod, "MachineAutoscaler").obj))
    return path


def test_no_network_and_no_mirror(
    run: t.Callable[..., Result], prod: RenderedOverlay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pinned file cannot be had: one line naming the file and the setting that fixes it."""
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ACCELCAP_CRD_MIRROR", f"http://127.0.0.1:{port}")
    result = run("validate", str(_machineautoscaler_file(prod, tmp_path)))
    _one_line_exit_2(
        result,
        f"http://127.0.0.1:{port}/openshift/cluster-autoscaler-operator/",
        "/install/02_machineautoscaler.crd.yaml: cannot fetch the pinned file",
        "check ACCELCAP_CRD_MIRROR",
    )
    monkeypatch.delenv("ACCELCAP_CRD_MIRROR")
    pyproject = tmp_path / "repo" / "pyproject.toml"
    pyproject.parent.mkdir()
    pyproject.write_text(f'[tool.accelcap]\ncrd-mirror = "http://127.0.0.1:{port}/github"\n')
    monkeypatch.setenv("ACCELCAP_REPO", str(pyproject.parent))
    load_settings.cache_clear()
    configured = run("validate", str(_machineautoscaler_file(prod, tmp_path)))
    _one_line_exit_2(configured, f"127.0.0.1:{port}/github/openshift/", "point ACCELCAP_CRD_MIRROR (or crd-mirror")
    assert not (tmp_path / "cache" / "pinned").exists()


def test_a_mirror_that_stops_answering_times_out(
    run: t.Callable[..., Result], prod: RenderedOverlay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that accepts the connection and never answers: the read timeout ends the wait."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    monkeypatch.setenv("ACCELCAP_TIMEOUTS", "http.read=0.5")
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ACCELCAP_CRD_MIRROR", f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        result = run("validate", str(_machineautoscaler_file(prod, tmp_path)))
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    _one_line_exit_2(
        result,
        "02_machineautoscaler.crd.yaml: cannot fetch the pinned file (timed out: no answer within",
        "http.read 0.5s",
    )


def test_a_mirror_directory_without_the_file(
    run: t.Callable[..., Result], prod: RenderedOverlay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ACCELCAP_CRD_MIRROR", str(tmp_path / "empty-mirror"))
    result = run("validate", str(_machineautoscaler_file(prod, tmp_path)))
    _one_line_exit_2(result, str(tmp_path / "empty-mirror"), "the mirror has no such file", "ACCELCAP_CRD_MIRROR")


def test_pinned_file_that_changed_fails_closed(
    run: t.Callable[..., Result],
    prod: RenderedOverlay,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    _pinned_files_from_the_shared_data: Path,
) -> None:
    """A mirror that serves other bytes than the pin: exit 2 naming the file; nothing cached."""
    relative = next(p for p in pinned_crds() if p.kind == "MachineAutoscaler").relative
    mirror = tmp_path / "mirror"
    target = mirror / relative
    target.parent.mkdir(parents=True)
    target.write_bytes((_pinned_files_from_the_shared_data / relative).read_bytes() + b"\n# edited\n")
    monkeypatch.setenv("ACCELCAP_CRD_MIRROR", str(mirror))
    monkeypatch.setenv("ACCELCAP_CACHE_DIR", str(tmp_path / "cache"))
    result = run("validate", str(_machineautoscaler_file(prod, tmp_path)))
    _one_line_exit_2(result, str(target), "differs from the pin", "nothing was cached")
    assert not (tmp_path / "cache" / "pinned").exists()
    assert not list((tmp_path / "cache").glob("generated/*/autoscaling.openshift.io/*"))


def test_invalid_facts_file_is_bad_input(run: t.Callable[..., Result], repo_copy: Path) -> None:
    facts = repo_copy / "overlays" / "prod" / "facts" / "cluster.yaml"
    facts.write_text(facts.read_text().replace("region: us-west-2", "regoin: us-west-2"))
    result = run("validate")
    _one_line_exit_2(result, "overlays/prod/facts/cluster.yaml")


def test_duplicate_keys_are_bad_input(run: t.Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n")
    _one_line_exit_2(run("validate", str(path)), "duplicate key")


def test_unknown_engine_and_missing_kubeconform(run: t.Callable[..., Result], namespace_file: Path) -> None:
    _one_line_exit_2(run("validate", str(namespace_file), "--engine", "kubeconform"), "kubeconform is not on PATH")


@pytest.mark.parametrize("tool", ["validate", "crd-schemas"])
def test_help_says_what_it_reads_writes_and_exits(tool: str) -> None:
    from accelcap.validate import cli, crd_schemas

    text = (cli if tool == "validate" else crd_schemas).build_parser().format_help()
    for needle in ("reads:", "writes:", "exit codes:", "  0 ", "  2 "):
        assert needle in text, needle


def test_help_says_what_exit_3_means_for_validate() -> None:
    from accelcap.validate import cli

    text = cli.build_parser().format_help()
    exit_3 = text[text.index("\n  3  ") : text.index("\n  141  ")]
    assert "--server" in exit_3 and "AWS" not in exit_3


def test_docs_carry_every_finding_code() -> None:
    from accelcap.validate.finding_codes import markdown_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "validate.md").read_text()
    assert markdown_table() in docs
