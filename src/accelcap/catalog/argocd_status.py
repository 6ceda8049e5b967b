"""What Argo CD writes into an Application's status, and which values mean "done".

``tools/verify-pools`` reads ``status.sync.status`` and ``status.health.status`` of every
Application the overlay renders (the columns ``oc get applications`` prints), and, when one
is not done, the error conditions and the last operation's message, which say why.
"""

from __future__ import annotations

SOURCES = (
    (
        "argoproj/argo-cd pkg/apis/application/v1alpha1/types.go: the Application's printer columns "
        "(.status.sync.status, .status.health.status); SyncStatusCode (Synced, OutOfSync, Unknown); "
        "ApplicationCondition.IsError (a condition type ending in 'Error': SyncError, ComparisonError, "
        "InvalidSpecError, DeletionError, UnknownError)"
    ),
    (
        "argoproj/argo-cd gitops-engine/pkg/health/health.go: HealthStatusCode (Healthy, Suspended, Progressing, "
        "Missing, Degraded, Unknown)"
    ),
    (
        "argoproj/gitops-engine pkg/sync/common/types.go: OperationPhase (Running, Terminating, Failed, Error, "
        "Succeeded) of .status.operationState.phase"
    ),
)

#: The sync status of an Application whose live objects match Git.
SYNCED = "Synced"
#: The health of an Application whose every resource is healthy.
HEALTHY = "Healthy"
#: Phases of ``status.operationState`` in which the last sync did not succeed.
FAILED_OPERATION_PHASES = frozenset({"Failed", "Error"})
#: An Application condition whose type ends so is an error (``ApplicationCondition.IsError``).
ERROR_CONDITION_SUFFIX = "Error"
