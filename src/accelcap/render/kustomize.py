"""The kustomize subprocess, and where each rendered object came from.

kustomize builds the directory itself. Where each object came from is found only when
someone asks (``BuildSources``): the build is then rendered once more through a throw-away
wrapper kustomization that lists the directory as its only resource and asks for
kustomize's origin annotations (``buildMetadata: [originAnnotations]``), which name each
object's source file relative to the wrapper; they are resolved while that wrapper still
exists and removed from the object. (The wrapper is not used otherwise: its extra level
costs kustomize 4% more CPU on every build, for the same output.) Tools see the object as
the cluster would, plus ``Document.file`` and ``Document.line``.

Before kustomize runs, the directory's kustomization graph is walked
(``accelcap.affected.KustomizationGraph``): a path that leads outside the repository, a
cycle, or a path field of the wrong type is bad input naming the kustomization file, so
nothing from outside the repository is ever checked as if it were the repository's. Each
build has a total deadline (``accelcap.timeouts``, call ``kustomize``): kustomize itself
waits without limit for a remote resource on a silent server. kustomize runs with an
environment of its own (``kustomize_env``): no credentials, and no way to fetch, so remote
content the remote check (``render.remote``) missed fails the build instead of arriving.
Each kustomize process runs in a process group of its own while a ``KustomizeProcesses`` of
the run knows it, so a run that ends early (a signal, the first error) stops its builds at
once instead of waiting for them, and nothing kustomize started outlives the build.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import typing as t
import weakref
from dataclasses import dataclass
from pathlib import Path

from .. import timeouts
from ..affected import KustomizationGraph, Loader, kustomization_file
from ..config import Settings, load_settings
from ..errors import InputError
from ..files import signals_held
from ..yamlload import load_documents, load_single
from .crash import crash_message, go_crash, timeout_hint
from .model import UNKNOWN_SOURCE, Document, KnownSource, Source

#: Overrides the kustomize command, e.g. ``kubectl kustomize`` or ``/opt/bin/kustomize build``.
KUSTOMIZE_ENV = "ACCELCAP_KUSTOMIZE"
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


_COMMAND_LOCK = threading.Lock()


@functools.cache
def kustomize_command() -> tuple[str, ...]:
    """The command that renders a kustomization directory given as its last argument; its
    kustomize must be v5 or newer (``check_kustomize_version``)."""
    configured = os.environ.get(KUSTOMIZE_ENV)
    if configured:
        command = tuple(shlex.split(configured))
    else:
        for binary, args in (("kustomize", ("build",)), ("kubectl", ("kustomize",)), ("oc", ("kustomize",))):
            found = shutil.which(binary)
            if found:
                command = (found, *args)
                break
        else:
            raise InputError("kustomize", "none of kustomize, kubectl or oc is on PATH")
    check_kustomize_version(command)
    return command


#: The oldest kustomize the render trusts: v4 copied value-less ``envs:`` lines from the
#: environment into ConfigMaps, and v5 is what the tests and CI run (v5.5).
MINIMUM_KUSTOMIZE = 5
_VERSION = re.compile(r"\bv?(\d+)\.(\d+)(?:\.\d+)?")


def check_kustomize_version(command: tuple[str, ...]) -> None:
    """Refuse a kustomize older than v5: ``kustomize version``, or the ``kustomizeVersion`` of
    ``kubectl``/``oc version --client -o json``. A command of another program (a wrapper named
    in ``ACCELCAP_KUSTOMIZE`` by whoever runs the tools) is theirs to vouch for."""
    if not command:
        raise InputError(KUSTOMIZE_ENV, "is empty")
    program = Path(command[0]).name
    if program == "kustomize":
        probe = [command[0], "version"]
    elif program in ("kubectl", "oc"):
        probe = [command[0], "version", "--client", "-o", "json"]
    else:
        return
    deadline = timeouts.limits("kustomize").total
    try:
        result = subprocess.run(probe, capture_output=True, timeout=deadline, check=False, env=kustomize_env())
    except subprocess.TimeoutExpired:
        raise InputError(
            program, f"kustomize version check timed out: not done after {deadline:g}s (kustomize.total)"
        ) from None
    except OSError as error:
        raise InputError(program, f"cannot run {command[0]}: {error.strerror}") from None
    text = result.stdout.decode(errors="replace")
    if program != "kustomize":
        try:
            text = str(json.loads(text).get("kustomizeVersion") or "")
        except (ValueError, AttributeError):
            text = ""
    match = _VERSION.search(text)
    if result.returncode != 0 or match is None:
        raise InputError(program, f"cannot tell its kustomize version from {' '.join(probe[1:])!r}")
    if int(match.group(1)) < MINIMUM_KUSTOMIZE:
        raise InputError(
            program, f"kustomize {match.group(0)} is too old: the render needs kustomize v{MINIMUM_KUSTOMIZE} or newer"
        )


#: The variables of the caller's environment kustomize may see: what a process needs to run
#: and read files, nothing that holds a credential (AWS_*, ACTIONS_*, GITHUB_TOKEN, ...) or
#: says where to fetch from. Everything else is dropped.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
#: A loopback port nothing listens on (the discard port): every proxy points there, so an
#: HTTP fetch kustomize attempts fails at once instead of reaching the network.
CLOSED_PROXY = "http://127.0.0.1:9"
#: The Go runtime's memory setting for kustomize: collect when the heap has grown to five times
#: what the last collection kept (Go's default: twice; https://go.dev/doc/gc-guide#GOGC). Not
#: GOGC=off under a GOMEMLIMIT: a recursive alias grows kyaml's stack toward Go's 1 GB limit,
#: and under a smaller memory limit that build collected without end instead of crashing in
#: seconds (tests/foundation/test_newcomer_messages.py, 300 s against 6 s; at GOGC=400: 4 s,
#: 1.7 GB against the default's 1.3 GB).
GO_MEMORY = {"GOGC": "400"}


def kustomize_env(home: str | None = None) -> dict[str, str]:
    """The environment kustomize runs in: unable to fetch, without credentials or a cluster.

    - only ``PASSED_ENV`` of the caller's environment;
    - ``HOME`` an empty directory (``home``; else /nonexistent): no git or kube configuration,
      no credential helper, no SSH keys;
    - git: no protocol at all (``GIT_ALLOW_PROTOCOL``), no system or global configuration, no
      prompt, no SSH: a remote form the remote check missed fails to clone;
    - every proxy variable at a closed loopback port and ``NO_PROXY`` empty: kustomize's http(s)
      file loader cannot reach anything;
    - ``KUBECONFIG`` empty: ``kubectl kustomize`` (v1.32) asks the current context's API server
      for its version before it builds (5 s per build when that server does not answer);
    - Go's garbage collector less often (``GO_MEMORY``): a build lives for a fraction of a
      second and holds about 50 MB, so collecting is a fifth of kustomize's CPU for little
      (a 20-cluster fleet: 8.7 s of kustomize CPU against 10.6 s).
    """
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(
        HOME=home or "/nonexistent",
        KUBECONFIG=os.devnull,
        # A protocol name git does not have: every transport is refused, file:// included
        # (with "file", kustomize clones a file:// repository from anywhere on the machine).
        GIT_ALLOW_PROTOCOL="none",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_SSH_COMMAND="false",
        GIT_ASKPASS="false",
        NO_PROXY="",
        no_proxy="",
        **GO_MEMORY,
    )
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        env[name] = CLOSED_PROXY
    return env


class KustomizeProcesses:
    """The kustomize processes of one run while they run (``render.builds.BuildCache`` holds
    one; the builds run in its worker threads).

    ``stop`` ends the run's builds: it kills the process group of every kustomize still
    running, and any build that has not started its kustomize yet fails at once instead.
    A signal reaches only the main thread: without this, the run would wait for each
    running kustomize to exit by itself, up to its deadline (``kustomize.total``).

    Every kustomize of the run has the same empty ``HOME`` (``home``), made on first use and
    removed by ``remove_home`` once the run's builds have ended (or, should nobody call it, when
    this object is collected or the interpreter exits): one directory per run, not one per
    build (making and removing it took 0.1 ms and a handful of system calls a build).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False
        self._home: str | None = None
        self._remove_home: weakref.finalize[[str], KustomizeProcesses] | None = None

    def home(self, where: str) -> str:
        """The run's empty HOME for kustomize, made now if it is not yet."""
        with self._lock:
            if self._stopped:
                raise InputError(where, "kustomize build not started: the run was stopped")
            if self._home is None:
                self._home = tempfile.mkdtemp(prefix="accelcap-home-")
                self._remove_home = weakref.finalize(self, _remove_directory, self._home)
            return self._home

    def remove_home(self) -> None:
        """Remove the run's HOME (once no build of the run runs any more)."""
        with self._lock:
            remove, self._home, self._remove_home = self._remove_home, None, None
        if remove is not None:
            remove()

    def start(self, command: list[str], env: dict[str, str], where: str) -> subprocess.Popen[bytes]:
        """``command`` started in a process group of its own, known until ``forget``."""
        with self._lock:
            if self._stopped:
                raise InputError(where, "kustomize build not started: the run was stopped")
        # Its own process group: a kustomize wrapper's children are stopped with it.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, process_group=0)
        with self._lock:
            self._running.add(process)
            stopped = self._stopped
        if stopped:  # stopped while it started
            self.kill(process)
        return process

    def forget(self, process: subprocess.Popen[bytes]) -> None:
        """``process`` has been waited for; ``stop`` leaves it alone."""
        with self._lock:
            self._running.discard(process)

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stopped

    def stop(self) -> None:
        """Kill every kustomize of the run that still runs; start no other."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for process in running:
            self.kill(process)

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """Kill ``process`` and what else runs in its process group (its own children)."""
        if process.poll() is not None:
            return  # exited: its pid (the group's id) is not ours to signal any more
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def kustomize_build(
    directory: Path,
    where: str,
    slot: t.ContextManager[t.Any] | None = None,
    processes: KustomizeProcesses | None = None,
    origins: bool = False,
) -> list[tuple[dict[str, t.Any], Path | None]]:
    """Every object ``directory`` renders to, with the absolute path of its source file when
    ``origins`` is asked for (else None: see ``BuildSources``).

    ``where`` names the directory in errors. The source is None where kustomize
    could not tell or the file it names does not exist. ``slot`` is held while kustomize
    runs (``render.builds`` bounds how many run at once); the deadline starts inside it.
    ``processes``: the run's kustomize processes, which the run may stop (default: this
    build's own).
    """
    if kustomization_file(directory) is None:
        raise InputError(where, "not a kustomization directory (no kustomization.yaml)")
    deadline = timeouts.limits("kustomize").total
    with contextlib.ExitStack() as stack:
        # Made with signals held: a signal between creating a directory and entering it
        # would leave it behind; raised once it is entered, it removes it on the way out.
        with signals_held():
            if processes is None:  # this build's own: its HOME goes with it
                processes = KustomizeProcesses()
                stack.callback(processes.remove_home)
            home = processes.home(where)
            wrapper = stack.enter_context(tempfile.TemporaryDirectory(prefix="accelcap-render-")) if origins else None
        # Absolute, so never taken for an option.
        built = str(directory.resolve())
        if wrapper is not None:
            Path(wrapper, "kustomization.yaml").write_text(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"resources:\n  - {os.path.relpath(built, wrapper)}\nbuildMetadata:\n  - originAnnotations\n"
            )
            built = wrapper
        with _COMMAND_LOCK:  # the builds' threads start at once: one version probe, not one each
            command = [*kustomize_command(), built]
        try:
            with slot or contextlib.nullcontext():
                returncode, stdout, stderr_bytes = _run(processes, command, kustomize_env(home), deadline, where)
        except subprocess.TimeoutExpired:
            raise InputError(
                where,
                f"kustomize build timed out: not done after {deadline:g}s (kustomize.total)" + timeout_hint(directory),
            ) from None
        except OSError as error:
            raise InputError(where, f"cannot run {command[0]}: {error.strerror}") from None
        if returncode != 0:
            stderr = stderr_bytes.decode(errors="replace")
            crash = go_crash(stderr)
            if crash is not None:  # a Go trace, not a message: name the file instead
                raise InputError(where, crash_message(crash, directory))
            raise InputError(where, f"kustomize failed: {kustomize_message(stderr, wrapper)}")
        objects = load_documents(stdout, f"{where} (rendered)")
        if wrapper is None:
            return [(obj, None) for obj in objects]
        # Origins are relative to the wrapper: resolve them before it is deleted.
        return [(obj, pop_origin(obj, Path(wrapper))) for obj in objects]


def _run(
    processes: KustomizeProcesses, command: list[str], env: dict[str, str], deadline: float, where: str
) -> tuple[int, bytes, bytes]:
    """``subprocess.run`` of ``command`` with ``deadline``, known to ``processes`` while it runs;
    its whole process group is killed when it times out or anything else stops the wait."""
    process = processes.start(command, env, where)
    try:
        try:
            stdout, stderr = process.communicate(timeout=deadline)
        except BaseException:  # the deadline, or an interrupt where the build runs in the main thread
            processes.kill(process)
            process.communicate()
            raise
    finally:
        processes.forget(process)
    if process.returncode < 0 and processes.stopped:  # killed by ``stop``, not crashed
        raise InputError(where, "kustomize build stopped: the run was stopped")
    return process.returncode, stdout, stderr


def kustomize_message(stderr: str, wrapper: str | None = None) -> str:
    """kustomize's error as one line (``wrapper``, the directory kustomize built if it was one,
    shown as ``<wrapper>``). kubectl wraps it in a klog record, on one line (``err="..."``) or
    as a block (``err=<`` ... `` >``); kustomize itself prints ``Error: `` and the message,
    over several lines when it quotes a configuration (a broken patch)."""
    text = stderr.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    starts = [number for number, line in enumerate(lines) if line.startswith("Error: ")]
    if "err=<" in text:
        text = text.split("err=<", 1)[1].rsplit(">", 1)[0]
    elif starts:
        text = " ".join(lines[starts[-1] :]).removeprefix("Error: ")
    else:
        text = lines[-1] if lines else "no error message"
        if 'err="' in text:
            text = text.split('err="', 1)[1].rstrip('"')
    if wrapper is not None:
        text = text.replace(wrapper, "<wrapper>")
    text = " ".join(text.split()) or "no error message"
    # Nested kustomizations wrap the cause in one "accumulating resources ..." clause per
    # level; the innermost directory and the cause are what a person needs.
    marker = "recursed accumulation of path '"
    if marker in text:
        innermost, _, cause = text.rsplit(marker, 1)[1].partition("': ")
        if cause:
            text = f"in {innermost}: {cause}"
    return text


def pop_origin(obj: dict[str, t.Any], wrapper: Path) -> Path | None:
    """Remove kustomize's origin annotation from ``obj``; the source file it names, if any."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations"), dict):
        return None
    annotations = metadata["annotations"]
    origin = annotations.pop(ORIGIN_ANNOTATION, None)
    if not annotations:
        del metadata["annotations"]
    if not isinstance(origin, str):
        return None
    # "path:" names the file the object came from; objects that a transformer changed
    # name the kustomization that configured it instead ("configuredIn:").
    fields = dict(line.split(":", 1) for line in origin.splitlines() if ":" in line and not line.startswith(" "))
    origin_path = (fields.get("path") or fields.get("configuredIn") or "").strip()
    if not origin_path:
        return None
    # Lexically, as kustomize joined the wrapper's relative resource path.
    source = Path(os.path.normpath(wrapper / origin_path))
    return source if source.is_file() else None


