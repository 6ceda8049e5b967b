"""Where a rendered object came from is found only when asked (``render.kustomize.BuildSources``):
a run that reports nothing renders each build once, without kustomize's origin annotations; a
finding renders its own build once more, with them, and names the same file and line as an
eager render would."""

from __future__ import annotations

import json
import shlex
import shutil
import typing as t
from pathlib import Path

import pytest

from accelcap.check import cli as check_cli
from accelcap.config import load_settings
from accelcap.render import KUSTOMIZE_ENV, kustomize_command
from accelcap.render.kustomize import ORIGIN_ANNOTATION, kustomize_build, kustomize_objects, line_of
from support import Result, run_in_process


class Counted(t.NamedTuple):
    """What kustomize was asked to render: one line per build, ``origins`` where it was asked
    for origin annotations."""

    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Counted]:
    log = tmp_path / "kustomize-log"
    wrapper = tmp_path / "counting-kustomize"
    # The log's path is in the script: kustomize runs with an environment of its own. The last
    # argument is the wrapper kustomization's directory.
    wrapper.write_text(
        "#!/bin/sh\n"
        'for last in "$@"; do :; done\n'
        f'if grep -q originAnnotations "$last/kustomization.yaml"; then echo origins; else echo plain; fi'
        f" >> {shlex.quote(str(log))}\n"
        'exec "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv(KUSTOMIZE_ENV, shlex.join([str(wrapper), *kustomize_command()]))
    monkeypatch.setenv("ACCELCAP_FORMAT", "json")
    kustomize_command.cache_clear()
    try:
        yield Counted(log)
    finally:
        kustomize_command.cache_clear()


def check(*argv: str) -> tuple[Result, list[dict[str, t.Any]]]:
    result = run_in_process(check_cli, *argv)
    return result, json.loads(result.out)["findings"] if result.out.startswith("{") else []


def test_a_run_without_findings_renders_each_build_once_without_origins(repo_copy: Path, counted: Counted) -> None:
    result, findings = check("prod")
    assert (result.code, findings) == (0, []), result.err
    builds = json.loads(result.out)["summary"]["render"]["builds"]
    assert counted.lines() == ["plain"] * builds


def test_a_finding_renders_only_its_build_again_and_names_the_file_and_line(repo_copy: Path, counted: Counted) -> None:
    namespace = repo_copy / "base" / "operators" / "nfd" / "namespace.yaml"
    namespace.write_text(namespace.read_text().replace("metadata:\n", "metadata:\n  labelz: {a: b}\n", 1))
    result, findings = check("prod", "--skip", "lint", "--skip", "quota-plan")
    assert result.code == 1, result.err
    [finding] = findings
    assert (finding["file"], finding["line"]) == ("base/operators/nfd/namespace.yaml", 2)
    lines = counted.lines()
    assert lines.count("origins") == 1 and lines.count("plain") == json.loads(result.out)["summary"]["render"]["builds"]


def test_sources_found_later_are_those_of_an_eager_render(repo_copy: Path) -> None:
    settings = load_settings(repo_copy)
    capacity = repo_copy / "overlays" / "prod" / "capacity"
    found = [(obj["kind"], source.file, source.line) for obj, source in kustomize_objects(capacity, settings)]
    eager = [
        (obj["kind"], settings.relative(path), line_of(path, obj["kind"])) if path else (obj["kind"], None, None)
        for obj, path in kustomize_build(capacity, "capacity", origins=True)
    ]
    assert found == eager
    assert ("MachineSet", "base/pools/gpu/kustomization.yaml", 16) in found
    assert all(ORIGIN_ANNOTATION not in json.dumps(obj) for obj, _ in kustomize_objects(capacity, settings))


@pytest.mark.parametrize("change", ["removed", "another object", "a path outside the repository"])
def test_a_build_that_renders_otherwise_later_has_no_sources_and_no_error(repo_copy: Path, change: str) -> None:
    """A location is never part of a verdict: when the second render fails or differs, the
    objects have no source, as where kustomize cannot tell."""
    settings = load_settings(repo_copy)
    operators = repo_copy / "overlays" / "prod" / "operators"
    rendered = kustomize_objects(operators, settings)
    if change == "removed":
        shutil.rmtree(repo_copy / "overlays" / "prod")
    elif change == "a path outside the repository":  # the first render's guard refuses it
        kustomization = operators / "kustomization.yaml"
        kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - ../../../..\n", 1))
    else:
        kustomization = operators / "kustomization.yaml"
        (operators / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
        kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - extra.yaml\n", 1))
    assert rendered and all((source.file, source.line) == (None, None) for _, source in rendered)
