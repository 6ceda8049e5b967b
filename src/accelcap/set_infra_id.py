"""tools/set-infra-id: write a cluster's infraID, and what its worker MachineSets say, into its
facts file, ``overlays/<cluster>/facts/cluster.yaml``.

The facts come from one of: ``--infra-id ID`` (the infraID alone); a saved worker MachineSet
(``--from-machineset FILE``, the output of ``oc get machineset -o yaml``); or the live cluster
(``--from-cluster``, through ``accelcap.kube_client``: the same plus the OpenShift version). From
worker MachineSets it captures the infraID, the install-era naming of security groups and
subnets, and the provider settings every pool copies (``spec.worker``, ``spec.subnets``:
``accelcap.worker``), and says on one line each what it cannot tell or does not copy. The
file is edited so its comments survive (scalar lines in place, the two captured blocks
replaced), validated, and replaced atomically; the wiring of the worker settings into the
pools (``facts/worker/kustomization.yaml``) is rewritten with it. A second run with the same facts changes
nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import kube_client
from .cli import entry_point, exit_codes_help, new_parser
from .config import load_settings
from .errors import EXIT_FINDINGS, EXIT_OK, ExternalError, InputError
from .facts import (
    INFRA_ID_UNSET,
    UNCONFIRMED_ANNOTATION,
    ClusterFacts,
    check_facts_document,
    facts_path,
    list_clusters,
    load_facts,
    unconfirmed_message,
    unset_message,
)
from .files import read_text, write_atomically
from .generate import write_derived
from .identifiers import INFRA_ID, OPENSHIFT_VERSION, REGION
from .infra_naming import Renamed, rename
from .ownership import conflicts, every_cluster_facts
from .worker import Capture, capture, wiring_path, wiring_text
from .yamlload import load_documents, load_file, value_at

TOOL = "set-infra-id"


@dataclass(frozen=True)
class LearnedFacts:
    """Facts learned from a source; None where the source cannot tell."""

    infra_id: str
    install_naming: str | None = None
    openshift_version: str | None = None
    region: str | None = None
    #: What the worker MachineSets say (None for --infra-id).
    workers: Capture | None = None
    #: --infra-id: the facts' worker settings and subnets renamed for the new infraID by the
    #: installer's naming (``accelcap.infra_naming``), unconfirmed until a capture.
    renamed: Renamed | None = None


def check_infra_id(value: t.Any, where: str) -> str:
    infra_id = INFRA_ID.check(value, where)
    if infra_id == INFRA_ID_UNSET:
        raise InputError(where, f"{infra_id!r} is the placeholder, not an infraID")
    return infra_id


# --- learning facts from worker MachineSets -------------------------------------------


def learn_from_machinesets(documents: list[dict[str, t.Any]], where: str) -> LearnedFacts:
    """Facts of the cluster the worker MachineSets in ``documents`` belong to."""
    workers = capture(documents, where)
    return LearnedFacts(
        infra_id=check_infra_id(workers.infra_id, where),
        install_naming=workers.install_naming,
        region=workers.region,
        workers=workers,
    )


# --- learning facts from the live cluster ---------------------------------------------

#: ``.status.desired.version`` of the ClusterVersion: ``4.<minor>.<patch>`` (and a suffix).
_OPENSHIFT_RELEASE = re.compile(rf"({OPENSHIFT_VERSION.pattern})(\.[0-9A-Za-z.+-]*)?", re.ASCII)


def _read(
    live: kube_client.Cluster, resource: str, name: str | None = None, namespace: str | None = None
) -> tuple[dict[str, t.Any], str]:
    """The object (or List) and the call that read it, which names it in every error."""
    found = live.find_resource(resource)
    return live.get(found, name, namespace), f"GET {live.server}{found.path(name, namespace)}"


def learn_from_cluster() -> LearnedFacts:
    """Facts read from the cluster the current kubeconfig context points at.

    Whatever the cluster answers is checked like a file would be; an answer that does not
    hold what it must is the cluster's failure (exit 3), named by the call that read it.
    """
    live = kube_client.connect()
    try:
        infrastructure, where = _read(live, *kube_client.INFRASTRUCTURE)
        infra_id = check_infra_id(
            value_at(infrastructure, "status", "infrastructureName", where=where),
            f"{where}: .status.infrastructureName",
        )
        region = value_at(infrastructure, "status", "platformStatus", "aws", "region", where=where)
        if region is not None:
            REGION.check(region, f"{where}: .status.platformStatus.aws.region")
        version_object, where = _read(live, "clusterversions.config.openshift.io", "version")
        version = value_at(version_object, "status", "desired", "version", where=where)
        release = _OPENSHIFT_RELEASE.fullmatch(version) if isinstance(version, str) else None
        if release is None:
            raise InputError(where, f".status.desired.version {version!r} is not an OpenShift 4 release")
        machinesets, where = _read(live, "machinesets.machine.openshift.io", namespace="openshift-machine-api")
        from_workers = learn_from_machinesets([machinesets], where)
    except InputError as error:  # the cluster answered nonsense: an external failure
        raise ExternalError(error.where, error.what) from None
    if from_workers.infra_id != infra_id:
        raise ExternalError(
            where, f"the worker MachineSets' infraID {from_workers.infra_id} differs from infrastructureName {infra_id}"
        )
    return LearnedFacts(
        infra_id, from_workers.install_naming, release[1], region or from_workers.region, from_workers.workers
    )


# --- editing the facts file -----------------------------------------------------------

_FIELD_LINE = r"^(?P<indent>[ ]+){key}:[ ]*(?P<value>[^#\n]*?)(?P<comment>[ ]+#[^\n]*)?$"
#: What ``--infra-id`` leaves unconfirmed (the ``UNCONFIRMED_ANNOTATION`` of the facts).
UNCONFIRMED_WORKER = "infraID, worker, subnets: written by --infra-id by the installer's naming"
#: The indentation of the keys of ``spec`` in a facts file.
SPEC_INDENT = "  "


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


class _BlockDumper(yaml.SafeDumper):
    """Lists indented under their key, as the repository's YAML is written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def spec_block(key: str, value: t.Any) -> str:
    """``key: value`` as YAML indented under ``spec`` (lists indented under their key)."""
    body = yaml.dump({key: value}, Dumper=_BlockDumper, default_flow_style=False, sort_keys=False, indent=2)
    return "".join(SPEC_INDENT + line + "\n" for line in body.splitlines())


