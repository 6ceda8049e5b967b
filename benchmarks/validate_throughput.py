"""Throughput of the built-in validator against kubernetes-validate's CLI, and the cost of a
full validate run relative to rendering alone. Prints figures; asserts nothing (no timed tests).

    .venv/bin/python benchmarks/validate_throughput.py [--documents N] [--repeat R]

1. The same core-kind documents (the prod overlay's Namespaces and Pod, plus generated
   ConfigMaps, ServiceAccounts, DaemonSets and RBAC objects) are validated strictly with
   - ``kubernetes-validate --strict`` (its CLI, one process for the whole file), and
   - ``tools/validate FILE --schema-location kubernetes-validate`` (our CLI, one process),
   - and our engine in-process (schemas compiled once, then every document).
   Target: our CLI >= 5x the documents per second of kubernetes-validate's.
2. ``tools/validate`` on every overlay versus rendering every overlay (same process work
   minus validation), as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

from accelcap.config import load_settings
from accelcap.render import Document, render_targets
from accelcap.validate import ValidateOptions, Validator

REPO = Path(__file__).resolve().parents[1]

KUBERNETES_VERSION = "1.31"


def core_documents(count: int) -> list[dict[str, t.Any]]:
    settings = load_settings(REPO)
    (prod,) = render_targets(["prod"], settings)
    seeds = [d.obj for d in prod.documents if "/" not in d.api_version]
    documents: list[dict[str, t.Any]] = []
    index = 0
    while len(documents) < count:
        name = f"bench-{index}"
        documents += [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "bench"}, "data": {"k": "v"}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "bench"}},
            {
                "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": "bench"},
                "spec": {
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "c", "image": "registry.example/x:1", "resources": {"limits": {"cpu": "1"}}}],
                                 "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
                    },
                },
            },
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
             "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
            *seeds,
        ]  # fmt: skip
        index += 1
    return documents[:count]


def timed(command: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``command``; it must succeed."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(command[:3])}... failed ({result.returncode}): {result.stdout[-500:]}{result.stderr[-500:]}"
            )
    return statistics.median(times)


def main() -> None:
    # A cache of its own: the first full run converts the pinned CRDs, as on a fresh machine.
    with tempfile.TemporaryDirectory(prefix="accelcap-bench-") as cache:
        measure(cache)


def measure(cache: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    kubernetes_validate = shutil.which("kubernetes-validate", path=str(Path(python).parent)) or shutil.which(
        "kubernetes-validate"
    )
    if not kubernetes_validate:
        raise SystemExit("kubernetes-validate is not installed")
    documents = core_documents(args.documents)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "ACCELCAP_CACHE_DIR": cache,
    }
    os.environ["ACCELCAP_CACHE_DIR"] = env["ACCELCAP_CACHE_DIR"]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "core.yaml")
        path.write_text("\n---\n".join(json.dumps(d) for d in documents))
        theirs = timed([kubernetes_validate, "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(path)], args.repeat)
        ours_cli = timed(
            [python, "-m", "accelcap.toolbox", "validate", str(path), "--engine", "builtin",
             "--kubernetes-version", KUBERNETES_VERSION, "--schema-location", "kubernetes-validate"],
            args.repeat, env,
        )  # fmt: skip

        settings = load_settings(REPO)
        wrapped = [Document(d, "bench", "bench") for d in documents]
        start = time.perf_counter()
        validator = Validator(settings, ValidateOptions(schema_locations=["kubernetes-validate"], engine="builtin"))
        outcome = validator.validate_documents(wrapped, KUBERNETES_VERSION)
        first_pass = time.perf_counter() - start
        start = time.perf_counter()
        validator.validate_documents(wrapped, KUBERNETES_VERSION)
        warm_pass = time.perf_counter() - start
        assert not outcome.findings, outcome.findings[:3]

    n = len(documents)
    print(f"core-kind documents: {n} (strict, Kubernetes {KUBERNETES_VERSION})")
    print(f"  kubernetes-validate CLI    {theirs:8.3f} s  {n / theirs:9.0f} docs/s")
    print(
        f"  tools/validate CLI         {ours_cli:8.3f} s  {n / ours_cli:9.0f} docs/s  ratio {theirs / ours_cli:5.1f}x (target >= 5x)"
    )
    print(
        f"  in-process, cold schemas   {first_pass:8.3f} s  {n / first_pass:9.0f} docs/s  ratio {theirs / first_pass:5.1f}x"
    )
    print(
        f"  in-process, warm schemas   {warm_pass:8.3f} s  {n / warm_pass:9.0f} docs/s  ratio {theirs / warm_pass:5.1f}x"
    )

    render = timed([python, "-c", "from accelcap.render import render_targets; render_targets([])"], args.repeat, env)
    full = timed([python, "-m", "accelcap.toolbox", "validate", "--engine", "builtin"], args.repeat, env)
    print("every overlay (each in a fresh process, generated schemas cached):")
    print(f"  render only                {render:8.3f} s")
    print(f"  tools/validate             {full:8.3f} s  ratio to render {full / render:4.2f}")


if __name__ == "__main__":
    main()
