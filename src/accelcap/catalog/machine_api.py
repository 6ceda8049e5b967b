"""What the OpenShift machine API writes into Machines and MachineSets, and why an AWS
machine does not run.

A Machine's ``status.phase`` goes Provisioning -> Provisioned (instance, no node yet) ->
Running (its node exists); Failed is terminal. The machine controller sets Failed, with
``status.errorReason`` ``InvalidConfiguration`` and ``status.errorMessage``, only when the
actuator says the configuration is invalid; the AWS actuator says so for every 4xx answer of
``RunInstances`` (a vCPU quota, an unsupported type) and for a subnet, security group or AMI
it cannot find, and drops EC2's error code from the message then. Other launch failures
(insufficient capacity, which EC2 answers with a 5xx) keep the Machine Provisioning and are
retried; the reason is then only in the AWS provider status: condition ``MachineCreation``,
status False, reason ``MachineCreationFailed``, its message the launch error (code
included). So the causes below match on EC2's error codes *and* on the words of its
messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MACHINE_GROUP = "machine.openshift.io"
AUTOSCALING_GROUP = "autoscaling.openshift.io"

# Labels and tags the OpenShift machine API reads and writes on MachineSets and instances.
CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster"
MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"
ROLE_LABELS = ("machine.openshift.io/cluster-api-machine-role", "machine.openshift.io/cluster-api-machine-type")
#: The node label the autoscaler counts GPUs by (ClusterAutoscaler resourceLimits.gpus[].type).
ACCELERATOR_LABEL = "cluster-api/accelerator"
#: EC2 tag ``kubernetes.io/cluster/<infraID>: owned`` on every machine of the cluster.
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"
#: JSON pointer of the providerSpec value inside a MachineSet.
PROVIDER = "/spec/template/spec/providerSpec/value"

SOURCES = (
    (
        "openshift/api machine/v1beta1/types_machine.go: Machine phases (Provisioning, Provisioned, Running, "
        "Deleting, Failed), status.errorReason/errorMessage, status.nodeRef, status.providerStatus"
    ),
    (
        "openshift/api machine/v1beta1/types_machineset.go: MachineSet status (replicas, readyReplicas, "
        "availableReplicas, errorReason, errorMessage)"
    ),
    (
        "openshift/machine-api-operator pkg/controller/machine/controller.go: Reconcile (Failed only for "
        "InvalidConfiguration errors; other create errors requeue) and updateStatus (errorReason, errorMessage)"
    ),
    (
        "openshift/machine-api-provider-aws pkg/actuators/machine/reconciler.go (create: conditionFailed with the "
        "launch error as message), utils.go (conditionFailed: MachineCreation, False, MachineCreationFailed), "
        "instances.go (launchInstance: 4xx -> InvalidMachineConfiguration 'error launching instance: <message>', "
        "'no subnet IDs were found', 'no security group found', 'error getting AMI')"
    ),
    (
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (Error codes for the Amazon "
        "EC2 API)"
    ),
    (
        "openshift/cluster-autoscaler-operator pkg/controller/machineautoscaler/machineautoscaler_controller.go and "
        "machinetarget.go (SetLimits, SetOwner: the annotations a MachineAutoscaler writes on its MachineSet)"
    ),
)

MACHINE_RUNNING = "Running"
MACHINE_FAILED = "Failed"
#: The AWS provider status condition that holds a launch failure.
MACHINE_CREATION = "MachineCreation"
MACHINE_CREATION_FAILED = "MachineCreationFailed"
#: What the cluster-autoscaler-operator writes on the MachineSet a MachineAutoscaler targets:
#: its bounds, and which MachineAutoscaler owns it (``namespace/name``). Until they are there,
#: the cluster autoscaler does not scale the pool.
AUTOSCALER_MIN_ANNOTATION = "machine.openshift.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX_ANNOTATION = "machine.openshift.io/cluster-api-autoscaler-node-group-max-size"
AUTOSCALER_OWNER_ANNOTATION = "autoscaling.openshift.io/machineautoscaler"
#: The cause a report words by market ("insufficient Spot capacity").
INSUFFICIENT_CAPACITY = "insufficient capacity"


@dataclass(frozen=True)
class FailureCause:
    """A usual reason an AWS machine does not launch, recognised in its error text."""

    name: str
    #: Case-insensitive: EC2 error codes and the words of their messages.
    pattern: re.Pattern[str]
    remedy: str
    source: str
    #: A message as the machine API writes it for this cause (the tests classify each).
    example: str


_EC2_ERRORS = "Error codes for the Amazon EC2 API"
_AWS_ACTUATOR = "machine-api-provider-aws instances.go"

#: First match wins; the order puts the specific before the general.
FAILURE_CAUSES: tuple[FailureCause, ...] = (
    FailureCause(
        INSUFFICIENT_CAPACITY,
        re.compile(
            r"InsufficientInstanceCapacity|InsufficientCapacity|UnfulfillableCapacity|capacity-not-available|"
            r"no Spot capacity available|do not have sufficient \S+ capacity",
            re.IGNORECASE,
        ),
        "AWS has no capacity for the type in this zone and market now: wait, add another zone, or (Spot) run "
        "the pool On-Demand (market: OnDemand in its pool.yaml)",
        f"{_EC2_ERRORS}: InsufficientInstanceCapacity, UnfulfillableCapacity",
        "error creating EC2 instance: InsufficientInstanceCapacity: There is no Spot capacity available that "
        "matches your request.",
    ),
    FailureCause(
        "quota",
        re.compile(
            r"VcpuLimitExceeded|vCPU limit|vCPU capacity|MaxSpotInstanceCountExceeded|max spot instance count|"
            r"InstanceLimitExceeded|instance limit",
            re.IGNORECASE,
        ),
        "the account's EC2 vCPU quota for this class and market is used up: run tools/verify-quotas and ask AWS "
        "for more",
        f"{_EC2_ERRORS}: VcpuLimitExceeded, MaxSpotInstanceCountExceeded, InstanceLimitExceeded",
        "error launching instance: You have requested more vCPU capacity than your current vCPU limit of 32 allows "
        "for the instance bucket that the specified instance type belongs to.",
    ),
    FailureCause(
        "Spot price",
        re.compile(r"SpotMaxPriceTooLow|Spot request price|max(imum)? price", re.IGNORECASE),
        "the Spot maxPrice is below the current Spot price: remove maxPrice (caps at the On-Demand price)",
        f"{_EC2_ERRORS}: SpotMaxPriceTooLow",
        "error launching instance: Your Spot request price of 0.1 is lower than the minimum required Spot request "
        "fulfillment price of 0.4.",
    ),
    FailureCause(
        "bad subnet",
        re.compile(r"subnet", re.IGNORECASE),
        "the subnet reference matches no subnet in the zone: fix the pool's subnet (facts installNaming, "
        "pool-zone.yaml)",
        f"{_AWS_ACTUATOR} ('no subnet IDs were found'); {_EC2_ERRORS}: InvalidSubnetID.NotFound",
        "error getting subnet IDs: no subnet IDs were found",
    ),
    FailureCause(
        "bad security group",
        re.compile(r"security group|InvalidGroup", re.IGNORECASE),
        "the security-group references match no group: fix them (facts installNaming)",
        f"{_AWS_ACTUATOR} ('no security group found'); {_EC2_ERRORS}: InvalidGroup.NotFound",
        "error getting security groups IDs: no security group found",
    ),
    FailureCause(
        "bad AMI",
        re.compile(r"InvalidAMIID|error getting AMI|no image", re.IGNORECASE),
        "the AMI does not exist in the Region: set the facts' ami (tools/set-infra-id CLUSTER --from-cluster)",
        f"{_AWS_ACTUATOR} ('error getting AMI'); {_EC2_ERRORS}: InvalidAMIID.NotFound",
        "error getting blockDeviceMappings: error describing AMI: InvalidAMIID.NotFound: The image id "
        "'[ami-0123]' does not exist",
    ),
    FailureCause(
        "instance type not offered",
        re.compile(r"Unsupported|not supported in (your requested|the) Availability Zone", re.IGNORECASE),
        "the instance type is not offered in this zone: choose another zone or type",
        f"{_EC2_ERRORS}: Unsupported",
        "error launching instance: Your requested instance type (inf2.xlarge) is not supported in your requested "
        "Availability Zone (us-west-2d).",
    ),
    FailureCause(
        "AWS permissions",
        re.compile(r"UnauthorizedOperation|not authorized", re.IGNORECASE),
        "the machine API's AWS credentials may not launch this: check the cloud credentials of openshift-machine-api",
        f"{_EC2_ERRORS}: UnauthorizedOperation",
        "error launching instance: You are not authorized to perform this operation.",
    ),
)


def failure_cause(message: str) -> FailureCause | None:
    """The usual cause ``message`` names, if any."""
    return next((cause for cause in FAILURE_CAUSES if cause.pattern.search(message)), None)
