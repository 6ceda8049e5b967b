"""``verify-quotas CLUSTER``: the command line of the quota check."""

from __future__ import annotations

import argparse
import os
import sys
import typing as t
from pathlib import Path

from ..affected import affected_overlays
from ..cli import add_format_option, entry_point, new_parser, one_line
from ..config import Settings, load_settings
from ..errors import EXIT_EXTERNAL, EXIT_FINDINGS, EXIT_OK, ExternalError, InputError
from ..facts import ClusterFacts, list_clusters, load_facts
from ..model import ClusterModel, build_cache
from ..render import rendering_overlays
from ..report import NOTICES, Finding
from .aws import AwsAccount, UnknownInstanceTypes
from .capacity import CapacitySettings, capacity_settings, targets
from .clusters import list_for_matrix
from .demand import PoolPlan, plan_pools, pool_demands
from .offerings import check_capacity
from .output import FORMATS, TOOL, write
from .plan import plan_overlay
from .usage import count_usage, instance_types_in_use
from .verdict import CHECKS, DEFAULT_WARN_PERCENT, judge, plan_rows

DESCRIPTION = """\
Prove that the AWS account of CLUSTER can launch every pool of the cluster at its maximum
(MachineAutoscaler maxReplicas, else spec.replicas; what the pool runs when that is more)
within its EC2 vCPU quotas, per quota (Standard, G and VT, P, P5 Spot, Inf, Trn, DL, F, X,
High Memory, HPC; accelcap.catalog.ec2_quotas, one row per instance family) and market
(On-Demand, Spot): running vCPUs (not counting the pools' own machines) + planned <= quota.

reads:   overlays/CLUSTER/facts/cluster.yaml (account, Region, infraID) and the rendered
         overlay with the Argo CD Applications it points at; AWS (read only, see
         docs/iam-policy.json): sts:GetCallerIdentity first - a different account stops
         the check before any other call - then EC2 instances, Spot requests and instance
         types, and Service Quotas; then, in the same session, whether each pool's type is
         offered in its zone, each reservation-backed pool's reservation or Capacity Block,
         and each Spot pool's Spot placement score (accelcap.quotas.offerings; settings
         spot-score-threshold, spot-score-blocking, capacity-block-warn-days in
         [tool.accelcap.verify-quotas]). Credentials: the standard AWS chain (environment,
         --profile / AWS_PROFILE, SSO, instance role); endpoints only from AWS_ENDPOINT_URL*.
         --plan makes no AWS call and takes vCPUs from the project's instance-type table
         (the pre-commit hook plans only; run the real check by hand or in CI).
         SKIP_QUOTAS=1 (emergencies, through the reviewed path in docs/runbook.md): the check
         runs and prints its verdict, then exits 0 instead of 1 or 3, with one line saying
         the quota was NOT enforced.
writes:  the report on standard output (text, json, markdown for $GITHUB_STEP_SUMMARY,
         github annotations); errors as one line on standard error. --list-clusters prints
         every cluster with its account and Region as JSON (the CI job matrix); an empty list,
         or one without a cluster of --base-repo, exits 1; an account that changes from
         --base-repo is named on standard error. ACCELCAP_SETTINGS: take [tool.accelcap] from
         that pyproject.toml (the base branch's) instead of the repository's.
"""

EPILOG = f"""\
checks: {", ".join(CHECKS)} (docs/verify-quotas.md)

exit codes:
  0  enough quota for every class and market (warnings allowed); --plan: demand printed;
     SKIP_QUOTAS=1 and the check found a problem (1) or AWS refused (3): NOT enforced
  1  not enough quota, or something could not be evaluated (fails closed)
  2  bad input or configuration (cluster, overlay, pool, instance type, flag, profile)
  3  AWS access problem: no credentials, access denied, throttled, endpoint unreachable,
     or the credentials belong to another account than the cluster's"""

