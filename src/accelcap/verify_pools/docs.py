"""The generated parts of docs/verify-pools.md: the checks and the machine failure causes,
from the registries they describe (``.venv/bin/python -m accelcap.generate`` writes them; ``--check``
keeps the document in step)."""

from __future__ import annotations

import typing as t

from ..catalog import accelerator_stack, argocd_status, machine_api
from ..report import checks_table
from ..tables import markdown_table
from .access import cluster_roles
from .checks import CHECKS

BLOCKS = ("checks", "causes", "sources", "access")


def causes_markdown() -> str:
    rows = [
        (cause.name, f"`{cause.pattern.pattern}`", cause.remedy, cause.source) for cause in machine_api.FAILURE_CAUSES
    ]
    return markdown_table(("Cause", "Recognised by (any case)", "What to do", "Source"), rows)


def sources_markdown() -> str:
    modules = (argocd_status, machine_api, accelerator_stack)
    return "".join(
        f"- `accelcap.catalog.{module.__name__.rsplit('.', 1)[-1]}`:\n" + "".join(f"  - {s}\n" for s in module.SOURCES)
        for module in modules
    )


def block(name: str) -> str:
    makers: dict[str, t.Callable[[], str]] = {
        "checks": lambda: checks_table(CHECKS.values()),
        "causes": causes_markdown,
        "sources": sources_markdown,
        "access": lambda: f"```yaml\n{cluster_roles()}```\n",
    }
    return makers[name]()
