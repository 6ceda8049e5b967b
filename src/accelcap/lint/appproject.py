"""Argo CD's AppProject admission, as the controller decides it.

Modelled on argoproj/argo-cd ``pkg/apis/application/v1alpha1/app_project_types.go``
(``IsDestinationPermitted``, ``isDestinationMatched``, ``IsSourcePermitted``,
``IsGroupKindPermitted``, ``IsResourcePermitted``, ``IsAppNamespacePermitted``) and
``types.go`` (``isResourceInList``):

- destinations and source repositories are matched with gobwas globs (``util/glob``), where a
  pattern starting with ``!`` denies: a destination is permitted when some entry matches and no
  deny entry excludes it. A missing ``destination.namespace`` is the empty string, which only
  ``*`` (or a glob that matches nothing) admits: argoproj/argo-cd issue 11510;
- repository URLs are compared normalized (lower case, no ``.git``, no trailing ``/``);
- kinds are matched with Go's ``filepath.Match`` on group and kind; a nil namespaced whitelist
  admits every namespaced kind, an empty cluster whitelist admits no cluster-scoped kind, and
  a blacklist entry always wins;
- a namespaced object is admitted only when its namespace is a permitted destination.
"""

from __future__ import annotations

import functools
import re
import typing as t
from dataclasses import dataclass

from ..catalog.gitops import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, INSTANCE_NAMESPACE
from ..render import Document

SOURCE = "argoproj/argo-cd pkg/apis/application/v1alpha1/app_project_types.go"


def _character_class(pattern: str, start: int, negation: str, search_from: int) -> tuple[str, int] | None:
    """The ``[...]`` class at ``start`` as a regex class and the index after it; None if unclosed.

    gobwas globs negate with ``!``, Go's filepath.Match with ``^``.
    """
    end = pattern.find("]", search_from)
    if end == -1:
        return None
    body = pattern[start + 1 : end]
    negate = body.startswith(negation)
    body = body[1:] if negate else body
    return f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]", end + 1


@functools.lru_cache(maxsize=1024)
def _glob_regex(pattern: str, separators: str) -> re.Pattern[str] | None:
    """A gobwas glob (``*``, ``**``, ``?``, ``[...]``, ``[!...]``, ``{a,b}``, ``\\``) as a regex."""
    not_sep = f"[^{re.escape(separators)}]" if separators else "."
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append(f"{not_sep}*")
        elif char == "?":
            out.append(not_sep)
        elif char == "[":
            found = _character_class(pattern, i, "!", i + 1)
            if found is None:
                return None
            out.append(found[0])
            i = found[1]
            continue
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        return None
    try:
        return re.compile("".join(out) + r"\Z", re.DOTALL)
    except re.error:
        return None


def glob_match(pattern: str, value: str, separators: str = "") -> bool:
    regex = _glob_regex(pattern, separators)
    return bool(regex and regex.match(value))


def _is_deny(pattern: str) -> bool:
    return pattern.startswith("!")


