"""Generated files named when they lag their inputs, before anything renders.

A cluster's ``facts/worker/kustomization.yaml`` wires the facts into every pool
(``accelcap.worker``). When the facts change and it does not, kustomize fails on its own
terms (``fieldPath 'spec.subnets.us-west-2b' is missing for replacement source
ClusterFacts...``) or renders the old settings. ``require_current`` compares it with what
the facts give, for the clusters a run renders, and stops with one line that says what to
run. The GPU limits (``gpu-limits.yaml``) follow from a render, so lint rule CAP011 compares
them with the run's own render instead.

Tools that change an input of a generated file rewrite the generated files themselves
(``accelcap.generate.write_derived``): ``set-infra-id``, ``new-cluster``.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from .config import Settings
from .errors import InputError
from .facts import cluster_dir_of, load_facts
from .files import read_text
from .toolbox import GENERATOR
from .worker import wiring_path, wiring_text

#: What every tool says of a generated file that lags its inputs.
STALE = f"generated files are stale: run `{GENERATOR}`"


def clusters_of(directories: t.Iterable[Path]) -> list[str]:
    """The clusters whose overlay directories (or directories inside them) are given."""
    found = (cluster_dir_of(directory) for directory in directories)
    return list(dict.fromkeys(cluster.name for cluster in found if cluster is not None))


def stale_before_render(clusters: t.Iterable[str], settings: Settings) -> list[str]:
    """The generated files of ``clusters`` that need no render and lag their inputs."""
    stale = []
    for cluster in clusters:
        facts = load_facts(cluster, settings)
        path = wiring_path(facts.path)
        where = settings.relative(path)
        current = read_text(path, where).text if path.is_file() else None
        if current != wiring_text(facts.worker, facts.subnets):
            stale.append(where)
    return stale


def require_current(directories: t.Iterable[Path], settings: Settings) -> None:
    """Stop (bad input, exit 2) when a generated file of the clusters of ``directories`` is stale."""
    stale = stale_before_render(clusters_of(directories), settings)
    if stale:
        raise InputError(", ".join(stale), STALE)
