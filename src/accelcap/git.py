"""Running git: one way, with a deadline, and one resolver for revisions from input.

A revision given on the command line (``capacity-diff BASE HEAD``) is data: it is resolved
to a commit ID with ``git rev-parse --verify --end-of-options REV^{commit}`` before any other
use, so ``--output=<file>`` is never read as an option, and a revision that names a tree, a
blob, a path (``HEAD:overlays``) or a range is bad input. Only the commit ID goes on.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from . import timeouts
from .errors import InputError

COMMIT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?", re.ASCII)  # SHA-1, or SHA-256 repositories


def run_git(repo: Path, *args: str, where: str) -> subprocess.CompletedProcess[bytes]:
    """``git -C repo ARGS``; not starting or running out of time is bad input at ``where``."""
    deadline = timeouts.limits("git").total
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=deadline, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(where, f"git {args[0]} timed out: not done after {deadline:g}s (git.total)") from None
    except OSError as error:
        raise InputError(where, f"cannot run git: {error.strerror or error}") from None


def last_error_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return " ".join(lines[-1].split()) if lines else f"exit {result.returncode}"


def resolve_commit(repo: Path, revision: str) -> str:
    """The commit ID ``revision`` names in ``repo``; anything else is bad input."""
    if not revision or revision.startswith("-") or not revision.isprintable():
        raise InputError(
            revision or "(empty)",
            "not a revision: a branch, tag or commit cannot start with '-' or hold control characters",
        )
    result = run_git(
        repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}", where=revision
    )
    resolved = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not COMMIT_ID.fullmatch(resolved):
        raise InputError(
            revision,
            "not a revision of this repository that names a commit "
            "(give a branch, tag or commit; a tree, a path or a range is not one)",
        )
    return resolved


def toplevel(start: Path) -> Path | None:
    """The work tree that ``start`` lies in, if any (no error: a directory need not be one)."""
    try:
        result = run_git(start, "rev-parse", "--show-toplevel", where=str(start))
    except InputError:
        return None
    out = result.stdout.decode(errors="replace").strip()
    return Path(out) if result.returncode == 0 and out else None