def _set_block(text: str, key: str, value: t.Any) -> str:
    """``text`` with the mapping or list ``key:`` under ``spec`` replaced (or added at the end).

    The block is the key's line and every following line that is blank or indented deeper;
    comments above the key stay.
    """
    lines = text.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if re.match(rf"^{SPEC_INDENT}{re.escape(key)}:", line)), None)
    if start is None:
        return (text if text.endswith("\n") else text + "\n") + spec_block(key, value)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(SPEC_INDENT + " ")):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # blank lines before the next key stay
        end -= 1
    return "".join(lines[:start]) + spec_block(key, value) + "".join(lines[end:])


_LOCAL_CONFIG_LINE = re.compile(r"^(?P<indent>[ ]+)config\.kubernetes\.io/local-config:[^\n]*\n", re.MULTILINE)


def set_unconfirmed(text: str, value: str | None, where: str) -> str:
    """``text`` with the facts' ``UNCONFIRMED_ANNOTATION`` set to ``value`` (None: removed)."""
    text = re.sub(rf"^[ ]+{re.escape(UNCONFIRMED_ANNOTATION)}:[^\n]*\n", "", text, flags=re.MULTILINE)
    if value is None:
        return text
    match = _LOCAL_CONFIG_LINE.search(text)
    if match is None:
        raise InputError(where, "expected one line 'config.kubernetes.io/local-config: ...' under annotations")
    line = f"{match['indent']}{UNCONFIRMED_ANNOTATION}: {json.dumps(value)}\n"
    return text[: match.end()] + line + text[match.end() :]


def updated_text(
    text: str, learned: LearnedFacts, subnets: dict[str, t.Any] | None, where: str
) -> tuple[str, dict[str, t.Any]]:
    """The facts file's new text, and the validated document it holds."""
    fields = {
        "infraID": learned.infra_id,
        "installNaming": learned.install_naming,
        "openshiftVersion": learned.openshift_version,
    }
    for key, value in fields.items():
        if value is not None:
            text = _set_field(text, key, value, where)
    if learned.workers is not None and subnets is not None:
        text = _set_block(text, "subnets", subnets)
        text = _set_block(text, "worker", learned.workers.worker)
        text = set_unconfirmed(text, None, where)  # captured: confirmed
    elif learned.renamed is not None:
        text = _set_block(text, "subnets", learned.renamed.spec["subnets"])
        text = _set_block(text, "worker", learned.renamed.spec["worker"])
        text = set_unconfirmed(text, UNCONFIRMED_WORKER, where)
    documents = load_documents(text, where)
    if len(documents) != 1:
        raise InputError(where, "the facts file must hold exactly one document")
    check_facts_document(documents[0], where)
    return text, documents[0]


