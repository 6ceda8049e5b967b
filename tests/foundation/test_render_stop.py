"""A run that ends early stops its kustomize processes instead of waiting for them
(``render.kustomize.KustomizeProcesses``, ``BuildCache.stop``): a signal or the first error
reaches only the main thread, and each build's kustomize would otherwise run on to its end
or its deadline. The end-to-end case (SIGTERM to a tool): tests/hostile/test_hostile_roots.py.

The kustomize here is a shell script that starts a child which outlives the script unless its
process group is killed, and marks when it ran to its end: a stopped build never does.
"""

from __future__ import annotations

import gc
import os
import shlex
import time
import typing as t
from pathlib import Path

import pytest

from accelcap import timeouts
from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render import KUSTOMIZE_ENV, BuildCache, kustomize_command, rendering_overlays
from accelcap.render.kustomize import KustomizeProcesses, kustomize_build
from support import REPO

#: Long beside the test: a stopped build is over long before this.
HANG_SECONDS = 20


class Hanging(t.NamedTuple):
    #: Holds the pid of kustomize's child once it runs.
    started: Path
    #: Made by the child when it ran to its end.
    finished: Path

    def wait_started(self) -> None:
        deadline = time.monotonic() + 10
        while not (self.started.exists() and self.started.read_text().strip()):
            assert time.monotonic() < deadline, "the hanging kustomize never started"
            time.sleep(0.02)

    def child_killed(self) -> bool:
        """Whether kustomize's child is gone (or a zombie) within a few seconds, long before
        it would have ended by itself."""
        pid = int(self.started.read_text())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.02)
        return False


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (killed, its parent gone, not yet reaped) does not."""
    stat = Path("/proc", str(pid), "stat")
    if Path("/proc/self/stat").exists():  # Linux: a zombie still answers kill(pid, 0)
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def hanging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Hanging]:
    """kustomize replaced by a script whose child sleeps, holding kustomize's output open."""
    marks = Hanging(tmp_path / "started", tmp_path / "finished")
    script = tmp_path / "hanging-kustomize"
    script.write_text(
        f"#!/bin/sh\n(sleep {HANG_SECONDS}; touch {shlex.quote(str(marks.finished))}) &\n"
        f"echo $! > {shlex.quote(str(marks.started))}\nwait\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv(KUSTOMIZE_ENV, str(script))
    kustomize_command.cache_clear()
    yield marks
    kustomize_command.cache_clear()


def test_closing_the_builds_kills_the_running_kustomize(hanging: Hanging) -> None:
    settings = load_settings(REPO)
    with BuildCache(settings, jobs=1) as builds:
        future = builds.submit(settings.overlays / "prod")
        hanging.wait_started()
    build = future.result(timeout=0)  # closed: the build is over, failed
    assert isinstance(build.failure, InputError)
    assert build.failure.what == "kustomize build stopped: the run was stopped"
    assert hanging.child_killed()
    assert not hanging.finished.exists()


def test_an_error_in_the_rendering_block_stops_a_cache_it_does_not_own(hanging: Hanging) -> None:
    """The first error of a run (here raised by the caller) leaves the block at once, although
    the run's ``BuildCache`` belongs to the caller."""
    settings = load_settings(REPO)
    with BuildCache(settings, jobs=1) as builds:
        with (
            pytest.raises(RuntimeError, match="first error"),
            rendering_overlays([settings.overlays / "prod"], settings, cache=builds),
        ):
            hanging.wait_started()
            raise RuntimeError("first error")
        assert hanging.child_killed()
        assert not hanging.finished.exists()
        with pytest.raises(RuntimeError, match="after shutdown"):  # stopped: nothing new starts
            builds.submit(settings.overlays / "prod" / "capacity")


def test_a_build_past_its_deadline_is_killed_with_what_it_started(
    hanging: Hanging, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(timeouts.ENV, "kustomize.total=0.3")
    with pytest.raises(InputError, match=r"kustomize build timed out: not done after 0\.3s \(kustomize\.total\)"):
        kustomize_build(REPO / "base" / "machineset", "base/machineset")
    assert hanging.child_killed()


def test_the_builds_of_a_run_share_one_home_gone_when_the_run_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kustomize of a run gets the same empty HOME, and closing the run removes it."""
    real = kustomize_command()
    homes = tmp_path / "homes"
    script = tmp_path / "home-logging-kustomize"
    script.write_text(f'#!/bin/sh\necho "$HOME" >> {shlex.quote(str(homes))}\nexec {shlex.join(real)} "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv(KUSTOMIZE_ENV, str(script))
    kustomize_command.cache_clear()
    try:
        settings = load_settings()
        with BuildCache(settings, jobs=2) as builds:
            for build in ("capacity", "operators", "validation"):
                assert builds.submit(settings.overlays / "prod" / build).result().failure is None
            seen = set(homes.read_text().split())
            assert len(seen) == 1
            home = Path(seen.pop())
            assert home.is_dir() and not any(home.iterdir())
        assert not home.exists()
    finally:
        kustomize_command.cache_clear()


def test_a_run_home_nobody_removes_goes_with_its_run() -> None:
    processes = KustomizeProcesses()
    home = Path(processes.home("test"))
    assert home.is_dir()
    del processes
    gc.collect()
    assert not home.exists()
