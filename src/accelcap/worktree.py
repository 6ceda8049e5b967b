"""The working tree as git would commit it: what ``capacity-diff BASE`` compares BASE with.

``export_worktree`` copies every file of the index (committed, or staged with ``git add``)
as it is in the working tree now, so staged and unstaged edits count and a deletion counts;
files git does not track are left out (``git commit -a`` would leave them out too) and
``untracked`` names those under the manifest directories, so the report can say so. A
symbolic link is copied as a link (never followed): the render layer's guard judges where it
leads, as for any checkout.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import InputError
from .git import last_error_line, run_git

#: Where the tools read manifests and settings from: untracked files there are named.
MANIFEST_DIRS = ("base", "components", "overlays")


def _paths(repo: Path, command: str, *args: str, where: str) -> list[str]:
    """The NUL-separated paths ``git COMMAND -z ARGS`` prints."""
    result = run_git(repo, command, "-z", *args, where=where)
    if result.returncode != 0:
        raise InputError(where, f"git {command} failed: {last_error_line(result)}")
    return [p for p in result.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def export_worktree(repo: Path, destination: Path) -> Path:
    """Copy the files of the index, as the working tree has them, into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for relative in _paths(repo, "ls-files", "--cached", where="the working tree"):
        source = repo / relative
        target = destination / relative
        if not source.is_symlink() and not source.exists():
            continue  # deleted in the working tree, not yet staged: gone, as a commit -a would have it
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_file():
            try:
                shutil.copyfile(source, target)
            except OSError as error:
                raise InputError(relative, f"cannot be read: {error.strerror or error}") from None
    return destination


def untracked(repo: Path) -> list[str]:
    """Files under the manifest directories that git does not track (and does not ignore)."""
    return _paths(repo, "ls-files", "--others", "--exclude-standard", "--", *MANIFEST_DIRS, where="the working tree")


def is_dirty(repo: Path) -> bool:
    """Whether tracked files differ from HEAD, staged or not."""
    result = run_git(repo, "status", "--porcelain", "--untracked-files=no", where="the working tree")
    if result.returncode != 0:
        raise InputError("the working tree", f"git status failed: {last_error_line(result)}")
    return bool(result.stdout.strip())
