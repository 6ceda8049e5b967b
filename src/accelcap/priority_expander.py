"""The cluster autoscaler's priority expander: which MachineSet it grows first.

A Spot pool with ``fallback: OnDemand`` has two MachineSets that fit the same pods. The
ClusterAutoscaler's ``spec.expanders: [Priority]`` makes the autoscaler choose among the node
groups that fit by the priorities of one ConfigMap; a node group that fails to launch (no Spot
capacity) is backed off and the next one is tried.

Facts, and where they come from:

- The ConfigMap is named ``cluster-autoscaler-priority-expander`` and lives in the autoscaler's
  namespace, ``openshift-machine-api`` on OpenShift; its key ``priorities`` holds YAML mapping a
  priority (an integer, higher wins) to a list of regular expressions matched against node
  group IDs (kubernetes/autoscaler ``cluster-autoscaler/expander/priority/readme.md``, which the
  ClusterAutoscaler CRD's ``expanders`` field links to in its OpenShift fork; OpenShift docs
  "Applying autoscaling to an OpenShift Container Platform cluster", the priority expander
  ConfigMap).
- A node group ID of the cluster-api provider OpenShift runs is ``<Kind>/<namespace>/<name>``
  (kubernetes/autoscaler ``cloudprovider/clusterapi/clusterapi_unstructured.go``,
  ``unstructuredScalableResource.ID``: ``path.Join(r.Kind(), r.Namespace(), r.Name())``), so a
  MachineSet is ``MachineSet/openshift-machine-api/<name>``. Each expression here is anchored
  and names one MachineSet: an unanchored one would also match ``<name>-ondemand``.
- ``expanders`` is a list of ``LeastWaste``, ``Priority``, ``Random`` (the ClusterAutoscaler CRD,
  openshift/cluster-autoscaler-operator ``install/01_clusterautoscaler.crd.yaml``).

The tiers: a reservation (an ODCR or a Capacity Block: paid for whether used or not) above Spot,
Spot above On-Demand, so every fallback is below its pool's Spot MachineSet.
"""

from __future__ import annotations

import functools
import re
import typing as t

import yaml

from .markets import CAPACITY_BLOCK, SPOT, is_fallback, purchase_option, reservation_of
from .model.machinesets import ScaledMachineSet as Pool
from .toolbox import GENERATOR

if t.TYPE_CHECKING:
    from .pool_file import PoolFile

SettingsOf = t.Callable[[Pool], "PoolFile | None"]

NAME = "cluster-autoscaler-priority-expander"
NAMESPACE = "openshift-machine-api"
KEY = "priorities"
FILE = "priority-expander.yaml"
EXPANDER = "Priority"
RESERVED, SPOT_TIER, ON_DEMAND_TIER = 30, 20, 10


def tier(pool: Pool, settings: PoolFile | None = None) -> int:
    """The priority of a pool's MachineSet: reservation, Spot, On-Demand; by what its pool.yaml
    says when there is one (a fallback is its On-Demand half), else by the provider spec."""
    if is_fallback(pool.machineset):
        return ON_DEMAND_TIER
    if settings is not None:
        market, reservation = settings.market, settings.capacity_reservation_id
    else:
        market, reservation = purchase_option(pool.provider), reservation_of(pool.provider)
    if market == CAPACITY_BLOCK or reservation:
        return RESERVED
    return SPOT_TIER if market == SPOT else ON_DEMAND_TIER


def node_group(pool: Pool) -> str:
    """The anchored expression that matches exactly the pool's MachineSet's node group ID."""
    namespace = pool.machineset.namespace or NAMESPACE
    return f"^MachineSet/{_literal(namespace)}/{_literal(pool.name)}$"


def _literal(text: str) -> str:
    """``text`` as a literal in Go's RE2 and Python's re: its metacharacters escaped (a name
    has at most dots), nothing else, so the expression stays readable."""
    return re.sub(r"([\\.^$*+?()\[\]{}|])", r"\\\1", text)


def node_groups(pools: t.Iterable[Pool]) -> list[Pool]:
    """The pools the autoscaler sizes (a MachineAutoscaler targets them): its node groups."""
    return [pool for pool in pools if pool.autoscaler is not None]


def priorities(pools: t.Iterable[Pool], settings_of: SettingsOf | None = None) -> dict[int, list[str]]:
    """Every autoscaled MachineSet of ``pools`` by priority, highest first; ``settings_of``: the
    pool.yaml of a MachineSet (``ClusterModel.file_of``)."""
    tiers: dict[int, list[str]] = {}
    for pool in node_groups(pools):
        tiers.setdefault(tier(pool, settings_of(pool) if settings_of else None), []).append(node_group(pool))
    return {level: sorted(tiers[level]) for level in sorted(tiers, reverse=True)}


