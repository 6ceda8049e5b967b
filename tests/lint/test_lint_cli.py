"""``tools/lint`` through its real command line: formats, exit codes, bad input.

Bad input must give one line on stderr (``lint: where: what``), exit 2, and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from accelcap.cli import run_tool
from accelcap.lint.cli import TOOL, build_parser, execute

BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""

BAD_FILES = {
    "malformed": "apiVersion: v1\nkind: [Pod\n",
    "duplicate-keys": "apiVersion: v1\nkind: Pod\nkind: Service\nmetadata: {name: x}\n",
    "python-tag": "apiVersion: v1\nkind: !!python/object/apply:os.system ['true']\n",
    "bomb": BOMB,
    "not-a-mapping": "- apiVersion: v1\n- kind: Pod\n",
}


def run(tool: Path, *args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ACCELCAP_FORMAT"}  # CI may set it
    return subprocess.run(
        [str(tool), *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd, check=False, env=env
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lint: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_yaml_file(tool: Path, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(BAD_FILES[name])
    assert_one_line_error(run(tool, str(path), "--cluster", "prod"))


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_yaml_on_stdin(tool: Path, name: str) -> None:
    assert_one_line_error(run(tool, "-", stdin=BAD_FILES[name]))


def test_kustomize_failure(tool: Path, tmp_path: Path) -> None:
    # A file kustomize cannot make a resource of (a missing one is remote content: CAP021).
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - odd.yaml\n"
    )
    (tmp_path / "odd.yaml").write_text("kind: ConfigMap\nmetadata: {}\n")
    result = run(tool, str(tmp_path))
    assert_one_line_error(result)
    assert "kustomize failed" in result.stderr


def test_unknown_overlay(tool: Path) -> None:
    result = run(tool, "no-such-cluster")
    assert_one_line_error(result)
    assert "no such overlay" in result.stderr


def test_unknown_cluster_for_facts(tool: Path) -> None:
    assert_one_line_error(
        run(tool, "-", "--cluster", "no-such-cluster", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    )


@pytest.mark.parametrize(
    "args", [["--format", "xml"], ["--rule", "CAP999"], ["--no-such-flag"], ["prod", "--changed", "README.md"]]
)
def test_usage_errors(tool: Path, args: list[str]) -> None:
    assert_one_line_error(run(tool, *args))


def test_real_overlays_lint_clean(tool: Path) -> None:
    result = run(tool)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("lint: ok")


def test_help_names_inputs_outputs_and_exit_codes(tool: Path) -> None:
    result = run(tool, "--help")
    assert result.returncode == 0
    for text in ("Reads:", "Writes:", "exit codes:", "lint.accel-capacity.io/ignore-"):
        assert text in result.stdout


def test_findings_exit_1_in_every_format(tool: Path, repo: Path, tmp_path: Path) -> None:
    """A rendered file missing replicas: text names the rule, json parses, github annotates."""
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(repo / "overlays/prod/capacity")], capture_output=True, text=True, check=True
    ).stdout.replace("  replicas: 0\n", "", 1)
    path = tmp_path / "capacity.yaml"
    path.write_text(rendered)
    text = run(tool, str(path), "--cluster", "prod", "--rule", "CAP003")
    assert text.returncode == 1
    assert "CAP003" in text.stdout and "MachineSet/openshift-machine-api/" in text.stdout
    as_json = json.loads(run(tool, str(path), "--cluster", "prod", "--rule", "CAP003", "--format", "json").stdout)
    assert [f["code"] for f in as_json["findings"]] == ["CAP003"]
    assert as_json["findings"][0]["file"] == str(path)
    github = run(tool, str(path), "--cluster", "prod", "--rule", "CAP003", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=") and "title=lint CAP003" in github.stdout


def test_rendered_file_fails_closed_without_applications(tool: Path, repo: Path) -> None:
    """Only the capacity build, no Applications: what cannot be checked is a finding."""
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(repo / "overlays/prod/capacity")], capture_output=True, text=True, check=True
    ).stdout
    result = run(tool, "-", "--format", "json", stdin=rendered)
    assert result.returncode == 1
    assert {f["code"] for f in json.loads(result.stdout)["findings"]} == {"CAP004", "CAP010", "CAP102"}


def test_run_tool_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_tool(TOOL, build_parser, execute, ["prod", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_tool(TOOL, build_parser, execute, ["--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") >= 18 and "CAP014" in out


@pytest.mark.slow
def test_changed_files_select_overlays(tool: Path) -> None:
    """pre-commit passes the changed files; a base file reaches prod, the README no overlay."""
    touched = run(tool, "--changed", "base/pools/gpu/kustomization.yaml", "--format", "json")
    assert touched.returncode == 0, touched.stderr
    assert json.loads(touched.stdout)["summary"]["overlays"] == ["overlays/prod"]
    untouched = run(tool, "--changed", "README.md", "--format", "json")
    assert untouched.returncode == 0
    assert json.loads(untouched.stdout)["summary"]["overlays"] == []
