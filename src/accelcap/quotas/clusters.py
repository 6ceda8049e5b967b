"""The clusters the trusted quota job checks: ``verify-quotas --list-clusters``.

The pull request's tree says which clusters it has, but the list is checked against the base
branch's (``--base-repo``, the trusted checkout): an empty list, or a cluster of the base
branch that the pull request no longer lists, fails closed, because either would let the quota
check of a cluster be skipped while its pools grow; a cluster whose AWS account changes is
named, so the reviewer sees that the check now runs against another account.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..config import load_settings
from ..errors import EXIT_FINDINGS, EXIT_OK
from ..facts import ClusterFacts, list_clusters, load_facts
from .output import TOOL


def _listed(root: Path | None) -> dict[str, ClusterFacts]:
    settings = load_settings(root)
    return {name: load_facts(name, settings) for name in list_clusters(settings)}


def list_for_matrix(base_repo: Path | None) -> int:
    """Print the pull request's clusters as the CI matrix (JSON); 1 when the list is empty or
    lacks a cluster of ``base_repo``'s (each problem one line on standard error)."""
    listed = _listed(None)
    problems = []
    if not listed:
        problems.append("no cluster listed: the quota check would check nothing")
    if base_repo is not None:
        base = _listed(base_repo)
        for name in sorted(set(base) - set(listed)):
            problems.append(f"cluster {name} of the base branch is missing from the pull request's list")
        for name in sorted(set(base) & set(listed)):
            before, after = base[name].account_id, listed[name].account_id
            if before != after:
                # The summary names it: the check now runs against another account.
                print(f"{TOOL}: cluster {name}: AWS account changes from {before} to {after}", file=sys.stderr)
    for problem in problems:
        print(f"{TOOL}: {problem}", file=sys.stderr)
    print(json.dumps([{"cluster": f.name, "account": f.account_id, "region": f.region} for f in listed.values()]))
    return EXIT_FINDINGS if problems else EXIT_OK
