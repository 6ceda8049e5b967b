"""Safe, strict YAML loading used by every tool.

- libyaml's ``CSafeLoader`` where PyYAML was built with it, else the pure-Python loader;
- only the safe tags (``!!python/object`` and friends fail);
- duplicate mapping keys fail (the API server would silently keep one of them);
- every document must be a mapping (empty documents are skipped);
- aliases are bounded: a document whose alias expansion would exceed ``MAX_EXPANDED_NODES``
  nodes (a "billion laughs" bomb) fails before it is built, and so does an alias inside the
  node it names (``a: &a {self: *a}``), which would build a structure without end;
- nesting is bounded: deeper than ``MAX_DEPTH`` levels fails (the deepest upstream CRD the
  project reads nests 36), before any recursive code walks it;
- timestamps stay strings, as Kubernetes reads them.

Every failure is an ``InputError`` naming the source and, where YAML can tell, the line.
``load_json`` holds JSON (schemas, ``oc`` output) to the same depth bound.
"""

from __future__ import annotations

import functools
import json
import typing as t
from importlib import resources
from pathlib import Path

import yaml

from .errors import InputError
from .files import read_bytes

if t.TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader  # the C loader has the same interface
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_EXPANDED_NODES = 1_000_000
#: Levels of mappings and sequences a document may nest (Kubernetes objects and the CRDs the
#: project reads stay below 40; Python's recursion limit is about 1,000 frames).
MAX_DEPTH = 100
_Scalar = yaml.ScalarNode


class StrictLoader(_BaseLoader):
    """The project's YAML loader; see the module docstring."""

    def resolve(self, kind: type[yaml.Node], value: t.Any, implicit: t.Any) -> str:
        """The tag of a node without one (``BaseResolver.resolve``), kept per short plain scalar:
        the composer asks for every scalar, and manifests repeat the same few hundred (keys,
        kinds, names). The answer depends on the class's resolvers alone, never on a file."""
        if self.yaml_path_resolvers:  # none are added; were one, it would decide
            return t.cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        if kind is not _Scalar:
            # What BaseResolver answers without path resolvers, without its call.
            if kind is yaml.MappingNode:
                return _MAPPING_TAG
            if kind is yaml.SequenceNode:
                return _SEQUENCE_TAG
            return t.cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        if not implicit[0]:
            return _STR_TAG  # a quoted scalar is a string
        if len(value) > _RESOLVED_LENGTH:
            return t.cast(str, super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        key = (value, implicit[1])
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) >= _RESOLVED_SIZE:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return tag


#: ``StrictLoader.resolve``'s answers by (scalar, quoted_implicit), for scalars up to this long,
#: at most this many.
_RESOLVED: dict[tuple[str, t.Any], str] = {}
_RESOLVED_LENGTH = 100
_RESOLVED_SIZE = 100_000
_STR_TAG = yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
_MAPPING_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQUENCE_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[t.Any, t.Any]:
    loader.flatten_mapping(node)
    mapping: dict[t.Any, t.Any] = {}
    construct = loader.construct_object
    for key_node, value_node in node.value:
        # A string scalar constructs to its value (SafeConstructor's construct_yaml_str):
        # taken directly, as most keys and values are, without a call per node.
        if key_node.tag == _STR_TAG and type(key_node) is _Scalar:
            key = key_node.value
        else:
            key = construct(key_node, deep=True)
            if not isinstance(key, t.Hashable):
                raise yaml.constructor.ConstructorError(None, None, "unhashable mapping key", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        if value_node.tag == _STR_TAG and type(value_node) is _Scalar:
            mapping[key] = value_node.value
        else:
            mapping[key] = construct(value_node, deep=True)
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.Node) -> t.Any:
    """SafeConstructor's list, its string scalars taken directly. Below a mapping (which builds
    its values at once, so errors come in document order) it is built at once too, as the
    generator of ``construct_yaml_seq`` would be; elsewhere (a sequence at the top of a
    document) that generator is used, so the order in which errors surface stays the same."""
    if not loader.deep_construct or type(node) is not yaml.SequenceNode:
        return loader.construct_yaml_seq(node)
    construct = loader.construct_object
    return [
        item.value if item.tag == _STR_TAG and type(item) is _Scalar else construct(item, deep=True)
        for item in node.value
    ]


def _construct_timestamp_as_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def check_node_graph(root: yaml.Node, source: str) -> None:
    """Reject a composed document that is recursive, too deep, or too large expanded.

    One walk without recursion over the node graph (aliases are shared nodes there), so the
    document is judged before anything builds or walks it recursively.

    Most documents use no alias: their graph is a tree, which needs only its depth and its
    number of nodes (``_check_tree``). A mapping or sequence reached twice sends the document
    to the full walk (``_check_graph``), which tells recursion from sharing and counts what
    aliases expand to; both raise the same error at the same node.
    """
    if not _check_tree(root, source):
        _check_graph(root, source)


_Mapping, _Sequence = yaml.MappingNode, yaml.SequenceNode


def _check_tree(root: yaml.Node, source: str) -> bool:
    """``check_node_graph`` for a tree; False, having judged nothing, when a mapping or sequence
    is reached twice. Visits the mappings and sequences in the order of ``_check_graph`` (depth
    first, in document order), so the first node too deep is the one it names: the first child
    of the first collection at depth ``MAX_DEPTH`` that has children."""
    seen: set[int] = set()
    nodes = 1
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is _Mapping or kind is _Sequence:
            value = node.value
            if not value:
                continue
            if id(node) in seen:
                return False
            seen.add(id(node))
            if kind is _Mapping:
                first, count = value[0][0], 2 * len(value)
                last_first = (child for key, item in reversed(value) for child in (item, key))
            else:
                first, count, last_first = value[0], len(value), reversed(value)
            if depth >= MAX_DEPTH:
                return _too_deep(first, seen, source)
            nodes += count
            stack.extend((child, depth + 1) for child in last_first if type(child) is not _Scalar)
        elif kind is not _Scalar:
            return False  # a node of another kind: the full walk judges it
    if nodes > MAX_EXPANDED_NODES:
        raise InputError(
            _where(source, root.start_mark),
            f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases",
        )
    return True


