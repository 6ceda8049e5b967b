"""Fixtures of the tests against real things: the pinned kubeconform, and a real
kube-apiserver with etcd on loopback holding every pinned upstream CRD.

The binaries are built with Go on first use (``binaries``); a build that cannot happen fails
every test that needs it, with Go's message: these tests never skip.

Fixture API for later tests (conformance, verify-pools):

- ``api_server`` (session): a ``kube_support.LocalApiServer`` with the pinned CRDs of
  ``<shared>/crds/**`` (OLM's, Argo CD's, machine API, GPU, NFD, KMM, Neuron, autoscaler),
  the OpenShift config CRDs of ``data/`` and the CRDs ``schema_crds`` builds for kinds the
  mirror lacks (ArgoCD, nfd.k8s-sigs.io NodeFeatureRule) installed. ``.kubeconfig`` for tools,
  ``.admin`` (the project's read-only ``accelcap.kube_client.Cluster``), ``.create_namespace``,
  ``.apply`` / ``.apply_status`` (real writes), ``.grant`` (RBAC), ``.install_crds``,
  ``.dry_run_apply(obj, as_user=...)`` and ``.dry_run_as_controller(obj)`` (server-side
  apply, dryRun=All, fieldValidation=Strict).
- ``openshift_cluster`` (session): ``api_server`` made to look like cluster prod: its
  Infrastructure ``cluster`` (infrastructureName from the prod facts), ClusterVersion
  ``version`` and the namespaces the prod render uses.
- ``new_api_server`` (session): a factory of API servers of a test's own (``with
  new_api_server("label") as server``), set up as ``api_server``; the conformance suite
  (``conformance.run_suite``) runs each cluster on one.
- ``kubeconform_bin`` (session): the directory holding the pinned ``kubeconform``.
- ``render`` (session): every cluster's render from a repository copy: prod, and prod with
  Inferentia on (read only).
"""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

import binaries
import pytest
from kube_support import (
    ARGOCD_CONTROLLER,
    LocalApiServer,
    StartError,
    install_cluster_crds,
    start_api_server,
)

from accelcap.config import load_settings
from accelcap.facts import load_facts
from accelcap.model import render_model
from accelcap.render import RenderedOverlay
from accelcap.validate import cli as validate_cli
from support import REPO, Result, copy_repository, enable_inferentia, path_without_kubeconform, run_in_process

#: The session's kube-apiserver and etcd (``binaries.kube_binaries``, shared with tests/argocd).
kube_binaries = binaries.kube_binaries

#: The fixtures that start a kube-apiserver and etcd: a test that uses one is slow.
API_SERVER_FIXTURES = {"api_server", "new_api_server", "openshift_cluster"}
#: The session's shared API server: every test file that uses it runs on one worker.
SHARED_SERVER_FIXTURES = {"api_server", "openshift_cluster"}
SHARED_SERVER_GROUP = "kube"


# Before pytest-xdist's worker hook that reads each test's group into its node id.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    files_on_the_shared_server = {
        str(item.fspath) for item in mine if SHARED_SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
    }
    for item in mine:
        item.add_marker(pytest.mark.kube)
        # pytest-xdist --dist loadgroup: the files that use the session's API server run on one
        # worker (one API server and etcd per run, not one per core); every other file (its own
        # API servers, kubeconform only) is a group of its own, free to run on another worker
        # beside it, its module fixtures built once.
        path = str(item.fspath)
        group = SHARED_SERVER_GROUP if path in files_on_the_shared_server else f"kube-{Path(path).stem}"
        item.add_marker(pytest.mark.xdist_group(group))
        if API_SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)  # seconds to start, not for the inner loop


@pytest.fixture(scope="session")
def kubeconform_bin() -> Path:
    try:
        return binaries.kubeconform().path.parent
    except binaries.BuildError as error:
        pytest.fail(f"cannot build kubeconform: {error}", pytrace=False)


@pytest.fixture(scope="session")
def no_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kube") / "no-kubeconfig"


