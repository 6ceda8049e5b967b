"""CAP102: the cluster's facts are known wherever a rule needs them."""

from __future__ import annotations

import typing as t

from ..context import LintContext
from ..examples import NoFacts, example
from ..rule import Violation, all_rules, rule


@rule(
    "CAP102",
    "facts-available",
    "Cluster facts are available",
    what="""When the overlay has MachineSets, the linter knows the cluster's facts
    (`overlays/<cluster>/facts/cluster.yaml`): an overlay directory finds them itself, rendered YAML
    and standard input need `--cluster NAME`.""",
    why="""The infraID, region and zone rules compare with the facts; without them those parts cannot
    be checked, and a check that cannot run fails instead of passing.""",
    fix="Lint the overlay directory, or pass `--cluster <name>` with rendered YAML or `-`.",
    silenceable=False,
    failing=(example("no facts", NoFacts()),),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    if context.facts is not None or not context.machinesets:
        return
    rules = ", ".join(r.id for r in all_rules() if r.needs_facts)
    yield Violation(f"no cluster facts, so {rules} ran only partly; pass --cluster NAME")
