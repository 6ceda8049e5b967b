"""The checks ``tools/check`` runs over each rendered overlay, one small unit each.

Each stands for a focused tool and finds what that tool finds, with the same codes:

- ``infra-id``: ``set-infra-id --check``, the cluster's infraID is set;
- ``validate``: ``validate``, every object against its schema, offline;
- ``lint``: ``lint``, the capacity safety rules;
- ``quota-plan``: ``verify-quotas --plan``, what the pools draw at their maximum per quota
  class and market, without AWS (``accelcap.quotas.plan``).

A check is built once per run (the validator compiles each schema once), sees the overlays
one by one in the order asked, and sums up what it checked for the report.
"""

from __future__ import annotations

import abc
import dataclasses
import typing as t
from pathlib import Path

from ..config import Settings
from ..facts import ClusterFacts, unconfirmed_message, unset_message
from ..lint.engine import lint_overlay
from ..lint.rule import Rule
from ..model import ClusterModel
from ..ownership import conflicts, every_cluster_facts
from ..quotas.plan import QuotaPlan, plan_overlay
from ..report import Finding
from ..validate.validator import ValidateOptions, ValidationRun, Validator


class OverlayCheck(abc.ABC):
    """One check: what it is called, the tool that runs it alone, and its work per overlay."""

    #: Its name in findings, ``--skip`` and the summary.
    name: t.ClassVar[str]
    #: The focused tool that runs it alone.
    tool: t.ClassVar[str]
    #: It judges what was rendered, so a build left unrendered because it fetches remote
    #: content is bad input, as its tool says (lint reports such builds instead: CAP021).
    needs_every_build: t.ClassVar[bool] = False

    def findings(self, overlay: ClusterModel) -> list[Finding]:
        """This check's findings on ``overlay``, each naming the check."""
        return [dataclasses.replace(finding, check=self.name) for finding in self.run(overlay)]

    @abc.abstractmethod
    def run(self, overlay: ClusterModel) -> t.Iterable[Finding]: ...

    @abc.abstractmethod
    def summary(self) -> dict[str, t.Any]:
        """What it checked, for the report; ``checked`` says it in a few words."""


class InfraIdCheck(OverlayCheck):
    name = "infra-id"
    tool = "set-infra-id --check"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clusters: dict[str, bool] = {}
        #: Every cluster's facts, read once per run for ``conflicts`` (each overlay against all).
        self._every: dict[str, ClusterFacts] | None = None

    def run(self, overlay: ClusterModel) -> list[Finding]:
        facts = overlay.facts
        if facts is None:
            return []
        self.clusters[facts.name] = facts.infra_id_set
        file = self.settings.relative(facts.path)
        if not facts.infra_id_set:
            line = _line_of_infra_id(facts.path)
            return [Finding("infra-id-unset", unset_message(facts.name), overlay.name, file=file, line=line)]
        shared = conflicts(facts, self.settings, every=self._every_cluster_facts())
        # The facts file is read for the line only when there is a finding to annotate.
        line = _line_of_infra_id(facts.path) if shared or facts.unconfirmed else None
        found = [Finding("infra-id-shared", message, overlay.name, file=file, line=line) for message in shared]
        if facts.unconfirmed:  # written without the cluster: said, not failed
            message = unconfirmed_message(facts)
            found.append(Finding("facts-unconfirmed", message, overlay.name, file=file, line=line, severity="warning"))
        return found

    def _every_cluster_facts(self) -> dict[str, ClusterFacts]:
        if self._every is None:
            self._every = every_cluster_facts(self.settings)
        return self._every

    def summary(self) -> dict[str, t.Any]:
        unset = [name for name, is_set in self.clusters.items() if not is_set]
        return {"checked": f"{len(self.clusters)} cluster(s)", "clusters": list(self.clusters), "unset": unset}


def _line_of_infra_id(path: Path) -> int | None:
    """The line of ``infraID:`` in the facts file, for annotations."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    return next((n for n, line in enumerate(lines, start=1) if line.strip().startswith("infraID:")), None)


class ValidateCheck(OverlayCheck):
    name = "validate"
    tool = "validate"
    needs_every_build = True

    def __init__(self, settings: Settings, options: ValidateOptions) -> None:
        # Built before anything renders: a bad option or engine is bad input at once.
        self.validation = ValidationRun(Validator(settings, options))

    def run(self, overlay: ClusterModel) -> list[Finding]:
        return self.validation.add(overlay).findings

    def summary(self) -> dict[str, t.Any]:
        return self.validation.summary()


class LintCheck(OverlayCheck):
    name = "lint"
    tool = "lint"

    def __init__(self, rules: t.Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.objects = 0

    def run(self, overlay: ClusterModel) -> list[Finding]:
        self.objects += len(overlay.documents)
        return lint_overlay(overlay, self.rules)

    def summary(self) -> dict[str, t.Any]:
        return {
            "checked": f"{self.objects} object(s), {len(self.rules)} rule(s)",
            "objects": self.objects,
            "rules": [rule.id for rule in self.rules],
        }


class QuotaPlanCheck(OverlayCheck):
    name = "quota-plan"
    tool = "verify-quotas --plan"
    needs_every_build = True

    def __init__(self, skip_unknown_types: bool = False) -> None:
        #: Lint runs too (rule CAP048 names a pool of unknown type): plan the other pools.
        self.skip_unknown_types = skip_unknown_types
        self.plans: list[QuotaPlan] = []
        #: Overlays without cluster facts: no cluster, so no account to plan for.
        self.without_facts: list[str] = []

    def run(self, overlay: ClusterModel) -> list[Finding]:
        if overlay.facts is None:
            self.without_facts.append(overlay.name)
            return []
        plan = plan_overlay(overlay, overlay.facts, skip_unknown=self.skip_unknown_types)
        self.plans.append(plan)
        return plan.findings

    def summary(self) -> dict[str, t.Any]:
        pools = sum(plan.pools for plan in self.plans)
        return {
            "checked": f"{len(self.plans)} cluster(s), {pools} pool(s), demand only: QUOTA NOT CHECKED against AWS",
            "clusters": {
                plan.cluster: {
                    "context": plan.context,
                    "pools": plan.pools,
                    "rows": [row.as_dict() for row in plan.rows],
                }
                for plan in self.plans
            },
            "without_facts": self.without_facts,
        }


#: Every check, in the order they run and report.
CHECKS: tuple[type[OverlayCheck], ...] = (InfraIdCheck, ValidateCheck, LintCheck, QuotaPlanCheck)
CHECK_NAMES: tuple[str, ...] = tuple(check.name for check in CHECKS)
