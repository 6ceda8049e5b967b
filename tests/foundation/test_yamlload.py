"""The one YAML loader is safe and strict."""

from __future__ import annotations

import pytest

from accelcap.errors import InputError
from accelcap.yamlload import StrictLoader, load_documents


def test_uses_libyaml_when_available() -> None:
    import yaml

    if yaml.__with_libyaml__:
        assert issubclass(StrictLoader, yaml.CSafeLoader)


def test_loads_documents_and_skips_empty_ones() -> None:
    assert load_documents("a: 1\n---\n---\nb: [x]\n", "t") == [{"a": 1}, {"b": ["x"]}]


def test_timestamps_stay_strings() -> None:
    assert load_documents("created: 2024-01-02\n", "t") == [{"created": "2024-01-02"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "t:2: duplicate key 'a'"),
        ("- 1\n- 2\n", "t:1: document is a list, not a mapping"),
        ("just text\n", "t:1: document is a str, not a mapping"),
        ("a: !!python/object/apply:os.system ['true']\n", "t:1: could not determine a constructor"),
        ("a: [1, 2\n", "t:"),
    ],
)
def test_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_documents(text, "t")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_rejects_alias_bomb_before_building_it() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
    with pytest.raises(InputError, match="expands to more than"):
        load_documents("\n".join(lines) + "\n", "bomb.yaml")


def test_allows_modest_aliases() -> None:
    (doc,) = load_documents("base: &b {x: 1}\nother: *b\n", "t")
    assert doc["other"] == {"x": 1}
