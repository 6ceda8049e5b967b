"""Every path a message, comment or doc names exists: files and directories of the repository
(``components/...``, ``base/...``, ``docs/...``, ``tools/...``), anchors of the docs
(``docs/x.md#section``) and the package's modules and names (``accelcap.catalog.instance_types``).

A user told to "run the pool On-Demand (components/on-demand)" by a tool, or a reader sent to
a module that was renamed, is sent nowhere; this finds such names in the package's sources
(messages, comments, docstrings), the docs, the README, the workflow, the CI script, the
benchmarks and the tool wrappers.
"""

from __future__ import annotations

import functools
import importlib
import re
import typing as t
from pathlib import Path

import pytest

from support import REPO

#: The files whose words are checked (globs relative to the repository).
SCANNED = (
    "src/accelcap/**/*.py",
    "docs/*.md",
    "README.md",
    "components/**/*.md",
    ".github/workflows/*.yml",
    ".ci/*",
    "benchmarks/*.py",
    "tools/*",
    ".pre-commit-hooks.yaml",
    ".pre-commit-config.yaml",
    "pyproject.toml",
)
TOP = ("components", "base", "overlays", "docs", "tools", "benchmarks", "tests", "src", "schemas")
#: A repository path: one of ``TOP``, then path characters, then maybe a docs anchor. Not
#: inside another path or word (``x/docs/...``, ``--docs/``), and not a URL's path.
PATH = re.compile(r"(?<![\w/.\-:])((?:" + "|".join(TOP) + r")/[A-Za-z0-9_.\-/<>{}*]*[A-Za-z0-9_\-/>}*])(#[a-z0-9\-]+)?")
MODULE = re.compile(r"(?<![\w.\-/])accelcap(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
#: Paths that are examples, not references: what a user would create (a second cluster, a new
#: zone) or what a guard refuses. Each with where it is named and why.
EXAMPLES = {
    "overlays/staging": "README: the example of adding a cluster",
    "overlays/staging/facts/cluster.yaml": "README: the example of adding a cluster",
    "overlays/prod/capacity/gpu-us-west-2b": "README and docs: the example of adding a zone",
    "overlays/prod/capacity/gpu-us-west-2b/pool.yaml": "the example of adding a zone",
    "docs/reference/kubernetes-api/": "a path of kubernetes.io, quoted",
    "overlays/c0000..cNNNN": "benchmarks/lint_fleet.py: the clusters the benchmark generates",
    "docs/s": "benchmarks/validate_throughput.py: documents per second, a unit",
    # Paths of other repositories, cited with the repository they are in.
    "tests/hw-accel/neuron": "docs/inferentia.md: rh-ecosystem-edge/eco-gotests",
    "docs/certification/RedHatCertificationBacklog.md": "docs/inferentia.md: the Neuron operator's repository",
}


def scanned_files() -> list[Path]:
    files = {file for pattern in SCANNED for file in REPO.glob(pattern) if file.is_file()}
    return sorted(file for file in files if "__pycache__" not in file.parts)


def is_pattern(path: str) -> bool:
    """A path with a placeholder (``overlays/<cluster>``, ``tools/{name}``, ``base/pools/*``)."""
    return bool(re.search(r"[<>{}*]|/[A-Z][A-Z_]+(?:/|$)", path))


@functools.cache
def anchors(doc: Path) -> frozenset[str]:
    """The anchors GitHub gives the headings of ``doc``."""
    found = set()
    for line in doc.read_text().splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower().replace("`", ""))
            found.add(text.replace(" ", "-"))
    return frozenset(found)


def path_problem(path: str, anchor: str | None) -> str | None:
    """Why ``path`` (and ``anchor``) names nothing; None when it exists."""
    if path.startswith("schemas/"):
        path = "src/accelcap/" + path  # the package's schemas, named from inside it
    target = REPO / path.rstrip("/.")
    if not target.exists():
        return "does not exist"
    if anchor and target.suffix == ".md" and anchor[1:] not in anchors(target):
        return f"has no heading for {anchor}"
    return None


def module_problem(name: str) -> str | None:
    """Why the dotted ``name`` (a module, then attributes) names nothing; None when it does."""
    parts = name.split(".")
    for length in range(len(parts), 0, -1):
        try:
            found: t.Any = importlib.import_module(".".join(parts[:length]))
        except ImportError:
            continue
        for attribute in parts[length:]:
            if not hasattr(found, attribute):
                return f"{'.'.join(parts[:length])} has no {attribute}"
            found = getattr(found, attribute)
        return None
    return "is no module"


def stale_names(file: Path) -> list[str]:
    text = file.read_text(errors="replace")
    where = file.relative_to(REPO)
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in PATH.finditer(line):
            path, anchor = match.group(1), match.group(2)
            if is_pattern(path) or path.rstrip("/.") in EXAMPLES or path in EXAMPLES:
                continue
            problem = path_problem(path.rstrip("."), anchor)
            if problem:
                problems.append(f"{where}:{number}: {path}{anchor or ''} {problem}")
        for match in MODULE.finditer(line):
            name = match.group(0).rstrip(".")
            problem = module_problem(name)
            if problem:
                problems.append(f"{where}:{number}: {name} {problem}")
    return problems


@pytest.mark.parametrize("file", scanned_files(), ids=lambda f: str(f.relative_to(REPO)))
def test_every_named_path_exists(file: Path) -> None:
    problems = stale_names(file)
    assert not problems, "\n".join(problems)


def test_the_scan_sees_a_stale_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A title\n")
    (tmp_path / "note.md").write_text(
        "see components/on-demand, docs/a.md#a-title, docs/a.md#gone, accelcap.no_such_module\n"
    )
    assert stale_names(tmp_path / "note.md") == [
        "note.md:1: components/on-demand does not exist",
        "note.md:1: docs/a.md#gone has no heading for #gone",
        "note.md:1: accelcap.no_such_module accelcap has no no_such_module",
    ]