@functools.lru_cache(maxsize=4096)
def line_of(source: Path, kind: str) -> int | None:
    """The line of ``kind: <kind>`` in ``source``: where the object starts, near enough."""
    try:
        for number, line in enumerate(source.read_text().splitlines(), start=1):
            if line.strip() == f"kind: {kind}":
                return number
    except OSError:
        return None
    return None


#: One rendered object and where it came from (found when first asked: ``BuildSources``).
RenderedObject = tuple[dict[str, t.Any], Source]


def identity(obj: dict[str, t.Any]) -> tuple[str, ...]:
    """What tells an object apart in one build's output: apiVersion, kind, namespace, name."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return tuple(
        str(value)
        for value in (obj.get("apiVersion"), obj.get("kind"), metadata.get("namespace"), metadata.get("name"))
    )


class BuildSources:
    """Where each object of one build came from, found the first time anyone asks.

    kustomize's origin annotations cost it about a quarter more time on every build (a
    20-cluster fleet at Go's defaults: 12.9 s of CPU against 10.3 s without), and only a finding's location
    needs them: the render leaves them out, and the first time a document's file or line is
    read, the build is rendered once more with them, each object matched to its own by its
    place in the output and its identity. A run that reports nothing never pays for it; one
    that does renders again only the builds its findings are in.

    A location is what a finding points at, never part of a verdict: when that second render
    fails or differs (its directory is gone, say), every object of the build has no source,
    as when kustomize cannot tell, and the findings are the same.
    """

    def __init__(self, directory: Path, settings: Settings, identities: list[tuple[str, ...]]) -> None:
        self.directory = directory
        self.settings = settings
        self.identities = identities
        # Found once; two threads asking at once may both render it, with the same result.
        self._found: list[KnownSource] | None = None

    def __getitem__(self, index: int) -> KnownSource:
        found = self._found
        if found is None:
            found = self._found = self._locate()
        return found[index] if 0 <= index < len(found) else UNKNOWN_SOURCE

    def _locate(self) -> list[KnownSource]:
        unknown = [UNKNOWN_SOURCE] * len(self.identities)
        try:
            # The same guard as the first render's, on the tree as it is now.
            KustomizationGraph(self.settings, missing_ok=True).files(self.directory)
            rendered = kustomize_build(self.directory, self.settings.relative(self.directory), origins=True)
        except InputError:
            return unknown
        if [identity(obj) for obj, _ in rendered] != self.identities:
            return unknown
        return [
            KnownSource(self.settings.relative(source), line_of(source, str(obj.get("kind", ""))))
            if source
            else UNKNOWN_SOURCE
            for obj, source in rendered
        ]


@dataclass(frozen=True)
class BuildSource:
    """The source of the ``index``-th object of a build, found when first read."""

    sources: BuildSources
    index: int

    @property
    def file(self) -> str | None:
        return self.sources[self.index].file

    @property
    def line(self) -> int | None:
        return self.sources[self.index].line


def kustomize_objects(
    directory: Path,
    settings: Settings,
    load: Loader = load_single,
    slot: t.ContextManager[t.Any] | None = None,
    processes: KustomizeProcesses | None = None,
) -> list[RenderedObject]:
    """Every object ``directory`` renders to, with its source; nothing is followed. ``load``
    reads each kustomization file, ``slot`` and ``processes``: see ``kustomize_build``."""
    where = settings.relative(directory)
    graph = KustomizationGraph(settings, missing_ok=True, load=load)
    graph.files(directory)  # nothing outside the repository, no cycle: before kustomize runs
    return located([obj for obj, _ in kustomize_build(directory, where, slot, processes)], directory, settings)


def located(objects: list[dict[str, t.Any]], directory: Path, settings: Settings) -> list[RenderedObject]:
    """``objects``, what ``directory`` rendered to, each with its source (found when asked)."""
    sources = BuildSources(directory, settings, [identity(obj) for obj in objects])
    return [(obj, BuildSource(sources, index)) for index, obj in enumerate(objects)]


def render_kustomization(
    directory: Path, overlay: str, application: str | None = None, settings: Settings | None = None
) -> list[Document]:
    """Render one kustomization directory, without following anything."""
    settings = settings or load_settings()
    where = settings.relative(directory)
    return [
        Document(obj, overlay, where, application, source) for obj, source in kustomize_objects(directory, settings)
    ]