#: ``[tool.accelcap.verify-quotas] warn-percent`` in pyproject.toml overrides the default.
SETTINGS_TABLE = "verify-quotas"


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 100")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION, EPILOG)
    parser.add_argument("cluster", metavar="CLUSTER", nargs="?", help="cluster name: a directory under overlays/")
    parser.add_argument(
        "--changed",
        nargs="*",
        metavar="FILE",
        help="instead of CLUSTER: check every cluster these changed files touch, found from the "
        "kustomization graph (for pre-commit; none touched: nothing to check)",
    )
    parser.add_argument("--plan", action="store_true", help="no AWS calls: print the demand per class and market")
    parser.add_argument(
        "--list-clusters",
        action="store_true",
        help="print every cluster under overlays/ with its account and Region as JSON, and exit",
    )
    parser.add_argument(
        "--base-repo",
        type=Path,
        metavar="DIR",
        help="with --list-clusters: the base branch's checkout; the list fails (1) when it lacks a cluster "
        "of the base branch, and names a cluster whose account changes",
    )
    parser.add_argument("--profile", help="AWS profile (default: the standard chain, AWS_PROFILE)")
    parser.add_argument(
        "--spot-score-threshold",
        type=int,
        choices=range(1, 11),
        metavar="SCORE",
        help="Spot placement score (1-10) below which a Spot pool is reported (default 5, or "
        f"[tool.accelcap.{SETTINGS_TABLE}] spot-score-threshold; advisory unless spot-score-blocking = true)",
    )
    parser.add_argument(
        "--capacity-block-warn-days",
        type=int,
        metavar="DAYS",
        help="warn when a Capacity Block ends within DAYS (default 7, or "
        f"[tool.accelcap.{SETTINGS_TABLE}] capacity-block-warn-days)",
    )
    parser.add_argument(
        "--warn-at",
        type=_percent,
        metavar="PERCENT",
        help=f"warn when use + plan is above PERCENT of a quota (default {DEFAULT_WARN_PERCENT:g}, or "
        f"[tool.accelcap.{SETTINGS_TABLE}] warn-percent)",
    )
    add_format_option(parser, FORMATS)  # markdown: a table for $GITHUB_STEP_SUMMARY
    return parser


def warn_percent(args: argparse.Namespace, settings: Settings) -> float:
    if args.warn_at is not None:
        return float(args.warn_at)
    table = settings.raw.get(SETTINGS_TABLE) or {}
    configured = table.get("warn-percent") if isinstance(table, dict) else None
    if configured is None:
        return DEFAULT_WARN_PERCENT
    if isinstance(configured, bool) or not isinstance(configured, (int, float)) or not 0 <= configured <= 100:
        raise InputError(
            f"pyproject.toml [tool.accelcap.{SETTINGS_TABLE}]", f"warn-percent {configured!r} is not 0-100"
        )
    return float(configured)


def capacity_options(args: argparse.Namespace, settings: Settings) -> CapacitySettings:
    """The capacity checks' settings: pyproject.toml's table, then the flags."""
    configured = capacity_settings(settings.raw.get(SETTINGS_TABLE), f"pyproject.toml [tool.accelcap.{SETTINGS_TABLE}]")
    if args.capacity_block_warn_days is not None and args.capacity_block_warn_days < 0:
        raise InputError("--capacity-block-warn-days", f"{args.capacity_block_warn_days} is not a number of days")
    return CapacitySettings(
        args.spot_score_threshold or configured.spot_score_threshold,
        configured.spot_score_blocking,
        configured.capacity_block_warn_days if args.capacity_block_warn_days is None else args.capacity_block_warn_days,
    )


def _pool_of(instance_type: str, plans: t.Sequence[PoolPlan]) -> PoolPlan | None:
    return next((p for p in plans if p.instance_type == instance_type), None)