def merged_subnets(facts: ClusterFacts, workers: Capture, notes: list[str]) -> dict[str, t.Any]:
    """The captured subnets, plus the facts' own for listed zones no worker runs in (said so)."""
    subnets = dict(workers.subnets)
    for zone in facts.zones:
        if zone not in subnets and zone in facts.subnets:
            subnets[zone] = facts.subnets[zone]
            notes.append(
                f"spec.subnets.{zone}: no worker MachineSet runs in {zone}, so its subnet cannot be told; kept"
            )
    return dict(sorted(subnets.items()))


# --- command line ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        "Write a cluster's infraID, and what its worker MachineSets say, into\n"
        "overlays/<cluster>/facts/cluster.yaml: the install-era naming of security groups and\n"
        "subnets, the OpenShift version (--from-cluster), and the worker provider settings every\n"
        "pool copies (spec.worker: AMI, instance profile, IMDS, EBS type and KMS key, tags,\n"
        "security groups, secrets; spec.subnets: the subnet of each zone), in whichever form the\n"
        "cluster references them. What cannot be told, or is not copied, is said on one line each.\n\n"
        "Reads: the source chosen below and overlays/<cluster>/facts/cluster.yaml.\n"
        "Writes: that facts file (comments kept, atomic replace) and facts/worker/kustomization.yaml, the wiring\n"
        "of the worker settings into the pools, then every other generated file that lags (gpu-limits.yaml\n"
        "names the pools, whose names hold the infraID); prints what changed.\n"
        "--check writes nothing: it exits 1 while a cluster's infraID is still the placeholder.",
        exit_codes_help(
            {
                1: "--check: a cluster's infraID is still the placeholder",
                3: "--from-cluster: the cluster refused (unreachable, credentials, access) or answered nonsense",
            },
            tool=TOOL,
        ),
    )
    parser.add_argument(
        "cluster", nargs="?", help="cluster name (overlays/<cluster>); --check without it checks every cluster"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--infra-id",
        metavar="ID",
        help="the infraID to write, without the cluster: the worker settings named after the old one by the "
        "installer's naming (cluster tag, <id>-worker-profile, security groups, subnets) are renamed and marked "
        "unconfirmed until --from-cluster; the others are named as needing a capture",
    )
    source.add_argument(
        "--from-machineset",
        metavar="FILE",
        type=Path,
        help="a saved `oc get machineset -n openshift-machine-api -o yaml` with the cluster's workers",
    )
    source.add_argument(
        "--from-cluster", action="store_true", help="read the cluster of the kubeconfig ($KUBECONFIG, current context)"
    )
    source.add_argument("--check", action="store_true", help="write nothing; exit 1 while the infraID is unset")
    return parser


def _check(cluster_name: str | None) -> int:
    settings = load_settings()
    clusters = [cluster_name] if cluster_name else list_clusters(settings)
    if not clusters:
        raise InputError(settings.overlays_dir, "no cluster overlays with facts/cluster.yaml")
    # Each cluster's facts, read once; the first that does not load is the error.
    checked = {name: load_facts(name, settings) for name in clusters}
    unset = [name for name, facts in checked.items() if not facts.infra_id_set]
    for name in unset:
        print(f"{TOOL}: {settings.relative(facts_path(name, settings))}: {unset_message(name)}", file=sys.stderr)
    every = every_cluster_facts(settings)
    shared = {name: conflicts(facts, settings, every=every) for name, facts in checked.items()}
    for name, messages in shared.items():
        for message in messages:
            print(f"{TOOL}: {settings.relative(facts_path(name, settings))}: {message}", file=sys.stderr)
    for facts in checked.values():
        if facts.unconfirmed:  # said, not failed
            print(f"{TOOL}: {settings.relative(facts.path)}: warning: {unconfirmed_message(facts)}", file=sys.stderr)
    failed = bool(unset) or any(shared.values())
    if not failed:
        print(f"{TOOL}: infraID set for {', '.join(clusters)}")
    return EXIT_FINDINGS if failed else EXIT_OK


def _learn(args: argparse.Namespace, facts: ClusterFacts) -> LearnedFacts:
    if args.infra_id is not None:
        infra_id = check_infra_id(args.infra_id, "--infra-id")
        if infra_id == facts.infra_id:
            return LearnedFacts(infra_id)
        spec = {"installNaming": facts.install_naming, "worker": facts.worker, "subnets": facts.subnets}
        return LearnedFacts(infra_id, renamed=rename(spec, facts.infra_id, infra_id))
    if args.from_machineset is not None:
        return learn_from_machinesets(load_file(args.from_machineset), str(args.from_machineset))
    if args.from_cluster:
        return learn_from_cluster()
    raise InputError("usage", "give one of --infra-id, --from-machineset, --from-cluster or --check")


