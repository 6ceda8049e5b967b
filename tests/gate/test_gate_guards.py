"""Guard rules a pull request cannot switch off, and the Argo CD fence (issue 19, parts 1 and 2).

Each test is a pull request of our own making against a copy of the repository: the ones the
issue found passing (an Application in the built-in project with its guards silenced, a pool
made public with CAP023 silenced, the live `default` project left open) must now fail with the
rule that catches them; legitimate changes (a pool's maximum, a new zone the documented way,
an ignore with a reason on a rule that is not a guard) still pass.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gate_support import append, caught, codes, edit, lint

from accelcap import generate
from accelcap.config import load_settings
from accelcap.lint.rule import guard_rules, rules_by_id
from accelcap.lint.silence import IGNORE_PREFIX

CAPACITY_APP = "base/argocd/application-capacity.yaml"
CAPACITY = "overlays/prod/capacity/kustomization.yaml"
POOL_DIR = "overlays/prod/capacity/gpu-us-west-2a"

CLUSTER_ADMIN_BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: everyone-admin
  annotations:
    lint.accel-capacity.io/ignore-CAP018: "reviewed"
    lint.accel-capacity.io/ignore-CAP019: "reviewed"
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:authenticated
"""


def _pool_patch(root: Path, patch: str) -> None:
    """A strategic-merge patch of the pool's MachineSet, listed in the pool's kustomization."""
    append(
        root, f"{POOL_DIR}/kustomization.yaml", "patches:\n  - path: risky.yaml\n    target:\n      kind: MachineSet\n"
    )
    (root / POOL_DIR / "risky.yaml").write_text(patch)


def test_the_guards_are_the_issues_and_the_new_ones() -> None:
    guards = {r.id for r in guard_rules()}
    assert {"CAP018", "CAP019", "CAP021", "CAP023", "CAP032"} <= guards
    assert all(not rules_by_id()[g].silenceable for g in guards)


def test_project_default_with_silenced_guards_syncing_cluster_admin_fails(repo_copy: Path) -> None:
    """The issue's first pull request: an Application in `default`, guards silenced on it and on
    a ClusterRoleBinding from cluster-admin to every authenticated user."""
    edit(repo_copy, CAPACITY_APP, "  project: accelerator-capacity\n", "  project: default\n")
    edit(
        repo_copy,
        CAPACITY_APP,
        "  annotations:\n",
        f'  annotations:\n    {IGNORE_PREFIX}CAP018: "reviewed"\n    {IGNORE_PREFIX}CAP032: "reviewed"\n',
    )
    (repo_copy / "overlays/prod/capacity/admin.yaml").write_text(CLUSTER_ADMIN_BINDING)
    edit(repo_copy, CAPACITY, "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - admin.yaml\n")
    result = lint()
    assert "default" in caught(result, "CAP032")[0]["message"]
    admission = caught(result, "CAP018")
    assert any(f["object"] == "ClusterRoleBinding/everyone-admin" for f in admission)
    ignored = {f["path"].rsplit("ignore-", 1)[-1] for f in caught(result, "CAP101")}
    assert ignored == {"CAP018", "CAP019", "CAP032"}


def test_an_empty_project_is_the_default_project(repo_copy: Path) -> None:
    edit(repo_copy, CAPACITY_APP, "  project: accelerator-capacity\n", '  project: ""\n')
    assert "'default'" in caught(lint(), "CAP032")[0]["message"]


