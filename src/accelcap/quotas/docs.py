"""The generated parts of docs/verify-quotas.md, from the registries they describe.

``python -m accelcap.quotas.docs`` prints them; a test keeps the document in step.
"""

from __future__ import annotations

from ..quota_classes import DEDICATED_HOST_ONLY_PREFIXES, PREFIXES, QUOTA_CLASSES
from ..report import checks_table
from ..tables import markdown_table
from .verdict import CHECKS

BLOCKS = ("checks", "classes")


def classes_markdown() -> str:
    rows = []
    for quota_class in QUOTA_CLASSES:
        prefixes = ", ".join(f"`{p}`" for p, c in PREFIXES.items() if c is quota_class)
        spot = f"`{quota_class.spot_code}`" if quota_class.spot_code else "none (no Spot)"
        rows.append((quota_class.title, prefixes, f"`{quota_class.on_demand_code}`", spot))
    refused = ", ".join(f"`{p}`" for p in DEDICATED_HOST_ONLY_PREFIXES)
    rows.append(("not supported (Dedicated Hosts only)", refused, "-", "-"))
    return markdown_table(("Class", "Family prefixes", "On-Demand code", "Spot code"), rows)


def block(name: str) -> str:
    text = {"checks": lambda: checks_table(CHECKS.values()), "classes": classes_markdown}[name]()
    return f"<!-- generated:{name} (python -m accelcap.quotas.docs) -->\n{text}<!-- end:{name} -->\n"


if __name__ == "__main__":
    print("\n".join(block(name) for name in BLOCKS), end="")
