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
from .files import write_atomically
from .pools import CLUSTER_LABEL, ROLE_LABELS, naming_of, tag_names
from .yamlload import load_documents, load_file

TOOL = "set-infra-id"
INFRA_ID_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,26}$")


@dataclass(frozen=True)
class LearnedFacts:
    """Facts learned from a source; None where the source cannot tell."""

    infra_id: str
    ami: str | None = None
    install_naming: str | None = None
    openshift_version: str | None = None
    region: str | None = None


def check_infra_id(value: str, where: str) -> str:
    if not INFRA_ID_PATTERN.match(value):
        raise InputError(
            where,
            f"{value!r} is not an infraID (letters, digits and '-', at most 27 characters, starting with a letter)",
        )
    if value == INFRA_ID_UNSET:
        raise InputError(where, f"{value!r} is the placeholder, not an infraID")
    return value


# --- learning facts from worker MachineSets -------------------------------------------


def _machinesets(documents: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """MachineSets of ``documents``, expanding ``List``/``MachineSetList`` items."""
    found: list[dict[str, t.Any]] = []
    for document in documents:
        if document.get("kind") in ("List", "MachineSetList"):
            found.extend(i for i in document.get("items") or [] if isinstance(i, dict))
        else:
            found.append(document)
    return [d for d in found if d.get("kind") == "MachineSet"]


def _naming_of(provider: dict[str, t.Any], infra_id: str) -> str | None:
    """``capi`` or ``terraform`` from the security-group and subnet names of a worker."""
    references = [*(provider.get("securityGroups") or []), provider.get("subnet") or {}]
    names = [n for ref in references if isinstance(ref, dict) for n in tag_names(ref.get("filters")) or []]
    return naming_of(names, infra_id)


def learn_from_machinesets(documents: list[dict[str, t.Any]], where: str) -> LearnedFacts:
    """Facts of the cluster the worker MachineSets in ``documents`` belong to."""
    workers = [
        ms
        for ms in _machinesets(documents)
        if ((ms.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels", {}).get(ROLE_LABELS[0])
        == "worker"
    ]
    if not workers:
        raise InputError(where, "no worker MachineSet (machine-role label 'worker') in this file")
    infra_ids = {str((ms.get("metadata") or {}).get("labels", {}).get(CLUSTER_LABEL, "")) for ms in workers}
    if len(infra_ids) != 1 or "" in infra_ids:
        raise InputError(where, f"worker MachineSets disagree on {CLUSTER_LABEL}: {sorted(infra_ids)}")
    infra_id = check_infra_id(infra_ids.pop(), where)
    provider = ((workers[0].get("spec") or {}).get("template") or {}).get("spec", {}).get("providerSpec", {}).get(
        "value"
    ) or {}
    ami = (provider.get("ami") or {}).get("id")
    return LearnedFacts(
        infra_id=infra_id,
        ami=str(ami) if ami else None,
        install_naming=_naming_of(provider, infra_id),
        region=(provider.get("placement") or {}).get("region"),
    )


# --- learning facts from the live cluster ---------------------------------------------


def _get_json(*args: str) -> dict[str, t.Any]:
    where = " ".join(["oc get", *args])
    try:
        value = json.loads(cluster.get(*args))
    except json.JSONDecodeError:
        raise ExternalError(where, "did not print JSON") from None
    if not isinstance(value, dict):
        raise ExternalError(where, "did not print a JSON object")
    return value


def learn_from_cluster() -> LearnedFacts:
    """Facts read from the cluster the current kubeconfig context points at."""
    infrastructure = _get_json("infrastructures.config.openshift.io/cluster")
    status = infrastructure.get("status") or {}
    where = "infrastructures.config.openshift.io/cluster"
    infra_id = check_infra_id(str(status.get("infrastructureName", "")), f"{where} .status.infrastructureName")
    region = ((status.get("platformStatus") or {}).get("aws") or {}).get("region")
    version = str(((_get_json("clusterversion/version").get("status") or {}).get("desired") or {}).get("version", ""))
    minor = ".".join(version.split(".")[:2]) if re.match(r"^4\.\d+", version) else None
    machinesets = _get_json("machinesets.machine.openshift.io", "-n", "openshift-machine-api")
    from_workers = learn_from_machinesets([machinesets], "oc get machinesets -n openshift-machine-api")
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
    source.add_argument(
        "--from-cluster", action="store_true", help="read the cluster of the kubeconfig ($KUBECONFIG, current context)"
    )
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
    text = facts.path.read_text()
    new_text = updated_text(text, learned, where)
    wiring_path = facts.path.with_name("kustomization.yaml")
    wiring = wiring_path.read_text()
    new_wiring = wiring_text(wiring, learned.install_naming or facts.install_naming, settings.relative(wiring_path))
    if new_text == text and new_wiring == wiring:
        print(f"{TOOL}: {where}: unchanged")
        return EXIT_OK
    # The wiring first: if the facts write then failed, a rerun would still fix both.
    if new_wiring != wiring:
        write_atomically(wiring_path, new_wiring)
    write_atomically(facts.path, new_text)
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
