"""The render-and-load layer every tool uses.

``render_overlay`` renders an overlay with kustomize, then follows each Argo CD Application
whose source lies in this repository and renders the path it syncs, so a tool sees what
Argo CD will actually manage. The cluster's hand-applied ``validation/`` build is added
too. Every object comes back as a ``Document`` that knows where it came from.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .affected import affected_overlays
from .config import Settings, load_settings
from .errors import InputError
from .facts import FACTS_FILE, ClusterFacts, cluster_dir_of, load_facts, load_facts_file
from .yamlload import load_documents

#: Overrides the kustomize command, e.g. ``kubectl kustomize`` or ``/opt/bin/kustomize build``.
KUSTOMIZE_ENV = "ACCELCAP_KUSTOMIZE"
KUSTOMIZE_TIMEOUT_SECONDS = 120
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
#: A hand-applied build that no Application syncs but every check must see. It sits beside
#: what it validates: in the overlay itself, or in the parent of a followed Application's
#: path (overlays/prod/validation for overlays/prod/capacity; overlays/prod/inferentia/
#: validation for overlays/prod/inferentia/capacity), so it comes and goes with them.
MANUAL_BUILD = "validation"


@dataclass
class Document:
    """One rendered Kubernetes object and where it came from."""

    obj: dict[str, t.Any]
    #: The overlay that was asked for, relative to the repository (``overlays/prod``).
    overlay: str
    #: The directory kustomize rendered to produce it (the overlay or an Application path).
    rendered_from: str
    #: The Argo CD Application that syncs it; None for the overlay's own objects and for
    #: hand-applied builds.
    application: str | None = None
    #: Source file (relative to the repository) and line, where kustomize could tell.
    file: str | None = None
    line: int | None = None

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict[str, t.Any]:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns is not None else None

    @property
    def annotations(self) -> dict[str, t.Any]:
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def labels(self) -> dict[str, t.Any]:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped)."""
        parts = [self.kind, self.namespace, self.name]
        return "/".join(p for p in parts if p)

    def get(self, *path: str | int, default: t.Any = None) -> t.Any:
        """The value at ``path`` inside the object, or ``default`` where any step is missing."""
        node: t.Any = self.obj
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return default
            elif not isinstance(node, dict) or step not in node:
                return default
            node = node[step]
        return node


@dataclass
class FollowedApplication:
    """An Argo CD Application of the overlay and the objects it syncs."""

    application: Document
    path: str
    documents: list[Document] = field(default_factory=list)


@dataclass
class RenderedOverlay:
    """Everything one overlay puts on its cluster, rendered once."""

    path: Path
    name: str
    documents: list[Document]
    applications: list[FollowedApplication]
    facts: ClusterFacts | None

    def of_kind(self, *kinds: str) -> list[Document]:
        return [d for d in self.documents if d.kind in kinds]


@functools.cache
def kustomize_command() -> tuple[str, ...]:
    """The command that renders a kustomization directory given as its last argument."""
    configured = os.environ.get(KUSTOMIZE_ENV)
    if configured:
        return tuple(shlex.split(configured))
    for binary, args in (("kustomize", ("build",)), ("kubectl", ("kustomize",)), ("oc", ("kustomize",))):
        found = shutil.which(binary)
        if found:
            return (found, *args)
    raise InputError("kustomize", "none of kustomize, kubectl or oc is on PATH")


def _kustomize(directory: Path, settings: Settings) -> tuple[str, str]:
    """Render ``directory`` through a wrapper that records each object's source file.

    Returns the output and the wrapper's directory, which origin paths are relative to.
    """
    where = settings.relative(directory)
    if not (directory / "kustomization.yaml").is_file() and not (directory / "kustomization.yml").is_file():
        raise InputError(where, "not a kustomization directory (no kustomization.yaml)")
    with tempfile.TemporaryDirectory(prefix="accelcap-render-") as wrapper:
        target = os.path.relpath(directory.resolve(), wrapper)
        Path(wrapper, "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {target}\nbuildMetadata:\n  - originAnnotations\n"
        )
        command = [*kustomize_command(), wrapper]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=KUSTOMIZE_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise InputError(where, f"kustomize did not finish in {KUSTOMIZE_TIMEOUT_SECONDS}s") from None
        except OSError as error:
            raise InputError(where, f"cannot run {command[0]}: {error.strerror}") from None
    if result.returncode != 0:
        raise InputError(where, f"kustomize failed: {_kustomize_message(result.stderr, wrapper)}")
    return result.stdout, wrapper


