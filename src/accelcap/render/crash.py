"""When kustomize itself crashes: one line naming the file it could not read, not Go's trace.

A manifest kustomize cannot handle (a YAML alias that contains itself) makes it overflow
its stack or panic; its standard error is then a Go runtime trace whose last line
(``k8s.io/klog/v2@.../klog.go:1137 +0x167``) says nothing a user can act on. The trace does
not name the file either, so the files the build reads (``affected.KustomizationGraph``) are
read with the project's strict YAML reader, which refuses what crashed kustomize, and the
first it refuses is named with its reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..affected import KustomizationGraph
from ..config import load_settings
from ..errors import InputError
from ..files import read_text
from ..yamlload import load_documents

#: The line of a Go runtime crash that says what happened (``fatal error: stack overflow``,
#: ``panic: ...``), and what Go prints before it when the stack hit its limit.
_GO_CRASH = re.compile(r"^(?:panic|fatal error): .*$", re.MULTILINE)
_GO_STACK_LIMIT = re.compile(r"^runtime: goroutine stack exceeds .*$", re.MULTILINE)
_YAML = (".yaml", ".yml")


def go_crash(stderr: str) -> str | None:
    """The line that says how kustomize crashed, or None when it did not crash."""
    match = _GO_CRASH.search(stderr) or _GO_STACK_LIMIT.search(stderr)
    return " ".join(match[0].split()) if match else None


def unreadable_file(directory: Path) -> tuple[str, str] | None:
    """(file, why) of the first file the build at ``directory`` reads that the strict YAML
    reader refuses; None when every file reads."""
    settings = load_settings()
    try:
        files = KustomizationGraph(settings, missing_ok=True).files(directory)
    except InputError as error:
        return error.where, error.what
    for file in sorted(files):
        if file.suffix not in _YAML and file.name != "Kustomization":
            continue
        where = settings.relative(file)
        try:
            text, _ = read_text(file, where)
            load_documents(text, where, mappings_only=False)
        except InputError as error:
            return error.where, error.what  # the file, and the line where the loader says
    return None


def crash_message(crash: str, directory: Path) -> str:
    """What to say of a build whose kustomize crashed with ``crash`` (``go_crash``)."""
    found = unreadable_file(directory)
    if found is None:
        return f"kustomize crashed ({crash}); every file of the build reads as strict YAML, so the cause is not known"
    file, why = found
    return f"kustomize crashed ({crash}) reading {file}: {why}"


def timeout_hint(directory: Path) -> str:
    """For a build that ran out of time: the file that would crash kustomize, if one does
    (its stack grows to Go's limit of 1 GB first, which a busy machine may not finish)."""
    found = unreadable_file(directory)
    return "" if found is None else f"; {found[0]} may be why: {found[1]}"
