"""Schema locations: an ordered list of kubeconform-style templates, first match wins.

A location is one of
- ``default``: kubeconform's alias for yannh/kubernetes-json-schema on GitHub;
- ``kubernetes-validate``: the Kubernetes core schemas bundled with the
  ``kubernetes-validate`` package (offline; see ``core_schemas``);
- a local path or an ``http(s)`` URL with kubeconform's template fields
  (``{{.Group}}``, ``{{.ResourceKind}}``, ``{{.ResourceAPIVersion}}``,
  ``{{.NormalizedKubernetesVersion}}``, ``{{.StrictSuffix}}``, ``{{.KindSuffix}}``).
  A location that does not end in ``json`` gets kubeconform's default tail appended.

Local locations may start with the placeholders ``{generated}`` (schemas made from the pinned
upstream files, see ``pinned``), ``{project}`` (the project's own schemas of kinds no pinned
upstream file covers, shipped with the tools: ``PROJECT_SCHEMAS``) and ``{repo}`` (the
repository root), so settings never name a machine's paths. The list comes from
``--schema-location`` flags, else the ``ACCELCAP_SCHEMA_LOCATIONS``
environment variable (comma-separated), else ``schema-locations`` in ``[tool.accelcap]``,
else ``DEFAULT_LOCATIONS``.
"""

from __future__ import annotations

import os
import re
import typing as t
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..config import Settings
from ..errors import InputError

LOCATIONS_ENV = "ACCELCAP_SCHEMA_LOCATIONS"
SETTINGS_KEY = "schema-locations"
BUILTIN_CORE = "kubernetes-validate"
DEFAULT_ALIAS = "default"
#: kubeconform's ``default``: the same tail is appended to locations not ending in json.
DEFAULT_TAIL = (
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
DEFAULT_URL = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/" + DEFAULT_TAIL

#: Core kinds offline first; then every custom kind from the pinned upstream files (CRDs
#: converted, or JSON schemas where a kind has no pinned CRD), fetched once into the cache;
#: then schemas the project writes itself for kinds no upstream file covers.
DEFAULT_LOCATIONS: tuple[str, ...] = (
    BUILTIN_CORE,
    "{generated}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
    "{project}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
)
#: The project's schemas of kinds without a pinned upstream source (listed in docs/validate.md).
PROJECT_SCHEMAS = Path(str(resources.files("accelcap").joinpath("schemas", "kinds")))

_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
_FIELDS = {"Group", "ResourceKind", "ResourceAPIVersion", "NormalizedKubernetesVersion", "StrictSuffix", "KindSuffix"}
_PLACEHOLDER = re.compile(r"^\{(generated|project|repo)\}")


@dataclass(frozen=True)
class ResourceType:
    """What a template is filled with: one object's apiVersion and kind."""

    api_version: str
    kind: str

    @property
    def group(self) -> str:
        # kubeconform quirk: the part before "/", so core "v1" has Group "v1".
        return self.api_version.split("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.split("/")[-1]

    @property
    def kind_suffix(self) -> str:
        parts = self.api_version.split("/")
        suffix = "-" + parts[0].split(".")[0].lower()
        if len(parts) > 1:
            suffix += "-" + parts[1].lower()
        return suffix


def normalized_kubernetes_version(version: str) -> str:
    """``1.31`` or ``1.31.0`` -> ``v1.31.0``; ``master`` stays."""
    if version == "master":
        return version
    if not re.fullmatch(r"v?\d+\.\d+(\.\d+)?", version):
        raise InputError("kubernetes version", f"{version!r} is not X.Y, X.Y.Z or master")
    version = version.lstrip("v")
    return "v" + (version if version.count(".") == 2 else version + ".0")


@dataclass(frozen=True)
class Location:
    """One configured schema location, placeholders already substituted."""

    #: As configured (for messages).
    raw: str
    #: ``builtin`` (kubernetes-validate), ``url`` or ``path``.
    kind: str
    template: str
    #: True for ``{generated}`` locations: their directory is filled on demand.
    generated: bool = False

    def expand(self, resource: ResourceType, kubernetes_version: str, strict: bool = True) -> str:
        """The URL or path of ``resource``'s schema in this location."""
        values = {
            "Group": resource.group,
            "ResourceKind": resource.kind.lower(),
            "ResourceAPIVersion": resource.version,
            "NormalizedKubernetesVersion": normalized_kubernetes_version(kubernetes_version),
            "StrictSuffix": "-strict" if strict else "",
            "KindSuffix": resource.kind_suffix,
        }
        return _FIELD.sub(lambda m: values[m.group(1)], self.template)

    def static_directory(self) -> Path | None:
        """For a local template, the deepest directory without template fields."""
        if self.kind != "path":
            return None
        head = self.template.split("{{", 1)[0]
        return Path(head) if head.endswith("/") else Path(os.path.dirname(head) or ".")


def parse_location(raw: str, settings: Settings, generated_dir: Path | None) -> Location:
    """``raw`` as configured -> a ``Location``; unknown template fields are bad input."""
    text = raw.strip()
    if not text:
        raise InputError("schema location", "empty location")
    if text == BUILTIN_CORE:
        return Location(raw, "builtin", BUILTIN_CORE)
    if text == DEFAULT_ALIAS:
        text = DEFAULT_URL
    for name in _FIELD.findall(text):
        if name not in _FIELDS:
            raise InputError(
                f"schema location {raw}", f"unknown template field .{name} (known: {', '.join(sorted(_FIELDS))})"
            )
    if not text.endswith("json"):
        text = text.rstrip("/") + "/" + DEFAULT_TAIL
    if text.startswith(("http://", "https://")):
        return Location(raw, "url", text)
    generated = False
    unknown = re.match(r"^\{(\w+)\}", text)
    if unknown and not _PLACEHOLDER.match(text):
        raise InputError(
            f"schema location {raw}",
            f"unknown placeholder {{{unknown.group(1)}}} (known: {{generated}}, {{project}}, {{repo}})",
        )
    match = _PLACEHOLDER.match(text)
    if match:
        name = match.group(1)
        if name == "generated":
            if generated_dir is None:
                raise InputError(f"schema location {raw}", "no directory for generated schemas")
            base, generated = generated_dir, True
        elif name == "project":
            base = PROJECT_SCHEMAS
        else:
            base = settings.root
        text = str(base) + text[match.end() :]
    elif text.startswith("file://"):
        text = text[len("file://") :]
    elif not os.path.isabs(text):
        text = str(settings.root / text)
    location = Location(raw, "path", text, generated)
    directory = location.static_directory()
    if not generated and directory is not None and not directory.is_dir():
        raise InputError(f"schema location {raw}", f"directory {directory} does not exist")
    return location


def configured_locations(settings: Settings, flags: t.Sequence[str] | None = None) -> list[str]:
    """The raw location list: flags, else the environment, else settings, else defaults."""
    if flags:
        return list(flags)
    env = os.environ.get(LOCATIONS_ENV)
    if env and env.strip():
        return [part.strip() for part in env.split(",") if part.strip()]
    configured = settings.raw.get(SETTINGS_KEY)  # a list of strings: config.SETTING_TYPES
    if configured is not None:
        return list(configured)
    return list(DEFAULT_LOCATIONS)
