"""tools/new-cluster NAME: a new cluster's overlay, from a template of its own.

``overlays/NAME`` is written from the templates below (never copied from another cluster):
the bootstrap, the Applications, the facts (``facts/cluster.yaml``, from the chosen source),
the operators, one GPU pool of ``--instance-type`` in ``--zone`` (autoscaled, 0 to 1 node),
the Inferentia builds (inert until turned on, as in every cluster) and the validation builds;
every comment names NAME. Then the generated files (the facts' wiring, the GPU limits) are
written, the new files are ``git add``-ed (``git commit -am`` skips new files silently), and
the next steps are printed.

The facts come from one of:

- ``--from-cluster``: the cluster of the kubeconfig, as ``set-infra-id --from-cluster`` reads it;
- ``--from-machineset FILE``: a saved ``oc get machineset -n openshift-machine-api -o yaml``;
- ``--infra-id ID --ami AMI``: without the cluster: the worker settings the installer gives
  (``accelcap.infra_naming``: the cluster tag, ``<ID>-worker-profile``, the security groups
  and subnet by their installer names), marked unconfirmed in the facts until
  ``set-infra-id NAME --from-cluster`` captures them; ``check`` says so without failing.
"""

from __future__ import annotations

import argparse
import shutil
import typing as t
from pathlib import Path

from .catalog.install_naming import INSTALL_NAMING
from .catalog.instance_types import lookup, unknown_type_message
from .catalog.openshift_versions import KUBERNETES_FOR_OPENSHIFT
from .catalog.operators import GPU_OPERATOR_CHANNELS, NEURON_SCHEDULER_IMAGES
from .cli import entry_point, exit_codes_help, new_parser
from .config import Settings, load_settings
from .errors import EXIT_OK, InputError
from .facts import (
    FACTS_FILE,
    INSTALLER_CREDENTIALS_SECRET,
    INSTALLER_USER_DATA_SECRET,
    UNCONFIRMED_ANNOTATION,
    check_facts_document,
    cluster_dir,
    load_facts,
)
from .generate import write_derived
from .git import run_git, toplevel
from .identifiers import AMI_ID, AVAILABILITY_ZONE, REGION
from .infra_naming import CLUSTER_TAG_PREFIX, PROFILE_SUFFIX
from .ownership import conflicts
from .set_infra_id import LearnedFacts, check_infra_id, learn_from_cluster, learn_from_machinesets, spec_block
from .yamlload import load_documents, load_file

TOOL = "new-cluster"
#: The newest OpenShift minor the project knows: the default of --openshift-version.
DEFAULT_OPENSHIFT = max(KUBERNETES_FOR_OPENSHIFT, key=lambda v: int(v.split(".")[1]))
#: What --infra-id leaves unconfirmed (the facts' ``UNCONFIRMED_ANNOTATION``).
UNCONFIRMED = "infraID, ami, worker, subnets: written by new-cluster without the cluster, by the installer's naming"

# --- the templates: {name} and the other fields are filled in; comments name the cluster ---

BOOTSTRAP = """\
# The bootstrap of cluster {name}: what a cluster-admin applies once, in two steps
# (docs/runbook.md, "Bootstrap"): the AppProjects, the application controller's extra RBAC and
# the Application health check, then the root Application {name}-root, which syncs the cluster's
# Applications (overlays/{name}/apps) and, through them, its operators and capacity.
# The tools start here and follow each Application to the path it syncs.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base/bootstrap
components:
  # Inferentia (docs/inferentia.md): uncomment to add the Neuron operators and the inf2 pool.
  # - ../../components/inferentia
  - facts   # last: Application names and paths from facts/cluster.yaml
"""

APPS = """\
# The Applications of cluster {name}, synced by {name}-root: {name}-operators (wave 0), then
# {name}-capacity (wave 1).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../base/argocd
components:
  # The GPU pool is autoscaled: leave MachineSet replicas to the autoscaler.
  - ../../../components/autoscaling/argocd
{boot_images}  - ../facts   # last: Application names and paths from facts/cluster.yaml
"""

