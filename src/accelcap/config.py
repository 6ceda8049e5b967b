"""Where things are: the repository root, its settings, and where pinned upstream files come from.

Settings live in ``[tool.accelcap]`` of the repository's ``pyproject.toml``; a repository
that uses the tools through pre-commit without such a table gets the defaults below.
"""

from __future__ import annotations

import functools
import os
import tomllib
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .git import toplevel
from .paths import inside
from .run_memo import once, resolved

#: Environment variable naming the repository root (default: the git work tree of the
#: current directory, else the current directory).
REPO_ENV = "ACCELCAP_REPO"
#: Environment variable naming a ``pyproject.toml`` whose ``[tool.accelcap]`` the tools take
#: instead of the repository's: a trusted job reads a pull request's tree as data, and takes
#: its settings (repository URL, overlays directory, mirror) from the base branch's checkout,
#: never from the pull request. A file that cannot be read is bad input.
SETTINGS_ENV = "ACCELCAP_SETTINGS"
#: Environment variable naming where the pinned upstream files (``accelcap/validate/crds.yaml``)
#: are fetched from: a directory or an http(s) base URL laid out ``<owner>/<repo>/<commit>/<path>``.
#: Default: ``crd-mirror`` from the settings, else GitHub's raw file URLs.
MIRROR_ENV = "ACCELCAP_CRD_MIRROR"
MIRROR_SETTING = "crd-mirror"
#: GitHub serves every file of a public repository at ``<this>/<owner>/<repo>/<commit>/<path>``.
DEFAULT_MIRROR = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Settings:
    root: Path
    #: The Git URL Argo CD Applications use for this repository; Applications with this
    #: URL are followed into the path they sync.
    repo_url: str | None = None
    overlays_dir: str = "overlays"
    raw: dict[str, t.Any] = field(default_factory=dict)
    #: ``crd-mirror`` of the settings, checked (``_mirror_setting``); None when unset.
    mirror: str | None = None

    @property
    def overlays(self) -> Path:
        return self.root / self.overlays_dir

    @property
    def crd_mirror(self) -> tuple[str, str]:
        """(where the pinned upstream files come from, which setting said so).

        An http(s) base URL or a local directory (relative to the repository when the
        setting in pyproject.toml is relative); see ``MIRROR_ENV``.
        """
        configured = os.environ.get(MIRROR_ENV, "").strip()
        if configured:
            return configured, MIRROR_ENV
        if self.mirror is None:
            return DEFAULT_MIRROR, f"{MIRROR_ENV} or {MIRROR_SETTING} in pyproject.toml"
        return self.mirror, f"{MIRROR_SETTING} in pyproject.toml"

    def relative(self, path: Path) -> str:
        """``path`` relative to the repository when it is inside it, else as given (once per run
        for each path: every walk names each kustomization file it reads)."""
        return once("relative-paths", (self.root, path), lambda: self._relative(path))

    def _relative(self, path: Path) -> str:
        try:
            return resolved(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


#: The type of each setting the tools read (``[tool.accelcap]``); a wrong type is bad input
#: for every tool, named at load time, never a TypeError later. Sub-tables (such as
#: ``verify-quotas``) belong to the tool that reads them.
SETTING_TYPES: dict[str, tuple[type, type | None]] = {
    "repo-url": (str, None),
    "overlays-dir": (str, None),
    "crd-mirror": (str, None),
    "schema-locations": (list, str),
}


def _settings_table(pyproject: Path) -> dict[str, t.Any]:
    """``[tool.accelcap]`` of ``pyproject``, each known setting of its documented type."""
    where = str(pyproject)
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(where, f"cannot read settings: {error}") from None
    table: t.Any = document
    for key in ("tool", "accelcap"):
        table = table.get(key, {})
        if not isinstance(table, dict):
            raise InputError(f"{where} [tool{'.accelcap' if key == 'accelcap' else ''}]", "is not a table")
    for key, (kind, item) in SETTING_TYPES.items():
        if key not in table:
            continue
        value = table[key]
        ok = isinstance(value, kind) and (item is None or all(isinstance(v, item) for v in t.cast(list[t.Any], value)))
        if not ok:
            wanted = f"a list of {item.__name__}" if item else kind.__name__
            raise InputError(f"{where} [tool.accelcap] {key}", f"must be {wanted}, not {value!r}")
    return t.cast(dict[str, t.Any], table)


def _mirror_setting(root: Path, value: str | None) -> str | None:
    """``crd-mirror`` as the tools use it: an http(s) URL, or a directory. A relative one is a
    path built from repository content (pyproject.toml is in the pull request), so it must
    stay inside the repository, checked after resolution."""
    if value is None:
        return None
    where = f"{root / 'pyproject.toml'} [tool.accelcap] {MIRROR_SETTING}"
    value = value.strip()
    if not value:
        raise InputError(where, "must be an http(s) URL or a directory, not empty")
    if value.startswith(("http://", "https://")) or os.path.isabs(value):
        return value
    return str(inside(root, value, where))


@functools.cache
def load_settings(root: Path | None = None) -> Settings:
    """Settings of the repository at ``root`` (default: see ``REPO_ENV``), from its
    ``pyproject.toml`` or the one ``SETTINGS_ENV`` names."""
    if root is None:
        env = os.environ.get(REPO_ENV)
        root = Path(env) if env else (toplevel(Path.cwd()) or Path.cwd())
    root = root.resolve()
    trusted = os.environ.get(SETTINGS_ENV, "").strip()
    if trusted:
        pyproject = Path(trusted).resolve()
        if not pyproject.is_file():
            raise InputError(SETTINGS_ENV, f"{trusted} is not a file (the pyproject.toml to take settings from)")
        table = _settings_table(pyproject)
        # A relative mirror is the trusted checkout's, beside its pyproject.toml.
        mirror = _mirror_setting(pyproject.parent, table.get(MIRROR_SETTING))
    else:
        pyproject = root / "pyproject.toml"
        table = _settings_table(pyproject) if pyproject.is_file() else {}
        mirror = _mirror_setting(root, table.get(MIRROR_SETTING))
    return Settings(
        root=root,
        repo_url=table.get("repo-url"),
        overlays_dir=table.get("overlays-dir", "overlays"),
        raw=table,
        mirror=mirror,
    )
