"""Within a run, a pool document equal to one found valid is not validated again; any other
document still is. The memo is keyed by the document's content, never by a path, so a tree
changed between runs cannot make it stale."""

from __future__ import annotations

import copy
import typing as t

import pytest

from accelcap import pool_file
from accelcap.errors import InputError
from accelcap.pool_file import check_pool_document
from accelcap.run_memo import one_run
from accelcap.yamlload import load_single
from support import REPO

POOL = REPO / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"


def test_an_equal_document_is_validated_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    validated: list[str] = []
    real = pool_file._check_pool_document

    def counting(document: dict[str, t.Any], where: str) -> None:
        validated.append(where)
        real(document, where)

    monkeypatch.setattr(pool_file, "_check_pool_document", counting)
    document = load_single(POOL)
    with one_run():
        check_pool_document(document, "a")
        check_pool_document(copy.deepcopy(document), "b")
        bad = copy.deepcopy(document)
        bad["spec"]["maxReplicas"] = "two"
        with pytest.raises(InputError) as caught:
            check_pool_document(bad, "c")
    assert caught.value.where == "c"
    assert validated == ["a", "c"]
    check_pool_document(document, "d")  # outside a run: every time
    assert validated == ["a", "c", "d"]
