"""How the OpenShift installer names a cluster's network objects, by install era.

The machine API finds a worker's security groups and subnet by their ``tag:Name``; the names
are fixed when the cluster is installed and survive upgrades, so a cluster's facts say which
era it was installed in (``installNaming``).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

#: Where the names come from.
SOURCES = (
    (
        "https://github.com/openshift/installer/blob/release-4.15/pkg/asset/machines/aws/machines.go "
        '(Terraform era: "%s-worker-sg", "%s-private-%s")'
    ),
    "https://github.com/openshift/release/pull/52590 (CAPI era: security group <infraID>-node)",
    "https://github.com/red-hat-storage/ocs-ci/pull/9857 (CAPI era: subnet <infraID>-subnet-private-<zone>)",
    "openshift/hive API docs: <clusterID>-private-<az> (legacy terraform) or <clusterID>-subnet-private-<az> (CAPA)",
)


@dataclass(frozen=True)
class InstallNaming:
    """The names one install era gives a cluster's worker network objects."""

    #: OpenShift versions installed this way, for people.
    installed_with: str
    #: Security group names after ``<infraID>-``.
    security_groups: tuple[str, ...]
    #: Subnet names are ``<infraID>-<subnet_infix>-<zone>``.
    subnet_infix: str

    def security_group_names(self, infra_id: str) -> list[str]:
        return [f"{infra_id}-{suffix}" for suffix in self.security_groups]

    def subnet_prefix(self, infra_id: str) -> str:
        return f"{infra_id}-{self.subnet_infix}-"


#: ``installNaming`` of the facts -> names: 4.16+ (CAPI) installs, and 4.15 or older
#: (Terraform) ones, which keep their names through upgrades.
INSTALL_NAMING: dict[str, InstallNaming] = {
    "capi": InstallNaming("4.16 and newer (CAPI installer)", ("node", "lb"), "subnet-private"),
    "terraform": InstallNaming("4.15 and older (Terraform installer)", ("worker-sg",), "private"),
}


def describe(key: str, infra_id: str = "<infraID>") -> str:
    """``capi: <infraID>-node and <infraID>-lb, subnet <infraID>-subnet-private-<zone>``."""
    naming = INSTALL_NAMING[key]
    groups = " and ".join(f"`{name}`" for name in naming.security_group_names(infra_id))
    return f"{key}: {groups}, subnet `{naming.subnet_prefix(infra_id)}<zone>`"


def naming_of(names: t.Iterable[str], infra_id: str) -> str | None:
    """Which ``INSTALL_NAMING`` the security-group and subnet ``names`` of a worker follow."""
    names = list(names)
    for key, naming in INSTALL_NAMING.items():
        groups = naming.security_group_names(infra_id)
        if any(n in groups for n in names) or any(n.startswith(naming.subnet_prefix(infra_id)) for n in names):
            return key
    return None


def tag_names(filters: t.Any) -> list[str] | None:
    """Values of a ``tag:Name`` filter list; None when the reference names no tag (an id, an ARN)."""
    if not isinstance(filters, list):
        return None
    names = [
        str(value)
        for item in filters
        if isinstance(item, dict) and item.get("name") == "tag:Name"
        for value in (item.get("values") or [])
    ]
    return names or None
