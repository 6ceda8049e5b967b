"""The registry of tools: the one place that lists every tool the project ships.

Each ``Tool`` says its name, entry point, one-line purpose, exit codes, output formats and
its pre-commit hooks. ``.venv/bin/python -m accelcap.generate`` writes from it the console scripts of
``pyproject.toml``, the ``tools/<name>`` launchers, ``.pre-commit-hooks.yaml``,
``.pre-commit-config.yaml`` and the README's tool table; ``--check`` (run by the tests)
fails while any of them differs. Adding a tool is one entry here plus its module.

``tools/<name>`` runs ``.venv/bin/python -m accelcap.toolbox NAME [ARGS...]``, so a checkout runs
exactly what the installed console script runs.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

#: The command that rewrites every generated file, as messages and file headers give it: it
#: works from the repository root once the README's set-up has made ``.venv``.
GENERATOR = ".venv/bin/python -m accelcap.generate"

#: The files the hooks that render care about: every manifest of the repository.
MANIFESTS = r"^(base|components|overlays)/"


@dataclass(frozen=True)
class Hook:
    """A pre-commit hook that runs a tool."""

    id: str
    #: What pre-commit prints while the hook runs.
    name: str
    args: tuple[str, ...] = ()
    files: str | None = None
    exclude: str | None = None
    types: tuple[str, ...] = ()
    pass_filenames: bool = True
    require_serial: bool = False
    verbose: bool = False
    #: Offered to other repositories laid out like this one, in ``.pre-commit-hooks.yaml``
    #: (as ``accelcap-<id>``); False: this repository's ``.pre-commit-config.yaml`` only.
    published: bool = True


@dataclass(frozen=True)
class Tool:
    name: str
    #: ``module:function``, as in ``[project.scripts]``.
    entry_point: str
    #: How it is called, for the README (``lint [PATH...]``).
    usage: str
    #: What it does, in one line.
    purpose: str
    #: Its own exit codes with a word or two each (the tool's ``--help`` has them in full);
    #: ``EXIT_RULES`` apply to every tool on top.
    exit_codes: tuple[tuple[int, str], ...]
    #: The values of its ``--format`` option; empty when it has none (a test compares).
    formats: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = ()

    @property
    def exit_summary(self) -> str:
        """``0, 1 invalid, 2 bad input``: the README's column."""
        return ", ".join(f"{code} {meaning}".strip() for code, meaning in self.exit_codes)

    @property
    def documented_exits(self) -> frozenset[int]:
        """Every exit code the tool may return: its own and those of ``EXIT_RULES``."""
        return frozenset(code for code, _ in self.exit_codes) | COMMON_EXITS


#: The exit codes every tool shares beyond its own, and the rules behind them (the README
#: prints these under the table of tools, ``--help`` in each tool's epilog).
COMMON_EXITS = frozenset({141, 130, 143, 129, 131})
EXIT_RULES = (
    "In every tool: a path that does not exist or cannot be read is bad input (2), whether it\n"
    "is a FILE, a PATH or an option's value (only `--changed` lists may name deleted files).\n"
    "AWS or the cluster refusing, timing out or answering nonsense is 3; a schema or CRD URL\n"
    "that cannot be fetched in time is 2 (the location is configuration). When standard output\n"
    "cannot be written (`tool | head -1`, a closed stdout) the exit code is the verdict's, or\n"
    "141 when the verdict was 0: lost findings never pass for success. A catchable signal\n"
    "exits 128 + its number (130 Ctrl-C, 143 SIGTERM) after removing what was half-written.\n"
    "Time limits of every external call: `docs/timeouts.md`.\n"
)

OK = (0, "")
FINDINGS = (1, "findings")
BAD_INPUT = (2, "bad input")


FINDINGS_FORMATS = ("text", "json", "github")

