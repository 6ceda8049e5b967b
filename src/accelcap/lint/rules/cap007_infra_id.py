"""CAP007: one infraID everywhere, equal to the cluster's facts; no placeholder survives."""

from __future__ import annotations

import re
import typing as t

from ...catalog.install_naming import INSTALL_NAMING, describe, tag_names
from ...catalog.machine_api import CLUSTER_LABEL, CLUSTER_TAG_PREFIX, MACHINESET_LABEL
from ...facts import INFRA_ID_UNSET
from ...model import ScaledMachineSet
from ...render import Document, application_sources
from ...yamlload import pointer_step
from ..context import LintContext
from ..examples import CAPACITY_APPLICATION, Change, Facts, Set, Worker, example
from ..provider import PROVIDER
from ..rule import Violation, cannot_check, rule

#: Tokens of base/ that components/pool and components/cluster-facts replace.
PLACEHOLDERS = re.compile(r"(?<![A-Za-z0-9_])(INFRAID|ZONE|REGION|INSTANCE_TYPE|ACCELERATOR)(?![A-Za-z0-9_])")
#: The cluster-name token of base/argocd, replaced in Application names and paths.
CLUSTER_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9_])CLUSTER(?![A-Za-z0-9_])")
WORKER_PROFILE = "-worker-profile"
#: The names of each install era, for the rule's text (from the catalog).
NAMINGS = "; ".join(describe(key) for key in INSTALL_NAMING)


def captured(path: str, value: t.Any) -> tuple[Change, Change]:
    """Worker settings with ``value`` at ``path``, as captured into the facts and copied into the pool."""
    return Worker(path, value), Set("MachineSet", PROVIDER + path, value)


@rule(
    "CAP007",
    "infra-id",
    "One infraID, the cluster's, in every place; no placeholders left",
    what=f"""Every place a MachineSet carries the infraID (the `{CLUSTER_LABEL}` label in metadata,
    selector and template; the name and `{MACHINESET_LABEL}` prefix; an installer-named
    `<infraID>-worker-profile`; security group and subnet names given by `tag:Name`; the
    `{CLUSTER_TAG_PREFIX}<infraID>` tag) holds the same value, equal to `spec.infraID` of the
    cluster's facts, and MachineAutoscaler names start with it. Security groups and subnets named by
    `tag:Name` follow the cluster's `installNaming` ({NAMINGS}); references by id or arn say nothing
    of the infraID (with facts, CAP009 and CAP031 compare them with the captured ones; without, a
    security group by id is reported at the cannot-check level, not failing). No
    MachineSet, MachineAutoscaler or Application still contains a placeholder of the bases
    (`INFRAID`, `ZONE`, `REGION`, `INSTANCE_TYPE`, `ACCELERATOR`, and `CLUSTER` in Application names
    and paths).""",
    why="""The machine API finds the cluster, subnet and security groups by these names; one wrong
    value gives machines that never join (`no security group found`) or a MachineSet the cluster
    does not own. Worker settings captured for another infraID (an infraID set by hand after them)
    are such values. A placeholder means a component was left out of the build.""",
    fix="""Run `tools/set-infra-id <cluster> --from-cluster` to write the real infraID, installNaming
    and worker settings into `overlays/<cluster>/facts/cluster.yaml`, and keep the cluster's `facts`
    component last in the `components:` of every build, so it fills every pool.""",
    needs_facts=True,
    failing=(
        example(
            "metadata cluster label differs",
            Set("MachineSet", f"/metadata/labels/{pointer_step(CLUSTER_LABEL)}", "other-abc12"),
        ),
        example("facts name another infraID", Facts(infra_id="prod-zzzzz")),
        example("facts infraID unset", Facts(infra_id=INFRA_ID_UNSET)),
        example(
            "CLUSTER in an Application path",
            Set("Application", "/spec/source/path", "overlays/CLUSTER/capacity", name=CAPACITY_APPLICATION),
        ),
        example("terraform install, capi names", Facts(install_naming="terraform")),
        example(
            "terraform security group captured on a capi cluster",
            *captured("/securityGroups", [{"filters": [{"name": "tag:Name", "values": ["{infraID}-worker-sg"]}]}]),
        ),
        example(
            "instance profile of another cluster captured",
            *captured("/iamInstanceProfile/id", "other-abc12-worker-profile"),
        ),
    ),
    passing=(
        example("a custom instance profile", *captured("/iamInstanceProfile/id", "gpu-workers")),
        example("security groups by id", *captured("/securityGroups", [{"id": "sg-0123456789abcdef0"}])),
    ),
)
def check(context: LintContext) -> t.Iterator[Violation]:
    for document in context.machinesets + context.machineautoscalers + list(context.applications.values()):
        yield from _placeholders(document)
    facts = context.facts
    if facts is not None and not facts.infra_id_set:
        yield Violation(
            f"the facts of cluster {facts.name} still have infraID {INFRA_ID_UNSET}; run tools/set-infra-id {facts.name}"
        )
        return
    for pool in context.pools:
        yield from _machineset(pool, facts.infra_id if facts else None, facts.install_naming if facts else None)
    if facts is not None:
        for autoscaler in context.machineautoscalers:
            if not autoscaler.name.startswith(f"{facts.infra_id}-"):
                yield Violation(f"name does not start with the infraID {facts.infra_id}-", autoscaler, "/metadata/name")


