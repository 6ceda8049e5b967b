"""The generated parts of docs/verify-quotas.md, from the registries they describe.

``.venv/bin/python -m accelcap.generate`` writes them into the document (``--check``: a test keeps the
document in step).
"""

from __future__ import annotations

from ..catalog.ec2_quotas import FAMILIES, QUOTAS, FamilyQuotas, NoQuota, Quota, Source
from ..report import checks_table
from ..tables import markdown_table
from .verdict import CHECKS

BLOCKS = ("checks", "quotas", "families")


def _link(source: Source) -> str:
    return f"[{source.title}]({source.url})"


def quotas_markdown() -> str:
    rows = [(f"`{q.key}`", q.market.value, f"`{q.code}`", q.name, _link(q.source)) for q in QUOTAS]
    return markdown_table(("Key", "Market", "Code", "AWS's name", "Source"), rows)


#: How the families table shows a market without a quota (the reasons are ``NoQuota``'s).
NO_QUOTA_CELLS = {
    NoQuota.NO_SPOT_MARKET: "none: On-Demand only",
    NoQuota.UNDOCUMENTED: "**none documented: fails closed**",
    NoQuota.DEDICATED_HOSTS_ONLY: "none: Dedicated Hosts only (refused)",
}


def _cell(found: Quota | NoQuota) -> str:
    return f"`{found.code}` {found.title}" if isinstance(found, Quota) else NO_QUOTA_CELLS[found]


def families_markdown() -> str:
    """One row per family of ``FAMILIES``, by class (in ``QUOTAS`` order), then by name; the
    sources as numbered reference links below the table, so each row stays short."""
    order: dict[str, int] = {}
    for number, quota in enumerate(QUOTAS):
        order.setdefault(quota.title, number)
    sources: list[Source] = []
    for row in FAMILIES.values():
        if row.listed_in not in sources:
            sources.append(row.listed_in)

    def place(row: FamilyQuotas) -> tuple[int, str]:
        return (order.get(str(row.quota_class), len(order)), row.family)

    rows = [
        (
            f"`{r.family}`",
            r.quota_class or "-",
            _cell(r.on_demand),
            _cell(r.spot),
            f"[{r.listed_in.title}][{sources.index(r.listed_in) + 1}]",
        )
        for r in sorted(FAMILIES.values(), key=place)
    ]
    links = "".join(f"[{n}]: {source.url}\n" for n, source in enumerate(sources, start=1))
    return markdown_table(("Family", "Class", "On-Demand quota", "Spot quota", "Listed in"), rows) + "\n" + links


def block(name: str) -> str:
    """The text of generated block ``name`` (markers are the generator's)."""
    makers = {"checks": lambda: checks_table(CHECKS.values()), "quotas": quotas_markdown, "families": families_markdown}
    return makers[name]()
