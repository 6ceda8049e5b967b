"""``verify-pools CLUSTER``: the command line."""

from __future__ import annotations

import argparse
import sys
import textwrap
import typing as t

from .. import kube_client
from ..cli import add_format_option, entry_point, new_parser
from ..config import load_settings
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..facts import load_facts, require_infra_id
from ..model import ClusterModel, build_cache
from ..render import render_overlay
from .checks import CHECKS, ClusterContext, Options, PoolContext, cluster_results, pool_results
from .expected import Expectation, PoolExpectation, expect
from .live import Live
from .output import FORMATS, TOOL, write
from .workload import Workload

#: How long ``--workload`` waits for each validation pod by default: a node that exists
#: pulls the CUDA sample in seconds, but a Neuron image is many GB.
WORKLOAD_TIMEOUT_SECONDS = 600.0

CHECKS_LINE = textwrap.fill(
    f"checks:  {', '.join(CHECKS)} (docs/verify-pools.md)", width=90, subsequent_indent=" " * 9, break_on_hyphens=False
)

DESCRIPTION = f"""\
After Argo CD synced: are the pools of CLUSTER done on the live cluster? One line per check:
the cluster's Argo CD Applications are Synced and Healthy; each pool's MachineSet has the
render's labels, taints, instance type and market, its replicas lie within its
MachineAutoscaler's bounds, its Machines run (or the report says why not: insufficient Spot
capacity, quota, bad subnet, ...); each node is Ready, labelled and tainted as the pool says,
advertises its instance type's GPUs or Neuron devices and carries NFD's labels; the
ClusterPolicy is ready (or the Neuron DeviceConfig exists) and each node runs the driver.
A pool at 0 replicas is reported as such, not as a failure (--require-nodes: a failure).

reads:   overlays/CLUSTER/facts/cluster.yaml and the rendered overlay (the Applications it
         points at, the hand-applied validation builds); the cluster through the kubeconfig
         (current context, --kubeconfig, --context), read-only: Infrastructure 'cluster'
         first - a context for another cluster than the facts' infraID stops here (exit 3) -
         then Applications, MachineSets, MachineAutoscalers, Machines, Nodes, the
         ClusterPolicy or DeviceConfig and the operators' pods.
writes:  the report on standard output (text, json, markdown for $GITHUB_STEP_SUMMARY, github
         annotations); errors as one line on standard error. Nothing to the cluster, except
         with --workload: for each pool with a Ready node, its validation pod (the render's
         CUDA vectoradd or neuron-ls pod, pinned to the pool's zone and instance type) is
         created, awaited ({WORKLOAD_TIMEOUT_SECONDS:g}s by default, progress on standard error), its log
         checked (Test PASSED; the Neuron devices listed), and deleted again - also on
         timeout, Ctrl-C, SIGTERM or SIGHUP.
{CHECKS_LINE}
"""

EPILOG = """\
exit codes:
  0  every check done (pools at 0 replicas allowed unless --require-nodes)
  1  something is not done, or could not be checked (fails closed)
  2  bad input: unknown cluster, infraID unset, unknown --pool, a kubeconfig or context
     that cannot be used, an overlay that does not render
  3  the cluster refused: unreachable, no answer within --timeout, credentials refused
     (expired: log in again), access denied, or the context is another cluster"""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(TOOL, DESCRIPTION, EPILOG)
    parser.add_argument("cluster", metavar="CLUSTER", help="cluster name: a directory under overlays/")
    parser.add_argument(
        "--pool", action="append", metavar="NAME", help="check only this pool (its MachineSet's name); repeatable"
    )
    parser.add_argument(
        "--require-nodes",
        action="store_true",
        help="a pool at 0 replicas fails (the validation run after scaling to 1)",
    )
    parser.add_argument(
        "--workload", action="store_true", help="run each pool's validation pod and check its log (writes: see above)"
    )
    parser.add_argument(
        "--workload-timeout", type=_positive, default=WORKLOAD_TIMEOUT_SECONDS, metavar="SECONDS",
        help=f"how long to wait for each validation pod (default {WORKLOAD_TIMEOUT_SECONDS:g})",
    )  # fmt: skip
    kube_client.add_connection_options(parser)
    add_format_option(parser, FORMATS)
    return parser


def selected_pools(expectation: Expectation, wanted: t.Sequence[str] | None) -> list[PoolExpectation]:
    if not wanted:
        return expectation.pools
    known = {pool.name: pool for pool in expectation.pools}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise InputError(
            f"--pool {unknown[0]}",
            f"no such pool in {expectation.rendered.name} (pools: {', '.join(known) or 'none'})",
        )
    return [known[name] for name in dict.fromkeys(wanted)]


def execute(args: argparse.Namespace) -> int:
    settings = load_settings()
    facts = load_facts(args.cluster, settings)
    infra_id = require_infra_id(facts, settings)
    connection = kube_client.connection_from(args)
    # The facts parsed above are the model's: parsed once.
    with build_cache(settings) as builds:
        rendered = ClusterModel(render_overlay(facts.path.parent.parent, settings, cache=builds), facts)
    expectation = expect(rendered)
    pools = selected_pools(expectation, args.pool)
    with kube_client.Cluster(connection) as live_cluster:
        infrastructure = kube_client.require_infrastructure(live_cluster, infra_id, f"the facts of {rendered.name}")
        context = ClusterContext(expectation, Live(live_cluster), Options(args.require_nodes))
        results = cluster_results(context)
        workload = Workload(live_cluster, args.workload_timeout, sys.stderr, TOOL) if args.workload else None
        for pool in pools:
            pool_context = PoolContext(pool, context)
            results += pool_results(pool_context)
            if workload is not None:
                results += workload.run(pool_context)
    summary = {
        "cluster": facts.name,
        "overlay": rendered.name,
        "infrastructure": infrastructure,
        "context": f"cluster {facts.name} (infraID {infrastructure}), context {live_cluster.context} at "
        f"{live_cluster.server}: {len(pools)} pool(s)" + (", with --workload" if args.workload else ""),
        "server": live_cluster.server,
        "kubeContext": live_cluster.context,
        "pools": [pool.name for pool in pools],
        "workload": bool(args.workload),
        "requireNodes": bool(args.require_nodes),
    }
    write(args.format, results, summary, sys.stdout)
    return EXIT_OK if all(r.status.done for r in results) else EXIT_FINDINGS


main = entry_point(TOOL, build_parser, execute)