BOOT_IMAGES = """\
  # openshiftVersion 4.19+: leave the boot image to the Machine Config Operator.
  - {up}components/boot-images
"""

FACTS = """\
# Facts about cluster "{name}": the only place they are written. Every build of this cluster
# takes them from here (facts/kustomization.yaml) and every tool reads them through
# accelcap.facts.load_facts(); schema: src/accelcap/schemas/cluster-facts.schema.json.
# kustomize never applies this object (local-config).
#
# Written by tools/new-cluster {name} ({source}); tools/set-infra-id {name} --from-cluster (or
# --from-machineset FILE) rewrites infraID, installNaming, openshiftVersion, subnets and worker
# from the live cluster.
apiVersion: accel-capacity.io/v1alpha1
kind: ClusterFacts
metadata:
  name: {name}
  annotations:
    config.kubernetes.io/local-config: "true"
{unconfirmed}spec:
  # oc get infrastructures.config.openshift.io/cluster -o jsonpath='{{.status.infrastructureName}}'
  infraID: {infra_id}
  accountID: "{account}"
  region: {region}
  # Zones a pool of this cluster may use (the linter checks every pool against this list);
  # each needs its subnet under subnets.
  zones:
    - {zone}
  # How the installer named the worker's security groups and subnets, capi (4.16 or newer) or
  # terraform (4.15 or older); the names of each: src/accelcap/catalog/install_naming.py.
  installNaming: {install_naming}
  openshiftVersion: "{openshift}"
  # The cluster's worker MachineSets, as every pool copies them (AWSMachineProviderConfig field
  # names; a pool changes only its name, labels, taints, instance type, market, zone and root
  # volume size). The subnet of the workers in each zone (by tag:Name filter, id or arn).
{subnets}{worker}"""

FACTS_WIRING = """\
# The facts of cluster {name}, wired into every build of the cluster: each build lists this
# directory LAST under `components:`. The facts themselves are in cluster.yaml; this file only
# says how they are wired: the cluster's identity by components/cluster-facts, then the worker
# settings and each zone's subnet by worker/, a Component that `.venv/bin/python -m accelcap.generate`
# (and tools/set-infra-id) write from cluster.yaml.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - cluster.yaml
components:
  - ../../../components/cluster-facts
  - worker
"""

CAPACITY = """\
# Capacity of cluster {name}: what the {name}-capacity Argo CD Application syncs (no automatic
# prune). One directory per pool and zone, each with its pool.yaml.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gpu-{zone}
components:
  - ../../../components/autoscaling/cluster
  - ../facts   # last: fills the cluster's facts into everything above
patches:
  # The ClusterAutoscaler's GPU limits, generated from the pools above.
  - path: gpu-limits.yaml
"""

GPU_POOL_BUILD = """\
# The GPU pool of {name} in one zone: its settings are pool.yaml. Another zone: copy this
# directory, change the zone in pool.yaml (name and zone), list the copy in
# ../kustomization.yaml (the zone must be in ../../facts/cluster.yaml, with its subnet).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../base/pools/gpu
  - pool.yaml
components:
  - ../../../../components/gpu-pool
  - ../../../../components/autoscaling/pool
"""

GPU_POOL = """\
# The GPU pool of {name} in {zone}: every setting a platform engineer changes for this pool.
# kustomize fills the MachineSet and MachineAutoscaler from it (components/gpu-pool,
# components/autoscaling/pool); the rest of the MachineSet is the cluster's worker
# (../../facts/cluster.yaml). Schema: src/accelcap/schemas/pool.schema.json.
apiVersion: accel-capacity.io/v1alpha1
kind: Pool
metadata:
  name: gpu-{zone}
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  zone: {zone}
  instanceType: {instance_type}
  # cluster-api/accelerator node label: the GPU type of instanceType (docs/catalog.md)
  acceleratorLabel: {accelerator_label}
  market: {market}{market_pad}# Spot or OnDemand
  minReplicas: 0
  maxReplicas: 1              # the most nodes the autoscaler may start
  volumeSize: 120             # root volume, GiB
"""

