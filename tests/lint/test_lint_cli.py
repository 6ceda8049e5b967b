"""``tools/lint`` through its command line: formats, exit codes, bad input.

Bad input must give one line on stderr (``lint: where: what``), exit 2, and no traceback.
Most cases run the tool's command line in this process (``lint``: the frame the console
script runs, ``accelcap.cli.run_tool``); the ``slow`` ones run ``tools/lint`` itself, proving
the wiring (the script, its exit code, standard input and output of a real process).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from accelcap.cli import run_tool
from accelcap.lint import cli as lint_cli
from accelcap.lint.cli import TOOL, build_parser, execute
from support import run_in_process

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


def run(tool: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``tools/lint`` in a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "ACCELCAP_FORMAT"}  # CI may set it
    return subprocess.run(
        [str(tool), *args], input=stdin, capture_output=True, text=True, timeout=120, check=False, env=env
    )


Lint = t.Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch) -> Lint:
    """The lint command line run in this process, with ``stdin`` as its standard input."""
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)  # CI may set it

    def run_here(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((stdin or "").encode())))
        result = run_in_process(lint_cli, *args)
        return subprocess.CompletedProcess(["lint", *args], result.code, result.out, result.err)

    return run_here


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lint: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_yaml_file(lint: Lint, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(BAD_FILES[name])
    assert_one_line_error(lint(str(path), "--cluster", "prod"))


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_yaml_on_stdin(lint: Lint, name: str) -> None:
    assert_one_line_error(lint("-", stdin=BAD_FILES[name]))


def test_kustomize_failure(lint: Lint, tmp_path: Path) -> None:
    # A file kustomize cannot make a resource of (a missing one is remote content: CAP021).
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - odd.yaml\n"
    )
    (tmp_path / "odd.yaml").write_text("kind: ConfigMap\nmetadata: {}\n")
    result = lint(str(tmp_path))
    assert_one_line_error(result)
    assert "kustomize failed" in result.stderr


def test_unknown_overlay(lint: Lint) -> None:
    result = lint("no-such-cluster")
    assert_one_line_error(result)
    assert "no such overlay" in result.stderr


def test_unknown_cluster_for_facts(lint: Lint) -> None:
    assert_one_line_error(
        lint("-", "--cluster", "no-such-cluster", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    )


@pytest.mark.parametrize(
    "args", [["--format", "xml"], ["--rule", "CAP999"], ["--no-such-flag"], ["prod", "--changed", "README.md"]]
)
def test_usage_errors(lint: Lint, args: list[str]) -> None:
    assert_one_line_error(lint(*args))


def test_real_overlays_lint_clean(lint: Lint) -> None:
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("lint: ok")


@pytest.mark.slow
def test_the_script_lints_the_real_overlays_clean(tool: Path) -> None:
    result = run(tool)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("lint: ok")


@pytest.mark.slow
def test_the_script_refuses_bad_yaml_on_standard_input(tool: Path) -> None:
    assert_one_line_error(run(tool, "-", stdin=BAD_FILES["malformed"]))


def test_help_names_inputs_outputs_and_exit_codes(lint: Lint) -> None:
    result = lint("--help")
    assert result.returncode == 0
    for text in ("Reads:", "Writes:", "exit codes:", "lint.accel-capacity.io/ignore-"):
        assert text in result.stdout


def test_findings_exit_1_in_every_format(lint: Lint, repo: Path, tmp_path: Path) -> None:
    """A rendered file missing replicas: text names the rule, json parses, github annotates."""
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(repo / "overlays/prod/capacity")], capture_output=True, text=True, check=True
    ).stdout.replace("  replicas: 0\n", "", 1)
    path = tmp_path / "capacity.yaml"
    path.write_text(rendered)
    text = lint(str(path), "--cluster", "prod", "--rule", "CAP003")
    assert text.returncode == 1
    assert "CAP003" in text.stdout and "MachineSet/openshift-machine-api/" in text.stdout
    as_json = json.loads(lint(str(path), "--cluster", "prod", "--rule", "CAP003", "--format", "json").stdout)
    assert [f["code"] for f in as_json["findings"]] == ["CAP003"]
    assert as_json["findings"][0]["file"] == str(path)
    github = lint(str(path), "--cluster", "prod", "--rule", "CAP003", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=") and "title=lint CAP003" in github.stdout


def test_rendered_file_fails_closed_without_applications(lint: Lint, repo: Path) -> None:
    """Only the capacity build, no Applications: what cannot be checked is a finding."""
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(repo / "overlays/prod/capacity")], capture_output=True, text=True, check=True
    ).stdout
    result = lint("-", "--format", "json", stdin=rendered)
    assert result.returncode == 1
    assert {f["code"] for f in json.loads(result.stdout)["findings"]} == {"CAP004", "CAP010", "CAP102"}


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
