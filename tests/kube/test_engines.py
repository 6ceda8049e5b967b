"""The real kubeconform and the built-in validator give the same, right verdict on every
document: the shared real-world corpus and every cluster's render (prod, prod with
Inferentia on)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kube_support import corpus, verdict

from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render import RenderedOverlay, load_rendered
from accelcap.validate import ValidateOptions, Validator
from support import REPO, path_without_kubeconform, shared_dir

#: Every corpus document through both engines: seconds a document for the largest CRDs (ApplicationSet).
pytestmark = pytest.mark.slow

SETTINGS = load_settings(REPO)
ENGINES = ("builtin", "kubeconform")


@pytest.fixture(scope="module")
def validators(kubeconform_bin: Path) -> dict[str, Validator]:
    """One validator per engine for the module, as one run of the tool has: each schema is
    compiled once (a few tenths of a second for the largest), not once per document."""
    with pytest.MonkeyPatch.context() as monkeypatch:  # as ``_isolated``, which runs after this
        monkeypatch.delenv("ACCELCAP_SCHEMA_LOCATIONS", raising=False)
        monkeypatch.setenv("PATH", f"{kubeconform_bin}{os.pathsep}{path_without_kubeconform()}")
        return {engine: Validator(SETTINGS, ValidateOptions(engine=engine)) for engine in ENGINES}


def test_the_pinned_kubeconform_is_the_engine(validators: dict[str, Validator]) -> None:
    assert validators["kubeconform"].engine == "kubeconform"
    assert Path(validators["kubeconform"].kubeconform or "").parent.name.startswith("kubeconform-v")


@pytest.mark.parametrize(("path", "valid"), corpus(shared_dir()), ids=lambda v: v.name if isinstance(v, Path) else None)
def test_corpus_verdicts(validators: dict[str, Validator], path: Path, valid: bool) -> None:
    name = f"{path.parent.name}/{path.name}"
    try:
        documents = load_rendered(str(path), SETTINGS)
    except InputError:
        assert not valid, f"{name}: a valid document does not load"
        return
    verdicts = {engine: verdict(v, documents) for engine, v in validators.items()}
    for engine, (accepted, why) in verdicts.items():
        assert accepted == valid, f"{engine} {'rejects' if valid else 'accepts'} {name}: {why}"


def test_render_verdicts(validators: dict[str, Validator], render: RenderedOverlay) -> None:
    """Both engines accept every rendered object: the render in one run per engine (each
    document is validated on its own in a run; one kubeconform process, not one per object)."""
    assert render.facts is not None
    version = render.facts.kubernetes_version
    for engine, validator in validators.items():
        whole = validator.validate_documents(render.documents, version)
        assert [f"{f.object}: {f.path}: {f.message}" for f in whole.findings] == [], engine
        assert whole.checked == len(render.documents), engine