def _placeholders(document: Document) -> t.Iterator[Violation]:
    found = sorted(_placeholders_in(document.obj))
    if document.kind == "Application":
        texts = [document.name, *(str(s.get("path", "")) for _, s in application_sources(document))]
        if any(CLUSTER_PLACEHOLDER.search(text) for text in texts):
            found.append("CLUSTER")
    if found:
        yield Violation(f"placeholder {', '.join(found)} survived rendering", document)


#: The placeholders' words anywhere, boundaries aside.
_PLACEHOLDER_WORDS = re.compile(r"INFRAID|ZONE|REGION|INSTANCE_TYPE|ACCELERATOR")


def _placeholders_in(obj: t.Any) -> set[str]:
    """The placeholders in the strings (and string keys) of ``obj``. ``repr`` keeps the letters of
    every string together, so an object whose ``repr`` has none of the words has none of them
    (the usual case, found without walking the object); otherwise one search over every string,
    joined by a character no placeholder has around or in it."""
    if not _PLACEHOLDER_WORDS.search(repr(obj)):
        return set()
    return set(PLACEHOLDERS.findall("\n".join(_strings(obj))))


def _strings(node: t.Any) -> t.Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _machineset(pool: ScaledMachineSet, facts_infra_id: str | None, naming: str | None) -> t.Iterator[Violation]:
    machineset = pool.machineset
    own = machineset.labels.get(CLUSTER_LABEL)
    infra_id = facts_infra_id or (own if isinstance(own, str) and own else None)
    if infra_id is None:
        yield Violation(f"no {CLUSTER_LABEL} label, so its infraID is unknown", machineset, "/metadata/labels")
        return
    source = "the cluster's facts" if facts_infra_id else f"its {CLUSTER_LABEL} label"

    def wrong(what: str, path: str) -> Violation:
        return Violation(f"{what} does not match infraID {infra_id} of {source}", machineset, path)

    for where, path in (
        (("metadata", "labels"), "/metadata/labels"),
        (("spec", "selector", "matchLabels"), "/spec/selector/matchLabels"),
        (("spec", "template", "metadata", "labels"), "/spec/template/metadata/labels"),
    ):
        if machineset.get(*where, CLUSTER_LABEL) != infra_id:
            yield wrong(f"{CLUSTER_LABEL} {machineset.get(*where, CLUSTER_LABEL)!r}", path)
        value = machineset.get(*where, MACHINESET_LABEL)
        if value is not None and not str(value).startswith(f"{infra_id}-"):
            yield wrong(f"{MACHINESET_LABEL} {value!r}", path)
    if not machineset.name.startswith(f"{infra_id}-"):
        yield wrong(f"name {machineset.name!r}", "/metadata/name")
    provider = pool.provider
    profile = provider.get("iamInstanceProfile", {})
    profile_id = profile.get("id") if isinstance(profile, dict) else None
    # The installer names the profile <infraID>-worker-profile; a profile of another name was
    # chosen at install time (install-config iamProfile) and says nothing of the infraID.
    if isinstance(profile_id, str) and profile_id.endswith(WORKER_PROFILE) and profile_id != infra_id + WORKER_PROFILE:
        yield wrong(f"iamInstanceProfile {profile_id!r}", f"{PROVIDER}/iamInstanceProfile")
    yield from _security_groups(pool, infra_id, naming, wrong, by_id_ok=facts_infra_id is not None)
    yield from _subnet(pool, infra_id, naming, wrong)
    tags = provider.get("tags", [])
    cluster_tags = [
        str(tag.get("name"))[len(CLUSTER_TAG_PREFIX) :]
        for tag in (tags if isinstance(tags, list) else [])
        if isinstance(tag, dict) and str(tag.get("name", "")).startswith(CLUSTER_TAG_PREFIX)
    ]
    # The machine API tags every instance kubernetes.io/cluster/<infraID> itself; a tag of
    # another cluster in the settings is wrong, none at all is not.
    if cluster_tags not in ([], [infra_id]):
        yield wrong(f"cluster tags {cluster_tags!r}", f"{PROVIDER}/tags")


