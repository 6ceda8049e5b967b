"""Where things are: the repository root, its settings, and the shared data directory.

Settings live in ``[tool.accelcap]`` of the repository's ``pyproject.toml``; a repository
that uses the tools through pre-commit without such a table gets the defaults below.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tomllib
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

#: Environment variable naming the repository root (default: the git work tree of the
#: current directory, else the current directory).
REPO_ENV = "ACCELCAP_REPO"
#: Environment variable naming the directory with upstream CRDs and schemas (``crds/``,
#: ``schemas/``); default: ``shared-dir`` from the settings, relative to the repository.
SHARED_ENV = "ACCELCAP_SHARED"


@dataclass(frozen=True)
class Settings:
    root: Path
    #: The Git URL Argo CD Applications use for this repository; Applications with this
    #: URL are followed into the path they sync.
    repo_url: str | None = None
    overlays_dir: str = "overlays"
    shared_dir: str = "../shared"
    raw: dict[str, t.Any] = field(default_factory=dict)

    @property
    def overlays(self) -> Path:
        return self.root / self.overlays_dir

    @property
    def shared(self) -> Path:
        configured = os.environ.get(SHARED_ENV)
        return Path(configured) if configured else (self.root / self.shared_dir).resolve()

    def relative(self, path: Path) -> str:
        """``path`` relative to the repository when it is inside it, else as given."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _git_toplevel(start: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(start), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


@functools.cache
def load_settings(root: Path | None = None) -> Settings:
    """Settings of the repository at ``root`` (default: see ``REPO_ENV``)."""
    if root is None:
        env = os.environ.get(REPO_ENV)
        root = Path(env) if env else (_git_toplevel(Path.cwd()) or Path.cwd())
    root = root.resolve()
    pyproject = root / "pyproject.toml"
    table: dict[str, t.Any] = {}
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("accelcap", {})
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InputError(str(pyproject), f"cannot read settings: {error}") from None
    return Settings(
        root=root,
        repo_url=table.get("repo-url"),
        overlays_dir=table.get("overlays-dir", "overlays"),
        shared_dir=table.get("shared-dir", "../shared"),
        raw=table,
    )