@pytest.fixture(autouse=True)
def _grouped(request: pytest.FixtureRequest) -> None:
    """Under pytest-xdist --dist loadgroup, this test's group reached its node id, which the
    scheduler reads; pytest 9.2 with pytest-xdist 3.8 drops it (pytest-xdist#1386), and the
    kube tests would be spread over every worker, each starting its own API server."""
    if getattr(request.config.option, "loadgroup", False) and "@" not in request.node.nodeid.rsplit("]", 1)[-1]:
        pytest.fail(
            "pytest-xdist --dist loadgroup ignored this test's xdist_group (pytest-xdist#1386: pytest 9.2 with "
            "pytest-xdist 3.8): install the test extra with its pytest pin, or run with -n0",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _isolated(no_kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's locations, kubeconfig or a kubeconform on PATH (the session's cache,
    never the user's, comes from the top conftest)."""
    monkeypatch.delenv("ACCELCAP_SCHEMA_LOCATIONS", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(no_kubeconfig))
    monkeypatch.setenv("PATH", path_without_kubeconform())


@pytest.fixture
def validate(monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., Result]:
    """Run tools/validate in-process from the repository: (exit code, stdout, stderr)."""
    monkeypatch.chdir(REPO)

    def run(*argv: str) -> Result:
        return run_in_process(validate_cli, *argv)

    return run


@pytest.fixture(scope="session", params=["prod", "prod-inferentia"])
def render(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RenderedOverlay:
    """Each cluster's render, from a copy of the repository: prod, and prod with Inferentia on;
    rendered once per session (do not mutate)."""
    root = copy_repository(tmp_path_factory.mktemp(request.param) / "repo")
    if request.param == "prod-inferentia":
        enable_inferentia(root)
    return render_model(root / "overlays" / "prod", load_settings(root))


@pytest.fixture(scope="session")
def api_server(kube_binaries: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LocalApiServer]:
    workdir = tmp_path_factory.mktemp("kube")
    try:
        with start_api_server(kube_binaries["etcd"], kube_binaries["kube-apiserver"], workdir) as server:
            install_cluster_crds(server)
            yield server
    except Exception as error:
        if isinstance(error, pytest.fail.Exception):
            raise
        pytest.fail(f"cannot start the test API server: {error}", pytrace=False)


@pytest.fixture(scope="session")
def new_api_server(
    kube_binaries: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> t.Callable[[str], t.ContextManager[LocalApiServer]]:
    """A factory of API servers of a test's own, each with ``install_cluster_crds`` done, for
    what other tests must not see (the conformance suite applies a cluster's bootstrap RBAC):

        with new_api_server("prod") as server: ...
    """

    @contextlib.contextmanager
    def start(label: str) -> t.Iterator[LocalApiServer]:
        workdir = tmp_path_factory.mktemp(f"kube-{label}")
        try:
            with start_api_server(kube_binaries["etcd"], kube_binaries["kube-apiserver"], workdir) as server:
                install_cluster_crds(server)
                yield server
        except StartError as error:
            pytest.fail(f"cannot start the test API server: {error}", pytrace=False)

    return start


#: Namespaces the prod render puts objects in (created by its Namespaces, OLM or the installer).
PROD_NAMESPACES = (
    "openshift-gitops", "openshift-machine-api", "openshift-nfd", "nvidia-gpu-operator",
    "openshift-kmm", "aws-neuron-operator", "gpu-validation", "neuron-validation",
)  # fmt: skip


@pytest.fixture(scope="session")
def openshift_cluster(api_server: LocalApiServer) -> LocalApiServer:
    """The test API server as cluster prod: its infrastructure name and version, its namespaces."""
    facts = load_facts("prod", load_settings(REPO))
    for namespace in PROD_NAMESPACES:
        api_server.create_namespace(namespace)
    api_server.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": ARGOCD_CONTROLLER[1], "namespace": ARGOCD_CONTROLLER[0]},
        }
    )
    infrastructure = {"apiVersion": "config.openshift.io/v1", "kind": "Infrastructure", "metadata": {"name": "cluster"}}
    api_server.apply(infrastructure)
    api_server.apply_status(
        {
            **infrastructure,
            "status": {
                "infrastructureName": facts.infra_id,
                "platformStatus": {"type": "AWS", "aws": {"region": facts.region}},
            },
        }
    )
    version = {"apiVersion": "config.openshift.io/v1", "kind": "ClusterVersion", "metadata": {"name": "version"}}
    api_server.apply(version)
    api_server.apply_status({**version, "status": {"desired": {"version": f"{facts.openshift_version}.3"}}})
    return api_server
