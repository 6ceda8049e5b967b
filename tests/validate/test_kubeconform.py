"""The kubeconform engine with a fake ``kubeconform`` on PATH: the arguments it gets, and
output that is not its report. Everything else runs the real, pinned kubeconform
(tests/kube/test_kubeconform_cli.py, tests/kube/test_engines.py)."""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import pytest

from accelcap.validate.locations import configured_locations
from support import Result

FAKE = '''#!{python}
"""Fake kubeconform: records its arguments, reports like kubeconform -output json -summary."""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_KUBECONFORM_ARGS"], "w") as f:
    json.dump(args, f)
files = [a for a in args if a.endswith(".yaml")]
resources, valid = [], 0
for name in files:
    obj = json.load(open(name))
    base = {{"filename": name, "kind": obj["kind"], "name": obj["metadata"]["name"], "version": obj["apiVersion"]}}
    if "chanel" in obj.get("spec", {{}}):
        resources.append(dict(base, status="statusInvalid",
            msg="problem validating schema. Check JSON formatting: jsonschema: '/spec' does not validate",
            validationErrors=[{{"path": "/spec", "msg": "additional properties 'chanel' not allowed"}}]))
    elif obj["kind"] == "Widget":
        if "-ignore-missing-schemas" in args:
            resources.append(dict(base, status="statusSkipped", msg=""))
        else:
            resources.append(dict(base, status="statusError", msg="could not find schema for Widget"))
    else:
        valid += 1
        if not os.environ.get("FAKE_KUBECONFORM_QUIET"):  # as without -verbose: valid ones unsaid
            resources.append(dict(base, status="statusValid", msg=""))
print(json.dumps({{"resources": resources, "summary": {{"valid": valid, "invalid": 0, "errors": 0, "skipped": 0}}}}, indent=2))
sys.exit(0 if valid == len(files) else 1)
'''


@pytest.fixture
def fake_kubeconform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "kubeconform"
    binary.parent.mkdir()
    binary.write_text(FAKE.format(python=sys.executable))
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}:{__import__('os').environ['PATH']}")
    arguments = tmp_path / "args.json"
    monkeypatch.setenv("FAKE_KUBECONFORM_ARGS", str(arguments))
    return arguments


def test_kubeconform_is_used_when_on_path(
    run: t.Callable[..., Result], fake_kubeconform: Path, settings: t.Any
) -> None:
    result = run("validate", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["summary"]["engine"] == "kubeconform"
    assert report["summary"]["validated"] == report["summary"]["objects"]
    args = json.loads(fake_kubeconform.read_text())
    assert args[:3] == ["-strict", "-output", "json"]
    locations = [args[i + 1] for i, a in enumerate(args) if a == "-schema-location"]
    assert len(locations) == len(configured_locations(settings))
    core = Path(locations[0].split("{{")[0])
    assert core.is_dir() and (core / "namespace-v1.json").is_file()  # standalone copies of the bundled core schemas
    standalone = json.loads((core / "pod-v1.json").read_text())
    assert "$defs" in standalone and "/api/_definitions.json" not in json.dumps(standalone)
    kubernetes = args[args.index("-kubernetes-version") + 1]
    assert kubernetes.count(".") == 2 and not kubernetes.startswith("v")


def test_kubeconform_without_json_is_bad_input(
    run: t.Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "bin" / "kubeconform"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\necho 'flag provided but not defined: -strictt' >&2\nexit 1\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}:/usr/bin:/bin")
    result = run("validate")
    assert result.code == 2 and "kubeconform" in result.err and "flag provided" in result.err


def test_kubeconform_that_leaves_a_document_out_is_bad_input(
    run: t.Callable[..., Result], fake_kubeconform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An object kubeconform never called valid must not count as validated.
    monkeypatch.setenv("FAKE_KUBECONFORM_QUIET", "1")
    result = run("validate")
    assert result.code == 2, result.out
    assert "kubeconform: did not report on" in result.err and "validity is unknown" in result.err
