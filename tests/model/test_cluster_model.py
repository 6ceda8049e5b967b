"""The cluster model: each pool joined from its pool.yaml, its MachineSet(s) (matched by the
pool annotation, never by names), their MachineAutoscalers and its share of the GPU limits;
the facts read once; derived views that follow the documents."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import pytest

from accelcap import model as model_package
from accelcap.catalog.machine_api import ACCELERATOR_LABEL
from accelcap.config import load_settings
from accelcap.markets import FALLBACK_ANNOTATION
from accelcap.model import ClusterModel, autoscaler_bounds, build_cache, rendering_models
from accelcap.pool_file import POOL_ANNOTATION
from accelcap.render import Document, render_overlay
from support import REPO, mutated, one

POOL = "gpu-us-west-2a"


@pytest.fixture
def prod(prod: ClusterModel) -> ClusterModel:
    """prod with its GPU pool's one Spot MachineSet: the On-Demand fallback (``markets``) and its
    MachineAutoscaler taken out, so each test adds the second MachineSet it is about."""
    fallbacks = {d.name for d in prod.documents if d.kind == "MachineSet" and FALLBACK_ANNOTATION in d.annotations}
    assert fallbacks, "prod's GPU pool has an On-Demand fallback"
    prod.documents[:] = [
        d
        for d in prod.documents
        if d.name not in fallbacks
        and not (d.kind == "MachineAutoscaler" and d.get("spec", "scaleTargetRef", "name") in fallbacks)
    ]
    return prod


def test_prods_pool_holds_its_spot_machineset_and_its_fallback(prod_render: ClusterModel) -> None:
    (pool,) = prod_render.pools
    assert [m.market for m in pool.machinesets] == ["spot", "on-demand"]
    assert [FALLBACK_ANNOTATION in m.machineset.annotations for m in pool.machinesets] == [False, True]
    assert all(m.autoscaler is not None for m in pool.machinesets)


def test_prod_has_one_gpu_pool_joined_from_all_its_parts(prod: ClusterModel) -> None:
    (pool,) = prod.pools
    assert pool.name == POOL
    assert pool.file is not None and pool.file.file == f"overlays/prod/capacity/{POOL}/pool.yaml"
    (machineset,) = pool.machinesets
    assert machineset.machineset is one(prod, "MachineSet")
    assert machineset.autoscaler is one(prod, "MachineAutoscaler")
    assert pool.max_replicas == pool.file.max_replicas == machineset.max_replicas
    label = pool.file.accelerator_label
    assert label is not None and pool.gpus == {label: machineset.max_replicas}  # g5.2xlarge: 1 GPU
    limits, unknown = prod.gpu_limits
    assert unknown == [] and [(g.type, g.max) for g in limits] == [(label, pool.gpus[label])]
    assert prod.file_of(machineset) is pool.file and prod.pool(POOL) is pool


def _fallback(document: Document, name: str) -> Document:
    """A second MachineSet of the same pool, under another name (an On-Demand fallback)."""

    def change(obj: dict[str, t.Any]) -> None:
        obj["metadata"]["name"] = name
        obj["spec"]["template"]["spec"]["providerSpec"]["value"].pop("spotMarketOptions", None)

    return mutated(document, change)


def test_a_pool_holds_every_machineset_its_annotation_names(prod: ClusterModel) -> None:
    machineset = one(prod, "MachineSet")
    prod.documents.append(_fallback(machineset, "renamed-on-demand"))
    (pool,) = prod.pools
    assert [m.name for m in pool.machinesets] == [machineset.name, "renamed-on-demand"]
    assert {m.market for m in pool.machinesets} == {"spot", "on-demand"}
    # The fallback has no autoscaler of its own: its spec.replicas counts toward the GPU limit.
    replicas = pool.machinesets[1].replicas or 0
    label = t.cast(str, machineset.get("spec", "template", "spec", "metadata", "labels", ACCELERATOR_LABEL))
    assert pool.gpus[label] == pool.machinesets[0].max_replicas + replicas  # type: ignore[operator]


def test_a_machineset_named_like_a_pool_but_annotated_otherwise_is_not_in_it(prod: ClusterModel) -> None:
    machineset = one(prod, "MachineSet")
    prod.documents.remove(machineset)
    prod.documents.append(
        mutated(machineset, lambda obj: obj["metadata"]["annotations"].update({POOL_ANNOTATION: "other"}))
    )
    by_name = {pool.name: pool for pool in prod.pools}
    assert by_name[POOL].machinesets == ()  # its pool.yaml filled nothing
    assert [m.name for m in by_name["other"].machinesets] == [machineset.name] and by_name["other"].file is None


def test_views_follow_the_documents(prod: ClusterModel) -> None:
    assert len(prod.machinesets) == 1
    prod.documents.append(_fallback(one(prod, "MachineSet"), "second"))
    assert len(prod.machinesets) == 2
    copied = copy.deepcopy(prod)
    copied.documents.pop()
    assert len(copied.machinesets) == 1 and len(prod.machinesets) == 2


def test_autoscaler_bounds_are_read_in_one_place(prod: ClusterModel) -> None:
    (machineset,) = prod.machinesets
    assert machineset.autoscaler is not None
    low, high = autoscaler_bounds(machineset.autoscaler)
    assert machineset.bounds == (low, high) and machineset.max_replicas == high


def test_the_facts_are_read_once_per_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[Path] = []
    real = model_package.cluster_model.load_facts_file

    def counting(path: Path, *args: t.Any) -> t.Any:
        read.append(path)
        return real(path, *args)

    monkeypatch.setattr(model_package.cluster_model, "load_facts_file", counting)
    with rendering_models(["prod"]) as models:
        (model,) = list(models)
    assert model.facts is not None and model.facts.name == "prod"
    assert read == [REPO / "overlays" / "prod" / "facts" / "cluster.yaml"]


def test_a_run_reads_each_file_once_however_many_builds_share_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import accelcap.pool_file as pool_files
    from accelcap.config import load_settings

    read: list[Path] = []
    real = pool_files._read_pools

    def counting(file: Path, settings: t.Any) -> t.Any:
        read.append(file)
        return real(file, settings)

    monkeypatch.setattr(pool_files, "_read_pools", counting)
    settings = load_settings(REPO)
    reader = pool_files.PoolReader()
    capacity = REPO / "overlays" / "prod" / "capacity"
    first = reader(capacity, settings, pool_files.load_single)
    assert [pool.name for pool in first] == [POOL] and read
    assert len(read) == len(set(read))
    before = len(read)
    assert reader(capacity, settings, pool_files.load_single) == first
    assert len(read) == before  # nothing read again


def test_a_render_that_read_no_pool_file_is_no_model() -> None:
    # render_overlay with its own BuildCache reads no pool.yaml: a model of it would see no pool
    # file and say nothing. It is refused where it is made.
    settings = load_settings(REPO)
    rendered = render_overlay(REPO / "overlays" / "prod", settings)
    assert rendered.local_config_unread and not rendered.local_config
    with pytest.raises(ValueError, match="rendered without reading its pool files"):
        ClusterModel(rendered, None)
    with build_cache(settings) as builds:
        read = render_overlay(REPO / "overlays" / "prod", settings, cache=builds)
    assert not read.local_config_unread and read.local_config
    assert ClusterModel(read, None).pool_files