TOOLS: tuple[Tool, ...] = (
    Tool(
        "check-yaml",
        "accelcap.check_yaml:main",
        "check-yaml FILE...",
        "strict YAML syntax (the pre-commit hook)",
        (OK, (1, "does not parse"), BAD_INPUT),
        FINDINGS_FORMATS,
        hooks=(
            Hook(
                "check-yaml",
                "manifests parse strictly (safe tags, no duplicate keys, mappings)",
                files=MANIFESTS,
                types=("yaml",),
            ),
            Hook(
                "check-yaml-other",
                "other YAML parses strictly (safe tags, no duplicate keys)",
                ("--any-document",),
                exclude=MANIFESTS,
                types=("yaml",),
                published=False,
            ),
        ),
    ),
    Tool(
        "check",
        "accelcap.check.cli:main",
        "check [PATH...]",
        "the main job and the pre-commit hook: renders each build once (one build per core at a time) and "
        "runs `set-infra-id --check`, `validate`, `lint` and `verify-quotas --plan` over the same objects, "
        "each finding naming its check",
        (OK, FINDINGS, BAD_INPUT),
        (*FINDINGS_FORMATS, "markdown"),
        hooks=(
            Hook(
                "check",
                "render touched overlays once: infraID, validate, lint, quota plan (no AWS calls)",
                ("--changed",),
                files=MANIFESTS,
                require_serial=True,
                verbose=True,
            ),
        ),
    ),
    Tool(
        "set-infra-id",
        "accelcap.set_infra_id:main",
        "set-infra-id <cluster>",
        "writes the infraID and what the worker MachineSets say (install naming, the worker settings "
        "every pool copies) from `--infra-id`, `--from-machineset FILE` or `--from-cluster`; "
        "`--check` fails while unset",
        (OK, (1, "unset (`--check`)"), BAD_INPUT, (3, "the cluster refused")),
    ),
    Tool(
        "new-cluster",
        "accelcap.new_cluster:main",
        "new-cluster <name>",
        "writes a new cluster's overlay from its own template (facts, one GPU pool of `--instance-type` in "
        "`--zone`, generated files), `git add`s it and prints the next steps; facts `--from-cluster`, "
        "`--from-machineset FILE` or `--infra-id ID --ami AMI` (unconfirmed until captured)",
        (OK, BAD_INPUT, (3, "the cluster refused (`--from-cluster`)")),
    ),
    Tool(
        "validate",
        "accelcap.validate.cli:main",
        "validate [PATH...]",
        "strict JSON-schema validation of every rendered object, offline (kubeconform when installed); "
        "`--server`: a server-side dry run on the live cluster as the Argo CD controller",
        (OK, (1, "invalid"), BAD_INPUT, (3, "the cluster refused (`--server`)")),
        FINDINGS_FORMATS,
    ),
    Tool(
        "lint",
        "accelcap.lint.cli:main",
        "lint [PATH...]",
        "the capacity safety rules (`docs/lint-rules.md`)",
        (OK, FINDINGS, BAD_INPUT),
        FINDINGS_FORMATS,
    ),
    Tool(
        "verify-quotas",
        "accelcap.quotas.cli:main",
        "verify-quotas <cluster>",
        "vCPUs every pool can launch against the account's EC2 quotas; `--plan` without AWS; "
        "`SKIP_QUOTAS=1` reports without enforcing",
        (OK, (1, "short"), BAD_INPUT, (3, "AWS refused")),
        ("text", "json", "markdown", "github"),
    ),
    Tool(
        "capacity-diff",
        "accelcap.capacity_diff:main",
        "capacity-diff BASE [HEAD]",
        "what a change does to the most vCPUs and accelerators per cluster, pool and quota class; "
        "without HEAD, BASE against the working tree (staged and unstaged)",
        (OK, BAD_INPUT),
        ("text", "json", "markdown"),
    ),
    Tool(
        "verify-pools",
        "accelcap.verify_pools.cli:main",
        "verify-pools <cluster>",
        "after a sync, on the live cluster: Applications Synced and Healthy, each pool's MachineSet, "
        "Machines, nodes, accelerators and operator ready; `--workload` runs the validation pods "
        "(not a hook: it needs a cluster)",
        ((0, "done"), (1, "not done"), BAD_INPUT, (3, "the cluster refused")),
        ("text", "json", "markdown", "github"),
    ),
    Tool(
        "crd-schemas",
        "accelcap.validate.crd_schemas:main",
        "crd-schemas",
        "converts CRDs into JSON schemas in kubeconform's layout",
        (OK, BAD_INPUT, (3, "the cluster refused (`--from-cluster`)")),
    ),
)

TOOLS_BY_NAME: dict[str, Tool] = {tool.name: tool for tool in TOOLS}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS_BY_NAME:
        names = ",".join(TOOLS_BY_NAME)
        print(f"toolbox: usage: .venv/bin/python -m accelcap.toolbox {{{names}}} [ARGS...]", file=sys.stderr)
        sys.exit(2)
    name = sys.argv.pop(1)
    sys.argv[0] = name
    module, _, function = TOOLS_BY_NAME[name].entry_point.partition(":")
    getattr(importlib.import_module(module), function)()


if __name__ == "__main__":
    main()
