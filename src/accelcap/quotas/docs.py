"""The generated parts of docs/verify-quotas.md, from the registries they describe.

``python -m accelcap.quotas.docs`` prints them; a test keeps the document in step.
"""

from __future__ import annotations

from ..quota_classes import DEDICATED_HOST_ONLY_PREFIXES, PREFIXES, QUOTA_CLASSES
from .verdict import CHECKS

BLOCKS = ("checks", "classes")


def checks_markdown() -> str:
    lines = ["| ID | Severity | What it means | Remediation |", "|---|---|---|---|"]
    lines += [f"| `{c.id}` | {c.severity} | {c.description} | {c.remediation} |" for c in CHECKS.values()]
    return "\n".join(lines) + "\n"


def classes_markdown() -> str:
    lines = ["| Class | Family prefixes | On-Demand code | Spot code |", "|---|---|---|---|"]
    for quota_class in QUOTA_CLASSES:
        prefixes = ", ".join(f"`{p}`" for p, c in PREFIXES.items() if c is quota_class)
        spot = f"`{quota_class.spot_code}`" if quota_class.spot_code else "none (no Spot)"
        lines.append(f"| {quota_class.title} | {prefixes} | `{quota_class.on_demand_code}` | {spot} |")
    refused = ", ".join(f"`{p}`" for p in DEDICATED_HOST_ONLY_PREFIXES)
    lines.append(f"| not supported (Dedicated Hosts only) | {refused} | - | - |")
    return "\n".join(lines) + "\n"


def block(name: str) -> str:
    text = {"checks": checks_markdown, "classes": classes_markdown}[name]()
    return f"<!-- generated:{name} (python -m accelcap.quotas.docs) -->\n{text}<!-- end:{name} -->\n"


if __name__ == "__main__":
    print("\n".join(block(name) for name in BLOCKS), end="")