def clusters_to_check(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.changed is not None:
        if args.cluster:
            raise InputError("usage", "give either CLUSTER or --changed FILE..., not both (see --help)")
        with_facts = set(list_clusters(settings))
        return [o.name for o in affected_overlays(args.changed, settings) if o.name in with_facts]
    if not args.cluster:
        raise InputError("usage", "CLUSTER is required (or --changed FILE...) (see --help)")
    return [args.cluster]


#: The emergency switch, honoured as the clusters repository honours it (docs/runbook.md).
SKIP_ENV = "SKIP_QUOTAS"


def skip_requested() -> bool:
    """Whether ``SKIP_QUOTAS=1`` is set; any value but ``1``, ``0`` or empty is bad input, so
    a mistyped switch neither skips silently nor is ignored silently."""
    value = os.environ.get(SKIP_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise InputError(SKIP_ENV, f"{value!r} is neither 1 (skip enforcement) nor 0/unset")
    return value == "1"


def not_enforced(code: int, fmt: str) -> int:
    """Print the one loud line of a skipped enforcement and return the exit code to use."""
    if code in (EXIT_FINDINGS, EXIT_EXTERNAL):
        why = "the check above found a problem" if code == EXIT_FINDINGS else "AWS refused (the line above)"
        line = f"{SKIP_ENV}=1: the quota was NOT enforced: {why} (exit {code} ignored)"
        result = EXIT_OK
    else:
        line = f"{SKIP_ENV}=1 is set, but the check passed: nothing was skipped"
        result = code
    print(f"{TOOL}: {line}", file=sys.stderr)
    NOTICES[fmt](f"{TOOL} {SKIP_ENV}", line, sys.stdout)
    return result


def execute(args: argparse.Namespace) -> int:
    settings = load_settings()
    skip = skip_requested()
    if args.list_clusters:
        if args.cluster or args.changed is not None:
            raise InputError("usage", "--list-clusters takes no CLUSTER and no --changed (see --help)")
        return list_for_matrix(args.base_repo)
    if args.base_repo is not None:
        raise InputError("usage", "--base-repo goes with --list-clusters (see --help)")
    clusters = clusters_to_check(args, settings)
    if not clusters:
        print(f"{TOOL}: the changed files touch no cluster; nothing to check")
        return EXIT_OK
    # Every name is checked (load_facts) before anything renders.
    facts = [load_facts(cluster, settings) for cluster in clusters]
    threshold = warn_percent(args, settings)
    capacity = capacity_options(args, settings)
    codes = []
    # The clusters render at once, each build once, while the first is checked; each
    # cluster's facts are the ones parsed above.
    with (
        build_cache(settings) as builds,
        rendering_overlays([f.path.parent.parent for f in facts], settings, cache=builds) as rendered,
    ):
        for cluster_facts in facts:
            try:
                model = ClusterModel(next(rendered), cluster_facts)
                codes.append(check_cluster(cluster_facts, model, args, threshold, capacity))
            except ExternalError as error:
                if not skip:
                    raise
                # No verdict: AWS refused. The same one line the CLI frame would print.
                print(f"{TOOL}: {one_line(error.where)}: {one_line(error.what)}", file=sys.stderr)
                codes.append(error.exit_code)
    code = max(codes)
    return not_enforced(code, args.format) if skip else code


def boot_images(plans: t.Sequence[PoolPlan], overlay: ClusterModel) -> dict[str, PoolPlan]:
    """The AMI ID each pool boots (``ami.id`` of its providerSpec), with the first pool naming it.
    A pool that names none is lint's (CAP033) to refuse."""
    by_name = {machineset.name: machineset for machineset in overlay.machinesets}
    amis: dict[str, PoolPlan] = {}
    for plan in plans:
        pool = by_name.get(plan.name)
        ami = pool.provider.get("ami") if pool is not None else None
        ami_id = ami.get("id") if isinstance(ami, dict) else None
        if isinstance(ami_id, str) and ami_id:
            amis.setdefault(ami_id, plan)
    return amis


def ami_missing(ami: str, plan: PoolPlan, region: str, overlay: str) -> Finding:
    return Finding(
        code="ami-missing",
        message=f"AMI {ami} does not exist in {region} (ec2:DescribeImages): the pool's machines cannot launch",
        overlay=overlay,
        object=plan.ref,
        file=plan.file,
        line=plan.line,
        severity=CHECKS["ami-missing"].severity,
    )


def check_cluster(
    facts: ClusterFacts,
    overlay: ClusterModel,
    args: argparse.Namespace,
    threshold: float,
    capacity: CapacitySettings | None = None,
) -> int:
    summary: dict[str, t.Any] = {
        "cluster": facts.name,
        "account": facts.account_id,
        "region": facts.region,
        "mode": "plan" if args.plan else "check",
        "warnPercent": threshold,
    }

    if args.plan:
        planned = plan_overlay(overlay, facts)
        summary |= {
            "pools": planned.pools,
            "context": planned.context,
            "checked": f"{planned.pools} pool(s), demand only",
        }
        write(args.format, planned.rows, planned.findings, summary, sys.stdout, plan=True)
        return EXIT_FINDINGS if any(f.severity == "error" for f in planned.findings) else EXIT_OK

    plans = plan_pools(overlay.machinesets, overlay.name)
    capacity_targets = targets(overlay.machinesets, overlay.name)
    summary["pools"] = len(plans)

    account = AwsAccount(facts.region, args.profile)
    # Guardrail: nothing else is asked of an account that is not the cluster's.
    caller = account.caller_account()
    if caller != facts.account_id:
        raise ExternalError(
            "sts:GetCallerIdentity",
            f"the credentials are for account {caller or '(none)'}, but cluster {facts.name} is in account "
            f"{facts.account_id}; nothing else was called",
        )
    amis = boot_images(plans, overlay)
    missing_amis = sorted(set(amis) - account.existing_images(amis))
    instances = account.running_instances()
    spot_requests = account.open_spot_requests()
    wanted = {p.instance_type for p in plans} | instance_types_in_use(instances, spot_requests)
    try:
        vcpus = account.instance_vcpus(wanted)
    except UnknownInstanceTypes as error:
        for instance_type in error.instance_types:
            plan = _pool_of(instance_type, plans)
            if plan is not None:
                raise InputError(
                    f"{overlay.name}: {plan.ref}",
                    f"instanceType {instance_type} is not offered in {facts.region} (EC2: {error.message})",
                ) from None
        raise ExternalError("ec2:DescribeInstanceTypes", error.message) from None
    missing = sorted(p.instance_type for p in plans if p.instance_type not in vcpus)
    if missing:
        raise ExternalError("ec2:DescribeInstanceTypes", f"EC2 did not describe {', '.join(missing)}")

    rows, findings = plan_rows(pool_demands(plans, vcpus), overlay.name)
    codes = {row.code for row in rows if row.code}
    quotas = account.quotas(codes) if codes else {}
    usage = count_usage(instances, spot_requests, vcpus, plans, facts.infra_id)
    rows, judged = judge(rows, quotas, usage, overlay.name, threshold)
    findings += judged
    findings += [ami_missing(ami, amis[ami], facts.region, overlay.name) for ami in missing_amis]
    # Offerings, reservations and Spot scores: the same session, after the guardrail.
    checked = check_capacity(account, capacity_targets, overlay.name, capacity or CapacitySettings())
    findings += checked.findings
    summary["capacity"] = checked.pools
    above = sum(row.above_maximum for row in rows)
    summary["context"] = (
        f"cluster {facts.name}, account {facts.account_id}, {facts.region}: {len(plans)} pool(s) at their maximum"
        f"{f' ({above} vCPU running above it counted too)' if above else ''}; "
        f"{usage.instances_counted} running instance(s) counted, {usage.instances_own} machine(s) of the pools not counted "
        f"twice, {usage.instances_on_hosts} on Dedicated Hosts skipped"
    )
    summary["checked"] = f"{len(rows)} quota(s), {len(plans)} pool(s)"
    write(args.format, rows, findings, summary, sys.stdout, plan=False)
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK


main = entry_point(TOOL, build_parser, execute)
