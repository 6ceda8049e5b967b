"""Benchmark the build of the real binaries the tests run, and the test API server's start.

Prints, in seconds:

- cold: kube-apiserver and etcd built from ``test/apiserver`` with an empty Go build cache
  (a fresh GOCACHE; the module cache is kept, as on a machine that has downloaded once),
  and kubeconform likewise;
- warm: the same builds again with that build cache (what a new clone on the same machine,
  or a changed build flag, costs);
- cached: ``binaries.kube()`` when the binaries are in place (what every test run pays);
- start: etcd and kube-apiserver up and ready, and the cluster's CRDs installed;
- conformance, per cluster (``tests/kube/conformance.py``: every overlay, and prod with
  Inferentia on): the render, a fresh API server ready with the cluster's CRDs, and the suite
  itself (set-up, bootstrap, each Application), as the tests run it.

    .venv/bin/python benchmarks/kube_build.py          # cold, warm, cached, start, conformance (~10 minutes)
    .venv/bin/python benchmarks/kube_build.py --warm   # skip the cold build
    .venv/bin/python benchmarks/kube_build.py --conformance   # only the conformance times
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "kube"), str(REPO / "tests")]

import binaries
import conformance
import kube_support


def timed_build(bin_dir: Path, gocache: Path | None) -> tuple[float, float]:
    os.environ[binaries.BIN_DIR_ENV] = str(bin_dir)
    if gocache is not None:
        os.environ["GOCACHE"] = str(gocache)
    started = time.monotonic()
    binaries.kube()
    kube = time.monotonic() - started
    started = time.monotonic()
    binaries.kubeconform()
    return kube, time.monotonic() - started


def conformance_times(scratch: Path) -> None:
    """The conformance suite per cluster, each on a fresh API server, as the tests run it."""
    built = binaries.kube()
    for name in conformance.cluster_names():
        started = time.monotonic()
        rendered = conformance.render_cluster(name, Path(scratch, "repos"))
        render = time.monotonic() - started
        started = time.monotonic()
        with kube_support.start_api_server(
            built["etcd"].path, built["kube-apiserver"].path, Path(scratch, f"run-{name}")
        ) as server:
            kube_support.install_cluster_crds(server)
            start = time.monotonic() - started
            report = conformance.run_suite(server, rendered, label=name)
        verdict = "ok" if report.ok else f"{len(report.problems())} problems"
        print(
            f"conformance {name:<18} {len(report.checked):3d} objects  suite {report.seconds:5.2f} s"
            f"  (render {render:4.1f} s, API server with CRDs {start:5.1f} s)  {verdict}"
        )
        steps = [("set-up", report.setup_seconds)] + [(run.name, run.seconds) for run in report.runs]
        print("    " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in steps))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", action="store_true", help="skip the cold build")
    parser.add_argument("--conformance", action="store_true", help="only the conformance suite's times")
    args = parser.parse_args()
    print(f"go: {binaries.go_version()}; flags: {' '.join(binaries.BUILD_FLAGS)}; CPUs: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="accelcap-bench-") as scratch:
        if not args.conformance:
            builds(Path(scratch), args.warm)
        conformance_times(Path(scratch))
    return 0


def builds(scratch: Path, warm_only: bool) -> None:
    gocache: Path | None = Path(scratch, "gocache")
    if not warm_only:
        kube, kubeconform = timed_build(Path(scratch, "cold"), gocache)
        print(f"cold   kube-apiserver+etcd {kube:7.1f} s   kubeconform {kubeconform:6.1f} s")
    else:
        os.environ.pop("GOCACHE", None)
        gocache = None
    kube, kubeconform = timed_build(Path(scratch, "warm"), gocache)
    print(f"warm   kube-apiserver+etcd {kube:7.1f} s   kubeconform {kubeconform:6.1f} s")
    # Back to the real binaries and Go cache for what follows.
    os.environ.pop(binaries.BIN_DIR_ENV, None)
    os.environ.pop("GOCACHE", None)
    started = time.monotonic()
    built = binaries.kube()
    print(f"cached binaries.kube()     {time.monotonic() - started:7.3f} s")
    started = time.monotonic()
    with kube_support.start_api_server(
        built["etcd"].path, built["kube-apiserver"].path, Path(scratch, "run")
    ) as server:
        ready = time.monotonic() - started
        kube_support.install_cluster_crds(server)
        print(f"start  etcd+kube-apiserver ready {ready:5.1f} s, +CRDs {time.monotonic() - started - ready:5.1f} s")


if __name__ == "__main__":
    sys.exit(main())
