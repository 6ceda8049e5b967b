"""The registry of tools and the generator of every file derived from registries."""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
from pathlib import Path

import pytest
import yaml

from accelcap import cli, generate
from accelcap.toolbox import TOOLS, Tool
from support import REPO, run_in_process

TOOL_IDS = [tool.name for tool in TOOLS]


def test_generated_files_are_current() -> None:
    """Run ``.venv/bin/python -m accelcap.generate`` when this fails."""
    result = run_in_process(generate, "--check")
    assert (result.code, result.err) == (0, "")


@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_IDS)
def test_entry_point_is_a_tool(tool: Tool) -> None:
    module, _, function = tool.entry_point.partition(":")
    loaded = importlib.import_module(module)
    assert callable(getattr(loaded, function)), tool.entry_point
    assert loaded.TOOL == tool.name  # the name its error lines start with
    # The registry's --format values are the ones the tool's own parser accepts.
    parser = loaded.build_parser()
    choices = next((a.choices for a in parser._actions if "--format" in a.option_strings), None)
    assert tuple(choices or ()) == tool.formats


def test_hook_files_say_what_the_registry_says() -> None:
    """The hand-written YAML emitter round-trips: pre-commit reads what the registry says."""
    published = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert published == [
        generate._hook_fields(tool, hook, published=True) for tool in TOOLS for hook in tool.hooks if hook.published
    ]
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    expected = [generate._hook_fields(tool, hook, published=False) for tool in TOOLS for hook in tool.hooks]
    assert local["hooks"] == [generate.GENERATOR_HOOK, *expected, *generate.MAINTAINER_HOOKS]


@pytest.fixture
def generated_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated files and their hand-written hosts, in a repository of their own."""
    root = tmp_path / "repo"
    for output in generate.OUTPUTS:
        (root / output.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / output.path, root / output.path)
    shutil.copytree(REPO / "tools", root / "tools", symlinks=True)
    monkeypatch.setenv("ACCELCAP_REPO", str(root))
    return root


def test_check_names_each_stale_file_and_write_fixes_them(generated_copy: Path) -> None:
    root = generated_copy
    (root / "tools" / "lint").unlink()
    (root / "tools" / "retired-tool").symlink_to("_run")
    for output in generate.OUTPUTS:
        # Each a change inside what is generated (a hand-written part may change freely).
        file = root / output.path
        text = file.read_text()
        for generated, edited in (
            ("|---|", "|-|"),
            ("lint.cli:main", "lint.old:main"),
            ("serial: true", "serial: false"),
        ):
            text = text.replace(generated, edited, 1)
        file.write_text(text if isinstance(output, generate.Blocks) else text + "\n")
    result = run_in_process(generate, "--check")
    assert result.code == 1
    named = sorted(line.split(": ")[1] for line in result.err.splitlines())
    assert named == sorted([o.path for o in generate.OUTPUTS] + ["tools/lint", "tools/retired-tool"])

    assert run_in_process(generate).code == 0
    assert run_in_process(generate, "--check") == (0, "", "")
    for output in generate.OUTPUTS:
        assert (root / output.path).read_text() == (REPO / output.path).read_text(), output.path
    assert not (root / "tools" / "retired-tool").exists() and (root / "tools" / "lint").is_symlink()


def test_a_file_without_its_markers_is_one_line_of_bad_input(generated_copy: Path) -> None:
    readme = generated_copy / "README.md"
    readme.write_text(readme.read_text().replace("<!-- end:tools -->", ""))
    result = run_in_process(generate, "--check")
    assert (result.code, result.out) == (2, "")
    assert result.err == "generate: README.md: no generated:tools block; add its two marker lines where it belongs\n"


def test_a_tool_process_collects_cycles_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """A console script raises the cycle collector's first threshold (``cli.GC_THRESHOLD``):
    the tools free what they parse by reference counting, and the default collected about a
    thousand times in a 200-cluster check."""
    seen: list[int] = []

    def execute(args: argparse.Namespace) -> int:
        seen.append(gc.get_threshold()[0])
        return 0

    saved = gc.get_threshold()
    monkeypatch.setattr("sys.argv", ["probe"])
    try:
        with pytest.raises(SystemExit) as exit:
            cli.entry_point("probe", lambda: argparse.ArgumentParser(prog="probe"), execute)()
    finally:
        gc.set_threshold(*saved)
    assert (exit.value.code, seen) == (0, [cli.GC_THRESHOLD])