def _pattern_match(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's ``globMatch`` with negation allowed."""
    if _is_deny(pattern):
        return not glob_match(pattern[1:], value, separators)
    if pattern == "*":
        return True
    return glob_match(pattern, value, separators)


@functools.lru_cache(maxsize=1024)
def _filepath_regex(pattern: str) -> re.Pattern[str] | None:
    """Go's ``filepath.Match`` pattern (``*``, ``?``, ``[...]`` with ``^``, ``\\``); None if malformed."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            found = _character_class(pattern, i, "^", i + 2)
            if found is None:
                return None
            out.append(found[0])
            i = found[1]
            continue
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return None


def filepath_match(pattern: str, value: str) -> bool:
    regex = _filepath_regex(pattern)
    return bool(regex and regex.match(value))


def normalize_repo_url(url: str) -> str:
    """Argo CD's ``git.NormalizeGitURL``, near enough for HTTPS and SSH URLs."""
    # Lower-cased because Argo CD lower-cases when it matches sourceRepos, and admission is
    # its decision; render.applications keeps case, since it decides what to follow.
    url = url.strip().lower().rstrip("/")
    return url.removesuffix(".git")


@dataclass(frozen=True)
class Destination:
    server: str
    name: str
    namespace: str

    @classmethod
    def of(cls, value: t.Any, namespace: str | None = None) -> Destination:
        value = value if isinstance(value, dict) else {}
        server, name = str(value.get("server") or ""), str(value.get("name") or "")
        # The controller resolves one from the other; in-cluster is known without a Secret.
        if server == IN_CLUSTER_SERVER and not name:
            name = IN_CLUSTER_NAME
        if name == IN_CLUSTER_NAME and not server:
            server = IN_CLUSTER_SERVER
        ns = namespace if namespace is not None else str(value.get("namespace") or "")
        return cls(server, name, ns)

    def describe(self) -> str:
        return f"{self.server or self.name or '(no server)'} namespace {self.namespace or '(empty)'}"


class Project:
    """One rendered AppProject, answering Argo CD's admission questions."""

    def __init__(self, document: Document) -> None:
        self.document = document
        spec = document.get("spec", default={})
        self.spec: dict[str, t.Any] = spec if isinstance(spec, dict) else {}

    def _list(self, key: str) -> list[t.Any] | None:
        value = self.spec.get(key)
        return value if isinstance(value, list) else None

    def destination_permitted(self, destination: Destination) -> bool:
        """``isDestinationMatched``: some entry matches, and no deny entry excludes it."""
        any_matched, no_deny_matched = False, True
        for item in self._list("destinations") or []:
            if not isinstance(item, dict):
                continue
            item_server, item_name = str(item.get("server") or ""), str(item.get("name") or "")
            item_namespace = str(item.get("namespace") or "")
            name_matched = bool(destination.name) and _pattern_match(item_name, destination.name)
            server_matched = bool(destination.server) and _pattern_match(item_server, destination.server)
            namespace_matched = _pattern_match(item_namespace, destination.namespace)
            if (server_matched or name_matched) and namespace_matched:
                any_matched = True
            elif (
                (not name_matched and _is_deny(item_name))
                or (not server_matched and _is_deny(item_server))
                or (not namespace_matched and _is_deny(item_namespace))
            ):
                no_deny_matched = False
        return any_matched and no_deny_matched

    def source_permitted(self, repo_url: str) -> bool:
        """``IsSourcePermitted``: a match, and no deny entry that excludes the URL."""
        source = normalize_repo_url(repo_url)
        matched_any = False
        for entry in self._list("sourceRepos") or []:
            if not isinstance(entry, str):
                continue
            pattern = "!" + normalize_repo_url(entry[1:]) if _is_deny(entry) else normalize_repo_url(entry)
            if _pattern_match(pattern, source, "/"):
                matched_any = True
            elif _is_deny(pattern):
                return False
        return matched_any

    def app_namespace_permitted(self, namespace: str | None) -> bool:
        """``IsAppNamespacePermitted``: the controller's namespace, or one of ``sourceNamespaces``."""
        if not namespace or namespace == INSTANCE_NAMESPACE:
            return True
        return any(glob_match(str(p), namespace) for p in self._list("sourceNamespaces") or [])

    def kind_permitted(self, group: str, kind: str, namespaced: bool) -> bool:
        """``IsGroupKindPermitted``."""
        white_key, black_key = (
            ("namespaceResourceWhitelist", "namespaceResourceBlacklist")
            if namespaced
            else ("clusterResourceWhitelist", "clusterResourceBlacklist")
        )
        whitelist, blacklist = self._list(white_key), self._list(black_key) or []
        if namespaced:
            whitelisted = whitelist is None or (len(whitelist) > 0 and _in_list(group, kind, whitelist))
        else:
            whitelisted = bool(whitelist) and _in_list(group, kind, whitelist or [])
        return whitelisted and not (blacklist and _in_list(group, kind, blacklist))


def _in_list(group: str, kind: str, entries: list[t.Any]) -> bool:
    """``isResourceInList``: filepath.Match on kind, then on group."""
    return any(
        isinstance(entry, dict)
        and filepath_match(str(entry.get("kind") or ""), kind)
        and filepath_match(str(entry.get("group") or ""), group)
        for entry in entries
    )
