"""The corpus of bad and hostile inputs (``hostile_corpus``), one test per case: each runs a
tool in a process of its own and holds it to exit code, one stderr line naming the culprit,
no file touched outside its outputs, no temporary file left, no hang."""

from __future__ import annotations

import typing as t
from pathlib import Path

import hostile_corpus as corpus
import pytest


@pytest.fixture(scope="module")
def peers() -> t.Iterator[tuple[str, str]]:
    """A silent server and a trickling one on loopback, shared by the module's cases."""
    with corpus.peers() as addresses:
        yield addresses


@pytest.mark.parametrize("case", corpus.all_cases(), ids=lambda case: case.id)
def test_case(case: corpus.Case, peers: tuple[str, str], tmp_path: Path) -> None:
    outcome = corpus.run_case(case, *peers, base=tmp_path)
    assert outcome.ok, f"{'; '.join(outcome.problems)} | stderr: {outcome.err}"
