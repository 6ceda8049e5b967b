"""``.venv/bin/python -m accelcap.generate [--check]``: (re)write every generated file of the project.

For maintainers. Generated from the registries (``OUTPUTS`` lists them):

- from the registry of tools (``accelcap.toolbox``): ``[project.scripts]`` of
  ``pyproject.toml``, the ``tools/<name>`` launchers, ``.pre-commit-hooks.yaml``,
  ``.pre-commit-config.yaml`` (plus ``GENERATOR_HOOK`` and ``MAINTAINER_HOOKS``) and the
  README's tool table;
- from the lint rules: ``docs/lint-rules.md``;
- from the catalog: ``docs/catalog.md``;
- from the finding codes, quota classes and pool checks: the tables of ``docs/validate.md``,
  ``docs/verify-quotas.md`` and ``docs/verify-pools.md``;
- from each cluster's facts and pools (``accelcap.generated_files``): ``facts/worker/kustomization.yaml``, the
  wiring of the worker settings into the pools, and ``gpu-limits.yaml``, the ClusterAutoscaler's
  GPU limits.

A generated part of a hand-written file sits between two marker lines,
``<!-- generated:NAME ... -->`` (``# generated:NAME ...`` in TOML) and ``<!-- end:NAME -->``.
``--check`` writes nothing and exits 1 naming each stale file; the tests run it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

from .catalog import docs as catalog_docs
from .cli import entry_point, new_parser
from .config import load_settings
from .errors import EXIT_FINDINGS, EXIT_OK, InputError
from .facts import list_clusters
from .files import read_text, write_atomically
from .generated_files import ClusterFile, ClusterRenders, cluster_files
from .lint import docs as lint_docs
from .quotas import docs as quota_docs
from .tables import markdown_table
from .toolbox import EXIT_RULES, TOOLS, Hook, Tool
from .validate import finding_codes
from .verify_pools import docs as pool_docs

TOOL = "generate"
COMMAND = ".venv/bin/python -m accelcap.generate"
#: The launcher every ``tools/<name>`` link points at.
LAUNCHER = "_run"
#: The oldest pre-commit that understands the published hooks' keys.
MINIMUM_PRE_COMMIT = "2.9.0"

#: The first hook of this repository's own ``.pre-commit-config.yaml``: it rewrites what is
#: generated from the registries and from each cluster's facts and pools (a raised
#: maxReplicas in a pool.yaml moves the ClusterAutoscaler's GPU limit with it). Like any hook
#: that changes files it then fails the commit once: ``git add`` and commit again.
GENERATOR_HOOK: dict[str, t.Any] = {
    "id": "generated",
    "name": "generated files are current (rewrites stale ones: git add them)",
    "entry": ".venv/bin/python -m accelcap.generate",
    "language": "system",
    "files": r"^(base|components|overlays|src)/",
    "pass_filenames": False,
    "require_serial": True,
}

#: Hooks of this repository's own ``.pre-commit-config.yaml`` that run the maintainers'
#: checkers rather than a tool of the registry. They run the checkout's ``.venv`` (the
#: README's test set-up installs them), so the hooks need no network.
MAINTAINER_HOOKS: tuple[dict[str, t.Any], ...] = (
    {
        "id": "ruff",
        "name": "ruff lint (Python)",
        "entry": ".venv/bin/ruff check --force-exclude",
        "language": "system",
        "types": ["python"],
    },
    {
        "id": "ruff-format",
        "name": "ruff format (Python)",
        "entry": ".venv/bin/ruff format --check --force-exclude",
        "language": "system",
        "types": ["python"],
    },
    {
        "id": "mypy",
        "name": "mypy (src/, strict)",
        "entry": ".venv/bin/mypy",
        "language": "system",
        "types": ["python"],
        "files": "^src/",
        "pass_filenames": False,
    },
)


# --- YAML for the hook files (written by hand so the files stay readable) -----------------

_PLAIN_START = re.compile(r"[A-Za-z^./(]")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "~"}


def _scalar(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    text = str(value)
    plain = (
        _PLAIN_START.match(text) is not None
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text.lower() not in _YAML_WORDS
    )
    # A JSON string is a YAML double-quoted scalar.
    return text if plain else json.dumps(text)


def _yaml_list(items: t.Iterable[dict[str, t.Any]], indent: int) -> list[str]:
    lines = []
    for item in items:
        for index, (key, value) in enumerate(item.items()):
            lead = " " * indent + ("- " if index == 0 else "  ")
            lines.append(f"{lead}{key}: {_scalar(value)}")
    return lines


def _hook_fields(tool: Tool, hook: Hook, *, published: bool) -> dict[str, t.Any]:
    fields: dict[str, t.Any] = {
        "id": f"accelcap-{hook.id}" if published else hook.id,
        "name": hook.name,
        "entry": " ".join([tool.name if published else f"tools/{tool.name}", *hook.args]),
        "language": "python" if published else "system",
    }
    if hook.types:
        fields["types"] = list(hook.types)
    if hook.files:
        fields["files"] = hook.files
    if hook.exclude:
        fields["exclude"] = hook.exclude
    if not hook.pass_filenames:
        fields["pass_filenames"] = False
    if hook.require_serial:
        fields["require_serial"] = True
    if hook.verbose:
        fields["verbose"] = True
    if published:
        fields["minimum_pre_commit_version"] = MINIMUM_PRE_COMMIT
    return fields


def hooks_file() -> str:
    """``.pre-commit-hooks.yaml``: the hooks other repositories can use."""
    header = [
        f"# GENERATED by `{COMMAND}` from src/accelcap/toolbox.py; do not edit.",
        "# The same hooks for other repositories laid out like this one (base/, components/,",
        "# overlays/<cluster>/ with facts/cluster.yaml). pre-commit installs this package into the",
        "# hook's own environment.",
    ]
    hooks = [_hook_fields(tool, hook, published=True) for tool in TOOLS for hook in tool.hooks if hook.published]
    return "\n".join(header + _yaml_list(hooks, 0)) + "\n"


def config_file() -> str:
    """``.pre-commit-config.yaml``: the checks every commit of this repository gets."""
    header = [
        f"# GENERATED by `{COMMAND}` from src/accelcap/toolbox.py; do not edit.",
        "# The checks every commit gets. Each hook runs this checkout's tools/ and .venv (after the",
        "# README's set-up), so nothing is downloaded and `pre-commit run --all-files` works offline.",
        "# Hooks that render take the changed files (--changed) and check only the overlays those",
        "# files touch, found from the kustomization graph; --all-files therefore checks them all.",
        "repos:",
        "  - repo: local",
        "    hooks:",
    ]
    hooks = [_hook_fields(tool, hook, published=False) for tool in TOOLS for hook in tool.hooks]
    return "\n".join(header + _yaml_list([GENERATOR_HOOK, *hooks, *MAINTAINER_HOOKS], 6)) + "\n"


def scripts_table() -> str:
    """``[project.scripts]`` of ``pyproject.toml``: one console script per tool."""
    return "[project.scripts]\n" + "".join(f'{tool.name} = "{tool.entry_point}"\n' for tool in TOOLS)


def tools_table() -> str:
    """The README's table of tools and the exit-code rules every tool shares."""
    rows = [(f"`{tool.usage}`", tool.purpose, tool.exit_summary, ", ".join(tool.formats) or "-") for tool in TOOLS]
    return markdown_table(("tool", "what it does", "exit codes", "`--format`"), rows) + "\n" + EXIT_RULES


