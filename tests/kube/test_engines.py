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
from support import REPO, shared_dir

#: Every corpus document through both engines: seconds a document for the largest CRDs (ApplicationSet).
pytestmark = pytest.mark.slow

SETTINGS = load_settings(REPO)
ENGINES = ("builtin", "kubeconform")


@pytest.fixture
def validators(kubeconform_bin: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Validator]:
    monkeypatch.setenv("PATH", f"{kubeconform_bin}{os.pathsep}{os.environ['PATH']}")
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
    assert render.facts is not None
    version = render.facts.kubernetes_version
    for document in render.documents:
        verdicts = {engine: verdict(v, [document], version) for engine, v in validators.items()}
        assert verdicts == {engine: (True, "") for engine in ENGINES}, document.ref
    whole = validators["kubeconform"].validate_documents(render.documents, version)
    assert whole.findings == [] and whole.checked == len(render.documents)
