"""The main job (``tools/check``) against rendering the same builds once, and what pre-commit
spawns for a change to ``base/``. Prints figures; asserts nothing (no timed tests).

For each fleet size (default 20 and 200 clusters) a synthetic fleet is made in a temporary
directory (copies of prod with other names and infraIDs: ``lint_fleet.build_fleet``), then:

- builds: every directory the render layer renders for the fleet (each cluster's overlay, the
  path of each Application, the validation/ builds), each counted once;
- sequential render: plain ``kustomize build`` of each build, one after another, in the
  environment the tools give kustomize (``render.kustomize.kustomize_env``: among others, Go's
  collector off below a soft memory limit), so both sides of each figure run the same
  kustomize work;
- parallel render: the same, as many at once as the render layer runs (``ACCELCAP_JOBS``, else
  the cores this process may use);
- parallel render, Go defaults: the same in this process's own environment, as a person runs
  kustomize (printed for comparison; no goal uses it);
- main job: the README's main job, ``check`` in a fresh process (infraID, validate, lint and
  the quota plan of every overlay), with the pinned schemas already in the cache and the tools'
  bytecode compiled, as an installed package has it (``support.compile_tools``);
- before: what the main job was, ``set-infra-id --check && validate && lint`` (``--skip-before``
  leaves it out: it renders everything twice).

The goals (issues 14 and 23): the main job takes at most 1.1x the sequential render at 200
clusters, and its own Python work (the main job minus the parallel render) is at most a tenth
of the parallel render.

Then, in a 50-cluster fleet, it counts the kustomize processes that a change to
``base/pools/gpu/kustomization.yaml`` spawns in pre-commit: the hook that checks (``check
--changed``) against the three hooks it replaced (``validate --changed``, ``lint
--changed``, ``verify-quotas --plan --changed``), and, apart, the generator hook (``python -m
accelcap.generate``, which renders every cluster whose GPU limits it keeps).

    .venv/bin/python benchmarks/one_pass.py                  # 20 and 200 clusters (15-20 minutes)
    .venv/bin/python benchmarks/one_pass.py --clusters 20 --changed-clusters 10   # quick
    .venv/bin/python benchmarks/one_pass.py --clusters 200 --skip-before --repeat 3   # the goals, medians of 3

The pinned schemas come from the shared test data (``../shared`` or ``ACCELCAP_SHARED``), laid
out as a mirror in the temporary directory: no network.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The synthetic fleet (lint_fleet) and the shared test data as a mirror (the tests' helpers).
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO / "tests")]

from lint_fleet import build_fleet

from accelcap.config import load_settings
from accelcap.render import BuildCache, default_jobs, kustomize_command, list_overlays, rendering_overlays
from accelcap.render.kustomize import kustomize_env
from mirror import build_mirror
from support import compile_tools, shared_dir

#: The change whose pre-commit cost is counted: a base every cluster's pools use.
CHANGED = "base/pools/gpu/kustomization.yaml"
#: The hooks ``check`` replaced, as they ran (``tools/<name> ARGS FILE``).
OLD_HOOKS = (("validate", "--changed"), ("lint", "--changed"), ("verify-quotas", "--plan", "--changed"))
NEW_HOOK = ("check", "--changed")


def tool(name: str, *args: str) -> list[str]:
    """A tool's command line in a fresh process, as its console script runs it."""
    return [sys.executable, "-m", "accelcap.toolbox", name, *args]


def environment(root: Path, scratch: Path) -> dict[str, str]:
    """The tools' environment: the fleet, a mirror of the pinned files, a cache of this run."""
    mirror = scratch / "mirror"
    if not mirror.is_dir():
        build_mirror(shared_dir(), mirror)
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "ACCELCAP_REPO": str(root),
        "ACCELCAP_CRD_MIRROR": str(mirror),
        "ACCELCAP_CACHE_DIR": str(scratch / "cache"),
        "ACCELCAP_FORMAT": "text",
        "NO_COLOR": "1",
    }


def run(command: list[str], env: dict[str, str]) -> float:
    """Wall time of ``command``; it must pass."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(command)}: exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr}")
    return elapsed


def fleet_builds(root: Path) -> tuple[list[Path], int]:
    """Every build the render layer renders for the fleet, and the objects rendered."""
    settings = load_settings(root)
    overlays = list_overlays(settings)
    with BuildCache(settings) as builds, rendering_overlays(overlays, settings, cache=builds) as rendered:
        objects = sum(len(overlay.documents) for overlay in rendered)
        return builds.directories, objects


def render_seconds(builds: list[Path], jobs: int, env: dict[str, str] | None) -> float:
    """Plain kustomize of every build, ``jobs`` at a time, in ``env`` (None: this process's)."""
    command = kustomize_command()

    def build(directory: Path) -> None:
        subprocess.run([*command, str(directory)], check=True, capture_output=True, env=env)

    start = time.perf_counter()
    if jobs == 1:
        for directory in builds:
            build(directory)
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(build, builds))
    return time.perf_counter() - start


