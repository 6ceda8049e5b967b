"""The conformance suite (``conformance.run_suite``) on every cluster of the repository, each
on an API server as a fresh one would be (``conformance.ServerPool``), and the mutants it
must refuse.

Clusters: every overlay under ``overlays/``, and prod with Inferentia on (a repository copy
with the component line uncommented). Each run's full report (every Application, object and
server default) is written to ``.cache/conformance/<cluster>.txt`` and printed with a failure.

Mutants (each must fail at the API server): the bootstrap RBAC removed (Forbidden), a field
the CRD lacks, a CEL rule broken, a MachineSet without replicas (a default the project's
rules care about). A cluster-scoped object in the wrong Application is a limit of the API
server with this project's RBAC (one cluster-wide controller for every Application): the last
test shows the server accepts it and lint's AppProject model (CAP018) refuses it; the
API-server refusal of a namespace-confined controller is
``test_validate_server.test_mutant_a_cluster_scoped_object_for_a_namespaced_controller``.
"""

from __future__ import annotations

import contextlib
import copy
import typing as t
from dataclasses import dataclass

import pytest
from conformance import BOOTSTRAP, CONTROLLER, Report, ServerPool, cluster_names, render_cluster, run_suite
from kube_support import LocalApiServer

from accelcap.lint.engine import lint_overlay
from accelcap.render import Document, RenderedOverlay
from support import REPO


@dataclass
class ClusterRun:
    rendered: RenderedOverlay
    server: LocalApiServer
    report: Report


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderedOverlay]:
    """Each cluster's render, once for the module (the tests deep-copy what they change)."""
    scratch = tmp_path_factory.mktemp("clusters")
    return {name: render_cluster(name, scratch) for name in cluster_names()}


@pytest.fixture(scope="module")
def servers(new_api_server: t.Callable[[str], t.ContextManager[LocalApiServer]]) -> t.Iterator[ServerPool]:
    with contextlib.ExitStack() as stack:
        yield ServerPool(lambda label: stack.enter_context(new_api_server(label)))


@pytest.fixture(scope="module")
def without_bootstrap_rbac(renders: dict[str, RenderedOverlay], servers: ServerPool) -> Report:
    """prod without its bootstrap's ClusterRole and binding, through the suite on a server no
    bootstrap RBAC was ever applied to: the first, before ``runs`` applies any."""
    mutant = copy.deepcopy(renders["prod"])
    mutant.documents[:] = [d for d in mutant.documents if d.kind not in ("ClusterRole", "ClusterRoleBinding")]
    return run_suite(servers.for_cluster(mutant), mutant)


@pytest.fixture(scope="module")
def runs(
    renders: dict[str, RenderedOverlay], servers: ServerPool, without_bootstrap_rbac: Report
) -> dict[str, ClusterRun]:
    """Each cluster's suite run (its server kept for the mutants of that cluster, which keep
    its bootstrap RBAC: a mutant without some of it takes a server from ``servers``); after the
    run of prod without its bootstrap RBAC, which must see no bootstrap RBAC."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    done = {}
    for name, rendered in renders.items():
        server = servers.for_cluster(rendered)
        report = run_suite(server, rendered, label=name)
        (REPORTS / f"{name}.txt").write_text(report.text() + "\n")
        done[name] = ClusterRun(rendered, server, report)
    return done


REPORTS = REPO / ".cache" / "conformance"


@pytest.mark.parametrize("cluster", cluster_names())
def test_the_cluster_accepts_every_object_as_argo_cd_sends_it(runs: dict[str, ClusterRun], cluster: str) -> None:
    run = runs[cluster]
    print(run.report.text())
    assert run.report.ok, "\n".join(run.report.problems())
    # Every object of the render but the hand-applied validation builds went to the server.
    synced = [d for d in run.rendered.documents if d.application is not None or d.rendered_from == run.rendered.name]
    assert sorted(c.document.ref for c in run.report.checked) == sorted(d.ref for d in synced)
    assert all(c.identity == CONTROLLER for r in run.report.runs[1:] for c in r.checked)


def test_applications_in_the_order_argo_cd_syncs_them(runs: dict[str, ClusterRun]) -> None:
    order = {name: [(r.name, r.wave) for r in run.report.runs] for name, run in runs.items()}
    assert order["prod"] == [(BOOTSTRAP, 0), ("prod-root", 0), ("prod-operators", 0), ("prod-capacity", 1)]
    assert order["prod-inferentia"] == [
        (BOOTSTRAP, 0), ("prod-root", 0), ("prod-operators", 0), ("prod-capacity", 1),
        ("prod-neuron-operators", 1), ("prod-inferentia-capacity", 2),
    ]  # fmt: skip
    # The root's two sources (apps, inferentia/apps) are one Application.
    assert runs["prod-inferentia"].report.run("prod-root").paths == [
        "overlays/prod/apps",
        "overlays/prod/inferentia/apps",
    ]


def test_the_server_defaults_are_reported(runs: dict[str, ClusterRun]) -> None:
    """What the API server fills in that the repository does not say (docs/validate.md lists
    them): reported, not failed, as no project rule reads these fields."""
    found = {(c.document.kind, d.path): d.value for c in runs["prod"].report.checked for d in c.defaulted}
    assert found[("ClusterAutoscaler", "/spec/enforceNodeGroupMinSize")] == "Disabled"
    assert found[("ClusterPolicy", "/spec/driver/kernelModuleType")] == "auto"
    assert not any(path.startswith("/spec/replicas") for kind, path in found if kind == "MachineSet")
    assert "defaulted /spec/driver/kernelModuleType = 'auto'" in (REPORTS / "prod.txt").read_text()


# --- mutants -------------------------------------------------------------------------


def _mutated(rendered: RenderedOverlay, kind: str, change: t.Callable[[Document], None]) -> RenderedOverlay:
    """A deep copy of ``rendered`` with ``change`` applied to its first object of ``kind`` (prod's
    Spot MachineSet, before its On-Demand fallback)."""
    mutant = copy.deepcopy(rendered)
    document = mutant.of_kind(kind)[0]
    change(document)
    return mutant


def _refusals(report: Report) -> dict[str, tuple[str, str]]:
    return {c.document.ref: (c.reason, c.message) for c in report.refused}


def test_mutant_the_bootstrap_rbac_removed(without_bootstrap_rbac: Report) -> None:
    """Without the bootstrap's ClusterRole and binding, the controller has only OpenShift
    GitOps' defaults: the kinds the bootstrap grants are Forbidden, MachineSets are not."""
    refused = _refusals(without_bootstrap_rbac)
    assert {ref: reason for ref, (reason, _) in refused.items()} == {
        "ClusterPolicy/gpu-cluster-policy": "Forbidden",
        "NodeFeatureDiscovery/openshift-nfd/nfd-instance": "Forbidden",
        "ClusterAutoscaler/default": "Forbidden",
        "MachineAutoscaler/openshift-machine-api/prod-x7k2p-gpu-us-west-2a": "Forbidden",
        "MachineAutoscaler/openshift-machine-api/prod-x7k2p-gpu-us-west-2a-ondemand": "Forbidden",
    }
    assert CONTROLLER in refused["ClusterAutoscaler/default"][1]


