"""Benchmark the build of the real binaries the tests run, and the test API server's start.

Prints, in seconds:

- cold: kube-apiserver and etcd built from ``test/apiserver`` with an empty Go build cache
  (a fresh GOCACHE; the module cache is kept, as on a machine that has downloaded once),
  and kubeconform likewise;
- warm: the same builds again with that build cache (what a new clone on the same machine,
  or a changed build flag, costs);
- cached: ``binaries.kube()`` when the binaries are in place (what every test run pays);
- start: etcd and kube-apiserver up and ready, and the pinned CRDs installed.

    .venv/bin/python benchmarks/kube_build.py          # cold, warm, cached, start (~10 minutes)
    .venv/bin/python benchmarks/kube_build.py --warm   # skip the cold build

Conformance time per cluster: not yet (the conformance suite waits for issue 10).
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
import kube_support

from support import shared_dir


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", action="store_true", help="skip the cold build")
    args = parser.parse_args()
    print(f"go: {binaries.go_version()}; flags: {' '.join(binaries.BUILD_FLAGS)}; CPUs: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="accelcap-bench-") as scratch:
        gocache = Path(scratch, "gocache")
        if not args.warm:
            kube, kubeconform = timed_build(Path(scratch, "cold"), gocache)
            print(f"cold   kube-apiserver+etcd {kube:7.1f} s   kubeconform {kubeconform:6.1f} s")
        else:
            os.environ.pop("GOCACHE", None)
            gocache = None  # type: ignore[assignment]
        kube, kubeconform = timed_build(Path(scratch, "warm"), gocache)
        print(f"warm   kube-apiserver+etcd {kube:7.1f} s   kubeconform {kubeconform:6.1f} s")
        started = time.monotonic()
        built = binaries.kube()
        print(f"cached binaries.kube()     {time.monotonic() - started:7.3f} s")
        started = time.monotonic()
        with kube_support.start_api_server(
            built["etcd"].path, built["kube-apiserver"].path, Path(scratch, "run")
        ) as server:
            ready = time.monotonic() - started
            crds = sorted((shared_dir() / "crds").rglob("*.yaml"))
            server.install_crds(crds)
            print(
                f"start  etcd+kube-apiserver ready {ready:5.1f} s, +{len(crds)} CRD files {time.monotonic() - started - ready:5.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
