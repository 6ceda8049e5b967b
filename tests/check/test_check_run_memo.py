"""What ``check`` keeps for one run (``accelcap.run_memo``) is the tree as that run found it: a
second run in the same process, after the tree changed, reads it again. One test per table a
run keeps: each fails when that table outlives its run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from accelcap.check import cli as check_cli
from accelcap.config import load_settings
from accelcap.run_memo import DIRECTORY, FILE, OTHER, file_kind, one_run, resolved, table
from support import Result, run_in_process

CAPACITY = "overlays/prod/capacity/kustomization.yaml"


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)


def check(*argv: str) -> Result:
    return run_in_process(check_cli, "prod", "--skip", "validate", *argv)


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


def outside_build(tmp_path: Path) -> Path:
    """A kustomization beside the repository (``repo_copy`` is ``tmp_path/repo``)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
    return outside


def test_facts_changed_between_runs_are_read_again(repo_copy: Path) -> None:
    """Table ``facts``."""
    first = check("--format", "json")
    assert first.code == 0, first.err
    assert "facts-unconfirmed" not in first.out
    edit(
        repo_copy,
        "overlays/prod/facts/cluster.yaml",
        '    config.kubernetes.io/local-config: "true"\n',
        '    config.kubernetes.io/local-config: "true"\n    accel-capacity.io/unconfirmed: "written by hand"\n',
    )
    second = check("--format", "json")
    assert second.code == 0, second.err
    codes = [f["code"] for f in json.loads(second.out)["findings"]]
    assert codes == ["facts-unconfirmed"]


def test_a_kustomization_changed_between_runs_is_walked_again(repo_copy: Path, tmp_path: Path) -> None:
    """Table ``kustomization-walks``."""
    outside_build(tmp_path)
    assert check().code == 0
    edit(repo_copy, CAPACITY, "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - ../../../../outside\n")
    second = check()
    assert second.code == 2
    assert "names '../../../../outside', which leads outside the repository" in second.err


def test_remote_content_added_between_runs_is_found(repo_copy: Path) -> None:
    """Table ``remote-entries``."""
    assert check().code == 0
    edit(
        repo_copy,
        CAPACITY,
        "  - gpu-us-west-2a\n",
        "  - gpu-us-west-2a\n  - https://github.com/example/pools//gpu?ref=main\n",
    )
    second = check("--skip", "quota-plan", "--format", "json")
    assert second.code == 1, second.err
    assert [(f["check"], f["code"]) for f in json.loads(second.out)["findings"]] == [("lint", "CAP021")]


def test_a_link_moved_between_runs_is_resolved_again(repo_copy: Path, tmp_path: Path) -> None:
    """Table ``resolved``: the link first leads to a build inside the repository, then outside."""
    inside = repo_copy / "overlays" / "prod" / "capacity" / "linked"
    inside.mkdir()
    (inside / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: openshift-machine-api\n"
    )
    link = repo_copy / "overlays" / "prod" / "capacity" / "extra"
    link.symlink_to("linked", target_is_directory=True)
    edit(repo_copy, CAPACITY, "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - extra\n")
    assert check().code == 0
    link.unlink()
    link.symlink_to(outside_build(tmp_path), target_is_directory=True)
    second = check()
    assert second.code == 2
    assert "names 'extra', which leads outside the repository" in second.err


def test_nothing_is_kept_outside_a_run_and_a_run_keeps_what_it_resolved(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("a")
    assert table("resolved") is None
    with one_run():
        assert resolved(link) == tmp_path / "a"
        link.unlink()
        link.symlink_to("b")
        assert resolved(link) == tmp_path / "a"  # the tree does not change during a run
    assert resolved(link) == tmp_path / "b"
    with one_run():
        assert resolved(link) == tmp_path / "b"


def test_within_a_run_a_path_resolves_as_path_resolve_does(tmp_path: Path) -> None:
    """A run resolves a path from its resolved parent and its last step: the same answer as
    ``Path.resolve`` for links in the middle, chains of links, ``..`` after a link or a
    missing directory, missing steps, the root and relative paths."""
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "real" / "file").write_text("")
    (tmp_path / "to-real").symlink_to("real", target_is_directory=True)
    (tmp_path / "chain").symlink_to("to-real")
    (tmp_path / "real" / "up").symlink_to("..")
    (tmp_path / "absolute").symlink_to(tmp_path / "real" / "deep")
    (tmp_path / "dangling").symlink_to("nowhere")
    paths = [
        Path("/"),
        Path("relative/../steps"),
        tmp_path,
        tmp_path / "chain" / "deep" / ".." / "file",
        tmp_path / "to-real" / "up" / "to-real" / "deep",
        tmp_path / "absolute" / ".." / ".." / "chain",
        tmp_path / "missing" / ".." / "real" / "file",
        tmp_path / "real" / "file" / "below-a-file",
        tmp_path / "dangling" / "x",
        tmp_path / "chain" / "missing" / "..",
    ]
    expected = [path.resolve() for path in paths]
    with one_run():
        assert [resolved(path) for path in paths] == expected
        assert [resolved(path) for path in reversed(paths)] == expected[::-1]


def test_within_a_run_a_link_loop_is_refused_as_path_resolve_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(RuntimeError, match="Symlink loop"):
        (tmp_path / "a" / "x").resolve()
    with one_run(), pytest.raises(RuntimeError, match="Symlink loop"):
        resolved(tmp_path / "a" / "x")


def test_a_file_kind_is_kept_for_the_run_only(tmp_path: Path) -> None:
    """Table ``file-kinds``: a directory made during a run is still missing for that run."""
    later = tmp_path / "later"
    with one_run():
        assert file_kind(later) is None
        later.mkdir()
        assert file_kind(later) is None
    assert file_kind(later) == DIRECTORY
    with one_run():
        assert file_kind(later) == DIRECTORY


def test_a_file_kind_answers_as_pathlib_does(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "to-dir").symlink_to("dir")
    (tmp_path / "dangling").symlink_to("nowhere")
    (tmp_path / "loop").symlink_to("loop")
    expected = {"dir": DIRECTORY, "file": FILE, "fifo": OTHER, "to-dir": DIRECTORY}
    for name in ("dir", "file", "fifo", "to-dir", "dangling", "loop", "missing", "file/below", "nul\0byte"):
        path = tmp_path / name
        kind = expected.get(name)
        assert (kind == DIRECTORY, kind == FILE, kind is not None) == (path.is_dir(), path.is_file(), path.exists())
        assert file_kind(path) == kind, name


def test_a_relative_path_is_kept_for_the_run_only(repo_copy: Path) -> None:
    """Table ``relative-paths``: the path of a link inside the repository, relative to it, is
    where the link led when the run asked."""
    settings = load_settings(repo_copy)
    link = repo_copy / "overlays" / "link"
    link.symlink_to("prod", target_is_directory=True)
    with one_run():
        assert settings.relative(link) == "overlays/prod"
    link.unlink()
    link.symlink_to("../base", target_is_directory=True)
    with one_run():
        assert settings.relative(link) == "base"
