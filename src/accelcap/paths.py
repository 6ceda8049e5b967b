"""Paths built from input stay inside their root.

Repository content is data: a kustomization's ``resources``, an Argo CD Application's
``spec.source.path``, a CRD's group or kind that names an output file, a link in an archived
revision. Each such path is checked here *after* resolution (``..`` and symbolic links
followed), so neither ``../../outside`` nor a link that points out of the root escapes.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError
from .run_memo import resolved


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (resolved) is ``root`` (resolved) or lies below it."""
    base, target = resolved(root).parts, resolved(path).parts
    return target[: len(base)] == base


def inside(root: Path, relative: str | os.PathLike[str], where: str, what: str = "the repository") -> Path:
    """``root / relative``, resolved; an ``InputError`` at ``where`` when it leads outside
    ``root`` (``what`` names the root in the message)."""
    candidate = root / relative
    if not is_inside(root, candidate):
        raise InputError(where, f"{os.fspath(relative)!r} leads outside {what}")
    return resolved(candidate)