OPERATORS = """\
# Operators of cluster {name} and their instances: what the {name}-operators Application syncs.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../base/operators/nfd
  - ../../../base/operators/gpu-operator
  - ../../../base/instances/nfd
  - ../../../base/instances/gpu-operator
patches:
  # The GPU Operator channel must support the cluster's openshiftVersion (facts/cluster.yaml):
  # docs/catalog.md lists each channel's OpenShift versions, and lint rule CAP017 checks it.
  - target:
      kind: Subscription
      name: gpu-operator-certified
    patch: |-
      - op: replace
        path: /spec/channel
        value: {gpu_channel}
"""

VALIDATION = """\
# Validation workloads for {name}, applied by hand and never by Argo CD:
#   oc apply -k overlays/{name}/validation
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../base/validation/gpu
"""

INFERENTIA_APPS = """\
# The Inferentia Applications of {name}, synced by {name}-root once components/inferentia is listed
# in ../../kustomization.yaml. Until then Argo CD does not sync it.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../base/argocd/inferentia
components:
{boot_images}  - ../../facts   # last: Application names and paths from facts/cluster.yaml
"""

INFERENTIA_CAPACITY = """\
# Inferentia capacity of {name}: what {name}-inferentia-capacity syncs once components/inferentia
# is listed in ../../kustomization.yaml. Until then Argo CD does not sync it.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - inf2-{zone}
components:
  - ../../facts   # last: fills the cluster's facts into everything above
"""

INF2_POOL_BUILD = """\
# The inf2 pool of {name} in one zone, scaled by hand (replicas in pool.yaml).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../../base/pools/inferentia
  - pool.yaml
components:
  - ../../../../../components/pool
  - ../../../../../components/pool/replicas
"""

INF2_POOL = """\
# The inf2 pool of {name} in {zone}, scaled by hand: every setting of this pool.
# Schema: src/accelcap/schemas/pool.schema.json.
apiVersion: accel-capacity.io/v1alpha1
kind: Pool
metadata:
  name: inf2-{zone}
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  zone: {zone}
  instanceType: inf2.xlarge
  market: Spot                # Spot or OnDemand
  replicas: 0                 # scale to 1 to validate (docs/inferentia.md)
  volumeSize: 200             # root volume, GiB: Neuron images are 15-20 GB each
"""

INFERENTIA_OPERATORS = """\
# Neuron stack of {name}: what {name}-neuron-operators syncs once Inferentia is on.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../base/operators/kmm
  - ../../../../base/operators/aws-neuron
  - ../../../../base/instances/aws-neuron
{neuron_patch}"""

NEURON_PATCH = """\
patches:
  # The Neuron scheduler of OpenShift {openshift} (Kubernetes {kubernetes}), from the table in docs/catalog.md;
  # change it with openshiftVersion (lint rule CAP024 checks it against facts/cluster.yaml).
  - target:
      kind: DeviceConfig
      name: neuron
    patch: |-
      - op: replace
        path: /spec/customSchedulerImage
        value: {image}
"""

INFERENTIA_VALIDATION = """\
# Inferentia validation for {name}, applied by hand and never by Argo CD:
#   oc apply -k overlays/{name}/inferentia/validation
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../base/validation/neuron
"""

# --- the facts --------------------------------------------------------------------------


def _gpu_channel(openshift: str) -> str:
    """The newest GPU Operator channel that supports ``openshift`` (lint CAP017)."""
    for row in reversed(GPU_OPERATOR_CHANNELS.values()):
        if row.openshift.covers(openshift):
            return row.channel
    raise InputError("--openshift-version", f"no GPU Operator channel of docs/catalog.md supports {openshift}")