def _too_deep(first: yaml.Node, seen: set[int], source: str) -> bool:
    """The depth error at ``first``, the first child of a collection at ``MAX_DEPTH``; False
    when ``first`` was reached before (an alias, perhaps to an ancestor: the full walk says
    which error comes first)."""
    if type(first) is not _Scalar and id(first) in seen:
        return False
    raise InputError(_where(source, first.start_mark), f"nested more than {MAX_DEPTH} levels deep")


def _check_graph(root: yaml.Node, source: str) -> None:
    """``check_node_graph`` for any graph, aliases shared (see there)."""
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()  # the nodes whose subtree is being walked: the ancestors
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 1)]
    while stack:
        node, children_done, depth = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_EXPANDED_NODES + 1)
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            if key == id(root) and sizes[key] > MAX_EXPANDED_NODES:
                raise InputError(
                    _where(source, root.start_mark),
                    f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases",
                )
            continue
        if key in on_path:
            raise InputError(
                _where(source, node.start_mark),
                "recursive alias: the node that starts here contains an alias to itself",
            )
        if key in sizes:  # reached again through an alias: its subtree is known
            if depth - 1 + heights[key] > MAX_DEPTH:
                raise InputError(_where(source, node.start_mark), f"nested more than {MAX_DEPTH} levels deep")
            continue
        if depth > MAX_DEPTH:
            raise InputError(_where(source, node.start_mark), f"nested more than {MAX_DEPTH} levels deep")
        children = _children(node)
        if not children:
            sizes[key], heights[key] = 1, 1
            continue
        on_path.add(key)
        stack.append((node, True, depth))
        stack.extend((c, False, depth + 1) for c in reversed(children))


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
            check_node_graph(node, source)
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
    except yaml.reader.ReaderError as error:
        # A character YAML refuses (control characters, bytes that are not UTF-8): the
        # reader knows the offset only.
        line = _line_at(text, error.position)
        character = error.character
        shown = f"#x{character:02x}" if isinstance(character, int) else f"#x{ord(character):02x}"
        what = f"character {shown} at offset {error.position} is not allowed: {error.reason}"
        raise InputError(f"{source}:{line}", what) from None
    except yaml.YAMLError as error:
        raise InputError(source, _one_line(str(error))) from None
    except RecursionError:
        # Only the pure-Python composer recurses before check_node_graph can judge depth.
        raise InputError(source, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    return documents


def pointer_step(part: object) -> str:
    """One step of a JSON pointer: ``~`` and ``/`` escaped as RFC 6901 says, so a key such as
    an annotation name stays one step."""
    return str(part).replace("~", "~0").replace("/", "~1")


def value_at(node: t.Any, *path: str | int, default: t.Any = None, where: str | None = None) -> t.Any:
    """The value at ``path`` inside loaded YAML or JSON, or ``default`` where a step is
    missing or ``null``: input is data, so reading it never raises an internal error.

    A step of the wrong type (``spec: []``, ``ami: [..]``) also gives ``default``, unless
    ``where`` names the source: then it is an ``InputError`` naming the field.
    """
    for index, step in enumerate(path):
        if node is None:
            return default
        wanted = list if isinstance(step, int) else dict
        if not isinstance(node, wanted):
            if where is None:
                return default
            field = ".".join(map(str, path[:index])) or "(document)"
            raise InputError(
                where, f"{field} is a {type(node).__name__}, not a {'list' if wanted is list else 'mapping'}"
            )
        if isinstance(step, int):
            if not -len(node) <= step < len(node):
                return default
        elif step not in node:
            return default
        node = t.cast(t.Any, node)[step]
    return default if node is None else node


def load_file(path: Path, display: str | None = None, mappings_only: bool = True) -> list[t.Any]:
    """All documents of the YAML file at ``path``."""
    name = display or str(path)
    return load_documents(read_bytes(path, name), name, mappings_only)


def load_single(path: Path, display: str | None = None) -> dict[str, t.Any]:
    """The one document of the YAML file at ``path``."""
    documents = load_file(path, display)
    if len(documents) != 1:
        raise InputError(display or str(path), f"expected one document, found {len(documents)}")
    return t.cast(dict[str, t.Any], documents[0])  # load_file returns mappings only


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _line_at(text: str | bytes, offset: int) -> int:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, max(offset, 0)) + 1  # type: ignore[arg-type]


def check_depth(value: t.Any, source: str) -> None:
    """Reject a parsed value (JSON, YAML) nested deeper than ``MAX_DEPTH``, without recursion."""
    stack: list[tuple[t.Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(source, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def load_json(data: str | bytes, source: str, what: str = "JSON") -> t.Any:
    """The JSON value of ``data``; not JSON, not UTF-8 or nested too deep is an ``InputError``
    naming ``source`` (``what`` says what was expected, e.g. "a JSON schema")."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise InputError(source, f"not {what}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise InputError(source, f"not {what}: {_one_line(str(error))}") from None
    check_depth(value, source)
    return value


@functools.cache
def package_schema(name: str) -> dict[str, t.Any]:
    """The JSON schema ``accelcap/schemas/<name>``, read once: every caller shares the one
    dict, so none may change it."""
    text = resources.files("accelcap").joinpath(f"schemas/{name}").read_text()
    return t.cast(dict[str, t.Any], load_json(text, f"accelcap/schemas/{name}"))
