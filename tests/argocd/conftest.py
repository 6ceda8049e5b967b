"""Fixtures of the Argo CD tests: the real application controller and repo-server (built from
the Go module proxy, ``argocd_binaries``) against the real API server (``tests/kube``), with a
fake OLM and operators (``fake_operators``). See ``argocd_world`` for what runs.

Every test here is marked ``argocd``, ``kube`` and ``slow``. A build that cannot happen (no Go,
a module the proxy refuses) or a missing ``redis-server`` or ``git`` fails the tests; they never
skip. Session fixtures are per process (one per pytest-xdist worker); the Go builds take a file
lock, so parallel workers wait for one build.
"""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

import argocd_binaries
import binaries
import pytest
from argocd_world import ArgoCDWorld, HarnessError, World, start_world
from fake_operators import FakeOperators

#: The session's kube-apiserver and etcd (``binaries.kube_binaries``), the fixture tests/kube shares.
kube_binaries = binaries.kube_binaries


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.argocd)
            item.add_marker(pytest.mark.kube)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def argocd_bins() -> dict[str, Path]:
    try:
        return {name: built.path for name, built in argocd_binaries.argocd().items()}
    except binaries.BuildError as error:
        pytest.fail(f"cannot build Argo CD: {error}", pytrace=False)


@pytest.fixture
def argocd_world(kube_binaries: dict[str, Path], argocd_bins: dict[str, Path], tmp_path: Path) -> World:
    """``with argocd_world(inferentia=False, operand_delay=5.0) as (world, operators):`` a cluster
    with Argo CD and the fake operators running; the bootstrap is the test's to apply."""

    @contextlib.contextmanager
    def start(*, inferentia: bool = False, operand_delay: float = 5.0) -> t.Iterator[tuple[ArgoCDWorld, FakeOperators]]:
        try:
            with (
                start_world(kube_binaries, argocd_bins, tmp_path / "world", inferentia=inferentia) as world,
                FakeOperators(world.server, operand_delay=operand_delay) as operators,
            ):
                yield world, operators
                assert not operators.errors, f"the fake operators failed: {operators.errors[:3]}"
        except HarnessError as error:
            pytest.fail(f"cannot start Argo CD: {error}", pytrace=False)

    return start