def _kustomize_message(stderr: str, wrapper: str) -> str:
    """kustomize's error as one line. kubectl wraps it in a klog record, on one line
    (``err="..."``) or as a block (``err=<`` ... `` >``)."""
    text = stderr.strip()
    if "err=<" in text:
        text = text.split("err=<", 1)[1].rsplit(">", 1)[0]
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        text = lines[-1] if lines else "no error message"
        if 'err="' in text:
            text = text.split('err="', 1)[1].rstrip('"')
    text = " ".join(text.replace(wrapper, "<wrapper>").split()) or "no error message"
    # Nested kustomizations wrap the cause in one "accumulating resources ..." clause per
    # level; the innermost directory and the cause are what a person needs.
    marker = "recursed accumulation of path '"
    if marker in text:
        innermost, _, cause = text.rsplit(marker, 1)[1].partition("': ")
        if cause:
            text = f"in {innermost}: {cause}"
    return text


def _source_of(obj: dict[str, t.Any], wrapper: str, settings: Settings) -> tuple[str | None, int | None]:
    """Pop kustomize's origin annotation; return the source file and the line of the object."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations"), dict):
        return None, None
    annotations = metadata["annotations"]
    origin = annotations.pop(ORIGIN_ANNOTATION, None)
    if not annotations:
        del metadata["annotations"]
    if not isinstance(origin, str):
        return None, None
    # "path:" names the file the object came from; objects that a transformer changed
    # name the kustomization that configured it instead ("configuredIn:").
    fields = dict(line.split(":", 1) for line in origin.splitlines() if ":" in line and not line.startswith(" "))
    origin_path = (fields.get("path") or fields.get("configuredIn") or "").strip()
    if not origin_path:
        return None, None
    source = Path(os.path.normpath(os.path.join(wrapper, origin_path)))
    if not source.is_file():
        return None, None
    return settings.relative(source), _line_of(source, str(obj.get("kind", "")))


@functools.lru_cache(maxsize=4096)
def _line_of(source: Path, kind: str) -> int | None:
    try:
        for number, line in enumerate(source.read_text().splitlines(), start=1):
            if line.strip() == f"kind: {kind}":
                return number
    except OSError:
        return None
    return None


def render_kustomization(
    directory: Path, overlay: str, application: str | None = None, settings: Settings | None = None
) -> list[Document]:
    """Render one kustomization directory, without following anything."""
    settings = settings or load_settings()
    where = settings.relative(directory)
    documents = []
    output, wrapper = _kustomize(directory, settings)
    for obj in load_documents(output, f"{where} (rendered)"):
        file, line = _source_of(obj, wrapper, settings)
        documents.append(Document(obj, overlay, where, application, file, line))
    return documents


def load_rendered(path: str, settings: Settings | None = None) -> list[Document]:
    """Documents of already-rendered YAML: a file, or ``-`` for standard input."""
    settings = settings or load_settings()
    if path == "-":
        return [Document(obj, "<stdin>", "<stdin>") for obj in load_documents(sys.stdin.buffer.read(), "<stdin>")]
    file = Path(path)
    where = settings.relative(file)
    try:
        text = file.read_bytes()
    except OSError as error:
        raise InputError(where, error.strerror or str(error)) from None
    return [Document(obj, where, where, file=where) for obj in load_documents(text, where)]


def _normalise_repo_url(url: str) -> str:
    url = url.strip().rstrip("/")
    return url[: -len(".git")] if url.endswith(".git") else url


def _in_repo_source(app: Document, settings: Settings) -> list[tuple[str, dict[str, t.Any]]]:
    """(path, source) of every source of ``app`` that lies in this repository."""
    spec = app.obj.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if isinstance(spec.get("source"), dict) else [])
    found = []
    for source in sources:
        if not isinstance(source, dict) or "path" not in source:
            continue
        url = str(source.get("repoURL", ""))
        if settings.repo_url is not None:
            if _normalise_repo_url(url) != _normalise_repo_url(settings.repo_url):
                continue
        elif not (settings.root / str(source["path"])).is_dir():
            continue
        found.append((str(source["path"]), source))
    return found


def _follow(app: Document, overlay: str, settings: Settings) -> list[FollowedApplication]:
    followed = []
    for path, source in _in_repo_source(app, settings):
        unsupported = sorted(set(source) & {"kustomize", "helm", "directory", "plugin"})
        if unsupported:
            raise InputError(
                f"{overlay}: {app.ref}",
                f"source sets {', '.join(unsupported)}; the tools cannot reproduce what Argo CD "
                "renders from it",
            )
        directory = settings.root / path
        if not directory.is_dir():
            raise InputError(f"{overlay}: {app.ref}", f"syncs path {path!r}, which is not in this repository")
        followed.append(FollowedApplication(app, path))
    return followed


def render_overlay(path: Path, settings: Settings | None = None, follow: bool = True) -> RenderedOverlay:
    """Render the overlay at ``path``, follow its Applications, add the manual builds beside them."""
    settings = settings or load_settings()
    path = path.resolve()
    name = settings.relative(path)
    if not path.is_dir():
        raise InputError(name, "no such overlay directory")
    cluster_dir = cluster_dir_of(path)
    facts = load_facts_file(cluster_dir / FACTS_FILE, settings) if cluster_dir else None
    own = render_kustomization(path, name, None, settings)
    applications: list[FollowedApplication] = []
    if follow:
        for app in (d for d in own if d.kind == "Application" and d.group == "argoproj.io"):
            applications.extend(_follow(app, name, settings))
    beside = dict.fromkeys([path, *((settings.root / a.path).resolve().parent for a in applications)])
    manual = [d / MANUAL_BUILD for d in beside if (d / MANUAL_BUILD / "kustomization.yaml").is_file()]

    jobs: list[tuple[Path, str | None]] = [(settings.root / a.path, a.application.name) for a in applications]
    jobs += [(directory, None) for directory in manual]
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(jobs)))) as pool:
        results = list(pool.map(lambda job: render_kustomization(job[0], name, job[1], settings), jobs))
    for followed, documents in zip(applications, results):
        followed.documents = documents
    documents = own + [d for result in results for d in result]
    return RenderedOverlay(path, name, documents, applications, facts)


def list_overlays(settings: Settings | None = None) -> list[Path]:
    """Every overlay of the repository: ``overlays/*`` with a kustomization."""
    settings = settings or load_settings()
    if not settings.overlays.is_dir():
        raise InputError(settings.overlays_dir, "no overlays directory in this repository")
    return sorted(p.parent for p in settings.overlays.glob("*/kustomization.yaml"))


