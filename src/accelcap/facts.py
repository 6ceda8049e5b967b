"""The one way to read a cluster's facts (``overlays/<cluster>/facts/cluster.yaml``)."""

from __future__ import annotations

import functools
import typing as t
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import referencing

from .catalog.openshift_versions import KUBERNETES_FOR_OPENSHIFT
from .config import Settings, load_settings
from .errors import InputError
from .fast_valid import errors_of
from .identifiers import CLUSTER_NAME, with_ecma_patterns
from .infra_naming import held_infra_ids
from .run_memo import once, resolved
from .suggest import unknown_keys
from .yamlload import load_single, package_schema

#: The value an infraID has until ``tools/set-infra-id`` writes the real one; base
#: manifests carry the same token, so it is also what survives rendering when unset.
INFRA_ID_UNSET = "INFRAID"
FACTS_FILE = Path("facts") / "cluster.yaml"
#: Facts written without the cluster (``new-cluster``, ``set-infra-id --infra-id``) say what
#: awaits a capture here; ``set-infra-id --from-cluster`` (or ``--from-machineset``) removes it.
UNCONFIRMED_ANNOTATION = "accel-capacity.io/unconfirmed"
#: What the installer names the workers' user data and the machine API's AWS credentials; a
#: cluster's facts say otherwise in ``spec.worker`` when its workers use others.
INSTALLER_USER_DATA_SECRET = "worker-user-data"
INSTALLER_CREDENTIALS_SECRET = "aws-cloud-credentials"


@dataclass(frozen=True)
class ClusterFacts:
    name: str
    infra_id: str
    account_id: str
    region: str
    zones: tuple[str, ...]
    install_naming: str
    openshift_version: str
    #: The worker MachineSets' provider settings that every pool copies (``spec.worker``).
    worker: dict[str, t.Any]
    #: The workers' subnet reference in each zone (``spec.subnets``).
    subnets: dict[str, dict[str, t.Any]]
    path: Path
    #: What was written without the cluster and awaits a capture (``set-infra-id
    #: --from-cluster``): the ``accel-capacity.io/unconfirmed`` annotation, or None.
    unconfirmed: str | None = None

    @functools.cached_property
    def held_infra_ids(self) -> frozenset[str]:
        """Every infraID the worker capture and subnets name by the installer's naming
        (``accelcap.infra_naming``); worked out once per facts, as a run compares each cluster
        with every other (``accelcap.ownership``)."""
        spec = {"installNaming": self.install_naming, "worker": self.worker, "subnets": self.subnets}
        return frozenset(held_infra_ids(spec))

    @property
    def infra_id_set(self) -> bool:
        return self.infra_id != INFRA_ID_UNSET

    @property
    def worker_imds_authentication(self) -> str:
        """The workers' IMDS mode: ``Required`` (IMDSv2) unless the facts say ``Optional``."""
        options = self.worker.get("metadataServiceOptions")
        value = options.get("authentication") if isinstance(options, dict) else None
        return str(value) if value else "Required"

    @property
    def worker_user_data_secret(self) -> str:
        return self._secret("userDataSecret", INSTALLER_USER_DATA_SECRET)

    @property
    def worker_credentials_secret(self) -> str:
        return self._secret("credentialsSecret", INSTALLER_CREDENTIALS_SECRET)

    def _secret(self, key: str, default: str) -> str:
        reference = self.worker.get(key)
        name = reference.get("name") if isinstance(reference, dict) else None
        return str(name) if name else default

    @property
    def ami(self) -> str | None:
        """The workers' AMI id, when they name it by id."""
        value = self.worker.get("ami", {}).get("id")
        return str(value) if value else None

    @property
    def kubernetes_version(self) -> str:
        """The Kubernetes minor version of the cluster's OpenShift version."""
        try:
            return KUBERNETES_FOR_OPENSHIFT[self.openshift_version]
        except KeyError:
            raise InputError(
                str(self.path),
                f"openshiftVersion {self.openshift_version} has no known Kubernetes version "
                f"(known: {', '.join(KUBERNETES_FOR_OPENSHIFT)})",
            ) from None


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    """The facts schema, which takes its AWS types from the AWSMachineProviderConfig schema.

    ECMA 262 patterns: "prod-x7k2p\n" is no infraID, though Python's "$" would accept it.
    """
    provider = package_schema("awsmachineproviderconfig.schema.json")
    registry: referencing.Registry[t.Any] = referencing.Resource.from_contents(provider) @ referencing.Registry()
    validator = with_ecma_patterns(jsonschema.Draft202012Validator)
    return validator(package_schema("cluster-facts.schema.json"), registry=registry)  # type: ignore[no-any-return]


def cluster_dir(cluster: str, settings: Settings | None = None) -> Path:
    """``overlays/<cluster>`` of a valid cluster name; never a path outside ``overlays/``.

    The overlays directory itself must lie inside the repository (``overlays-dir`` is read
    from the repository's own pyproject.toml, which is data), and a cluster directory must
    not be a symbolic link that leads out of it.
    """
    settings = settings or load_settings()
    # Every tool that takes a cluster name gets here, so "../x" or "/etc" never becomes a path.
    if not CLUSTER_NAME.matches(cluster):
        raise InputError(
            cluster or "(empty)",
            f"not a cluster name: it must be a directory directly under {settings.overlays_dir}/, "
            "named with a-z, 0-9 and '-' inside (a DNS label)",
        )
    root = resolved(settings.root)
    overlays = resolved(settings.overlays)
    if root not in overlays.parents:
        raise InputError(
            "pyproject.toml [tool.accelcap] overlays-dir",
            f"{settings.overlays_dir!r} is not a directory inside the repository",
        )
    directory = overlays / cluster
    if directory.is_symlink() or (directory.exists() and resolved(directory).parent != overlays):
        raise InputError(cluster, f"{settings.overlays_dir}/{cluster} is a symbolic link; a cluster is a directory")
    return directory


