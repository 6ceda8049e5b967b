"""What a lint rule is, and how the rules are found.

A rule is an ID plus the text a person needs (title, what, why, how to fix), one check
function over a whole overlay (``LintContext``) and the examples that test it
(``accelcap.lint.examples``). Modelled on kube-linter's checks: the docs are generated from
the rules, so the text here is the documentation.

One module of ``accelcap.lint.rules`` holds one rule: ``capNNN_<name>.py`` whose check
function is decorated with ``rule("CAPNNN", ...)``. ``all_rules`` finds them with pkgutil;
nothing lists them by hand.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import typing as t
from dataclasses import dataclass

from ..render import Document

if t.TYPE_CHECKING:
    from .context import LintContext
    from .examples import Example

#: Rule IDs: ``CAP0nn`` for the capacity rules, ``CAP1nn`` for rules about the linter's own
#: inputs (ignore annotations, missing facts). IDs are stable: never renumber, only add.
RULE_ID = re.compile(r"^CAP[0-9]{3}$")
RULES_PACKAGE = "accelcap.lint.rules"


@dataclass(frozen=True)
class Violation:
    """One place where a rule does not hold; ``document`` None means the overlay as a whole."""

    message: str
    document: Document | None = None
    #: JSON pointer inside the document, e.g. ``/spec/replicas``.
    path: str | None = None
    #: The rule could not be checked here (e.g. a subnet referenced by ID): reported at the
    #: ``cannot-check`` level, which fails only when ``blocking``.
    cannot_check: bool = False
    #: For ``cannot_check``: the safety the rule exists for depends on the unchecked part.
    blocking: bool = False
    #: The file to point at when there is no document (a kustomization, for instance).
    file: str | None = None


def cannot_check(
    message: str, document: Document | None = None, path: str | None = None, *, blocking: bool
) -> Violation:
    """A ``Violation`` at the cannot-check level."""
    return Violation(message, document, path, cannot_check=True, blocking=blocking)


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
    #: The module that defines the rule.
    module: str
    #: False for rules about the ignore annotations themselves, which must not be silenced, and
    #: for the guard rules.
    silenceable: bool = True
    #: A guard rule: it fences what Argo CD may apply with the controller's rights (projects,
    #: RBAC, remote content, how pools boot). A pull request must not be able to talk it out of
    #: its verdict, so no annotation silences it and an ignore annotation naming it is itself a
    #: finding (CAP101).
    guard: bool = False
    #: Part of the rule compares with the cluster's facts; without facts CAP102 fires.
    needs_facts: bool = False
    #: The rule judges an overlay the render layer left incomplete on purpose (a build that
    #: pulls remote content is not rendered); every other rule waits for a complete render.
    runs_unrendered: bool = False
    #: Changes to the prod render after which exactly this rule fires (the tests apply them).
    failing: tuple[Example, ...] = ()
    #: Changes after which the prod render still lints clean.
    passing: tuple[Example, ...] = ()


class RuleDefinitionError(Exception):
    """A rule module that breaks the one-module-one-rule convention (a bug, not bad input)."""


def rule(
    id: str,
    name: str,
    title: str,
    what: str,
    why: str,
    fix: str,
    *,
    silenceable: bool = True,
    guard: bool = False,
    needs_facts: bool = False,
    runs_unrendered: bool = False,
    failing: t.Sequence[Example] = (),
    passing: t.Sequence[Example] = (),
) -> t.Callable[[Check], Rule]:
    """Make the decorated check function rule ``id`` (``guard``: see ``Rule.guard``)."""
    if not RULE_ID.match(id):
        raise RuleDefinitionError(f"rule ID {id!r} does not match {RULE_ID.pattern}")

    def define(check: Check) -> Rule:
        return Rule(
            id, name, title, _clean(what), _clean(why), _clean(fix), check, check.__module__,
            silenceable and not guard, guard, needs_facts, runs_unrendered, tuple(failing), tuple(passing),
        )  # fmt: skip

    return define


def _clean(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _discover() -> tuple[Rule, ...]:
    package = importlib.import_module(RULES_PACKAGE)
    found: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{RULES_PACKAGE}.{info.name}")
        defined = [v for v in vars(module).values() if isinstance(v, Rule) and v.module == module.__name__]
        if len(defined) != 1:
            raise RuleDefinitionError(f"{module.__name__} defines {len(defined)} rules; one module holds one rule")
        (found_rule,) = defined
        if not info.name.startswith(f"{found_rule.id.lower()}_"):
            raise RuleDefinitionError(
                f"{module.__name__} defines {found_rule.id}; name it {found_rule.id.lower()}_<name>"
            )
        if found_rule.id in found:
            raise RuleDefinitionError(
                f"{found_rule.id} is defined by {found[found_rule.id].module} and {module.__name__}"
            )
        found[found_rule.id] = found_rule
    return tuple(found[key] for key in sorted(found))


def all_rules() -> list[Rule]:
    """Every rule of ``accelcap.lint.rules``, by ID."""
    return list(_discover())


def guard_rules() -> list[Rule]:
    """The guard rules (``Rule.guard``), by ID."""
    return [r for r in _discover() if r.guard]


def rules_by_id() -> dict[str, Rule]:
    return {r.id: r for r in _discover()}
