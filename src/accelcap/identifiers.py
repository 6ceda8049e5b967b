"""The one validator of identifiers: names and IDs that come in from users, files, the
cluster or AWS and go on into the facts file, manifests, file names or commands.

An identifier is checked in full: ``fullmatch`` with ASCII classes, so ``"abc-def\\n"`` or
``"abc-١٢"`` (Arabic-Indic digits) is not an infraID. Python's ``$`` also matches before a
final newline and its ``\\d`` matches any Unicode digit; JSON Schema patterns are ECMA 262
(and the API server and kubeconform run them with Go's regexp), where ``$`` is the end of the
text and ``\\d`` is ASCII. ``ecma_regex`` translates a schema pattern so, and
``with_ecma_patterns`` gives a jsonschema validator class that uses it: every schema the
tools check against (the facts schema, the provider-spec schema, every schema ``validate``
resolves) then agrees with the platform.
"""

from __future__ import annotations

import functools
import re
import typing as t
from dataclasses import dataclass

import jsonschema

from .errors import InputError

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"


@dataclass(frozen=True)
class Identifier:
    name: str
    pattern: str
    #: What a valid one looks like, for the error message.
    rule: str
    max_length: int | None = None

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.ASCII)

    def matches(self, value: t.Any) -> bool:
        return (
            isinstance(value, str)
            and self.regex.fullmatch(value) is not None
            and (self.max_length is None or len(value) <= self.max_length)
        )

    def check(self, value: t.Any, where: str) -> str:
        """``value`` when it is a valid identifier of this kind, else an ``InputError``."""
        if not self.matches(value):
            raise InputError(where, f"{value!r} is not a valid {self.name} ({self.rule})")
        return t.cast(str, value)


CLUSTER_NAME = Identifier(
    "cluster name", _DNS_LABEL, "a DNS label: a-z, 0-9 and '-' inside, the name of a directory under overlays/", 63
)
INFRA_ID = Identifier(
    "infraID", r"[a-zA-Z][a-zA-Z0-9-]{0,26}", "letters, digits and '-', at most 27 characters, starting with a letter"
)
AMI_ID = Identifier("AMI ID", r"ami-[0-9a-f]{8}([0-9a-f]{9})?", "ami- and 8 or 17 hexadecimal digits")
REGION = Identifier("AWS Region", r"[a-z]{2}(-gov)?-[a-z]+-[0-9]", "such as us-west-2")
AVAILABILITY_ZONE = Identifier("availability zone", r"[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]", "such as us-west-2a")
OBJECT_NAME = Identifier(
    "object name", rf"{_DNS_LABEL}(\.{_DNS_LABEL})*", "a DNS subdomain: lower-case labels joined by '.'", 253
)
OPENSHIFT_VERSION = Identifier("OpenShift minor version", r"4\.[0-9]+", "such as 4.20")
API_GROUP = Identifier(
    "API group", rf"{_DNS_LABEL}(\.{_DNS_LABEL})*", "a DNS subdomain: lower-case labels joined by '.'", 253
)
CRD_NAME = Identifier(
    "CRD name", rf"{_DNS_LABEL}(\.{_DNS_LABEL})+", "<plural>.<group>, such as machinesets.machine.openshift.io", 253
)
KIND = Identifier("kind", r"[A-Za-z][A-Za-z0-9]*", "letters and digits, starting with a letter", 63)
API_VERSION_NAME = Identifier("API version", _DNS_LABEL, "a DNS label such as v1 or v1beta1", 63)
API_VERSION = Identifier(
    "apiVersion", rf"({_DNS_LABEL}(\.{_DNS_LABEL})*/)?{_DNS_LABEL}", "group/version, or version for the core group", 317
)


# --- JSON Schema patterns with the platform's semantics ------------------------------------


@functools.lru_cache(maxsize=1024)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A Python regex with the meaning ECMA 262 (and Go) give ``pattern``: ``$`` outside a
    character class is the end of the text (``\\Z``), and classes are ASCII."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII)


def _pattern(
    validator: t.Any, pattern: str, instance: t.Any, schema: dict[str, t.Any]
) -> t.Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def with_ecma_patterns(cls: type[t.Any]) -> type[t.Any]:
    """``cls`` (a jsonschema validator class) with ``pattern`` evaluated as ECMA 262 does."""
    return t.cast(type[t.Any], jsonschema.validators.extend(cls, {"pattern": _pattern}))  # type: ignore[no-untyped-call]