def facts_path(cluster: str, settings: Settings | None = None) -> Path:
    return cluster_dir(cluster, settings) / FACTS_FILE


def cluster_dir_of(path: Path) -> Path | None:
    """The cluster directory (``overlays/<cluster>``) that ``path`` lies in, if any."""
    path = resolved(path)
    for candidate in (path, *path.parents):
        if (candidate / FACTS_FILE).is_file():
            return candidate
    return None


def check_facts_document(document: dict[str, t.Any], where: str, capturing: bool = False) -> None:
    """Raise ``InputError`` unless ``document`` is a valid ClusterFacts object.

    ``capturing``: the facts are about to be captured, so a zone may still lack its subnet.
    """
    errors = errors_of(_validator(), document)  # once, for the unknown keys and the best match
    unknown_keys(errors, where)
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        location = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise InputError(where, f"{location}: {error.message}")
    spec = document["spec"]
    for zone in spec["zones"]:
        if not zone.startswith(spec["region"]):
            raise InputError(where, f"spec/zones: {zone} is not in region {spec['region']}")
        if zone not in spec["subnets"] and not capturing:
            raise InputError(
                where,
                f"spec/subnets: no subnet for zone {zone}; tools/set-infra-id {document['metadata']['name']} "
                "--from-cluster captures the subnet of every zone that runs workers",
            )
    for zone in spec["subnets"]:
        if not zone.startswith(spec["region"]):
            raise InputError(where, f"spec/subnets: {zone} is not in region {spec['region']}")
    devices = spec["worker"]["blockDevices"]
    if "deviceName" in devices[0] or "volumeSize" in (devices[0].get("ebs") or {}):
        raise InputError(
            where,
            "spec/worker/blockDevices/0: the root device (no deviceName) comes first, without volumeSize "
            "(each pool sets its root volume size in pool.yaml)",
        )


def load_facts_file(path: Path, settings: Settings | None = None, capturing: bool = False) -> ClusterFacts:
    """The validated facts in ``path``; read once per run (``run_memo``: a run reads every
    cluster's facts for its overlay, its generated files and the other clusters' conflicts)."""
    chosen = settings or load_settings()
    return once("facts", (chosen.root, path, capturing), lambda: _read_facts_file(path, chosen, capturing))


def _read_facts_file(path: Path, settings: Settings, capturing: bool) -> ClusterFacts:
    where = settings.relative(path)
    if not path.is_file():
        raise InputError(where, "no cluster facts file here")
    document = load_single(path, where)
    check_facts_document(document, where, capturing)
    spec = document["spec"]
    cluster = document["metadata"]["name"]
    if path.parent.parent.name != cluster:
        raise InputError(where, f"metadata/name is {cluster!r} but the file is in overlays/{path.parent.parent.name}")
    return ClusterFacts(
        name=cluster,
        infra_id=spec["infraID"],
        account_id=spec["accountID"],
        region=spec["region"],
        zones=tuple(spec["zones"]),
        install_naming=spec["installNaming"],
        openshift_version=spec["openshiftVersion"],
        worker=spec["worker"],
        subnets=spec["subnets"],
        path=path,
        unconfirmed=document["metadata"]["annotations"].get(UNCONFIRMED_ANNOTATION),
    )


def require_infra_id(facts: ClusterFacts, settings: Settings | None = None) -> str:
    """The cluster's infraID; refuses facts that still hold the placeholder, since the live
    cluster can then not be told apart from any other."""
    if not facts.infra_id_set:
        where = (settings or load_settings()).relative(facts.path)
        raise InputError(
            where,
            f"infraID is unset: the cluster cannot be recognised (run tools/set-infra-id {facts.name} --from-cluster)",
        )
    return facts.infra_id


def load_facts(cluster: str, settings: Settings | None = None, capturing: bool = False) -> ClusterFacts:
    """The validated facts of ``cluster`` (an overlay name such as ``prod``); ``capturing``:
    see ``check_facts_document``."""
    settings = settings or load_settings()
    path = facts_path(cluster, settings)
    if not path.parent.parent.is_dir():
        known = ", ".join(sorted(list_clusters(settings))) or "none"
        raise InputError(cluster, f"no such cluster in {settings.overlays_dir}/ (known: {known})")
    return load_facts_file(path, settings, capturing)


def list_clusters(settings: Settings | None = None) -> list[str]:
    """Names of every cluster overlay (a directory with ``facts/cluster.yaml``); a directory
    whose name is not a cluster name is an error, not skipped."""
    settings = settings or load_settings()
    if not settings.overlays.is_dir():
        return []
    names = sorted(p.parent.parent.name for p in settings.overlays.glob(f"*/{FACTS_FILE.as_posix()}"))
    for name in names:
        cluster_dir(name, settings)
    return names


def unset_message(cluster: str) -> str:
    """What ``--check`` says of a cluster whose infraID is still the placeholder."""
    return f"infraID is unset; run tools/set-infra-id {cluster} --from-cluster"


def unconfirmed_message(facts: ClusterFacts) -> str:
    """What ``--check`` and ``check`` say of facts written without the cluster (a warning)."""
    return (
        f"unconfirmed facts ({facts.unconfirmed}): written without the cluster; confirm them with "
        f"tools/set-infra-id {facts.name} --from-cluster before Argo CD syncs the pools"
    )
