"""The import graph of ``src/accelcap``: no cycle, and no module imports from a layer above its own.

The layers, lowest first. A module may import from its own layer and every layer below it;
an import upward makes the lower layer depend on domain code it is meant to serve (the render
layer reading pool files, the catalog reading the tables built from it). Every module must
belong to exactly one layer, so a new module has to be placed here on purpose.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

PACKAGE = "accelcap"
SOURCE = REPO / "src" / PACKAGE

#: (layer, module prefixes), lowest first. A prefix names a module or a package and all
#: below it. Imports inside ``if TYPE_CHECKING:`` count too: a cycle for the type checker
#: is still a cycle of meaning.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "accelcap",  # the package itself (its __init__)
            "accelcap.errors",
            "accelcap.signals",
            "accelcap.paths",
            "accelcap.timeouts",
            "accelcap.files",
            "accelcap.yamlload",
            "accelcap.git",
            "accelcap.config",
            "accelcap.identifiers",
            "accelcap.fast_valid",
            "accelcap.tables",
            "accelcap.report",
            "accelcap.cli",
            "accelcap.toolbox",
            "accelcap.suggest",
            "accelcap.worktree",
        ),
    ),
    ("catalog", ("accelcap.catalog",)),
    (
        "repository",  # the kustomization graph and the kube client: no domain knowledge
        (
            "accelcap.affected",
            "accelcap.kube_client",
        ),
    ),
    ("render", ("accelcap.render",)),
    (
        "sources",  # the files a cluster's model is made of, read and checked
        (
            "accelcap.facts",
            "accelcap.pool_file",
            "accelcap.worker",
            "accelcap.infra_naming",
            "accelcap.ownership",
            "accelcap.staleness",
            "accelcap.markets",
        ),
    ),
    ("model", ("accelcap.model", "accelcap.generated_files", "accelcap.priority_expander")),
    (
        "tools",
        (
            "accelcap.lint",
            "accelcap.quotas",
            "accelcap.validate",
            "accelcap.verify_pools",
            "accelcap.check",
            "accelcap.check_yaml",
            "accelcap.capacity_diff",
            "accelcap.costs",
        ),
    ),
    # The generator, and the tools that change its inputs and so rewrite what it generates.
    ("entry points", ("accelcap.generate", "accelcap.set_infra_id", "accelcap.new_cluster")),
)


def module_name(file: Path) -> str:
    parts = list(file.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(file): file for file in sorted(SOURCE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The index of the layer whose longest prefix matches ``module``."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    if best is None:
        raise AssertionError(f"{module} is in no layer of LAYERS: place it there")
    return best[1]


def imports_of(module: str) -> set[str]:
    """The modules of this package that ``module`` imports (``from . import x`` resolved to
    the submodule ``x`` when there is one)."""
    file = modules()[module]
    tree = ast.parse(file.read_text(), str(file))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - node.level + 1]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # ``from pkg import sub`` imports the submodule; ``from pkg import name`` the package.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]
        else:
            continue
        for name in names:
            if name in modules():
                found.add(name)
    found.discard(module)
    return found


def graph() -> dict[str, set[str]]:
    return {module: imports_of(module) for module in modules()}


def test_every_module_has_a_layer() -> None:
    for module in modules():
        layer_of(module)


def test_no_module_imports_from_a_layer_above() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``edges`` (a -> b -> ... -> a), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(edges) == cycle


def test_the_layer_check_sees_an_upward_import() -> None:
    assert layer_of("accelcap.render.builds") < layer_of("accelcap.facts")


def test_the_offline_main_job_loads_no_aws_sdk() -> None:
    """``tools/check`` calls no AWS API (its quota plan is ``accelcap.quotas.plan``, the capacity
    checks' offline part ``accelcap.quotas.capacity``): importing it loads neither boto3 nor
    botocore, a tenth of its start-up before the first build."""
    probe = (
        "import sys, accelcap.check.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 's3transfer'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
