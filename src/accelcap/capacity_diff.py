"""tools/capacity-diff BASE HEAD: what a change does to the most capacity each cluster can launch.

For each cluster, pool and quota class: the most vCPUs and accelerators the pools can run
(max replicas x per instance, max replicas being the MachineAutoscaler's maximum where one
exists, else ``spec.replicas``), at BASE and at HEAD, and the ClusterAutoscaler's GPU limits.
A changed pool is described in the terms of its pool.yaml (``maxReplicas 2 -> 4``,
``instanceType g5.2xlarge -> g6.2xlarge``, ``market Spot -> OnDemand``); a pool added in a new
zone shows as added, with its zone. Both revisions are rendered from git with the same render
layer as every other tool. The hourly cost of each pool and cluster at its maximum, before and
after (accelcap.costs), comes from the pinned price table, an estimate marked as such; only
--prices aws reads prices from AWS.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import tempfile
import typing as t
from dataclasses import asdict, dataclass
from pathlib import Path

from .cli import add_format_option, entry_point, new_parser
from .config import load_settings
from .costs import CostReport, as_json, cost_report, price_book
from .costs import write_markdown as write_costs_markdown
from .costs import write_text as write_costs_text
from .errors import EXIT_OK, InputError
from .facts import list_clusters
from .git import last_error_line, resolve_commit, run_git
from .instance_types import require
from .pool_settings import MARKETS
from .pools import AUTOSCALING_GROUP, find_pools
from .quotas.demand import PoolPlan, plan_pools
from .render import RenderedOverlay, rendering_overlays
from .report import use_colour
from .tables import markdown_table, text_table
from .yamlload import value_at

TOOL = "capacity-diff"


#: The quota market of a pool -> its word in pool.yaml.
POOL_YAML_MARKET = {value: key for key, value in MARKETS.items()}


@dataclass(frozen=True)
class PoolCapacity:
    cluster: str
    pool: str
    instance_type: str
    market: str
    quota_class: str
    max_replicas: int
    vcpus: int
    accelerators: int
    zone: str | None = None
    #: The pool.yaml the MachineSet is filled from, where there is one.
    pool_yaml: str | None = None


@dataclass(frozen=True)
class PoolChange:
    cluster: str
    pool: str
    change: str  # added | removed | changed | unchanged
    base: PoolCapacity | None
    head: PoolCapacity | None

    @property
    def detail(self) -> str:
        """The change in the words of pool.yaml."""
        if self.base is None or self.head is None:
            pool = self.head or self.base
            assert pool is not None
            return f"zone {pool.zone}, maxReplicas {pool.max_replicas}" if pool.zone else ""
        notes = []
        if self.base.instance_type != self.head.instance_type:
            notes.append(f"instanceType {self.base.instance_type} -> {self.head.instance_type}")
        if self.base.market != self.head.market:
            notes.append(f"market {POOL_YAML_MARKET[self.base.market]} -> {POOL_YAML_MARKET[self.head.market]}")
        if self.base.max_replicas != self.head.max_replicas:
            notes.append(f"maxReplicas {self.base.max_replicas} -> {self.head.max_replicas}")
        return ", ".join(notes)


@dataclass(frozen=True)
class GpuLimitChange:
    """One ``resourceLimits.gpus`` entry of a cluster's ClusterAutoscaler, before and after."""

    cluster: str
    type: str
    base: int | None
    head: int | None


@dataclass(frozen=True)
class ClassTotal:
    cluster: str
    quota_class: str
    market: str
    base_vcpus: int
    head_vcpus: int
    base_accelerators: int
    head_accelerators: int

    @property
    def delta_vcpus(self) -> int:
        return self.head_vcpus - self.base_vcpus

    @property
    def delta_accelerators(self) -> int:
        return self.head_accelerators - self.base_accelerators


def export_revision(repo: Path, revision: str, destination: Path) -> Path:
    """Write the tree of ``revision`` (resolved to a commit first) into ``destination``.

    A link in the revision that points outside ``destination`` (absolute, or up through
    ``..``) is bad input: the archive is extracted with tarfile's ``data`` filter.
    """
    commit = resolve_commit(repo, revision)
    result = run_git(repo, "archive", "--format=tar", commit, where=f"git archive {revision}")
    if result.returncode != 0:
        raise InputError(revision, f"git archive failed: {last_error_line(result)}")
    try:
        with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
            archive.extractall(destination, filter="data")
    except tarfile.FilterError as error:
        member = error.tarinfo.name if error.tarinfo else "?"
        raise InputError(f"{revision}:{member}", f"refused: {error}") from None
    except tarfile.TarError as error:
        raise InputError(f"git archive {revision}", f"unreadable archive: {error}") from None
    return destination


