"""Reading the AWS providerSpec of a MachineSet (shared by the naming and zone rules)."""

from __future__ import annotations

import typing as t

#: JSON pointer of the providerSpec value inside a MachineSet.
PROVIDER = "/spec/template/spec/providerSpec/value"


def tag_names(filters: t.Any) -> list[str] | None:
    """Values of the ``tag:Name`` filter; None when the item names no tag (an id, an ARN)."""
    if not isinstance(filters, list):
        return None
    names = [
        str(value)
        for item in filters
        if isinstance(item, dict) and item.get("name") == "tag:Name"
        for value in (item.get("values") or [])
    ]
    return names or None
