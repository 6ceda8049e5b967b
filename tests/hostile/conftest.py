"""Fixtures of the hostile-input tests."""

from __future__ import annotations

import typing as t

import pytest

from render_memo import RenderMemo


@pytest.fixture(scope="session", autouse=True)
def render_memo() -> t.Iterator[RenderMemo]:
    """The corpus runs each tool in this process hundreds of times, most over prod as it is (a
    hostile server, a hostile setting): each distinct build runs kustomize once per session
    (``render_memo``); a case whose files or kustomize differ renders for real."""
    with RenderMemo().installed() as memo:
        yield memo
