"""Benchmark tools/lint on a synthetic fleet: is the lint layer cheap and linear?

Builds a fleet in a temporary directory (a copy of base/ and components/, plus
overlays/c0000..cNNNN generated from overlays/prod: 4 autoscaled GPU pools in 4 zones per
cluster, the operators and the validation build), then for two fleet sizes measures:

- raw render: plain ``kustomize`` of every directory the render layer rendered (each cluster
  overlay, the path of each of its Applications, its validation/ builds), one after another;
- render layer: ``accelcap.render.render_overlay`` of every cluster (kustomize plus origin
  tracking and strict YAML loading);
- lint: ``accelcap.lint.engine.lint_overlays`` over the rendered fleet.

It prints objects per second and lint time as a ratio to the raw render time (target:
lint adds under 30% to rendering) and lint microseconds per object for both sizes (about
equal = linear). The fleet must lint clean; the script exits 1 when it does not.

    .venv/bin/python benchmarks/lint_fleet.py               # 200 and 100 clusters (a few minutes)
    .venv/bin/python benchmarks/lint_fleet.py --clusters 20 # quick
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from accelcap.config import load_settings
from accelcap.generate import write_derived
from accelcap.lint.engine import lint_overlays
from accelcap.model import render_model
from accelcap.render import RenderedOverlay, kustomize_command

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = "prod"
TEMPLATE_ZONE = "us-west-2a"
ZONES = ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d")
LINT_REPEATS = 5
REPLICATE = 10


def build_fleet(root: Path, clusters: int) -> list[Path]:
    """A repository at ``root`` with ``clusters`` cluster overlays modelled on prod."""
    for directory in ("base", "components"):
        shutil.copytree(REPO / directory, root / directory)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    template = REPO / "overlays" / TEMPLATE
    overlays = []
    for index in range(clusters):
        name = f"c{index:04d}"
        overlay = root / "overlays" / name
        shutil.copytree(template, overlay, ignore=shutil.ignore_patterns("inferentia"))
        _write_facts(overlay, name, index)
        _write_pools(overlay)
        overlays.append(overlay)
    # The wiring of the worker settings and the GPU limits (4 pools x 2 nodes), as the
    # generator writes them.
    write_derived(root)
    return overlays


def _write_facts(overlay: Path, name: str, index: int) -> None:
    """The cluster's facts: its infraID (in the captured worker settings too), its zones, and
    each zone's subnet; then the wiring generated from them."""
    facts = overlay / "facts" / "cluster.yaml"
    text = facts.read_text()
    infra_id = f"{name}-{index:05x}"[:27]
    template_id = _value(text, "infraID")
    zones = "".join(f"    - {zone}\n" for zone in ZONES)
    text = text.replace(f"name: {TEMPLATE}\n", f"name: {name}\n", 1).replace(template_id, infra_id)
    text = text.replace(f"    - {TEMPLATE_ZONE}\n", zones, 1)
    template_subnet = f"    {TEMPLATE_ZONE}:\n      filters:\n"
    if template_subnet not in text:
        raise SystemExit(f"{facts}: layout changed; update benchmarks/lint_fleet.py")
    subnets = "".join(
        f"    {zone}:\n      filters:\n        - name: tag:Name\n          values:\n"
        f"            - {infra_id}-subnet-private-{zone}\n"
        for zone in ZONES[1:]
    )
    text = text.replace("  worker:\n", subnets + "  worker:\n", 1)
    facts.write_text(text)


