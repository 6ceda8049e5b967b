"""What the Machine Config Operator writes into AWS MachineSets when it manages boot images.

From OpenShift 4.19 the MCO manages the boot image of Machine API MachineSets on AWS by
default: after each cluster upgrade its machine-set-boot-image controller patches every
enrolled MachineSet to the release's RHCOS AMI. ``tools/lint`` (CAP022) requires every Argo CD
Application that syncs MachineSets on such a cluster to ignore these fields (with
``RespectIgnoreDifferences=true``), unless the cluster opts the pool out through
``MachineConfiguration`` ``cluster`` ``spec.managedBootImages`` (docs/runbook.md, "Boot images").
"""

from __future__ import annotations

from .machine_api import PROVIDER

#: The first OpenShift minor version whose MCO manages AWS MachineSet boot images by default.
MANAGED_BY_DEFAULT_FROM = (4, 19)

#: JSON pointers of the MachineSet fields the MCO rewrites on AWS, across the releases read:
#: the AMI (the newer controller replaces the whole reference with ``{id: <ami>}``), and the
#: user-data secret's name (older controllers switch it to ``worker-user-data-managed``; the
#: newer one upgrades the stub secret in place instead).
MANAGED_POINTERS: tuple[str, ...] = (f"{PROVIDER}/ami", f"{PROVIDER}/userDataSecret/name")
#: Patches the controller makes to one MachineSet with the same result before it stops and
#: degrades machine-config ("hot loop detected"): what happens when Argo CD self-heal writes
#: Git's AMI back after every boot image update.
HOT_LOOP_LIMIT = 3
#: ``MachineConfiguration`` (operator.openshift.io/v1, cluster-scoped, name ``cluster``):
#: ``spec.managedBootImages.machineManagers[]`` with ``resource: machinesets``,
#: ``apiGroup: machine.openshift.io`` and ``selection.mode`` All, Partial (with
#: ``partial.machineResourceSelector``, a label selector on MachineSet labels) or None.
MACHINE_CONFIGURATION = ("operator.openshift.io", "MachineConfiguration", "cluster")

SOURCES = (
    (
        "https://github.com/openshift/machine-config-operator/blob/51963a88da02fafe9b861f3b74ed54e17065fb81/"
        "pkg/controller/machine-set-boot-image/platform_helpers.go (reconcileAWS: sets ami.id and "
        "userDataSecret.name = ManagedWorkerSecretName)"
    ),
    (
        "openshift/machine-config-operator, later platform_helpers.go (reconcileAWSProviderSpec: replaces "
        "ami with {id}, only from a known RHCOS AMI; upgradeStubIgnitionIfRequired on the secret)"
    ),
    (
        "https://github.com/openshift/machine-config-operator (pkg/controller/machine-set-boot-image/"
        "ms_helpers.go checkMAPIMachineSetHotLoop, machine_set_boot_image_controller.go HotLoopLimit = 3; "
        "MachineSets with an owner reference are skipped)"
    ),
    (
        "https://github.com/openshift/api (operator/v1/types_machineconfiguration.go: ManagedBootImages, "
        "MachineManager, MachineManagerSelector modes All, Partial, None)"
    ),
    (
        "https://docs.redhat.com/en/documentation/openshift_container_platform/4.19/html/machine_configuration/"
        "mco-update-boot-images (by default on AWS and Google Cloud the MCO updates the boot image of "
        "machine sets at every cluster update; an old boot image means slower node start, certificate "
        "expiry and version skew)"
    ),
)


def managed_by_default(openshift_version: str) -> bool:
    """Whether the MCO manages AWS MachineSet boot images on OpenShift ``version`` by default."""
    major, _, rest = openshift_version.partition(".")
    minor = rest.split(".", 1)[0]
    if not (major.isdigit() and minor.isdigit()):
        return True  # an unreadable version fails closed: assume the MCO writes
    return (int(major), int(minor)) >= MANAGED_BY_DEFAULT_FROM