def priorities_text(tiers: t.Mapping[int, t.Sequence[str]]) -> str:
    """The ``priorities`` value: YAML, one priority per key, its expressions listed."""
    lines = []
    for level, expressions in tiers.items():
        lines.append(f"{level}:")
        lines += [f"  - {_quoted(expression)}" for expression in expressions]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def configmap_text(cluster: str, tiers: t.Mapping[int, t.Sequence[str]]) -> str:
    """The generated ``priority-expander.yaml`` of a cluster's capacity build (``priorities``)."""
    body = priorities_text(tiers)
    return (
        "\n".join(
            [
                f"# GENERATED by `{GENERATOR}` from the pools of overlays/{cluster}; do not edit.",
                "# The cluster autoscaler's priority expander (ClusterAutoscaler spec.expanders: [Priority]):",
                "# among the MachineSets that fit a pending pod it grows the highest priority first, and",
                "# the next when that one cannot launch. Reservations 30, Spot 20, On-Demand 10, so a Spot",
                "# pool's On-Demand fallback is used only when Spot is gone. accelcap.priority_expander.",
                "apiVersion: v1",
                "kind: ConfigMap",
                "metadata:",
                f"  name: {NAME}",
                f"  namespace: {NAMESPACE}",
                "  annotations:",
                '    argocd.argoproj.io/sync-wave: "3"',
                "data:",
                f"  {KEY}: |-",
                *(f"    {line}" for line in body.rstrip("\n").split("\n")),
            ]
        )
        + "\n"
    )


class BadPriorities(ValueError):
    """A ``priorities`` value the priority expander would refuse."""


def parse_priorities(value: t.Any) -> dict[int, list[str]]:
    """The ConfigMap's ``priorities`` as {priority: [expression]}; ``BadPriorities`` when the
    expander could not read it (not YAML, a key that is not an integer, a bad expression)."""
    if not isinstance(value, str):
        raise BadPriorities(f"data.{KEY} is missing or not a string")
    try:
        loaded = _plain_priorities(value)
        if loaded is None:
            loaded = yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise BadPriorities(f"data.{KEY} is not YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(loaded, dict):
        raise BadPriorities(f"data.{KEY} is not a mapping of priority to expressions")
    parsed: dict[int, list[str]] = {}
    for key, expressions in loaded.items():
        if not isinstance(key, int) or isinstance(key, bool):
            raise BadPriorities(f"data.{KEY}: priority {key!r} is not an integer")
        if not isinstance(expressions, list) or not all(isinstance(e, str) for e in expressions):
            raise BadPriorities(f"data.{KEY}: priority {key} does not list expressions")
        for expression in expressions:
            if _anchored_literal(expression) is not None:
                continue  # a literal is an expression
            try:
                re.compile(expression)
            except re.error as error:
                raise BadPriorities(f"data.{KEY}: {expression!r} is no regular expression ({error})") from None
        parsed[key] = list(expressions)
    return parsed


#: ``priorities_text``'s form: a decimal priority, then its expressions, one single-quoted
#: printable ASCII string (no quote inside) a line.
_PLAIN_PRIORITIES = re.compile(r"(?:(?:0|[1-9][0-9]*):\n(?:  - '[ -&(-~]*'(?:\n|\Z))+)+")
_PLAIN_LINE = re.compile(r"(0|[1-9][0-9]*):|  - '([ -&(-~]*)'")


def _plain_priorities(text: str) -> dict[int, list[str]] | None:
    """``yaml.safe_load(text)`` for text of ``priorities_text``'s form, read without the
    pure-Python YAML parser (each overlay has its own); None for any other text."""
    if not _PLAIN_PRIORITIES.fullmatch(text):
        return None
    parsed: dict[int, list[str]] = {}
    expressions: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        found = _PLAIN_LINE.fullmatch(line)
        if found is None:  # cannot be: the whole text has the form
            return None
        if found[1] is not None:
            expressions = parsed[int(found[1])] = []  # a repeated key: YAML keeps the last
        else:
            expressions.append(found[2])
    return parsed


def priority_of(tiers: t.Mapping[int, t.Sequence[str]], pool: Pool) -> int | None:
    """The highest priority whose expressions match the pool's node group ID (what the expander
    uses), or None when none does."""
    group = f"MachineSet/{pool.machineset.namespace or NAMESPACE}/{pool.name}"
    matched = [level for level, expressions in tiers.items() if any(_matches(e, group) for e in expressions)]
    return max(matched) if matched else None


#: An expression as ``node_group`` writes it: anchored, and literal but for escaped dots.
_ANCHORED_LITERAL = re.compile(r"\^((?:[A-Za-z0-9/_-]|\\\.)*)\$")


@functools.lru_cache(maxsize=4096)
def _anchored_literal(expression: str) -> str | None:
    """The one text an expression of ``node_group``'s form matches (without its anchors and
    escapes); None for any other expression. Each overlay lists its own MachineSets, so its
    expressions are new to ``re``'s cache: reading the usual form as text keeps a 200-cluster
    run from compiling thousands of expressions."""
    found = _ANCHORED_LITERAL.fullmatch(expression)
    return found[1].replace("\\.", ".") if found else None


def _matches(expression: str, group: str) -> bool:
    """``re.search(expression, group)``."""
    literal = _anchored_literal(expression)
    if literal is None:
        return re.search(expression, group) is not None
    return group in (literal, literal + "\n")  # "$" also matches before a final newline
