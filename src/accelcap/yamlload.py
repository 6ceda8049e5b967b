"""Safe, strict YAML loading used by every tool.

- libyaml's ``CSafeLoader`` where PyYAML was built with it, else the pure-Python loader;
- only the safe tags (``!!python/object`` and friends fail);
- duplicate mapping keys fail (the API server would silently keep one of them);
- every document must be a mapping (empty documents are skipped);
- aliases are bounded: a document whose alias expansion would exceed ``MAX_EXPANDED_NODES``
  nodes (a "billion laughs" bomb) fails before it is built;
- timestamps stay strings, as Kubernetes reads them.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import yaml

from .errors import InputError

if t.TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader  # the C loader has the same interface
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_EXPANDED_NODES = 1_000_000


class StrictLoader(_BaseLoader):
    """The project's YAML loader; see the module docstring."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[t.Any, t.Any]:
    loader.flatten_mapping(node)
    mapping: dict[t.Any, t.Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, t.Hashable):
            raise yaml.constructor.ConstructorError(None, None, "unhashable mapping key", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_timestamp_as_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes the document would have with every alias expanded, counted without expanding."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[yaml.Node] = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        )
        if children_done:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _where(source: str, mark: t.Any) -> str:
    return f"{source}:{mark.line + 1}" if mark is not None else source


def load_documents(text: str | bytes, source: str, mappings_only: bool = True) -> list[t.Any]:
    """All non-empty documents of ``text``; ``source`` names it in errors.

    Kubernetes objects are mappings, so anything else fails unless ``mappings_only`` is off
    (for YAML that is not a manifest, e.g. a list of pre-commit hooks).
    """
    loader = StrictLoader(text)
    documents: list[dict[str, t.Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # check_node() said there is one; the stream ended after all
                break
            if _expanded_size(node) > MAX_EXPANDED_NODES:
                raise InputError(
                    _where(source, node.start_mark),
                    f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases",
                )
            document = loader.construct_document(node)
            if document is None:
                continue
            if mappings_only and not isinstance(document, dict):
                raise InputError(
                    _where(source, node.start_mark),
                    f"document is a {type(document).__name__}, not a mapping",
                )
            documents.append(document)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InputError(_where(source, mark), _one_line(error.problem or str(error))) from None
    except yaml.YAMLError as error:
        raise InputError(source, _one_line(str(error))) from None
    finally:
        loader.dispose()
    return documents


def load_file(path: Path, display: str | None = None, mappings_only: bool = True) -> list[t.Any]:
    """All documents of the YAML file at ``path``."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(name, error.strerror or str(error)) from None
    return load_documents(data, name, mappings_only)


def load_single(path: Path, display: str | None = None) -> dict[str, t.Any]:
    """The one document of the YAML file at ``path``."""
    documents = load_file(path, display)
    if len(documents) != 1:
        raise InputError(display or str(path), f"expected one document, found {len(documents)}")
    return t.cast(dict[str, t.Any], documents[0])  # load_file returns mappings only


def _one_line(text: str) -> str:
    return " ".join(text.split())
