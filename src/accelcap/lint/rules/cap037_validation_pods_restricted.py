"""CAP037: validation builds hold only their namespaces and pods that meet Pod Security restricted."""

from __future__ import annotations

import typing as t

from ...pod_policy import VALIDATION_NAMESPACES, restricted_problems
from ..context import LintContext
from ..examples import Add, Remove, Set, example
from ..rule import Violation, rule

POD = "cuda-vectoradd"
CONTAINER = "/spec/containers/0"


@rule(
    "CAP037",
    "validation-pods-restricted",
    "Validation pods meet Pod Security restricted, less only the accelerator's needs",
    what=f"""The validation builds (`overlays/<cluster>/validation`, applied by hand and run by
    `verify-pools --workload`) hold only Namespaces ({", ".join(sorted(VALIDATION_NAMESPACES))}) and Pods,
    and every Pod meets the Kubernetes Pod Security Standards profile `restricted`: no privileged
    container, no host namespaces or ports, no hostPath or other non-restricted volume, capabilities
    drop ALL, no privilege escalation, non-root, seccomp RuntimeDefault; and beyond it: no service
    account token (`automountServiceAccountToken: false`), no service account but `default`, no
    Secret (volume, projected, env), and a validation namespace. The accelerator's extended
    resource and the pool's toleration are all a validation pod adds (accelcap.pod_policy).""",
    why="""A validation pod runs on a GPU or Neuron node, created by a person with rights to create pods,
    from what the repository says: a privileged pod with hostPID, hostPath / and the machine API's
    credentials owns the node and the cluster's AWS account.""",
    fix="""Keep base/validation/*/ pods as they are: the securityContext of the restricted profile, no
    token, no volumes; request the accelerator and tolerate the pool's taint, nothing more.""",
    guard=True,
    failing=(
        example("privileged", Set("Pod", f"{CONTAINER}/securityContext/privileged", True, name=POD)),
        example("host PID", Set("Pod", "/spec/hostPID", True, name=POD)),
        example("hostPath /", Set("Pod", "/spec/volumes", [{"name": "root", "hostPath": {"path": "/"}}], name=POD)),
        example(
            "the machine API's credentials",
            Set("Pod", "/spec/volumes", [{"name": "aws", "secret": {"secretName": "aws-cloud-credentials"}}], name=POD),
        ),
        example("a service account token", Remove("Pod", "/spec/automountServiceAccountToken", name=POD)),
        example(
            "the machine API's service account", Set("Pod", "/spec/serviceAccountName", "machine-api-controllers", name=POD)
        ),
        example("another namespace", Set("Pod", "/metadata/namespace", "openshift-machine-api", name=POD)),
        example(
            "a RoleBinding in a validation build",
            Add(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "x", "namespace": "gpu-validation"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                    "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "gpu-validation"}],
                },
                beside="Pod",
            ),
        ),
    ),
)  # fmt: skip
def check(context: LintContext) -> t.Iterator[Violation]:
    for document in context.validation:
        if document.kind == "Namespace" and document.group == "":
            if document.name not in VALIDATION_NAMESPACES:
                yield Violation(
                    f"namespace {document.name} is not a validation namespace ({', '.join(sorted(VALIDATION_NAMESPACES))})",
                    document,
                    "/metadata/name",
                )
        elif document.kind == "Pod" and document.group == "":
            for path, problem in restricted_problems(document.obj):
                yield Violation(f"not Pod Security restricted: {problem}", document, path)
        else:
            yield Violation(
                f"{document.group or 'core'}/{document.kind} in a validation build: only Namespaces and Pods",
                document,
            )
