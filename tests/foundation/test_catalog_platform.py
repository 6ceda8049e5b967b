"""The platform tables of the catalog agree with the pinned upstream files and with each other."""

from __future__ import annotations

from accelcap.catalog import boot_images, gitops, kinds, openshift_versions, operators
from accelcap.config import load_settings
from accelcap.render import RenderedOverlay
from accelcap.validate.pinned import fetch_pinned, pinned_crds
from accelcap.yamlload import load_documents, load_file
from support import REPO


def test_kind_rows_from_pinned_crds_match_them() -> None:
    """Resource names and scopes of the kinds whose row cites the pinned CRDs are the CRDs' own."""
    settings = load_settings(REPO)
    checked = 0
    for crd in pinned_crds():
        row = kinds.lookup(crd.group, crd.kind)
        assert row is not None, f"{crd.group}/{crd.kind} is pinned but not in accelcap.catalog.kinds"
        (document,) = load_documents(fetch_pinned(crd, settings), crd.relative)
        assert row.resource == document["spec"]["names"]["plural"], crd.kind
        assert row.namespaced == (document["spec"]["scope"] == "Namespaced"), crd.kind
        checked += 1
    assert checked >= 10


def test_every_kind_the_repository_renders_is_known(prod_render: RenderedOverlay) -> None:
    unknown = {(d.group, d.kind) for d in prod_render.documents if kinds.lookup(d.group, d.kind) is None}
    assert unknown == set()


def test_neuron_schedulers_follow_the_kubernetes_of_each_openshift() -> None:
    for version, row in operators.NEURON_SCHEDULER_IMAGES.items():
        kubernetes = openshift_versions.KUBERNETES_FOR_OPENSHIFT[version]
        assert row.kubernetes == kubernetes
        tag = row.image.rsplit(":", 1)[1]
        # Never newer than the API server: the scheduler's minor version is the cluster's.
        assert tag.startswith(f"v{kubernetes}."), (version, tag)
        assert operators.NEURON_OPERATOR_OPENSHIFT.covers(version)
    # Every OpenShift version the Neuron operator is offered for has a scheduler.
    offered = [v for v in openshift_versions.KUBERNETES_FOR_OPENSHIFT if operators.NEURON_OPERATOR_OPENSHIFT.covers(v)]
    assert sorted(operators.NEURON_SCHEDULER_IMAGES) == sorted(offered)


def test_node_feature_rule_api_covers_each_version_once() -> None:
    for version in openshift_versions.KUBERNETES_FOR_OPENSHIFT:
        rows = [r for r in operators.NODE_FEATURE_RULE_APIS if r.openshift.covers(version)]
        assert len(rows) == 1, version
        group, _ = rows[0].api_version.split("/")
        assert kinds.lookup(group, "NodeFeatureRule") is not None


def test_olm_packages_name_their_namespaces_once() -> None:
    namespaces = [row.namespace for row in operators.OLM_PACKAGES.values()]
    assert len(set(namespaces)) == len(namespaces)


def test_the_default_controller_cannot_write_what_the_bootstrap_grants() -> None:
    """The issue's list: these need the bootstrap's ClusterRole; MachineSets and OLM do not."""
    for group, resource in [
        ("autoscaling.openshift.io", "clusterautoscalers"),
        ("autoscaling.openshift.io", "machineautoscalers"),
        ("nvidia.com", "clusterpolicies"),
        ("nfd.openshift.io", "nodefeaturediscoveries"),
        ("nfd.k8s-sigs.io", "nodefeaturerules"),
        ("k8s.aws", "deviceconfigs"),
    ]:
        assert not gitops.granted_by_default(group, resource, "openshift-nfd", "create"), resource
    for group, resource in [
        ("machine.openshift.io", "machinesets"),
        ("operators.coreos.com", "subscriptions"),
        ("", "namespaces"),
    ]:
        assert gitops.granted_by_default(group, resource, "openshift-machine-api", "patch")
    # Applications in the instance namespace come from the controller's Role there.
    assert gitops.granted_by_default("argoproj.io", "applications", gitops.INSTANCE_NAMESPACE, "create")
    assert not gitops.granted_by_default("argoproj.io", "applications", "elsewhere", "create")


def test_bootstrap_binds_the_controller_of_the_catalog() -> None:
    (role, binding) = load_file(REPO / "base" / "bootstrap" / "controller-rbac.yaml")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": gitops.CONTROLLER_SERVICE_ACCOUNT, "namespace": gitops.INSTANCE_NAMESPACE}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


def test_boot_image_component_ignores_what_the_mco_writes() -> None:
    (component,) = load_file(REPO / "components" / "boot-images" / "kustomization.yaml")
    text = component["patches"][0]["patch"]
    for pointer in boot_images.MANAGED_POINTERS:
        assert pointer in text
    assert boot_images.managed_by_default("4.19") and not boot_images.managed_by_default("4.18")