def test_a_run_that_would_inherit_rbac_gets_a_server_of_its_own(renders: dict[str, RenderedOverlay]) -> None:
    """The pool's rule, with labels for servers: no API server needed."""
    started: list[str] = []
    pool = ServerPool(lambda label: t.cast(LocalApiServer, started.append(label) or label))
    without = copy.deepcopy(renders["prod"])
    without.documents[:] = [d for d in without.documents if d.kind != "ClusterRoleBinding"]
    first = pool.for_cluster(without)
    assert pool.for_cluster(renders["prod"]) == first  # a superset of what the server holds
    assert pool.for_cluster(without) != first  # the binding would stay behind
    assert pool.for_cluster(renders["prod-inferentia"]) == first and len(started) == 2


def test_mutant_a_field_the_crd_lacks(runs: dict[str, ClusterRun]) -> None:
    run = runs["prod"]
    mutant = _mutated(run.rendered, "ClusterPolicy", lambda d: d.obj["spec"]["driver"].update(enabeld=True))
    report = run_suite(run.server, mutant)
    reason, message = _refusals(report)["ClusterPolicy/gpu-cluster-policy"]
    assert reason == "Invalid" and "enabeld" in message and len(report.refused) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The defect the DeviceConfig's empty draDriverImage avoids: a rule without has().
        (lambda spec: spec.pop("draDriverImage"), "no such key: draDriverImage"),
        (
            lambda spec: spec.update(draDriverImage="public.ecr.aws/neuron/neuron-dra-driver:1.0.1"),
            "mutually exclusive",
        ),
        (lambda spec: spec.pop("schedulerExtensionImage"), "must all be set together"),
    ],
    ids=["dra-image-left-out", "dra-and-device-plugin", "scheduler-extension-left-out"],
)
def test_mutant_a_cel_rule_broken(
    runs: dict[str, ClusterRun], change: t.Callable[[dict[str, t.Any]], None], expected: str
) -> None:
    run = runs["prod-inferentia"]
    report = run_suite(run.server, _mutated(run.rendered, "DeviceConfig", lambda d: change(d.obj["spec"])))
    reason, message = _refusals(report)["DeviceConfig/aws-neuron-operator/neuron"]
    assert reason == "Invalid" and expected in message and len(report.refused) == 1


def test_mutant_a_machineset_without_replicas(runs: dict[str, ClusterRun]) -> None:
    """The server accepts it and fills in replicas: 1, one paid node per pool: the suite fails."""
    run = runs["prod"]
    report = run_suite(run.server, _mutated(run.rendered, "MachineSet", lambda d: d.obj["spec"].pop("replicas")))
    assert not report.refused and not report.ok
    [(checked, default)] = report.cared_defaults
    assert (checked.document.kind, default.path, default.value) == ("MachineSet", "/spec/replicas", 1)
    assert default.cared is not None and default.cared.startswith("CAP003")
    assert "FAILS: CAP003" in report.text()


def test_a_cluster_scoped_object_in_the_wrong_application_is_argo_cds_to_refuse(runs: dict[str, ClusterRun]) -> None:
    """The ClusterAutoscaler moved into the root Application: one controller with cluster-wide
    rights applies every Application, so the API server accepts it; the root's AppProject,
    which admits only Applications, refuses it (lint CAP018)."""
    run = runs["prod"]
    mutant = copy.deepcopy(run.rendered)
    capacity = next(a for a in mutant.applications if a.application.name == "prod-capacity")
    root = next(a for a in mutant.applications if a.application.name == "prod-root")
    (autoscaler,) = [d for d in capacity.documents if d.kind == "ClusterAutoscaler"]
    capacity.documents.remove(autoscaler)
    root.documents.append(autoscaler)
    autoscaler.application = "prod-root"
    report = run_suite(run.server, mutant)
    assert report.ok and "ClusterAutoscaler/default" in [c.document.ref for c in report.run("prod-root").checked]
    refused = [f for f in lint_overlay(mutant) if f.code == "CAP018" and f.object == "ClusterAutoscaler/default"]
    assert refused and "accelerator-capacity-apps" in refused[0].message