def test_silenced_cap023_on_a_public_pool_fails(repo_copy: Path) -> None:
    _pool_patch(
        repo_copy,
        f"""\
apiVersion: machine.openshift.io/v1beta1
kind: MachineSet
metadata:
  name: any
  annotations:
    {IGNORE_PREFIX}CAP023: "needs a public address for the demo"
    {IGNORE_PREFIX}CAP031: "demo"
spec:
  template:
    spec:
      providerSpec:
        value:
          publicIp: true
""",
    )
    result = lint()
    messages = " ".join(f["message"] for f in caught(result, "CAP023"))
    assert "publicIp" in messages
    # The patch reaches both MachineSets of the pool (Spot and its On-Demand fallback).
    assert {f["path"] for f in caught(result, "CAP101")} == {
        "/metadata/annotations/lint.accel-capacity.io~1ignore-CAP023"
    }
    assert "CAP031" not in codes(result)  # not a guard: the reason silences it


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  sourceRepos: []\n", "  sourceRepos: ['*']\n"),
        ("  destinations: []\n", "  destinations:\n    - {server: '*', namespace: '*'}\n"),
        ("  clusterResourceWhitelist: []\n", "  clusterResourceWhitelist:\n    - {group: '*', kind: '*'}\n"),
        ('    - group: "*"\n      kind: "*"\n', '    - group: ""\n      kind: Secret\n'),
    ],
    ids=["sourceRepos", "destinations", "clusterResourceWhitelist", "namespaceResourceBlacklist"],
)
def test_the_live_default_project_stays_locked(repo_copy: Path, old: str, new: str) -> None:
    edit(repo_copy, "base/bootstrap/appproject-default.yaml", old, new)
    assert caught(lint(), "CAP032")[0]["object"] == "AppProject/openshift-gitops/default"


def test_the_bootstrap_must_lock_the_default_project(repo_copy: Path) -> None:
    edit(repo_copy, "base/bootstrap/kustomization.yaml", "  - appproject-default.yaml\n", "")
    (finding,) = caught(lint(), "CAP032")
    assert finding["file"] == "overlays/prod/kustomization.yaml"


def test_a_project_brought_by_the_pull_request_is_refused(repo_copy: Path) -> None:
    """A wide-open AppProject synced by the operators Application, named by the capacity one."""
    (repo_copy / "overlays/prod/operators/project.yaml").write_text(
        """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: anything
  namespace: openshift-gitops
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
"""
    )
    edit(
        repo_copy,
        "overlays/prod/operators/kustomization.yaml",
        "resources:\n",
        "resources:\n  - project.yaml\n",
    )
    edit(repo_copy, CAPACITY_APP, "  project: accelerator-capacity\n", "  project: anything\n")
    found = caught(lint(), "CAP032")
    assert {f["object"] for f in found} == {
        "AppProject/openshift-gitops/anything",
        "Application/openshift-gitops/prod-capacity",
    }


# --- legitimate pull requests still pass ----------------------------------------------------


def test_an_ignore_with_a_reason_on_a_rule_that_is_no_guard_passes(repo_copy: Path) -> None:
    _pool_patch(
        repo_copy,
        f"""\
apiVersion: machine.openshift.io/v1beta1
kind: MachineSet
metadata:
  name: any
  annotations:
    {IGNORE_PREFIX}CAP005: "taints checked by hand for this pool"
""",
    )
    result = lint()
    assert result.code == 0, result.out


def test_a_pools_maximum_passes(repo_copy: Path) -> None:
    edit(repo_copy, f"{POOL_DIR}/pool.yaml", "maxReplicas: 2 ", "maxReplicas: 4 ")
    generate.write_derived(repo_copy)
    result = lint()
    assert result.code == 0, result.out


def test_a_new_zone_the_documented_way_passes(repo_copy: Path) -> None:
    """docs: copy the pool directory, change its zone, list it; the zone and its subnet in the facts."""
    shutil.copytree(repo_copy / POOL_DIR, repo_copy / "overlays/prod/capacity/gpu-us-west-2b")
    pool = "overlays/prod/capacity/gpu-us-west-2b/pool.yaml"
    edit(repo_copy, pool, "name: gpu-us-west-2a", "name: gpu-us-west-2b")
    edit(repo_copy, pool, "zone: us-west-2a", "zone: us-west-2b")
    edit(repo_copy, CAPACITY, "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - gpu-us-west-2b\n")
    facts = "overlays/prod/facts/cluster.yaml"
    edit(repo_copy, facts, "    - us-west-2a\n", "    - us-west-2a\n    - us-west-2b\n")
    edit(
        repo_copy,
        facts,
        "  worker:\n",
        "    us-west-2b:\n      filters:\n        - name: tag:Name\n          values:\n"
        "            - prod-x7k2p-subnet-private-us-west-2b\n  worker:\n",
    )
    load_settings.cache_clear()
    generate.write_derived(repo_copy)
    result = lint()
    assert result.code == 0, result.out
    assert '"objects": 29' in result.out  # the new Spot and On-Demand MachineSets and their MachineAutoscalers
