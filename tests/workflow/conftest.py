"""Fixtures of the workflow tests."""

from __future__ import annotations

import typing as t

import pytest

from render_memo import RenderMemo


@pytest.fixture(scope="session", autouse=True)
def render_memo() -> t.Iterator[RenderMemo]:
    """capacity-diff and lint run here in-process over the same revisions again and again: each
    distinct build runs kustomize once per session (``render_memo``)."""
    with RenderMemo().installed() as memo:
        yield memo