def _security_groups(
    pool: ScaledMachineSet, infra_id: str, naming: str | None, wrong: t.Callable[[str, str], Violation], by_id_ok: bool
) -> t.Iterator[Violation]:
    path = f"{PROVIDER}/securityGroups"
    groups = pool.provider.get("securityGroups")
    names: list[str] = []
    for group in groups if isinstance(groups, list) else []:
        tagged = tag_names(group.get("filters")) if isinstance(group, dict) else None
        if tagged is None:
            if by_id_ok:
                continue  # captured from the workers (CAP031 compares); an id names no infraID
            # By ID or ARN (bring-your-own VPC) and no facts to compare with: only AWS knows its
            # name. The machine API resolves it or fails the machine visibly, so the run does not
            # fail here.
            yield cannot_check(
                "a security group is referenced by ID or ARN, not tag:Name, so its name cannot be checked",
                pool.machineset,
                path,
                blocking=False,
            )
            return
        names.extend(tagged)
    if not names and by_id_ok:
        return
    namings = [naming] if naming in INSTALL_NAMING else list(INSTALL_NAMING)
    expected = [sorted(INSTALL_NAMING[n].security_group_names(infra_id)) for n in namings]
    if sorted(names) not in expected:
        described = " or ".join(str(e) for e in expected)
        yield wrong(
            f"security groups {sorted(names)} (expected {described} for installNaming {naming or 'unknown'})", path
        )


def _subnet(
    pool: ScaledMachineSet, infra_id: str, naming: str | None, wrong: t.Callable[[str, str], Violation]
) -> t.Iterator[Violation]:
    subnet = pool.provider.get("subnet")
    names = tag_names(subnet.get("filters")) if isinstance(subnet, dict) else None
    if names is None:
        return  # CAP009 reports a subnet it cannot place in a zone.
    namings = [naming] if naming in INSTALL_NAMING else list(INSTALL_NAMING)
    prefixes = [INSTALL_NAMING[n].subnet_prefix(infra_id) for n in namings]
    for name in names:
        if not any(name.startswith(prefix) for prefix in prefixes):
            yield wrong(
                f"subnet {name!r} (expected {' or '.join(p + '<zone>' for p in prefixes)})", f"{PROVIDER}/subnet"
            )
