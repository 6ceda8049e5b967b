"""What a run works out from a tree it does not change, worked out once per run.

A tool that only reads the repository (``tools/check``) runs inside ``one_run()``. Within it,
the answers that depend on the tree alone are kept and shared by every thread of the run: the
resolved form of a path (``resolved``: ``Path.resolve`` asks the file system about every part
of a path, and a run resolves the same few hundred paths tens of thousands of times), the files
a kustomization reaches (``accelcap.affected``), the remote entries of a kustomization
directory (``accelcap.render.remote``), a cluster's facts (``accelcap.facts``), what kind of
file a path names (``file_kind``: the walks ask of each path several times), a path relative
to the repository (``accelcap.config.Settings.relative``).

Outside ``one_run()`` nothing is kept, and what one run kept is dropped when it ends: the
tests run tools in-process on trees they change between runs, and a tool that writes files
(``generate``, ``new-cluster``, ``set-infra-id``) must read what it wrote. A table is a plain
dict: two threads may at worst work the same answer out twice, and a failure is never kept
(each caller that meets it raises it again, as without the memo).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import typing as t
from pathlib import Path

T = t.TypeVar("T")

#: The tables of the run in progress by name, or None outside a run. A module global, not a
#: context variable: the run's build threads (``render.builds``) must see it too.
_tables: dict[str, dict[t.Any, t.Any]] | None = None


@contextlib.contextmanager
def one_run() -> t.Iterator[None]:
    """Keep what the run works out from the tree until the run ends (nested: the outer run's)."""
    global _tables
    outer = _tables
    if outer is None:
        _tables = {}
    try:
        yield
    finally:
        _tables = outer


def table(name: str) -> dict[t.Any, t.Any] | None:
    """The run's table ``name`` (made on first use), or None outside a run."""
    tables = _tables
    if tables is None:
        return None
    found = tables.get(name)
    if found is None:
        found = tables.setdefault(name, {})
    return found


#: What a table holds for a key it has no answer for (None is an answer: ``file_kind``'s "nothing").
_MISSING_ANSWER: t.Any = object()


def once(name: str, key: t.Hashable, compute: t.Callable[[], T]) -> T:
    """``compute()``, once per run for ``key`` in the run's table ``name``; every time outside
    a run. What ``compute`` raises is not kept."""
    kept = table(name)
    if kept is None:
        return compute()
    found = kept.get(key, _MISSING_ANSWER)
    if found is _MISSING_ANSWER:
        found = kept[key] = compute()
    return t.cast(T, found)


def resolved(path: Path) -> Path:
    """``path.resolve()``, once per run for each path.

    Within a run, an absolute path is resolved from its parent, resolved once for every path
    below it, and one look at its last step: ``..`` is the resolved parent's parent, a step
    that is no symbolic link is appended as it is, and a link is resolved in full
    (``Path.resolve``, which also names a loop). ``Path.resolve`` looks at every step of the
    path each time (``os.path.realpath``), and a run resolves some 13,000 paths in a few
    hundred directories (a 200-cluster check: about 0.3 s of CPU less)."""
    if table("resolved") is None:
        return path.resolve()
    return once("resolved", path, lambda: _resolve_last_step(path))


def _resolve_last_step(path: Path) -> Path:
    parent = path.parent
    if parent == path or not path.is_absolute():
        return path.resolve()
    base = resolved(parent)
    if path.name == "..":
        return base.parent
    candidate = base / path.name
    return candidate.resolve() if os.path.islink(candidate) else candidate


#: The errors ``Path.exists`` and ``Path.is_dir`` take for "no such file" (``pathlib._IGNORED_ERRNOS``);
#: any other (a directory that may not be read) is raised, as they raise it.
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
#: ``file_kind``'s answers.
DIRECTORY, FILE, OTHER = "directory", "file", "other"


def file_kind(path: Path) -> str | None:
    """What ``path`` names, links followed: ``DIRECTORY``, ``FILE`` (a regular file), ``OTHER``,
    or None when nothing is there; once per run for each path (one ``stat`` where ``is_dir``,
    ``is_file`` and ``exists`` make one each)."""
    return once("file-kinds", path, lambda: _file_kind(path))


def _file_kind(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if error.errno in _MISSING:
            return None
        raise
    except ValueError:  # a path with a NUL byte, as pathlib answers for it
        return None
    return DIRECTORY if stat.S_ISDIR(mode) else FILE if stat.S_ISREG(mode) else OTHER