def _notes(facts: ClusterFacts, learned: LearnedFacts) -> list[str]:
    """What the source cannot tell, or what is not copied: one line each."""
    notes: list[str] = []
    if learned.workers is None:
        capture = f"tools/{TOOL} {facts.name} --from-cluster (or --from-machineset FILE)"
        if learned.renamed is not None and learned.renamed.patched:
            notes.append(
                f"renamed for {learned.infra_id} by the installer's naming, unconfirmed until {capture}: "
                + "; ".join(learned.renamed.patched)
            )
        for setting in learned.renamed.not_following if learned.renamed is not None else ():
            notes.append(
                f"{setting}: does not follow the installer's naming for {facts.infra_id}, so it is still the old "
                f"cluster's: it needs a capture, {capture} (lint fails until then)"
            )
        return notes
    notes.extend(learned.workers.notes)
    if learned.install_naming is None:
        notes.append(
            "installNaming: the worker security groups and subnets are referenced by id, which says nothing of "
            f"the install-era naming; kept {facts.install_naming}"
        )
    return notes


def execute(args: argparse.Namespace) -> int:
    if args.check:
        return _check(args.cluster)
    if not args.cluster:
        raise InputError("usage", "a cluster name is required (see --help)")
    settings = load_settings()
    # A zone just added to the facts has no subnet yet: capturing it is what this run is for.
    facts = load_facts(args.cluster, settings, capturing=args.infra_id is None)
    where = settings.relative(facts.path)
    learned = _learn(args, facts)
    if learned.region is not None and learned.region != facts.region:
        raise InputError(
            where, f"the source is in region {learned.region}, the facts say {facts.region}: wrong cluster?"
        )
    taken = conflicts(facts, settings, infra_id=learned.infra_id)
    if taken:
        raise InputError(where, f"refused: {'; '.join(taken)}")
    notes = _notes(facts, learned)
    subnets = merged_subnets(facts, learned.workers, notes) if learned.workers is not None else None
    # Both files keep their line endings (a CRLF file stays CRLF) and their comments.
    text, newline = read_text(facts.path, where)
    new_text, new_document = updated_text(text, learned, subnets, where)
    wiring = wiring_path(facts.path)
    wiring_where = settings.relative(wiring)
    new_wiring = wiring_text(new_document["spec"]["worker"], new_document["spec"]["subnets"])
    old_wiring, wiring_newline = read_text(wiring, wiring_where) if wiring.is_file() else (None, newline)
    if new_text == text and new_wiring == old_wiring:
        outcome = "unchanged"
    else:
        # The facts last: if a write failed, a rerun would still do both.
        if new_wiring != old_wiring:
            write_atomically(wiring, new_wiring, wiring_newline, wiring_where)
        write_atomically(facts.path, new_text, newline, where)
        outcome = ", ".join(_changes(facts, learned, subnets)) or "rewritten"
    # The pools' names follow the infraID: the files generated from them follow too.
    regenerated = [path for path in write_derived(settings.root) if path != wiring_where]
    # Said once the run has done its work: a run that fails says one line, its error.
    for note in notes:
        print(f"{TOOL}: {where}: {note}", file=sys.stderr)
    print(f"{TOOL}: {where}: {outcome}")
    for path in regenerated:
        print(f"{TOOL}: {path}: regenerated")
    return EXIT_OK


def _changes(facts: ClusterFacts, learned: LearnedFacts, subnets: dict[str, t.Any] | None) -> list[str]:
    changes = [
        f"{key} {old} -> {new}"
        for key, old, new in (
            ("infraID", facts.infra_id, learned.infra_id),
            ("installNaming", facts.install_naming, learned.install_naming),
            ("openshiftVersion", facts.openshift_version, learned.openshift_version),
        )
        if new is not None and new != old
    ]
    if learned.workers is not None:
        changed = sorted(
            k for k in {*facts.worker, *learned.workers.worker} if facts.worker.get(k) != learned.workers.worker.get(k)
        )
        if changed:
            changes.append(f"worker {', '.join(changed)} (from {', '.join(learned.workers.sources)})")
        if subnets is not None and subnets != facts.subnets:
            changes.append(f"subnets of {', '.join(subnets)}")
    if learned.renamed is not None and learned.renamed.patched:
        changes.append(
            f"{len(learned.renamed.patched)} worker setting(s) renamed by the installer's naming (unconfirmed)"
        )
    return changes


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