def installer_worker(
    infra_id: str, ami: str, zone: str, install_naming: str
) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """(worker, subnets) as the installer names them for ``infra_id`` (unconfirmed)."""
    naming = INSTALL_NAMING[install_naming]

    def by_name(name: str) -> dict[str, t.Any]:
        return {"filters": [{"name": "tag:Name", "values": [name]}]}

    worker = {
        "ami": {"id": ami},
        "tags": [{"name": f"{CLUSTER_TAG_PREFIX}{infra_id}", "value": "owned"}],
        "iamInstanceProfile": {"id": f"{infra_id}{PROFILE_SUFFIX}"},
        "userDataSecret": {"name": INSTALLER_USER_DATA_SECRET},
        "credentialsSecret": {"name": INSTALLER_CREDENTIALS_SECRET},
        "deviceIndex": 0,
        "securityGroups": [by_name(name) for name in naming.security_group_names(infra_id)],
        "blockDevices": [{"ebs": {"encrypted": True, "iops": 0, "kmsKey": {"arn": ""}, "volumeType": "gp3"}}],
        "metadataServiceOptions": {},
    }
    return worker, {zone: by_name(f"{naming.subnet_prefix(infra_id)}{zone}")}


def facts_text(
    args: argparse.Namespace, learned: LearnedFacts | None, openshift: str, source: str
) -> tuple[str, dict[str, t.Any]]:
    """The facts file of the new cluster and the document it holds (validated)."""
    if learned is not None and learned.workers is not None:
        infra_id = learned.infra_id
        install_naming = learned.install_naming or ("capi" if int(openshift.split(".")[1]) >= 16 else "terraform")
        worker, subnets = learned.workers.worker, dict(learned.workers.subnets)
        unconfirmed = ""
    else:
        infra_id = check_infra_id(args.infra_id, "--infra-id")
        install_naming = "capi" if int(openshift.split(".")[1]) >= 16 else "terraform"
        worker, subnets = installer_worker(infra_id, AMI_ID.check(args.ami, "--ami"), args.zone, install_naming)
        unconfirmed = f'    {UNCONFIRMED_ANNOTATION}: "{UNCONFIRMED}"\n'
    text = FACTS.format(
        name=args.name, source=source, unconfirmed=unconfirmed, infra_id=infra_id, account=args.account,
        region=args.region, zone=args.zone, install_naming=install_naming, openshift=openshift,
        subnets=spec_block("subnets", subnets), worker=spec_block("worker", worker),
    )  # fmt: skip
    where = f"overlays/{args.name}/{FACTS_FILE}"
    (document,) = load_documents(text, where)
    check_facts_document(document, where)
    return text, document


# --- the overlay ------------------------------------------------------------------------


def overlay_files(args: argparse.Namespace, openshift: str, accelerator_label: str) -> dict[str, str]:
    """Every file of the overlay but the facts and the generated ones, by relative path."""
    minor = int(openshift.split(".")[1])
    scheduler = NEURON_SCHEDULER_IMAGES.get(openshift)
    neuron_patch = (
        NEURON_PATCH.format(openshift=openshift, kubernetes=scheduler.kubernetes, image=scheduler.image)
        if scheduler is not None
        else ""
    )
    fields = {
        "name": args.name, "zone": args.zone, "instance_type": args.instance_type,
        "accelerator_label": accelerator_label, "market": args.market,
        "market_pad": " " * max(1, 16 - len(args.market)), "gpu_channel": _gpu_channel(openshift),
        "neuron_patch": neuron_patch,
    }  # fmt: skip

    def boot_images(up: str) -> str:
        return BOOT_IMAGES.format(up=up) if minor >= 19 else ""

    templates = {
        "kustomization.yaml": BOOTSTRAP,
        "apps/kustomization.yaml": APPS.replace("{boot_images}", boot_images("../../../")),
        "facts/kustomization.yaml": FACTS_WIRING,
        "capacity/kustomization.yaml": CAPACITY,
        f"capacity/gpu-{args.zone}/kustomization.yaml": GPU_POOL_BUILD,
        f"capacity/gpu-{args.zone}/pool.yaml": GPU_POOL,
        "operators/kustomization.yaml": OPERATORS,
        "validation/kustomization.yaml": VALIDATION,
        "inferentia/apps/kustomization.yaml": INFERENTIA_APPS.replace("{boot_images}", boot_images("../../../../")),
        "inferentia/capacity/kustomization.yaml": INFERENTIA_CAPACITY,
        f"inferentia/capacity/inf2-{args.zone}/kustomization.yaml": INF2_POOL_BUILD,
        f"inferentia/capacity/inf2-{args.zone}/pool.yaml": INF2_POOL,
        "inferentia/operators/kustomization.yaml": INFERENTIA_OPERATORS,
        "inferentia/validation/kustomization.yaml": INFERENTIA_VALIDATION,
    }
    return {path: text.format(**fields) for path, text in templates.items()}


