"""tools/set-infra-id: write a cluster's infraID (and the facts that come with it) into
its facts file, ``overlays/<cluster>/facts/cluster.yaml``.

The facts come from one of: ``--infra-id ID``; a saved worker MachineSet
(``--from-machineset FILE``, the output of ``oc get machineset -o yaml``: infraID, AMI and the
install-era naming of security groups and subnets); or the live cluster (``--from-cluster``,
through ``oc`` or ``kubectl``: the same plus the OpenShift version). The file is edited line
by line so its comments survive, validated, and replaced atomically; a second run with the
same facts changes nothing. The Terraform-era naming line of the cluster's
``facts/kustomization.yaml`` is switched to match ``installNaming``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

from . import cluster
from .cli import entry_point, new_parser
from .config import load_settings
from .errors import EXIT_FINDINGS, EXIT_OK, ExternalError, InputError
from .facts import INFRA_ID_UNSET, check_facts_document, facts_path, list_clusters, load_facts
from .files import read_text, write_atomically
from .identifiers import AMI_ID, INFRA_ID, REGION
from .pools import CLUSTER_LABEL, ROLE_LABELS, naming_of, tag_names
from .yamlload import load_documents, load_file, load_json, value_at

TOOL = "set-infra-id"


@dataclass(frozen=True)
class LearnedFacts:
    """Facts learned from a source; None where the source cannot tell."""

    infra_id: str
    ami: str | None = None
    install_naming: str | None = None
    openshift_version: str | None = None
    region: str | None = None


def check_infra_id(value: t.Any, where: str) -> str:
    infra_id = INFRA_ID.check(value, where)
    if infra_id == INFRA_ID_UNSET:
        raise InputError(where, f"{infra_id!r} is the placeholder, not an infraID")
    return infra_id


# --- learning facts from worker MachineSets -------------------------------------------


def _machinesets(documents: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """MachineSets of ``documents``, expanding ``List``/``MachineSetList`` items."""
    found: list[dict[str, t.Any]] = []
    for document in documents:
        if document.get("kind") in ("List", "MachineSetList"):
            items = document.get("items")
            found.extend(i for i in (items if isinstance(items, list) else []) if isinstance(i, dict))
        else:
            found.append(document)
    return [d for d in found if d.get("kind") == "MachineSet"]


def _naming_of(provider: dict[str, t.Any], infra_id: str) -> str | None:
    """``capi`` or ``terraform`` from the security-group and subnet names of a worker."""
    groups = value_at(provider, "securityGroups", default=[])
    references = [*(groups if isinstance(groups, list) else []), value_at(provider, "subnet", default={})]
    names = [n for ref in references if isinstance(ref, dict) for n in tag_names(ref.get("filters")) or []]
    return naming_of(names, infra_id)


def learn_from_machinesets(documents: list[dict[str, t.Any]], where: str) -> LearnedFacts:
    """Facts of the cluster the worker MachineSets in ``documents`` belong to.

    Every value is read with ``value_at`` and checked by the identifier validator before it
    is used: a worker MachineSet is data, and ``null`` or a list where a mapping belongs is
    bad input naming the file, never an internal error.
    """
    role = ("spec", "template", "metadata", "labels", ROLE_LABELS[0])
    workers = [ms for ms in _machinesets(documents) if value_at(ms, *role) == "worker"]
    if not workers:
        raise InputError(where, "no worker MachineSet (machine-role label 'worker') in it")
    labels = [value_at(ms, "metadata", "labels", CLUSTER_LABEL, default="") for ms in workers]
    infra_ids = {label if isinstance(label, str) else repr(label) for label in labels}
    if len(infra_ids) != 1 or "" in infra_ids:
        raise InputError(where, f"worker MachineSets disagree on {CLUSTER_LABEL}: {sorted(infra_ids)}")
    infra_id = check_infra_id(labels[0], f"{where}: metadata.labels[{CLUSTER_LABEL}]")
    provider = value_at(workers[0], "spec", "template", "spec", "providerSpec", "value", default={}, where=where)
    if not isinstance(provider, dict):
        raise InputError(where, "spec.template.spec.providerSpec.value is not a mapping")
    ami = value_at(provider, "ami", "id", where=f"{where}: providerSpec.value")
    region = value_at(provider, "placement", "region", where=f"{where}: providerSpec.value")
    return LearnedFacts(
        infra_id=infra_id,
        ami=None if ami is None else AMI_ID.check(ami, f"{where}: providerSpec.value.ami.id"),
        install_naming=_naming_of(provider, infra_id),
        region=None if region is None else REGION.check(region, f"{where}: providerSpec.value.placement.region"),
    )


# --- learning facts from the live cluster ---------------------------------------------


def _get_json(*args: str) -> dict[str, t.Any]:
    where = " ".join(["oc get", *args])
    try:
        value = load_json(cluster.get(*args), where)
    except InputError as error:  # the cluster answered nonsense: an external failure
        raise ExternalError(where, f"answer is {error.what}") from None
    if not isinstance(value, dict):
        raise ExternalError(where, "did not print a JSON object")
    return value


def learn_from_cluster() -> LearnedFacts:
    """Facts read from the cluster the current kubeconfig context points at.

    Whatever the cluster answers is checked like a file would be; an answer that does not
    hold what it must is the cluster's failure (exit 3), named by the ``oc get`` call.
    """
    where = "oc get infrastructures.config.openshift.io/cluster"
    infrastructure = _get_json("infrastructures.config.openshift.io/cluster")
    try:
        infra_id = check_infra_id(
            value_at(infrastructure, "status", "infrastructureName", default=""), f"{where}: .status.infrastructureName"
        )
        region = value_at(infrastructure, "status", "platformStatus", "aws", "region")
        if region is not None:
            REGION.check(region, f"{where}: .status.platformStatus.aws.region")
        version = value_at(_get_json("clusterversion/version"), "status", "desired", "version", default="")
        version = version if isinstance(version, str) else ""
        minor = (
            ".".join(version.split(".")[:2])
            if re.fullmatch(r"4\.[0-9]+(\.[0-9A-Za-z.+-]*)?", version, re.ASCII)
            else None
        )
        machinesets = _get_json("machinesets.machine.openshift.io", "-n", "openshift-machine-api")
        from_workers = learn_from_machinesets([machinesets], "oc get machinesets -n openshift-machine-api")
    except ExternalError:
        raise
    except InputError as error:
        raise ExternalError(error.where, error.what) from None
    if from_workers.infra_id != infra_id:
        raise ExternalError(
            where, f"infrastructureName {infra_id} differs from the worker MachineSets' {from_workers.infra_id}"
        )
    return LearnedFacts(infra_id, from_workers.ami, from_workers.install_naming, minor, region or from_workers.region)


# --- editing the facts file -----------------------------------------------------------

_FIELD_LINE = r"^(?P<indent>[ ]+){key}:[ ]*(?P<value>[^#\n]*?)(?P<comment>[ ]+#[^\n]*)?$"


def _set_field(text: str, key: str, value: str, where: str) -> str:
    """``text`` with the scalar ``key:`` under ``spec`` set to ``value`` (quoted as YAML needs)."""
    pattern = re.compile(_FIELD_LINE.format(key=re.escape(key)), re.MULTILINE)
    matches = list(pattern.finditer(text))
    if len(matches) != 1:
        raise InputError(where, f"expected one line '{key}: ...' in the file, found {len(matches)}")
    match = matches[0]
    rendered = json.dumps(value) if re.match(r"^[0-9.]+$", value) else value
    line = f"{match['indent']}{key}: {rendered}{match['comment'] or ''}"
    return text[: match.start()] + line + text[match.end() :]


def updated_text(text: str, learned: LearnedFacts, where: str) -> str:
    fields = {
        "infraID": learned.infra_id,
        "ami": learned.ami,
        "installNaming": learned.install_naming,
        "openshiftVersion": learned.openshift_version,
    }
    for key, value in fields.items():
        if value is not None:
            text = _set_field(text, key, value, where)
    documents = load_documents(text, where)
    if len(documents) != 1:
        raise InputError(where, "the facts file must hold exactly one document")
    check_facts_document(documents[0], where)
    return text


#: The line of a cluster's ``facts/kustomization.yaml`` that wires Terraform-era names in.
_TERRAFORM_WIRING = re.compile(
    r"^(?P<indent>[ ]*)(?:#[ ]*)?- (?P<path>(?:\.\./)+components/install-naming/terraform)[ ]*$", re.MULTILINE
)


def wiring_text(text: str, install_naming: str, where: str) -> str:
    """``text`` (a facts/kustomization.yaml) with the Terraform naming line on or off."""
    match = _TERRAFORM_WIRING.search(text)
    if match is None:
        raise InputError(where, "no line '- .../components/install-naming/terraform' (commented or not) to switch")
    prefix = "" if install_naming == "terraform" else "# "
    line = f"{match['indent']}{prefix}- {match['path']}"
    return text[: match.start()] + line + text[match.end() :]


# --- command line ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        "Write a cluster's infraID (and the facts that come with it: AMI, install-era naming of\n"
        "security groups and subnets, OpenShift version) into overlays/<cluster>/facts/cluster.yaml.\n\n"
        "Reads: the source chosen below and overlays/<cluster>/facts/cluster.yaml.\n"
        "Writes: that facts file (comments kept, atomic replace) and, when the install-era naming\n"
        "changes, the install-naming line of facts/kustomization.yaml; prints what changed.\n"
        "--check writes nothing: it exits 1 while a cluster's infraID is still the placeholder.",
    )
    parser.add_argument(
        "cluster", nargs="?", help="cluster name (overlays/<cluster>); --check without it checks every cluster"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--infra-id", metavar="ID", help="the infraID to write")
    source.add_argument(
        "--from-machineset",
        metavar="FILE",
        type=Path,
        help="a saved `oc get machineset -o yaml` of the cluster's workers",
    )
    source.add_argument("--from-cluster", action="store_true", help="read the live cluster through oc (or kubectl)")
    source.add_argument("--check", action="store_true", help="write nothing; exit 1 while the infraID is unset")
    return parser


def _check(cluster: str | None) -> int:
    settings = load_settings()
    clusters = [cluster] if cluster else list_clusters(settings)
    if not clusters:
        raise InputError(settings.overlays_dir, "no cluster overlays with facts/cluster.yaml")
    unset = [name for name in clusters if not load_facts(name, settings).infra_id_set]
    for name in unset:
        print(
            f"{TOOL}: {settings.relative(facts_path(name, settings))}: infraID is unset; run {TOOL} {name} --from-cluster",
            file=sys.stderr,
        )
    if not unset:
        print(f"{TOOL}: infraID set for {', '.join(clusters)}")
    return EXIT_FINDINGS if unset else EXIT_OK


def execute(args: argparse.Namespace) -> int:
    if args.check:
        return _check(args.cluster)
    if not args.cluster:
        raise InputError("usage", "a cluster name is required (see --help)")
    settings = load_settings()
    facts = load_facts(args.cluster, settings)
    where = settings.relative(facts.path)
    if args.infra_id is not None:
        learned = LearnedFacts(check_infra_id(args.infra_id, "--infra-id"))
    elif args.from_machineset is not None:
        learned = learn_from_machinesets(load_file(args.from_machineset), str(args.from_machineset))
    elif args.from_cluster:
        learned = learn_from_cluster()
    else:
        raise InputError("usage", "give one of --infra-id, --from-machineset, --from-cluster or --check")
    if learned.region is not None and learned.region != facts.region:
        raise InputError(
            where, f"the source is in region {learned.region}, the facts say {facts.region}: wrong cluster?"
        )
    # Both files keep their line endings (a CRLF file stays CRLF) and their comments.
    text, newline = read_text(facts.path, where)
    new_text = updated_text(text, learned, where)
    wiring_path = facts.path.with_name("kustomization.yaml")
    wiring_where = settings.relative(wiring_path)
    wiring, wiring_newline = read_text(wiring_path, wiring_where)
    new_wiring = wiring_text(wiring, learned.install_naming or facts.install_naming, wiring_where)
    if new_text == text and new_wiring == wiring:
        print(f"{TOOL}: {where}: unchanged")
        return EXIT_OK
    # The wiring first: if the facts write then failed, a rerun would still fix both.
    if new_wiring != wiring:
        write_atomically(wiring_path, new_wiring, wiring_newline, wiring_where)
    write_atomically(facts.path, new_text, newline, where)
    changes = [
        f"{key} {old} -> {new}"
        for key, old, new in (
            ("infraID", facts.infra_id, learned.infra_id),
            ("ami", facts.ami, learned.ami),
            ("installNaming", facts.install_naming, learned.install_naming),
            ("openshiftVersion", facts.openshift_version, learned.openshift_version),
        )
        if new is not None and new != old
    ]
    if new_wiring != wiring:
        changes.append(
            f"{settings.relative(wiring_path)}: install-naming/terraform {'on' if 'terraform' == (learned.install_naming or facts.install_naming) else 'off'}"
        )
    print(f"{TOOL}: {where}: {', '.join(changes)}")
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
