"""Helpers the validate tests import (a module of its own: conftest.py is not importable)."""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass

from accelcap.render import Document, RenderedOverlay


def one(rendered: RenderedOverlay, kind: str) -> Document:
    found = rendered.of_kind(kind)
    assert found, f"no {kind} in {rendered.name}"
    return found[0]


def mutated(document: Document, change: t.Callable[[dict[str, t.Any]], None]) -> Document:
    """A copy of ``document`` with ``change`` applied to its object."""
    obj = copy.deepcopy(document.obj)
    change(obj)
    return Document(obj, document.overlay, document.rendered_from, document.application, document.file, document.line)


@dataclass
class Result:
    code: int
    out: str
    err: str