def next_steps(args: argparse.Namespace, settings: Settings, unconfirmed: bool) -> list[str]:
    steps = []
    if unconfirmed:
        steps.append(
            f"confirm the facts written without the cluster: tools/set-infra-id {args.name} --from-cluster "
            "(check warns until then)"
        )
    steps += [
        (
            f"the quota check's role in account {args.account}, if it has none yet: docs/runbook.md, "
            '"Trust model" (docs/iam-trust-policy.json, the same role name in every account)'
        ),
        f"the Region {args.region} in aws:RequestedRegion of docs/iam-policy.json, if it is not listed",
        (
            "CI: the quota job takes each cluster's account from its facts (tools/verify-quotas --list-clusters); "
            "QUOTA_CHECK_ROLE_NAME must name a role that exists in the new account"
        ),
        f'after the merge a cluster-admin bootstraps it: docs/runbook.md, "Bootstrap" (overlays/{args.name})',
    ]
    return steps


def _git_add(settings: Settings, directory: Path) -> str | None:
    """``git add`` the new overlay; what went wrong, or None."""
    if toplevel(settings.root) is None:
        return "not a git repository: add the files to version control yourself"
    result = run_git(settings.root, "add", "--", settings.relative(directory), where=f"git add {directory}")
    return None if result.returncode == 0 else result.stderr.decode(errors="replace").strip() or "git add failed"


