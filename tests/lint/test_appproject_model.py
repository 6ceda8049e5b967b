"""Argo CD's AppProject admission as accelcap.lint.appproject models it, case by case against
app_project_types.go: globs, ``!`` deny entries, the empty namespace, kind lists by scope."""

from __future__ import annotations

import typing as t

import pytest

from accelcap.lint.appproject import Destination, Project, filepath_match, glob_match, normalize_repo_url
from accelcap.render import Document

SERVER = "https://kubernetes.default.svc"


def project(**spec: t.Any) -> Project:
    obj = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "p"}, "spec": spec}
    return Project(Document(obj, "o", "o"))


def dest(namespace: str, server: str = SERVER) -> Destination:
    return Destination.of({"server": server}, namespace)


@pytest.mark.parametrize(
    ("entries", "namespace", "permitted"),
    [
        ([{"server": SERVER, "namespace": "openshift-machine-api"}], "openshift-machine-api", True),
        # A missing namespace is "": a named destination never matches it (argo-cd #11510).
        ([{"server": SERVER, "namespace": "openshift-machine-api"}], "", False),
        ([{"server": SERVER, "namespace": "openshift-*"}], "", False),
        ([{"server": SERVER, "namespace": "*"}], "", True),
        ([{"server": SERVER, "namespace": "openshift-*"}], "openshift-nfd", True),
        ([{"server": SERVER, "namespace": "{openshift-nfd,nvidia-gpu-operator}"}], "nvidia-gpu-operator", True),
        # A deny entry excludes what it names, whatever else matches.
        ([{"server": "*", "namespace": "*"}, {"server": "*", "namespace": "!kube-system"}], "kube-system", False),
        ([{"server": "*", "namespace": "*"}, {"server": "*", "namespace": "!kube-system"}], "default", True),
        ([{"server": "*", "namespace": "!kube-*"}], "kube-public", False),
        ([{"server": "https://other", "namespace": "*"}], "default", False),
        ([], "default", False),
    ],
)
def test_destinations(entries: list[dict[str, str]], namespace: str, permitted: bool) -> None:
    assert project(destinations=entries).destination_permitted(dest(namespace)) is permitted


def test_destination_by_name_resolves_in_cluster() -> None:
    entries = [{"name": "in-cluster", "namespace": "x"}]
    assert project(destinations=entries).destination_permitted(Destination.of({"server": SERVER, "namespace": "x"}))
    entries = [{"server": SERVER, "namespace": "x"}]
    assert project(destinations=entries).destination_permitted(Destination.of({"name": "in-cluster", "namespace": "x"}))


@pytest.mark.parametrize(
    ("repos", "url", "permitted"),
    [
        (["https://github.com/example-org/accelerator-capacity.git"], "https://github.com/Example-Org/accelerator-capacity", True),
        (["https://github.com/example-org/*"], "https://github.com/example-org/accelerator-capacity.git", True),
        # * does not cross "/" in source repositories.
        (["https://github.com/*"], "https://github.com/example-org/accelerator-capacity.git", False),
        (["*"], "https://anything/at/all", True),
        (["*", "!https://github.com/evil/*"], "https://github.com/evil/repo", False),
        (["https://github.com/example-org/a"], "https://github.com/someone/fork.git", False),
    ],
)  # fmt: skip
def test_source_repositories(repos: list[str], url: str, permitted: bool) -> None:
    assert project(sourceRepos=repos).source_permitted(url) is permitted


def test_namespaced_whitelist_nil_admits_all_empty_admits_none() -> None:
    assert project().kind_permitted("", "Secret", namespaced=True)
    assert not project(namespaceResourceWhitelist=[]).kind_permitted("", "Secret", namespaced=True)


def test_cluster_whitelist_must_name_the_kind() -> None:
    assert not project().kind_permitted("rbac.authorization.k8s.io", "ClusterRoleBinding", namespaced=False)
    listed = project(clusterResourceWhitelist=[{"group": "*", "kind": "*"}])
    assert listed.kind_permitted("rbac.authorization.k8s.io", "ClusterRoleBinding", namespaced=False)


def test_blacklist_wins() -> None:
    p = project(
        namespaceResourceWhitelist=[{"group": "*", "kind": "*"}],
        namespaceResourceBlacklist=[{"group": "", "kind": "Secret"}],
    )
    assert not p.kind_permitted("", "Secret", namespaced=True)
    assert p.kind_permitted("", "ConfigMap", namespaced=True)


def test_app_namespace() -> None:
    assert project().app_namespace_permitted("openshift-gitops")
    assert not project().app_namespace_permitted("team-a")
    assert project(sourceNamespaces=["team-*"]).app_namespace_permitted("team-a")


def test_glob_and_filepath_forms() -> None:
    assert glob_match("a*c", "abbc") and not glob_match("a*c", "a/c", "/") and glob_match("a**c", "a/b/c", "/")
    assert glob_match("[!x]y", "ay") and not glob_match("[!x]y", "xy")
    assert filepath_match("*.openshift.io", "machine.openshift.io") and filepath_match("[^x]", "a")
    assert not filepath_match("[", "[")  # malformed: no match, as filepath.Match errs
    assert normalize_repo_url(" HTTPS://GitHub.com/A/B.git/ ") == "https://github.com/a/b"
