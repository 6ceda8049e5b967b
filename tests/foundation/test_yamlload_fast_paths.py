"""The loader's fast paths (a tree judged without the full alias walk, string scalars taken
directly, remembered tags) give what the full work gives: same documents, same errors."""

from __future__ import annotations

import pytest
import yaml

from accelcap.errors import InputError
from accelcap.yamlload import MAX_DEPTH, load_documents


def _error(text: str) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        load_documents(text, "src", mappings_only=False)
    return caught.value.where, caught.value.what


def test_a_tree_too_deep_is_named_at_its_first_node_too_deep() -> None:
    text = "a:\n" + "".join(" " * (2 * i) + "- \n" for i in range(1, MAX_DEPTH)) + " " * (2 * MAX_DEPTH) + "- x\n"
    where, what = _error(text)
    assert what == f"nested more than {MAX_DEPTH} levels deep"
    assert where == f"src:{MAX_DEPTH + 1}"


def test_an_alias_to_an_ancestor_at_the_depth_bound_is_a_recursive_alias() -> None:
    # The alias is the first child of a sequence at the bound: the full walk, which the fast
    # one hands it to, names the recursion, as it did before the fast path.
    text = "[" * (MAX_DEPTH - 2) + "&a [*a]" + "]" * (MAX_DEPTH - 2)
    assert _error(text)[1] == "recursive alias: the node that starts here contains an alias to itself"


def test_shared_nodes_still_count_what_they_expand_to() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    assert "nodes through aliases" in _error("\n".join(lines))[1]


def test_scalars_resolve_as_pyyaml_resolves_them_however_often_they_repeat() -> None:
    text = "{a: yes, b: 1, c: 1.5, d: null, e: ~, f: '1', g: !!str 2, h: 0x1f, i: .inf, j: text}"
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    for _ in range(3):
        assert load_documents(text, "src") == [expected]


def test_a_sequence_at_the_top_reports_its_errors_in_pyyamls_order() -> None:
    # PyYAML builds the items of a top-level sequence after the rest of it: of the two errors,
    # the duplicate key comes first, as before the fast paths (found by comparing them).
    text = (
        "[[~], [[[2020-01-01, [~, true]], {<<: [!!str 5], <<: 2020-01-01}, [&a0 [q], {k0: null, k: ~}, *a0]],"
        " [{1: {k: *a0, 1: 1.5, k: x}}], {<<: {1: [~]}, 1: *a0}], {}]"
    )
    assert _error(text) == ("src:1", "duplicate key 1")
