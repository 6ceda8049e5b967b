"""The builds of a run (``accelcap.render.builds``): each directory rendered once, several at a
time but never more than the bound, handed out in the order asked."""

from __future__ import annotations

import shlex
import shutil
import typing as t
from pathlib import Path

import pytest

from accelcap import generate
from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render import (
    JOBS_ENV,
    KUSTOMIZE_ENV,
    BuildCache,
    RenderedOverlay,
    default_jobs,
    kustomize_command,
    render_overlay,
    rendering_overlays,
)
from accelcap.render.builds import available_cores
from support import REPO


@pytest.fixture
def west(repo_copy: Path) -> Path:
    """A second cluster beside prod in the repository copy: prod under another name."""
    shutil.copytree(repo_copy / "overlays" / "prod", repo_copy / "overlays" / "west")
    facts = repo_copy / "overlays" / "west" / "facts" / "cluster.yaml"
    facts.write_text(
        facts.read_text().replace("\n  name: prod\n", "\n  name: west\n").replace("prod-x7k2p", "west-a1b2c")
    )
    load_settings.cache_clear()
    generate.write_derived(repo_copy)
    return repo_copy / "overlays" / "west"


@pytest.fixture
def kustomize_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """kustomize behind a wrapper that logs when each build starts and ends, and is slow
    enough that builds run at once overlap."""
    log = tmp_path / "kustomize.log"
    wrapper = tmp_path / "slow-kustomize"
    # The log's path is written into the wrapper: kustomize runs with an environment of its own.
    wrapper.write_text(
        f"#!/bin/sh\nKUSTOMIZE_LOG={shlex.quote(str(log))}\n"
        'echo "$$ start $(date +%s.%N)" >> "$KUSTOMIZE_LOG"\nsleep 0.4\n'
        '"$@"\nstatus=$?\necho "$$ end $(date +%s.%N)" >> "$KUSTOMIZE_LOG"\nexit $status\n'
    )
    wrapper.chmod(0o755)
    real = kustomize_command()
    monkeypatch.setenv(KUSTOMIZE_ENV, shlex.join([str(wrapper), *real]))
    kustomize_command.cache_clear()
    yield log
    kustomize_command.cache_clear()


def most_at_once(log: Path) -> tuple[int, int]:
    """(builds run, the most that ran at the same time), from the wrapper's log."""
    events = []
    for line in log.read_text().splitlines():
        _, what, when = line.split()
        events.append((float(when), 1 if what == "start" else -1))
    running = most = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start at a tie
        running += step
        most = max(most, running)
    return len(events) // 2, most


def distinct_builds(rendered: RenderedOverlay) -> set[str]:
    return {d.rendered_from for d in rendered.documents}


def test_a_build_renders_once_per_run_and_each_user_gets_its_own_objects(prod_render: RenderedOverlay) -> None:
    settings = load_settings(REPO)
    with BuildCache(settings, jobs=2) as builds:
        first = render_overlay(settings.overlays / "prod", settings, cache=builds)
        first.documents[0].obj["metadata"]["name"] = "changed by the first user"
        second = render_overlay(REPO / "overlays" / ".." / "overlays" / "prod", settings, cache=builds)
    assert len(builds) == len(distinct_builds(prod_render)) and builds.requests == 2 * len(builds)
    assert [d.obj for d in second.documents] == [d.obj for d in prod_render.documents]
    assert second.documents[0].obj is not first.documents[0].obj
    assert second.documents[0].name == prod_render.documents[0].name
    assert [(d.file, d.line, d.rendered_from) for d in second.documents] == [
        (d.file, d.line, d.rendered_from) for d in prod_render.documents
    ]


@pytest.mark.slow
def test_builds_run_at_once_never_more_than_the_bound(
    west: Path, kustomize_log: Path, prod_render: RenderedOverlay
) -> None:
    settings = load_settings()
    overlays = [settings.overlays / "prod", west]
    for jobs in (1, 2):
        kustomize_log.write_text("")
        with BuildCache(settings, jobs) as builds, rendering_overlays(overlays, settings, cache=builds) as rendered:
            names = [overlay.name for overlay in rendered]
        assert names == ["overlays/prod", "overlays/west"]
        assert most_at_once(kustomize_log) == (2 * len(distinct_builds(prod_render)), jobs), jobs


def test_overlays_come_in_the_order_asked_whichever_renders_first(west: Path) -> None:
    settings = load_settings()
    order = [west, settings.overlays / "prod", west]
    with rendering_overlays(order, settings) as rendered:
        assert [overlay.name for overlay in rendered] == ["overlays/west", "overlays/prod", "overlays/west"]


def test_the_first_error_in_the_order_asked_is_raised(west: Path) -> None:
    settings = load_settings()
    broken = west / "operators" / "kustomization.yaml"
    broken.write_text(broken.read_text().replace("resources:\n", "resources:\n  - missing\n", 1))
    with rendering_overlays([settings.overlays / "prod", west], settings) as rendered:
        assert next(rendered).name == "overlays/prod"
        with pytest.raises(InputError) as raised:
            next(rendered)
    # A path that is not in the repository is remote content (render.remote), named by its file.
    assert raised.value.where == "overlays/west/operators/kustomization.yaml"


def test_how_many_builds_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JOBS_ENV, raising=False)
    assert default_jobs() == available_cores() >= 1
    monkeypatch.setenv(JOBS_ENV, "3")
    assert default_jobs() == 3
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv(JOBS_ENV, bad)
        with pytest.raises(InputError, match=JOBS_ENV):
            default_jobs()
