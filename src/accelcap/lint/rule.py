"""What a lint rule is, and the registry that holds every rule.

A rule is an ID plus the text a person needs (title, what, why, how to fix) and one check
function over a whole overlay (``LintContext``). Modelled on kube-linter's checks: the docs
are generated from this registry, so the text here is the documentation.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from ..render import Document

if t.TYPE_CHECKING:
    from .context import LintContext

#: Rule IDs: ``CAP0nn`` for the capacity rules, ``CAP1nn`` for rules about the linter's own
#: inputs (ignore annotations, missing facts). IDs are stable: never renumber, only add.
RULE_ID = re.compile(r"^CAP[0-9]{3}$")


@dataclass(frozen=True)
class Violation:
    """One place where a rule does not hold; ``document`` None means the overlay as a whole."""

    message: str
    document: Document | None = None
    #: JSON pointer inside the document, e.g. ``/spec/replicas``.
    path: str | None = None


Check = t.Callable[["LintContext"], t.Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    #: A short readable name, shown next to the ID in docs.
    name: str
    title: str
    what: str
    why: str
    fix: str
    check: Check
    #: False for rules about the ignore annotations themselves, which must not be silenced.
    silenceable: bool = True
    #: Part of the rule compares with the cluster's facts; without facts CAP102 fires.
    needs_facts: bool = False


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    name: str,
    title: str,
    what: str,
    why: str,
    fix: str,
    *,
    silenceable: bool = True,
    needs_facts: bool = False,
) -> t.Callable[[Check], Check]:
    """Register the decorated check function as rule ``id``."""

    def register(check: Check) -> Check:
        if not RULE_ID.match(id):
            raise ValueError(f"rule ID {id!r} does not match {RULE_ID.pattern}")
        if id in RULES:
            raise ValueError(f"rule ID {id} registered twice")
        RULES[id] = Rule(id, name, title, _clean(what), _clean(why), _clean(fix), check, silenceable, needs_facts)
        return check

    return register


def _clean(text: str) -> str:
    return " ".join(text.split())


def all_rules() -> list[Rule]:
    """Every registered rule, by ID (importing ``rules`` registers them)."""
    from . import rules  # noqa: F401 - registers every rule module

    return [RULES[key] for key in sorted(RULES)]