def _capacity(cluster: str, plan: PoolPlan, overlay: str, zone: str | None, pool_yaml: str | None) -> PoolCapacity:
    known = require(plan.instance_type, f"{overlay}: {plan.ref}", "the capacity diff cannot size it")
    return PoolCapacity(
        cluster,
        plan.name,
        plan.instance_type,
        plan.market.value,
        plan.quota_title,
        plan.max_replicas,
        plan.max_replicas * known.vcpus,
        plan.max_replicas * known.accelerators,
        zone,
        pool_yaml,
    )


@dataclass
class Capacities:
    """Every pool of every cluster of one revision, and each cluster's GPU limits."""

    pools: dict[tuple[str, str], PoolCapacity]
    gpu_limits: dict[tuple[str, str], int]


def capacities(root: Path) -> Capacities:
    """Every pool of every cluster in the tree at ``root``."""
    settings = load_settings(root)
    found = Capacities({}, {})
    clusters = list_clusters(settings)
    # The clusters render at once, each build once (accelcap.render.rendering_overlays).
    with rendering_overlays([settings.overlays / cluster for cluster in clusters], settings) as renders:
        for cluster, rendered in zip(clusters, renders, strict=True):
            _add_cluster(found, cluster, rendered)
    return found


def _add_cluster(found: Capacities, cluster: str, rendered: RenderedOverlay) -> None:
    """Every pool of one rendered cluster, and its GPU limits, into ``found``."""
    pools = find_pools(rendered.documents)
    # The same reading of pools as verify-quotas --plan: type, market, maximum, class.
    for pool, plan in zip(pools, plan_pools(pools, rendered.name), strict=True):
        zone = value_at(pool.provider, "placement", "availabilityZone")
        zone = zone if isinstance(zone, str) else None
        settings = rendered.settings_of(pool)
        pool_yaml = settings.file if settings is not None else None
        found.pools[(cluster, plan.name)] = _capacity(cluster, plan, rendered.name, zone, pool_yaml)
    for autoscaler in rendered.of_kind("ClusterAutoscaler"):
        if autoscaler.group != AUTOSCALING_GROUP or autoscaler.name != "default":
            continue
        for entry in autoscaler.get("spec", "resourceLimits", "gpus", default=[]) or []:
            if isinstance(entry, dict) and isinstance(entry.get("max"), int):
                found.gpu_limits[(cluster, str(entry.get("type")))] = entry["max"]


def compare_gpu_limits(base: Capacities, head: Capacities) -> list[GpuLimitChange]:
    keys = sorted(set(base.gpu_limits) | set(head.gpu_limits))
    return [
        GpuLimitChange(cluster, kind, base.gpu_limits.get((cluster, kind)), head.gpu_limits.get((cluster, kind)))
        for cluster, kind in keys
    ]


def compare(
    base: dict[tuple[str, str], PoolCapacity], head: dict[tuple[str, str], PoolCapacity]
) -> tuple[list[PoolChange], list[ClassTotal]]:
    changes = []
    for key in sorted(set(base) | set(head)):
        before, after = base.get(key), head.get(key)
        kind = (
            "added" if before is None else "removed" if after is None else "unchanged" if before == after else "changed"
        )
        changes.append(PoolChange(key[0], key[1], kind, before, after))
    totals: dict[tuple[str, str, str], list[int]] = {}
    for side, pools in ((0, base), (1, head)):
        for capacity in pools.values():
            entry = totals.setdefault((capacity.cluster, capacity.quota_class, capacity.market), [0, 0, 0, 0])
            entry[side] += capacity.vcpus
            entry[2 + side] += capacity.accelerators
    classes = [ClassTotal(*key, *values) for key, values in sorted(totals.items())]
    return changes, classes


def _signed(value: int) -> str:
    return f"{value:+d}" if value else "0"


def _pool_row(change: PoolChange) -> list[str]:
    capacity = change.head or change.base
    assert capacity is not None
    before = f"{change.base.vcpus}" if change.base else "-"
    after = f"{change.head.vcpus}" if change.head else "-"
    return [
        change.cluster,
        change.pool,
        change.change,
        capacity.instance_type,
        capacity.market,
        before,
        after,
        change.detail,
    ]