def resolve_targets(
    paths: t.Sequence[str], settings: Settings | None = None, changed: t.Sequence[str] | None = None
) -> list[Path | str]:
    """CLI PATH arguments -> overlay directories, rendered-YAML files or ``-``.

    No PATH means every overlay, or, when ``changed`` lists changed files (pre-commit), the
    overlays those files touch (``accelcap.affected``), possibly none. A PATH that is
    neither a directory, a file nor ``-`` is an error naming the overlays that exist.
    """
    settings = settings or load_settings()
    if changed is not None:
        if paths:
            raise InputError("usage", "give PATHs or --changed, not both")
        return list(affected_overlays(changed, settings))
    if not paths:
        return list(list_overlays(settings))
    targets: list[Path | str] = []
    for raw in paths:
        if raw == "-":
            targets.append(raw)
            continue
        candidate = Path(raw)
        if not candidate.exists() and not candidate.is_absolute():
            under_overlays = settings.overlays / raw
            candidate = under_overlays if under_overlays.exists() else candidate
        if candidate.is_dir():
            targets.append(candidate)
        elif candidate.is_file():
            targets.append(str(candidate))
        else:
            known = ", ".join(p.name for p in list_overlays(settings)) or "none"
            raise InputError(raw, f"no such overlay, directory or file (overlays: {known})")
    return targets


def render_targets(
    paths: t.Sequence[str],
    settings: Settings | None = None,
    follow: bool = True,
    cluster: str | None = None,
    changed: t.Sequence[str] | None = None,
) -> list[RenderedOverlay]:
    """Render every CLI target; a rendered-YAML file or ``-`` becomes an overlay of its own.

    Such a file has no cluster directory, so its facts come from ``cluster`` when given.
    """
    settings = settings or load_settings()
    file_facts = load_facts(cluster, settings) if cluster else None
    rendered = []
    for target in resolve_targets(paths, settings, changed):
        if isinstance(target, Path):
            rendered.append(render_overlay(target, settings, follow))
        else:
            documents = load_rendered(target, settings)
            name = documents[0].overlay if documents else target
            rendered.append(RenderedOverlay(Path(target), name, documents, [], file_facts))
    return rendered
