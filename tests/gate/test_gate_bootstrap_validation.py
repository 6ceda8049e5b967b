"""Bootstrap and validation fenced (issue 19, part 6): pull requests that put cluster-admin,
credentials or a privileged pod where a person with cluster-admin rights applies them."""

from __future__ import annotations

from pathlib import Path

from gate_support import append, caught, edit, lint

BOOTSTRAP = "base/bootstrap/kustomization.yaml"
POD = "base/validation/gpu/cuda-vectoradd.yaml"


def _bootstrap_file(root: Path, name: str, text: str) -> None:
    (root / "base/bootstrap" / name).write_text(text)
    edit(root, BOOTSTRAP, "  - application-root.yaml\n", f"  - application-root.yaml\n  - {name}\n")


def test_cluster_admin_for_everyone_in_the_bootstrap_fails(repo_copy: Path) -> None:
    _bootstrap_file(
        repo_copy,
        "admins.yaml",
        """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: platform-admins
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
""",
    )
    (finding,) = caught(lint(), "CAP036")
    assert finding["object"] == "ClusterRoleBinding/platform-admins" and "cluster-admin" in finding["message"]


def test_an_argo_cd_repository_secret_in_the_bootstrap_fails(repo_copy: Path) -> None:
    _bootstrap_file(
        repo_copy,
        "repository.yaml",
        """\
apiVersion: v1
kind: Secret
metadata:
  name: private-repo
  namespace: openshift-gitops
  labels: {argocd.argoproj.io/secret-type: repository}
stringData: {url: "https://example.com/else.git", password: hunter2}
""",
    )
    assert caught(lint(), "CAP036")[0]["object"] == "Secret/openshift-gitops/private-repo"


def test_another_appproject_in_the_bootstrap_fails(repo_copy: Path) -> None:
    _bootstrap_file(
        repo_copy,
        "project.yaml",
        """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: anything, namespace: openshift-gitops}
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
""",
    )
    assert caught(lint(), "CAP036")[0]["object"] == "AppProject/openshift-gitops/anything"


def test_the_issues_privileged_validation_pod_fails(repo_copy: Path) -> None:
    """privileged, hostPID, hostNetwork, hostPath /, the aws-cloud-credentials Secret and the
    machine-api-controllers service account: each one named."""
    edit(repo_copy, POD, "  automountServiceAccountToken: false\n", "")
    edit(repo_copy, POD, "  restartPolicy: OnFailure\n",
         "  restartPolicy: OnFailure\n  hostPID: true\n  hostNetwork: true\n"
         "  serviceAccountName: machine-api-controllers\n"
         "  volumes:\n    - {name: root, hostPath: {path: /}}\n"
         "    - {name: aws, secret: {secretName: aws-cloud-credentials}}\n")  # fmt: skip
    edit(repo_copy, POD, "        allowPrivilegeEscalation: false\n", "        privileged: true\n")
    paths = {f["path"] for f in caught(lint(), "CAP037")}
    assert {
        "/spec/hostPID", "/spec/hostNetwork", "/spec/serviceAccountName", "/spec/automountServiceAccountToken",
        "/spec/volumes/0", "/spec/volumes/1", "/spec/containers/0/securityContext/privileged",
        "/spec/containers/0/securityContext/allowPrivilegeEscalation",
    } <= paths  # fmt: skip


def test_a_role_binding_in_a_validation_build_fails(repo_copy: Path) -> None:
    (repo_copy / "base/validation/gpu/binding.yaml").write_text(
        """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: x, namespace: gpu-validation}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: ServiceAccount, name: default, namespace: gpu-validation}]
"""
    )
    append(repo_copy, "base/validation/gpu/kustomization.yaml", "")
    edit(repo_copy, "base/validation/gpu/kustomization.yaml", "resources:\n", "resources:\n  - binding.yaml\n")
    assert caught(lint(), "CAP037")[0]["object"] == "RoleBinding/gpu-validation/x"
