"""The checks of ``verify-pools``: one small function each, and their registry.

``CHECKS`` is what ``docs/verify-pools.md`` lists (generated). ``cluster_results`` runs the
checks of the whole cluster, ``pool_results`` those of one pool, each in the order a person
reads them: Argo CD, the operators, then each pool from its MachineSet to its nodes.
``workload`` (the validation pod) is ``accelcap.verify_pools.workload``'s.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ...report import Check
from ..model import Result
from . import applications, machines, nodes, operators
from .context import ClusterContext, Options, PoolContext

__all__ = ["CHECKS", "WORKLOAD", "ClusterContext", "Options", "PoolContext", "cluster_results", "pool_results"]


@dataclass(frozen=True)
class ClusterCheck:
    check: Check
    run: t.Callable[[ClusterContext], list[Result]]


@dataclass(frozen=True)
class PoolCheck:
    check: Check
    run: t.Callable[[PoolContext], list[Result]]


CLUSTER_CHECKS = (
    ClusterCheck(
        Check(
            applications.CODE,
            "An Argo CD Application the overlay renders (the root and its children) is not Synced and Healthy "
            "(status.sync.status, status.health.status), or is not on the cluster.",
            "Read the reason shown (Argo CD's error conditions, the last sync's message); fix Git or the cluster, "
            "then sync again.",
        ),
        applications.check,
    ),
    ClusterCheck(
        Check(
            operators.OPERATOR,
            "The GPU Operator's ClusterPolicy is not ready (status.state), or the Neuron DeviceConfig is missing; "
            "or the cluster does not serve their kinds (the operator is not installed).",
            "Check the operators Application and the operator's pods; the ClusterPolicy's conditions say which "
            "operand is not ready.",
        ),
        operators.check,
    ),
)

POOL_CHECKS = (
    PoolCheck(
        Check(
            machines.MACHINESET,
            "The pool's MachineSet is missing, or its node labels, taints, instance type or market differ from "
            "the render.",
            "Sync the capacity Application; a difference Argo CD does not fix is an ignoreDifferences entry or a "
            "manual edit.",
        ),
        machines.check_machineset,
    ),
    PoolCheck(
        Check(
            machines.REPLICAS,
            "spec.replicas is outside the MachineAutoscaler's bounds, the MachineAutoscaler is missing or not "
            "taken on by the cluster-autoscaler-operator, or (without one) replicas differ from the render.",
            "Sync the capacity Application; check the cluster-autoscaler-operator; undo a manual oc scale.",
        ),
        machines.check_replicas,
    ),
    PoolCheck(
        Check(
            machines.MACHINES,
            "A Machine of the pool is not Running: its phase and why (errorReason/errorMessage, the AWS provider "
            "status), with the usual cause named: insufficient (Spot) capacity, quota, bad subnet, ...",
            "Act on the cause shown (docs/verify-pools.md, Why a machine does not run); a Failed Machine is "
            "terminal: delete it after the fix and the MachineSet creates a new one.",
        ),
        machines.check_machines,
    ),
    PoolCheck(
        Check(
            nodes.NODES,
            "A node of the pool is not Ready or is cordoned, or fewer nodes than replicas have joined. A pool at "
            "0 replicas is reported 'scaled to zero' (a failure only with --require-nodes).",
            "Look at the node's conditions (oc describe node); a node that never joins: the Machine's instance "
            "and its user data.",
        ),
        nodes.check_nodes,
    ),
    PoolCheck(
        Check(
            nodes.NODE_LABELS,
            "A node of the pool lacks a label of the MachineSet's spec.template.spec.metadata.labels.",
            "Labels reach only nodes created after the MachineSet changed: scale the pool to 0 and back.",
        ),
        nodes.check_node_labels,
    ),
    PoolCheck(
        Check(
            nodes.NODE_TAINTS,
            "A node of the pool lacks a taint of the MachineSet's spec.template.spec.taints.",
            "Taints reach only nodes created after the MachineSet changed: scale the pool to 0 and back.",
        ),
        nodes.check_node_taints,
    ),
    PoolCheck(
        Check(
            nodes.ACCELERATOR,
            "A node's allocatable nvidia.com/gpu (GPU pools) or aws.amazon.com/neuron (Inferentia pools) is not "
            "what the instance type has (accelcap.catalog.instance_types).",
            "The device plugin has not advertised the devices: check the driver and device plugin pods on the node.",
        ),
        nodes.check_accelerator,
    ),
    PoolCheck(
        Check(
            nodes.NFD_LABELS,
            "A node lacks the NFD labels its operator selects by: feature.node.kubernetes.io/pci-10de.present "
            "(GPU), the DeviceConfig's selector (Neuron).",
            "Check the NodeFeatureDiscovery instance and the nfd-worker pod on the node (and the NodeFeatureRule "
            "for Neuron).",
        ),
        nodes.check_nfd_labels,
    ),
    PoolCheck(
        Check(
            operators.DRIVER,
            "On a node of the pool, the GPU Operator's driver pod is not Ready, or (Neuron) KMM has not loaded "
            "the driver or its device plugin pod is not Ready.",
            "Read the pod's events and log (oc describe / oc logs in the operator's namespace).",
        ),
        operators.check_driver,
    ),
)

WORKLOAD = Check(
    "workload",
    "--workload: the pool's validation pod (CUDA vectoradd, neuron-ls) did not schedule on the pool, did not "
    "finish in time, or its log lacks the proof (Test PASSED; the Neuron devices it asked for).",
    "Its last state is shown (Pending: why it does not schedule); run it by hand to read the whole log "
    "(docs/runbook.md, Validating a pool).",
)

CHECKS: dict[str, Check] = {unit.check.code: unit.check for unit in (*CLUSTER_CHECKS, *POOL_CHECKS)} | {
    WORKLOAD.code: WORKLOAD
}


def cluster_results(context: ClusterContext) -> list[Result]:
    """The results of the checks of the whole cluster (Applications, operators)."""
    return [result for unit in CLUSTER_CHECKS for result in unit.run(context)]


def pool_results(context: PoolContext) -> list[Result]:
    """The results of the checks of one pool, from its MachineSet to its nodes."""
    return [result for unit in POOL_CHECKS for result in unit.run(context)]
