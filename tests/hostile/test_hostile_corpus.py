"""The corpus of bad and hostile inputs (``hostile_corpus``), one test per case, each held to
exit code, one stderr line naming the culprit, no file touched outside its outputs, no
temporary file left, no hang.

Every case runs in this process, through the CLI frame the tools share (the inner loop runs
one case of each class through each tool: ``INNER_LOOP``). The cases that need
a process of their own (a closed or broken standard stream) and ``END_TO_END``, a few per
tool, run ``tools/<name>`` in a subprocess as users do: they prove the launchers, the
interpreter's exit and what only a process shows (``Exception ignored`` at exit)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import hostile_corpus as corpus
import pytest

#: Cases run end to end besides those that need a process: at least one per tool and class
#: of failure (bad YAML on a file and on stdin, a cluster, AWS, files and settings, a timeout).
END_TO_END = frozenset({
    "check-yaml/not-utf8",
    "validate-stdin/alias-bomb",
    "validate/silent-schema-server",
    "lint/cycle",
    "facts-file/python-tag",
    "crd-schemas/deep-flow-mapping",
    "crd-schemas-cluster/html-500",
    "set-infra-id-machineset/spec-null",
    "set-infra-id-cluster/deep-json",
    "verify-quotas-aws/quotas-not-json",
    "verify-quotas/silent-aws",
    "verify-pools/silent-applications",
    "verify-pools/unknown-pool",
    "capacity-diff/escaping-symlink",
    "capacity-diff-settings/not-utf8",
})  # fmt: skip

CASES = corpus.all_cases()
IN_PROCESS = [c for c in CASES if not corpus.needs_a_process(c)]
SUBPROCESS = [c for c in CASES if corpus.needs_a_process(c) or c.id in END_TO_END]
#: The inner loop (``pytest -m "not slow"``) runs the first case of each class through each
#: tool; the others are marked slow.
INNER_LOOP = {
    next(c.id for c in IN_PROCESS if (c.klass, c.tool) == pair) for pair in {(c.klass, c.tool) for c in IN_PROCESS}
}


@pytest.fixture(scope="module")
def peers() -> t.Iterator[tuple[str, str]]:
    """A silent server and a trickling one on loopback, shared by the module's cases."""
    with corpus.peers() as addresses:
        yield addresses


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=() if c.id in INNER_LOOP else pytest.mark.slow) for c in IN_PROCESS]
)
def test_case(case: corpus.Case, peers: tuple[str, str], tmp_path: Path) -> None:
    outcome = corpus.run_case(case, *peers, base=tmp_path, in_process=True)
    assert outcome.ok, f"{'; '.join(outcome.problems)} | stderr: {outcome.err}"


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS, ids=lambda case: case.id)
def test_case_end_to_end(case: corpus.Case, peers: tuple[str, str], tmp_path: Path) -> None:
    outcome = corpus.run_case(case, *peers, base=tmp_path, in_process=False)
    assert outcome.ok, f"{'; '.join(outcome.problems)} | stderr: {outcome.err}"


def test_every_tool_and_class_runs_end_to_end() -> None:
    """The subprocess set reaches every tool, and every end-to-end id names a case."""
    assert END_TO_END <= {c.id for c in CASES}, END_TO_END - {c.id for c in CASES}
    assert {c.tool for c in SUBPROCESS} == {c.tool for c in CASES}
    assert {c.klass for c in SUBPROCESS} >= {"yaml", "cluster", "aws", "files", "settings", "timeout", "pipes"}
