"""CAP002: an Application that manages a MachineSet does not prune automatically."""

from __future__ import annotations

import typing as t

from ...model import is_machineset
from ..context import LintContext
from ..examples import CAPACITY_APPLICATION, Set, example
from ..rule import Violation, cannot_check, rule


@rule(
    "CAP002",
    "application-no-auto-prune",
    "Applications that manage MachineSets never prune automatically",
    what="""An Argo CD Application that syncs a MachineSet has no `spec.syncPolicy.automated.prune: true`.
    An Application the linter could not follow (its source is not in this repository) and that
    prunes automatically is reported too, since what it manages cannot be checked.""",
    why="""Automatic prune deletes every object that left Git on the next sync. For capacity that means
    terminating nodes with running work; pool removal must be a deliberate, manual step.""",
    fix="""Set `spec.syncPolicy.automated.prune: false` (or leave it out) on the capacity Application,
    and delete retired MachineSets by hand after draining them.""",
    failing=(
        example(
            "capacity Application prunes",
            Set("Application", "/spec/syncPolicy/automated/prune", True, name=CAPACITY_APPLICATION),
        ),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for application in context.applications.values():
        if application.get("spec", "syncPolicy", "automated", "prune") is not True:
            continue
        path = "/spec/syncPolicy/automated/prune"
        followed = context.followed_of(application)
        if any(is_machineset(d) for f in followed for d in f.documents):
            yield Violation(
                "syncs MachineSets with automated prune: true; Argo CD would delete pools", application, path
            )
        elif not followed:
            yield cannot_check(
                "prunes automatically and its source was not followed, so it may manage MachineSets "
                "(lint the cluster overlay directory so the linter can follow it)",
                application,
                path,
                blocking=True,
            )