def measure(clusters: int, scratch: Path, before: bool, repeat: int = 1) -> dict[str, t.Any]:
    """The figures of one fleet size; the parallel render and the main job ``repeat`` times
    each, one after the other in turn (so a machine that slows down slows both), their medians
    the figures and every pair kept."""
    with tempfile.TemporaryDirectory(prefix="accelcap-one-pass-") as temporary:
        root = Path(temporary)
        build_fleet(root, clusters)
        env = environment(root, scratch)
        run(tool("validate", "c0000"), env)  # fetch and convert the pinned schemas once, untimed
        builds, objects = fleet_builds(root)
        jobs = default_jobs()
        figures: dict[str, t.Any] = {
            "clusters": clusters,
            "builds": len(builds),
            "objects": objects,
            "jobs": jobs,
            "sequential": render_seconds(builds, 1, kustomize_env()),
            "parallel_go_defaults": render_seconds(builds, jobs, None),
        }
        pairs = [(render_seconds(builds, jobs, kustomize_env()), run(tool("check"), env)) for _ in range(repeat)]
        figures["pairs"] = pairs
        figures["parallel"] = statistics.median(par for par, _ in pairs)
        figures["check"] = statistics.median(check for _, check in pairs)
        if before:
            figures["before"] = sum(run(tool(*c), env) for c in (("set-infra-id", "--check"), ("validate",), ("lint",)))
    return figures


def count_kustomize(clusters: int, scratch: Path) -> dict[str, int]:
    """kustomize processes spawned by each pre-commit hook for a change to ``CHANGED``."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="accelcap-changed-") as temporary:
        root = Path(temporary) / "fleet"
        root.mkdir()
        build_fleet(root, clusters)
        env = environment(root, scratch)
        run(tool("validate", "c0000"), env)
        counter = Path(temporary) / "kustomize-count"
        wrapper = Path(temporary) / "counting-kustomize"
        # The counter's path is in the script: kustomize runs with an allowlisted environment
        # (render.kustomize_env), so a variable naming it would not reach the wrapper.
        wrapper.write_text(f'#!/bin/sh\necho x >> {shlex.quote(str(counter))}\nexec "$@"\n')
        wrapper.chmod(0o755)
        env |= {"ACCELCAP_KUSTOMIZE": shlex.join([str(wrapper), *kustomize_command()])}
        hooks: dict[str, list[str]] = {" ".join(h): tool(*h, CHANGED) for h in (*OLD_HOOKS, NEW_HOOK)}
        # What the generator hook renders: the text of every derived file (the GPU limits render).
        derive = (
            "from accelcap.config import load_settings; from accelcap.generate import derived_files; "
            + "[f.text() for f in derived_files(load_settings().root)]"
        )
        hooks["generate"] = [sys.executable, "-c", derive]
        for name, command in hooks.items():
            counter.write_text("")
            run(command, env)
            counts[name] = len(counter.read_text().splitlines())
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=[20, 200], help="fleet sizes (default 20 200)")
    parser.add_argument("--changed-clusters", type=int, default=50, help="fleet size of the count (default 50)")
    parser.add_argument("--skip-before", action="store_true", help="do not time the main job as it was")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N",
        help="time the parallel render and the main job N times each, in turn; the figures are the medians",
    )  # fmt: skip
    args = parser.parse_args()
    compile_tools()
    with tempfile.TemporaryDirectory(prefix="accelcap-bench-") as temporary:
        scratch = Path(temporary)
        results = [measure(size, scratch, not args.skip_before, args.repeat) for size in args.clusters]
        counts = count_kustomize(args.changed_clusters, scratch)

    print(
        f"{'clusters':>8} {'builds':>6} {'objects':>7} {'jobs':>4} {'seq s':>7} {'par s':>7} {'par Go s':>8} {'check s':>8} "
        f"{'check/seq':>9} {'check/par':>9} {'before s':>8} {'before/seq':>10}"
    )
    for r in results:
        before = r.get("before")
        print(
            f"{r['clusters']:>8.0f} {r['builds']:>6.0f} {r['objects']:>7.0f} {r['jobs']:>4.0f} {r['sequential']:>7.1f} "
            f"{r['parallel']:>7.1f} {r['parallel_go_defaults']:>8.1f} {r['check']:>8.1f} {r['check'] / r['sequential']:>9.2f} "
            f"{r['check'] / r['parallel']:>9.2f} "
            + (f"{before:>8.1f} {before / r['sequential']:>10.2f}" if before else f"{'-':>8} {'-':>10}")
        )
    for r in results:
        if len(r["pairs"]) > 1:
            shown = ", ".join(f"{par:.1f}/{check:.1f} ({(check - par) / par:.2f}x)" for par, check in r["pairs"])
            print(f"{r['clusters']:>8.0f} clusters, par/check s in turn (Python work): {shown}")
    largest = max(results, key=lambda r: r["clusters"])
    ratio = largest["check"] / largest["sequential"]
    verdict = "met" if ratio <= 1.1 else "NOT met"
    print(
        f"goal: main job <= 1.1x the sequential render at {largest['clusters']:.0f} clusters: {verdict} ({ratio:.2f}x)"
    )
    python_work = (largest["check"] - largest["parallel"]) / largest["parallel"]
    verdict = "met" if python_work <= 0.1 else "NOT met"
    print(
        f"goal: Python work (check - parallel render) <= 0.1x the parallel render at {largest['clusters']:.0f} "
        f"clusters: {verdict} ({python_work:.2f}x)"
    )
    print(f"kustomize processes for a change to {CHANGED} in a {args.changed_clusters}-cluster fleet:")
    rows = [(f"before: {' '.join(hook)}", counts[" ".join(hook)]) for hook in OLD_HOOKS]
    rows.append(("before: the three hooks together", sum(counts[" ".join(hook)] for hook in OLD_HOOKS)))
    rows.append((f"now:    {' '.join(NEW_HOOK)}", counts[" ".join(NEW_HOOK)]))
    rows.append(("both:   the generator hook", counts["generate"]))
    for label, count in rows:
        print(f"  {label:<40} {count:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
