"""Where a cluster's infraID stands inside its captured worker settings, by the installer's naming.

The installer names what a worker uses after the cluster's infraID (sources: the security
groups and subnets, ``accelcap.catalog.install_naming``; the instance profile, the
installer's AWS machine code, ``fmt.Sprintf("%s-worker-profile", in.ClusterID)`` when the
install config names none, with the cluster's ``kubernetes.io/cluster/<infraID>: owned`` tag
from ``CapaTagsFromUserTags``, openshift/installer ``pkg/asset/machines/aws``):

- the tag ``kubernetes.io/cluster/<infraID>`` in ``spec.worker.tags``;
- the instance profile ``<infraID>-worker-profile`` (``spec.worker.iamInstanceProfile.id``);
- the security groups ``<infraID>-node`` and ``<infraID>-lb`` (capi; terraform:
  ``<infraID>-worker-sg``) found by ``tag:Name``;
- each zone's subnet ``<infraID>-subnet-private-<zone>`` (terraform: ``-private-``) by ``tag:Name``.

``held_infra_ids`` reads which infraIDs a capture names (a copy of another cluster's
capture names the other cluster); ``rename`` rewrites those settings for a new infraID and
names the settings that do not follow the naming (an id, an ARN, a name of the team's own),
which only a capture can tell.
"""

from __future__ import annotations

import copy
import re
import typing as t
from dataclasses import dataclass, field

from .catalog.install_naming import INSTALL_NAMING

CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"
PROFILE_SUFFIX = "-worker-profile"


@dataclass
class Renamed:
    """What ``rename`` did: the new spec, the settings it rewrote, those it could not."""

    spec: dict[str, t.Any]
    patched: list[str] = field(default_factory=list)
    not_following: list[str] = field(default_factory=list)


def _tag_names(filters: t.Any) -> list[str] | None:
    """The values of a reference that is exactly one ``tag:Name`` filter, else None."""
    if not isinstance(filters, dict) or set(filters) != {"filters"} or not isinstance(filters["filters"], list):
        return None
    entries = filters["filters"]
    if len(entries) != 1 or not isinstance(entries[0], dict) or entries[0].get("name") != "tag:Name":
        return None
    values = entries[0].get("values")
    return values if isinstance(values, list) and all(isinstance(v, str) for v in values) else None


def _suffixes(install_naming: str) -> tuple[list[str], str]:
    naming = INSTALL_NAMING.get(install_naming) or INSTALL_NAMING["capi"]
    return [f"-{s}" for s in naming.security_groups], f"-{naming.subnet_infix}-"


def held_infra_ids(spec: dict[str, t.Any]) -> set[str]:
    """Every infraID the worker settings and subnets of ``spec`` name by the installer's naming."""
    groups, infix = _suffixes(str(spec.get("installNaming")))
    worker: dict[str, t.Any] = spec["worker"] if isinstance(spec.get("worker"), dict) else {}
    found: set[str] = set()
    for tag in worker.get("tags") or []:
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name.startswith(CLUSTER_TAG_PREFIX):
            found.add(name.removeprefix(CLUSTER_TAG_PREFIX))
    profile = (worker.get("iamInstanceProfile") or {}).get("id")
    if isinstance(profile, str) and profile.endswith(PROFILE_SUFFIX):
        found.add(profile.removesuffix(PROFILE_SUFFIX))
    for group in worker.get("securityGroups") or []:
        for value in _tag_names(group) or []:
            found.update(value.removesuffix(s) for s in groups if value.endswith(s))
    for zone, subnet in (spec.get("subnets") or {}).items():
        for value in _tag_names(subnet) or []:
            if value.endswith(f"{infix}{zone}"):
                found.add(value.removesuffix(f"{infix}{zone}"))
    return {i for i in found if i}


def rename(spec: dict[str, t.Any], old: str, new: str) -> Renamed:
    """``spec`` with every setting named after ``old`` by the installer's naming renamed for
    ``new``; what could not be renamed is named (``spec.worker...``, why)."""
    result = Renamed(copy.deepcopy(spec))
    groups, infix = _suffixes(str(spec.get("installNaming")))
    worker = result.spec["worker"]

    def swap(value: str, suffix: str) -> str | None:
        return f"{new}{suffix}" if value == f"{old}{suffix}" else None

    for n, tag in enumerate(worker.get("tags") or []):
        name = tag.get("name") if isinstance(tag, dict) else None
        if name == f"{CLUSTER_TAG_PREFIX}{old}":
            tag["name"] = f"{CLUSTER_TAG_PREFIX}{new}"
            result.patched.append(f"spec.worker.tags[{n}] {CLUSTER_TAG_PREFIX}{new}")
    profile = worker.get("iamInstanceProfile")
    if isinstance(profile, dict) and profile:
        renamed = swap(str(profile.get("id")), PROFILE_SUFFIX) if set(profile) == {"id"} else None
        if renamed is not None:
            profile["id"] = renamed
            result.patched.append(f"spec.worker.iamInstanceProfile {renamed}")
        else:
            result.not_following.append(f"spec.worker.iamInstanceProfile {_short(profile)}")
    for n, group in enumerate(worker.get("securityGroups") or []):
        values = _tag_names(group)
        renamed_values = [next((r for s in groups if (r := swap(v, s))), None) for v in values or []]
        if values and all(renamed_values):
            group["filters"][0]["values"] = renamed_values
            result.patched.append(f"spec.worker.securityGroups[{n}] {', '.join(t.cast(list[str], renamed_values))}")
        else:
            result.not_following.append(f"spec.worker.securityGroups[{n}] {_short(group)}")
    for zone, subnet in (result.spec.get("subnets") or {}).items():
        values = _tag_names(subnet)
        renamed_values = [swap(v, f"{infix}{zone}") for v in values or []]
        if values and all(renamed_values):
            subnet["filters"][0]["values"] = renamed_values
            result.patched.append(f"spec.subnets.{zone} {', '.join(t.cast(list[str], renamed_values))}")
        else:
            result.not_following.append(f"spec.subnets.{zone} {_short(subnet)}")
    return result


def _short(value: t.Any) -> str:
    text = re.sub(r"\s+", " ", str(value))
    return text if len(text) <= 80 else text[:77] + "..."