def _value(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith(f"{key}:"):
            return line.split(":", 1)[1].split("#", 1)[0].strip()
    raise SystemExit(f"template facts have no {key}")


def _write_pools(overlay: Path) -> None:
    capacity = overlay / "capacity"
    template = capacity / f"gpu-{TEMPLATE_ZONE}"
    for zone in ZONES[1:]:
        copy = capacity / f"gpu-{zone}"
        shutil.copytree(template, copy)
        pool = copy / "pool.yaml"
        pool.write_text(pool.read_text().replace(TEMPLATE_ZONE, zone))
    kustomization = capacity / "kustomization.yaml"
    text = kustomization.read_text()
    listed = "".join(f"  - gpu-{zone}\n" for zone in ZONES)
    if f"  - gpu-{TEMPLATE_ZONE}\n" not in text:
        raise SystemExit(f"{kustomization}: layout changed; update benchmarks/lint_fleet.py")
    kustomization.write_text(text.replace(f"  - gpu-{TEMPLATE_ZONE}\n", listed, 1))


def raw_render_seconds(root: Path, rendered: list[RenderedOverlay]) -> float:
    """Plain kustomize of every directory the render layer rendered, one after another."""
    directories = list(dict.fromkeys(root / d.rendered_from for overlay in rendered for d in overlay.documents))
    directories += [overlay.path for overlay in rendered if overlay.path not in directories]
    command = kustomize_command()
    start = time.perf_counter()
    for directory in directories:
        subprocess.run([*command, str(directory)], check=True, capture_output=True)
    return time.perf_counter() - start


def measure(clusters: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="accelcap-fleet-") as temporary:
        root = Path(temporary)
        overlays = build_fleet(root, clusters)
        settings = load_settings(root)
        start = time.perf_counter()
        rendered: list[RenderedOverlay] = [render_model(overlay, settings) for overlay in overlays]
        render_layer = time.perf_counter() - start
        raw = raw_render_seconds(root, rendered)
        lint_overlays(rendered[:1])  # warm up: import and register the rules
        lint = float("inf")
        for _ in range(LINT_REPEATS):  # best of a few: lint is fast enough for noise to matter
            gc.collect()
            start = time.perf_counter()
            findings = lint_overlays(rendered)
            lint = min(lint, time.perf_counter() - start)
        # The same fleet linted REPLICATE times over, without rendering again: lint time per
        # object should stay flat as the input grows.
        gc.collect()
        start = time.perf_counter()
        lint_overlays(rendered * REPLICATE)
        lint_replicated = time.perf_counter() - start
        objects = sum(len(o.documents) for o in rendered)
        pools = sum(1 for o in rendered for d in o.documents if d.kind == "MachineSet")
    if findings:
        for finding in findings[:10]:
            print(f"  {finding.overlay} {finding.object} {finding.code} {finding.message}", file=sys.stderr)
        raise SystemExit(f"the synthetic fleet of {clusters} clusters does not lint clean ({len(findings)} findings)")
    return {
        "clusters": clusters,
        "pools": pools,
        "objects": objects,
        "raw": raw,
        "render_layer": render_layer,
        "lint": lint,
        "lint_replicated": lint_replicated,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clusters", type=int, default=200, help="larger fleet size (default 200); the smaller is half"
    )
    args = parser.parse_args()
    sizes = sorted({max(1, args.clusters // 2), args.clusters})
    results = [measure(size) for size in sizes]
    print(
        f"{'clusters':>8} {'pools':>6} {'objects':>8} {'raw s':>8} {'layer s':>8} {'lint s':>8} "
        f"{'lint/raw':>9} {'lint obj/s':>11} {'e2e obj/s':>10} {'lint us/obj':>12}"
    )
    for r in results:
        ratio = r["lint"] / r["raw"]
        print(
            f"{r['clusters']:>8.0f} {r['pools']:>6.0f} {r['objects']:>8.0f} {r['raw']:>8.2f} {r['render_layer']:>8.2f} "
            f"{r['lint']:>8.3f} {ratio:>8.1%} {r['objects'] / r['lint']:>11.0f} "
            f"{r['objects'] / (r['render_layer'] + r['lint']):>10.0f} {1e6 * r['lint'] / r['objects']:>12.1f}"
        )
    for r in results:
        print(
            f"lint of {r['clusters']:.0f} clusters x{REPLICATE} in memory ({r['objects'] * REPLICATE:.0f} objects): "
            f"{r['lint_replicated']:.3f} s, {1e6 * r['lint_replicated'] / (r['objects'] * REPLICATE):.1f} us/object"
        )
    if len(results) == 2:
        small, large = results
        growth = (large["lint"] / small["lint"]) / (large["objects"] / small["objects"])
        print(f"lint time grows {growth:.2f}x as fast as the object count (1.00 = linear)")
    worst = max(r["lint"] / r["raw"] for r in results)
    print(f"target lint < 30% of raw render: {'met' if worst < 0.30 else 'NOT met'} (worst {worst:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
