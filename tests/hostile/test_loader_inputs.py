"""The shared loader (``accelcap.yamlload``) against every input of ``cases/yaml/``: each is
refused with one ``InputError`` naming the source and the line the corpus expects, in
milliseconds. The corpus replays the same files through every tool that reads YAML."""

from __future__ import annotations

import hostile_corpus as corpus
import pytest

from accelcap.errors import InputError
from accelcap.yamlload import load_documents


@pytest.mark.parametrize("name", sorted(corpus.BAD_YAML))
def test_the_loader_refuses_the_input_naming_where(name: str) -> None:
    text, blame = corpus.BAD_YAML[name]
    with pytest.raises(InputError) as refused:
        load_documents(text, "bad.yaml")
    message = str(refused.value)
    assert "\n" not in message
    if blame.startswith(":"):
        assert refused.value.where.startswith(f"bad.yaml{blame}"), message
    else:
        assert refused.value.where.startswith("bad.yaml"), message
        assert blame in message


@pytest.mark.parametrize("name", sorted(corpus.BAD_YAML))
def test_the_loader_refuses_the_input_as_any_document(name: str) -> None:
    """Refused for what YAML is, not for what a manifest must be."""
    text, _blame = corpus.BAD_YAML[name]
    with pytest.raises(InputError):
        load_documents(text, "bad.yaml", mappings_only=False)