def _class_row(total: ClassTotal) -> list[str]:
    return [
        total.cluster, total.quota_class, total.market, str(total.base_vcpus), str(total.head_vcpus),
        _signed(total.delta_vcpus), str(total.base_accelerators), str(total.head_accelerators),
        _signed(total.delta_accelerators),
    ]  # fmt: skip


POOL_HEADER = ["cluster", "pool", "change", "type", "market", "base vCPU", "head vCPU", "detail"]
CLASS_HEADER = [
    "cluster",
    "quota class",
    "market",
    "base vCPU",
    "head vCPU",
    "delta",
    "base accel",
    "head accel",
    "delta",
]


LIMIT_HEADER = ["cluster", "GPU type", "base max", "head max"]


def _limit_row(change: GpuLimitChange) -> list[str]:
    return [change.cluster, change.type, _or_dash(change.base), _or_dash(change.head)]


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


@dataclass
class Report:
    changes: list[PoolChange]
    classes: list[ClassTotal]
    limits: list[GpuLimitChange]
    #: The hourly cost at maximum, before and after (accelcap.costs).
    costs: CostReport | None = None


def render_text(report: Report, stream: t.TextIO) -> None:
    bold, reset = ("\033[1m", "\033[0m") if use_colour(stream) else ("", "")
    stream.write(
        f"{bold}Pools (most they can launch){reset}\n{text_table(POOL_HEADER, map(_pool_row, report.changes))}\n"
    )
    stream.write(
        f"{bold}Per quota class and market{reset}\n{text_table(CLASS_HEADER, map(_class_row, report.classes))}\n"
    )
    stream.write(
        f"{bold}ClusterAutoscaler GPU limits{reset}\n{text_table(LIMIT_HEADER, map(_limit_row, report.limits))}\n"
    )
    if report.costs is not None:
        write_costs_text(report.costs, stream, f"{bold}Hourly cost at maximum{reset}")


def render_markdown(report: Report, stream: t.TextIO) -> None:
    moved = [c for c in report.changes if c.change != "unchanged"]
    stream.write(f"### Capacity diff\n\n{len(moved)} pool(s) changed of {len(report.changes)}.\n\n")
    stream.write(markdown_table(POOL_HEADER, map(_pool_row, report.changes)) + "\n")
    stream.write(markdown_table(CLASS_HEADER, map(_class_row, report.classes)) + "\n")
    stream.write(markdown_table(LIMIT_HEADER, map(_limit_row, report.limits)) + "\n")
    if report.costs is not None:
        write_costs_markdown(report.costs, stream)


def render_json(report: Report, stream: t.TextIO) -> None:
    document: dict[str, t.Any] = {
        "pools": [{**asdict(c), "detail": c.detail} for c in report.changes],
        "classes": [
            {**asdict(c), "delta_vcpus": c.delta_vcpus, "delta_accelerators": c.delta_accelerators}
            for c in report.classes
        ],
        "gpu_limits": [asdict(c) for c in report.limits],
    }
    if report.costs is not None:
        document["costs"] = as_json(report.costs)
    json.dump(document, stream, indent=2, sort_keys=True)
    stream.write("\n")


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        __doc__.split("\n", 1)[1].strip()
        + "\n\nReads: the repository at BASE and HEAD (git revisions). Writes: the report to stdout.\n"
        "Exit 0 whatever the change; 2 when a revision or an overlay cannot be read.",
    )
    parser.add_argument("base", metavar="BASE", help="git revision before the change (e.g. origin/main)")
    parser.add_argument("head", metavar="HEAD", help="git revision after the change (e.g. HEAD)")
    parser.add_argument(
        "--prices",
        choices=("pinned", "aws"),
        default="pinned",
        help="hourly cost at maximum from the pinned price table (default, offline, an estimate) or from "
        "AWS (Pricing API, Spot price history; credentials from the standard chain, exit 3 when AWS refuses)",
    )
    parser.add_argument("--profile", help="AWS profile for --prices aws (default: the standard chain)")
    add_format_option(parser, ("text", "json", "markdown"))
    return parser


def execute(args: argparse.Namespace) -> int:
    repo = load_settings().root
    with tempfile.TemporaryDirectory(prefix="capacity-diff-") as scratch:
        trees = [
            export_revision(repo, rev, Path(scratch) / side) for rev, side in ((args.base, "base"), (args.head, "head"))
        ]
        base, head = capacities(trees[0]), capacities(trees[1])
    changes, classes = compare(base.pools, head.pools)
    costs = cost_report(changes, price_book(args.prices, args.profile))
    RENDERERS[args.format](Report(changes, classes, compare_gpu_limits(base, head), costs), sys.stdout)
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
