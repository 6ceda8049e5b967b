"""tools/validate with the real, pinned kubeconform on PATH (engine auto)."""

from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path

import pytest
from kube_support import object_of, rendered_file

from accelcap.render import RenderedOverlay


@pytest.fixture(autouse=True)
def _kubeconform_on_path(kubeconform_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{kubeconform_bin}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.slow
def test_every_overlay_validates_with_kubeconform(validate: t.Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = validate("--format", "json")
    report = json.loads(out)
    assert code == 0, out + err
    assert (
        report["summary"]["engine"] == "kubeconform" and report["summary"]["validated"] == report["summary"]["objects"]
    )


def test_kubeconform_findings_become_the_same_report(
    validate: t.Callable[..., tuple[int, str, str]], prod_render: RenderedOverlay, tmp_path: Path
) -> None:
    subscription = object_of(prod_render, "Subscription")
    subscription["spec"]["chanel"] = "stable"
    code, out, _ = validate(
        rendered_file(tmp_path, subscription, object_of(prod_render, "Namespace")), "--format", "json"
    )
    report = json.loads(out)
    assert code == 1 and report["summary"]["validated"] == 2
    [found] = report["findings"]
    assert (found["code"], found["path"]) == ("schema-invalid", "/spec") and "chanel" in found["message"]
    _, builtin, _ = validate(rendered_file(tmp_path, subscription), "--format", "json", "--engine", "builtin")
    assert [(f["code"], f["path"]) for f in json.loads(builtin)["findings"]] == [("schema-invalid", "/spec")]


def test_kubeconform_missing_schema(validate: t.Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    code, _, err = validate(rendered_file(tmp_path, widget))
    assert code == 2 and "no schema for example.com/v1 Widget" in err and err.count("\n") == 1
    code, out, _ = validate(rendered_file(tmp_path, widget), "--ignore-missing-schemas")
    assert code == 0 and "1 warning(s)" in out


def test_the_root_field_check_runs_with_kubeconform_too(
    validate: t.Callable[..., tuple[int, str, str]], prod_render: RenderedOverlay, tmp_path: Path
) -> None:
    policy = object_of(prod_render, "ClusterPolicy")
    policy["specs"] = {}
    code, out, _ = validate(rendered_file(tmp_path, policy), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["summary"]["engine"] == "kubeconform"
    assert [(f["code"], f["path"]) for f in report["findings"]] == [("root-field-unknown", "/")]


def test_builtin_engine_can_be_forced(validate: t.Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = validate("--engine", "builtin", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["engine"] == "builtin"