# --- generated files and blocks -----------------------------------------------------------


def wrap(name: str, body: str, comment: str = "html") -> str:
    """``body`` between the two marker lines of block ``name``."""
    if comment == "html":
        return f"<!-- generated:{name} ({COMMAND}) -->\n{body}<!-- end:{name} -->\n"
    return f"# generated:{name} ({COMMAND}); do not edit\n{body}# end:{name}\n"


def replace_block(text: str, name: str, block: str, where: str) -> str:
    """``text`` with its block ``name`` (marker lines included) replaced by ``block``."""
    pattern = re.compile(
        rf"^(?:<!--|#) generated:{re.escape(name)}\b.*?^(?:<!--|#) end:{re.escape(name)}\b[^\n]*\n",
        re.MULTILINE | re.DOTALL,
    )
    match = pattern.search(text)
    if match is None:
        raise InputError(where, f"no generated:{name} block; add its two marker lines where it belongs")
    return text[: match.start()] + block + text[match.end() :]


@dataclass(frozen=True)
class WholeFile:
    path: str
    text: t.Callable[[], str]

    def wanted(self, root: Path) -> str:
        return self.text()


@dataclass(frozen=True)
class Blocks:
    """Generated blocks inside a hand-written file: name -> the block, marker lines included."""

    path: str
    blocks: t.Mapping[str, t.Callable[[], str]]

    def wanted(self, root: Path) -> str:
        file = root / self.path
        try:
            text = file.read_text()
        except OSError as error:
            raise InputError(self.path, error.strerror or str(error)) from None
        for name, block in self.blocks.items():
            text = replace_block(text, name, block(), self.path)
        return text


OUTPUTS: tuple[WholeFile | Blocks, ...] = (
    WholeFile(".pre-commit-hooks.yaml", hooks_file),
    WholeFile(".pre-commit-config.yaml", config_file),
    Blocks("pyproject.toml", {"scripts": lambda: wrap("scripts", scripts_table(), "hash")}),
    Blocks("README.md", {"tools": lambda: wrap("tools", tools_table())}),
    WholeFile(lint_docs.DOCS_FILE.as_posix(), lint_docs.render_docs),
    WholeFile(catalog_docs.DOCS_FILE, catalog_docs.render_docs),
    Blocks("docs/validate.md", {"finding-codes": lambda: wrap("finding-codes", finding_codes.markdown_table())}),
    Blocks(
        "docs/verify-quotas.md",
        {name: functools.partial(lambda n: wrap(n, quota_docs.block(n)), name) for name in quota_docs.BLOCKS},
    ),
    Blocks(
        "docs/verify-pools.md",
        {name: functools.partial(lambda n: wrap(n, pool_docs.block(n)), name) for name in pool_docs.BLOCKS},
    ),
)


