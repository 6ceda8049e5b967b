"""tools/capacity-diff BASE [HEAD]: what a change does to the most capacity each cluster can launch.

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
import sys
import tarfile
import tempfile
import typing as t
from dataclasses import asdict, dataclass
from pathlib import Path

from .catalog.instance_types import require
from .catalog.machine_api import AUTOSCALING_GROUP
from .cli import add_format_option, entry_point, new_parser
from .config import load_settings
from .costs import POOL_COST_HEADER, CostReport, as_json, cost_report, pool_rows, price_book, summary_lines
from .errors import EXIT_OK, InputError
from .facts import list_clusters
from .git import last_error_line, resolve_commit, run_git, toplevel
from .model import ClusterModel, rendering_models
from .pool_file import MARKETS
from .quotas.demand import PoolPlan, plan_pools
from .report import Output, Table, write_output
from .worktree import export_worktree, is_dirty, untracked

TOOL = "capacity-diff"
#: HEAD standing for the working tree (also what HEAD is when left out).
WORKTREE = "."


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
    #: No MachineAutoscaler: ``max_replicas`` is pool.yaml's ``replicas``, set by hand.
    scaled_by_hand: bool = False

    @property
    def replicas_key(self) -> str:
        """The pool.yaml key its most machines come from."""
        return "replicas" if self.scaled_by_hand else "maxReplicas"


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
            scaling = f"{pool.replicas_key} {pool.max_replicas}" + (" (scaled by hand)" if pool.scaled_by_hand else "")
            return f"zone {pool.zone}, {scaling}" if pool.zone else scaling
        notes = []
        if self.base.instance_type != self.head.instance_type:
            notes.append(f"instanceType {self.base.instance_type} -> {self.head.instance_type}")
        if self.base.market != self.head.market:
            notes.append(f"market {POOL_YAML_MARKET[self.base.market]} -> {POOL_YAML_MARKET[self.head.market]}")
        if self.base.scaled_by_hand != self.head.scaled_by_hand:
            notes.append("scaled by hand -> autoscaled" if self.base.scaled_by_hand else "autoscaled -> scaled by hand")
        if self.base.max_replicas != self.head.max_replicas:
            word = self.base.replicas_key if self.base.replicas_key == self.head.replicas_key else "most machines"
            notes.append(f"{word} {self.base.max_replicas} -> {self.head.max_replicas}")
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
        plan.scaled_by_hand,
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
    # The clusters render at once, each build once (accelcap.model.rendering_models).
    with rendering_models([str(settings.overlays / cluster) for cluster in clusters], settings) as renders:
        for cluster, rendered in zip(clusters, renders, strict=True):
            _add_cluster(found, cluster, rendered)
    return found


def _add_cluster(found: Capacities, cluster: str, rendered: ClusterModel) -> None:
    """Every pool of one rendered cluster, and its GPU limits, into ``found``."""
    pools = rendered.machinesets
    # The same reading of pools as verify-quotas --plan: type, market, maximum, class.
    for pool, plan in zip(pools, plan_pools(pools, rendered.name), strict=True):
        zone = pool.zone
        settings = rendered.file_of(pool)
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


def output(report: Report) -> Output:
    """The report for ``accelcap.report``'s reporters; capacity-diff has no findings: it reports."""
    moved = [c for c in report.changes if c.change != "unchanged"]
    summary: dict[str, t.Any] = {
        "pools": [{**asdict(c), "detail": c.detail} for c in report.changes],
        "classes": [
            {**asdict(c), "delta_vcpus": c.delta_vcpus, "delta_accelerators": c.delta_accelerators}
            for c in report.classes
        ],
        "gpu_limits": [asdict(c) for c in report.limits],
    }
    tables = [
        Table(POOL_HEADER, [_pool_row(c) for c in report.changes], title="Pools (most they can launch)"),
        Table(CLASS_HEADER, [_class_row(c) for c in report.classes], title="Per quota class and market"),
        Table(LIMIT_HEADER, [_limit_row(c) for c in report.limits], title="ClusterAutoscaler GPU limits"),
    ]
    if report.costs is not None:
        summary["costs"] = as_json(report.costs)
        tables.append(
            Table(
                POOL_COST_HEADER,
                pool_rows(report.costs),
                title="Hourly cost at maximum",
                note=report.costs.description,
                highlights=summary_lines(report.costs),
            )
        )
    verdict = f"{len(moved)} pool(s) changed of {len(report.changes)}"
    return Output(TOOL, [], summary, tables, verdict=verdict, headline=verdict, title="Capacity diff")


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        __doc__.split("\n", 1)[1].strip()
        + "\n\nWith one revision (or HEAD '.'), BASE is compared with the working tree as `git commit -a`\n"
        "would commit it: staged and unstaged edits of tracked files; untracked files are left out\n"
        "and named on standard error (git add them). With two commits and a working tree that has\n"
        "uncommitted edits, a warning on standard error says the edits are not in the diff.\n\n"
        "Reads: the repository at BASE and HEAD (git revisions) or its working tree. Writes: the\n"
        "report to stdout, warnings to stderr.\n"
        "Exit 0 whatever the change; 2 when a revision or an overlay cannot be read.",
    )
    parser.add_argument("base", metavar="BASE", help="git revision before the change (e.g. origin/main or HEAD)")
    parser.add_argument(
        "head",
        metavar="HEAD",
        nargs="?",
        default=WORKTREE,
        help="git revision after the change (e.g. HEAD); '.' or none: the working tree",
    )
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
    if toplevel(repo) is None:
        raise InputError(
            str(repo), "not inside a git repository: capacity-diff compares revisions of a git checkout (run it in one)"
        )
    if args.base == WORKTREE:
        raise InputError(".", "BASE must be a revision; the working tree can only be HEAD")
    # Said once the report stands: an error is then the one line on standard error.
    warning = None
    if args.head == WORKTREE:
        left_out = untracked(repo)
        if left_out:
            warning = f"untracked, so not in the diff (git add them): {', '.join(left_out)}"
    elif is_dirty(repo):
        warning = (
            f"the working tree has uncommitted changes, which neither {args.base} nor {args.head} "
            f"holds; `tools/{TOOL} {args.base}` compares {args.base} with the working tree"
        )
    with tempfile.TemporaryDirectory(prefix="capacity-diff-") as scratch:
        base_tree = export_revision(repo, args.base, Path(scratch) / "base")
        if args.head == WORKTREE:
            head_tree = export_worktree(repo, Path(scratch) / "head")
        else:
            head_tree = export_revision(repo, args.head, Path(scratch) / "head")
        base, head = capacities(base_tree), capacities(head_tree)
    changes, classes = compare(base.pools, head.pools)
    costs = cost_report(changes, price_book(args.prices, args.profile))
    if warning is not None:
        print(f"{TOOL}: warning: {warning}", file=sys.stderr)
    write_output(args.format, output(Report(changes, classes, compare_gpu_limits(base, head), costs)), sys.stdout)
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