# --- command line -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        TOOL,
        __doc__.split("\n", 1)[1].strip()
        + "\n\nReads: the source of the facts, the repository's other clusters' facts (no two share an\n"
        "infraID). Writes: overlays/NAME (refused when it exists), its generated files; git adds them.",
        exit_codes_help(
            {
                1: "",
                3: "--from-cluster: the cluster refused (unreachable, credentials, access) or answered nonsense",
            },
            tool=TOOL,
        ),
    )
    parser.add_argument("name", metavar="NAME", help="the cluster's name: overlays/NAME (a-z and 0-9)")
    parser.add_argument("--region", required=True, help="the cluster's AWS Region, such as us-east-1")
    parser.add_argument("--account", required=True, metavar="ID", help="the AWS account ID (12 digits)")
    parser.add_argument("--zone", required=True, help="the zone of the first GPU pool, such as us-east-1a")
    parser.add_argument("--instance-type", required=True, metavar="TYPE", help="its instance type, such as g6.xlarge")
    parser.add_argument("--market", choices=("Spot", "OnDemand"), default="Spot", help="its market (default Spot)")
    parser.add_argument(
        "--openshift-version",
        metavar="4.N",
        help=f"the cluster's OpenShift version (default {DEFAULT_OPENSHIFT}; --from-cluster reads it)",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-cluster", action="store_true", help="read the cluster of the kubeconfig")
    source.add_argument("--from-machineset", metavar="FILE", type=Path, help="a saved worker MachineSet list")
    source.add_argument("--infra-id", metavar="ID", help="without the cluster: its infraID (needs --ami)")
    parser.add_argument("--ami", metavar="AMI", help="with --infra-id: the workers' RHCOS AMI id")
    return parser


def _check_args(args: argparse.Namespace, settings: Settings) -> tuple[Path, str]:
    """The overlay directory and the accelerator label of the instance type."""
    directory = cluster_dir(args.name, settings)
    if "-" in args.name:
        raise InputError(args.name, "a cluster name has no '-' (its Applications are <cluster>-<concern>)")
    if directory.exists():
        raise InputError(settings.relative(directory), "exists already: new-cluster writes a new cluster only")
    REGION.check(args.region, "--region")
    if not (args.account.isascii() and args.account.isdigit() and len(args.account) == 12):
        raise InputError("--account", f"{args.account!r} is not an AWS account ID (12 digits)")
    AVAILABILITY_ZONE.check(args.zone, "--zone")
    if not args.zone.startswith(args.region):
        raise InputError("--zone", f"{args.zone} is not in {args.region}")
    known = lookup(args.instance_type)
    if known is None:
        raise InputError("--instance-type", unknown_type_message(args.instance_type))
    if not known.accelerator_label:
        raise InputError("--instance-type", f"{args.instance_type} is no NVIDIA GPU type (docs/catalog.md)")
    if args.infra_id is not None and args.ami is None:
        raise InputError("--infra-id", "needs --ami: the workers' AMI cannot be told without the cluster")
    if args.ami is not None and args.infra_id is None:
        raise InputError("--ami", "only with --infra-id (a capture reads the workers' AMI)")
    return directory, known.accelerator_label


def execute(args: argparse.Namespace) -> int:
    settings = load_settings()
    directory, label = _check_args(args, settings)
    learned = None
    if args.from_machineset is not None:
        learned = learn_from_machinesets(load_file(args.from_machineset), str(args.from_machineset))
        source = f"--from-machineset {args.from_machineset.name}"
    elif args.from_cluster:
        learned = learn_from_cluster()
        source = "--from-cluster"
    else:
        source = f"--infra-id {args.infra_id} --ami {args.ami}, unconfirmed"
    if learned is not None and learned.region is not None and learned.region != args.region:
        raise InputError(source, f"the workers are in {learned.region}, not {args.region}: wrong cluster?")
    openshift = (learned.openshift_version if learned else None) or args.openshift_version or DEFAULT_OPENSHIFT
    if openshift not in KUBERNETES_FOR_OPENSHIFT:
        raise InputError("--openshift-version", f"{openshift} is not one of {', '.join(KUBERNETES_FOR_OPENSHIFT)}")
    text, document = facts_text(args, learned, openshift, source)
    if args.zone not in document["spec"]["subnets"]:
        raise InputError(source, f"no worker runs in {args.zone}, so its subnet cannot be told")
    files = {str(FACTS_FILE): text, **overlay_files(args, openshift, label)}
    try:
        for relative, content in files.items():
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        facts = load_facts(args.name, settings)
        taken = conflicts(facts, settings)
        if taken:
            raise InputError(settings.relative(facts.path), f"refused: {'; '.join(taken)}")
        generated = write_derived(settings.root)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # nothing half-written is left
        raise
    for written in sorted([*(settings.relative(directory / r) for r in files), *generated]):
        print(f"{TOOL}: wrote {written}")
    problem = _git_add(settings, directory)
    if problem is None:
        print(f"{TOOL}: git add {settings.relative(directory)}")
    else:
        print(f"{TOOL}: {settings.relative(directory)}: not added to git: {problem}")
    unconfirmed = bool(document["metadata"]["annotations"].get(UNCONFIRMED_ANNOTATION))
    print(f"{TOOL}: next steps:")
    for number, step in enumerate(next_steps(args, settings, unconfirmed), start=1):
        print(f"  {number}. {step}")
    return EXIT_OK


main = entry_point(TOOL, build_parser, execute)

if __name__ == "__main__":
    main()