def launchers_stale(root: Path) -> list[str]:
    """``tools/<name>`` entries that are missing, are not links to ``_run``, or name no tool."""
    directory = root / "tools"
    wanted = {tool.name for tool in TOOLS}
    stale = [name for name in sorted(wanted) if not _is_launcher(directory / name)]
    stale += [p.name for p in sorted(directory.iterdir()) if _is_launcher(p) and p.name not in wanted]
    return [f"tools/{name}" for name in stale]


def _is_launcher(path: Path) -> bool:
    return path.is_symlink() and os.readlink(path) == LAUNCHER


def write_launchers(root: Path) -> None:
    directory = root / "tools"
    wanted = {tool.name for tool in TOOLS}
    for path in list(directory.iterdir()):
        if _is_launcher(path) and path.name not in wanted:
            path.unlink()
    for name in wanted:
        link = directory / name
        if not _is_launcher(link):
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(LAUNCHER)


def derived_files(root: Path, renders: ClusterRenders | None = None) -> list[ClusterFile]:
    """The derived files of every cluster of the repository at ``root``; the clusters whose
    files need a render share ``renders`` (default: one for these files)."""
    settings = load_settings(root)
    renders = renders or ClusterRenders(settings)
    return [file for cluster in list_clusters(settings) for file in cluster_files(cluster, settings, renders)]


def stale_files(root: Path) -> list[str]:
    """Every generated file (or launcher) of ``root`` that differs from what is generated."""
    stale = []
    for output in OUTPUTS:
        file = root / output.path
        current = file.read_text() if file.is_file() else None
        if current != output.wanted(root):
            stale.append(output.path)
    settings = load_settings(root)
    renders = ClusterRenders(settings)
    derived = derived_files(root, renders)
    # A missing file keeps the builds that list it from rendering: stale, and not computed.
    # The clusters the others need render at once.
    renders.prefetch(file.renders for file in derived if file.renders and file.path.is_file())
    for derived_file in derived:
        if not derived_file.path.is_file() or derived_file.path.read_text() != derived_file.text():
            stale.append(settings.relative(derived_file.path))
    return stale + launchers_stale(root)


def write_all(root: Path) -> list[str]:
    """Rewrite what is stale; the paths written."""
    written = []
    for output in OUTPUTS:
        file = root / output.path
        text = output.wanted(root)
        if not file.is_file() or file.read_text() != text:
            write_atomically(file, text)
            written.append(output.path)
    written += write_derived(root)
    links = launchers_stale(root)
    if links:
        write_launchers(root)
    return written + links


def write_derived(root: Path) -> list[str]:
    """Rewrite the stale derived files of every cluster; the paths written."""
    settings = load_settings(root)
    renders = ClusterRenders(settings)
    derived = derived_files(root, renders)
    created = set()
    for cluster_file in derived:
        if cluster_file.bootstrap is not None and not cluster_file.path.is_file():
            write_atomically(cluster_file.path, cluster_file.bootstrap)
            created.add(cluster_file.path)
    written = []

    def write(cluster_file: ClusterFile) -> None:
        text = cluster_file.text()
        where = settings.relative(cluster_file.path)
        # A file someone keeps with CRLF line endings keeps them (files.read_text).
        current, newline = read_text(cluster_file.path, where) if cluster_file.path.is_file() else (None, "\n")
        if cluster_file.path in created or current != text:
            write_atomically(cluster_file.path, text, newline, where)
            written.append(where)

    # What needs no render first (the facts' wiring, which the renders read), then what
    # follows from the renders, every cluster rendered at once.
    for cluster_file in derived:
        if cluster_file.renders is None:
            write(cluster_file)
    renders.prefetch(file.renders for file in derived if file.renders)
    for cluster_file in derived:
        if cluster_file.renders is not None:
            write(cluster_file)
    return written


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        "Rewrite every generated file of the project from the registries of src/accelcap: the\n"
        "hook files, console scripts, tools/ launchers, the README's tool table and the generated\n"
        "docs and doc tables.\n\n"
        "Reads: the registries and the files with generated blocks. Writes: the stale files\n"
        "(nothing with --check).",
        "exit codes:\n  0  every generated file is current (or was rewritten)\n"
        "  1  --check: a generated file is stale (each is named)\n  2  bad input (a file lacks its markers)",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each stale file")
    return parser


def execute(args: argparse.Namespace) -> int:
    root = load_settings().root
    if args.check:
        stale = stale_files(root)
        for path in stale:
            print(f"{TOOL}: {path}: stale; run {COMMAND}", file=sys.stderr)
        return EXIT_FINDINGS if stale else EXIT_OK
    written = write_all(root)
    for path in written:
        print(f"{TOOL}: wrote {path}")
    if not written:
        print(f"{TOOL}: every generated file is current")
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
