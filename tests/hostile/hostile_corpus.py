"""A corpus of bad and hostile inputs across the tools, each held to the rules every tool shares.

Every case runs a tool on a fresh copy of the repository (a git repository for
capacity-diff) and is held to the rules of ``accelcap.cli`` and README.md, "Tools" (from
``accelcap.toolbox.EXIT_RULES``):

- the exit code is one the case expects (the documented code for that input);
- standard error is at most one line, never a traceback, never ``internal error``, never
  ``Exception ignored``, and names what the case says it must name (a file, a call);
- nothing changes outside the tool's documented outputs, and no ``.tmp`` file is left;
- it finishes within its time limit (a hang is a failure, not a wait).

A case runs in one of two ways (``run_case``): in this process, through the CLI frame every
tool shares (``accelcap.cli.run_tool``), with its own environment, working directory,
temporary directory and standard streams (``in_process``), or as users run it, ``tools/<name>``
in a subprocess (``subprocess``). Cases that need a process of their own (a closed or broken
standard stream) always run as a subprocess; ``test_hostile_corpus.py`` runs every other case
in process and a few per tool end to end (``END_TO_END``), which proves the launchers' wiring.

The inputs that several tools replay (bad YAML, broken worker MachineSets) are files under
``cases/<class>/`` (``case_inputs``); the loader itself is held to them in ``test_loader_inputs.py``.

Every case gets the pinned upstream files from the session's mirror of the shared test data
(``ACCELCAP_CRD_MIRROR`` and ``ACCELCAP_CACHE_DIR``, set by ``tests/conftest.py``, or by
``main`` when run on its own), unless it sets its own; a case that talks to a cluster gets a
scripted API server on loopback (``hostile_servers.FakeApiServer``) and a kubeconfig for it.
The timeout cases wait out limits of a fraction of a second (``SHORT_TIMEOUTS``).

``python tests/hostile/hostile_corpus.py [--subprocess] [CLASS...]`` runs the corpus and prints
one line per failing case and a count per class; ``test_hostile_corpus.py`` runs it under pytest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO / "src")]

import hostile_servers as servers
import yaml

from accelcap.cli import run_tool
from accelcap.config import MIRROR_ENV, load_settings
from accelcap.render.kustomize import kustomize_command
from accelcap.toolbox import TOOLS_BY_NAME
from accelcap.validate.fetch import CACHE_ENV
from mirror import build_mirror
from support import copy_repository, path_without_kubeconform, shared_dir

FACTS = "overlays/prod/facts/cluster.yaml"
#: The facts Component: how the facts are wired into every build of the cluster.
FACTS_WIRING = "overlays/prod/facts/kustomization.yaml"
#: The worker wiring set-infra-id (and accelcap.generate) writes from the facts.
WIRING = "overlays/prod/facts/worker/kustomization.yaml"
POOL_DIR = "overlays/prod/capacity/gpu-us-west-2a"
POOL = f"{POOL_DIR}/kustomization.yaml"
POOL_YAML = f"{POOL_DIR}/pool.yaml"
CAPACITY = "overlays/prod/capacity/kustomization.yaml"
OVERLAY = "overlays/prod/kustomization.yaml"
#: The Applications the root Application of prod syncs.
APPS = "overlays/prod/apps/kustomization.yaml"
#: The rendered pool's MachineSet, as the cluster has it.
MACHINESET_NAME = "prod-x7k2p-gpu-us-west-2a"
#: Timeouts short enough for tests (the tools' documented setting; see docs/timeouts.md): a
#: stray wait fails in seconds, yet a busy machine's honest answer still comes in time.
TEST_TIMEOUTS = (
    "http.connect=2,http.read=2,http.total=4,aws.connect=2,aws.read=2,aws.total=4,kustomize.total=20,"
    "kube.connect=2,kube.read=2,kube.total=4"
)
#: The limits of the ``timeout`` class, whose peers never answer in time (a silent or a
#: trickling server, a kustomize that hangs): fractions of a second, so each case waits out
#: its limit in milliseconds (the trickling server sends a byte every tenth of the read limit,
#: so only the total limit can stop it). The setting takes seconds as decimals.
SHORT = {"connect": 0.5, "read": 0.5, "total": 1.0}
SHORT_TIMEOUTS = ",".join(
    f"{call}.{limit}={seconds:g}" for call in ("http", "aws", "kube") for limit, seconds in SHORT.items()
)
#: kustomize renders for real in most cases: only a kustomize that hangs gets a short limit.
HANGING_KUSTOMIZE_TIMEOUTS = f"{SHORT_TIMEOUTS},kustomize.total=1"
CLOSED = "closed"  # a standard stream closed in the child
BROKEN = "broken"  # standard output a pipe whose reading end is already closed


@dataclasses.dataclass
class Env:
    """What one case runs in: the repository copy, a scratch directory, the peers."""

    repo: Path
    scratch: Path
    silent: str
    trickle: str
    aws: servers.ScriptedAws | None = None
    api: servers.FakeApiServer | None = None

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    def scratch_file(self, name: str, text: str | bytes) -> Path:
        path = self.scratch / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.repo / relative
        text = path.read_text()
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1))

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        }
        return subprocess.run(
            ["git", "-C", str(self.repo), *args], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()

    def commit(self, message: str = "c") -> str:
        self.git("add", "-A")
        self.git("commit", "-qm", message, "--allow-empty")
        return self.git("rev-parse", "HEAD")


Setup = t.Callable[[Env], None]


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    #: The class of the issue it belongs to (one word).
    klass: str
    tool: str
    argv: tuple[str, ...]
    expect: frozenset[int]
    #: Text the one stderr line must contain (``{repo}``-style placeholders allowed).
    names: tuple[str, ...] = ()
    setup: Setup | None = None
    stdin: bytes | str | None = None  # bytes, CLOSED, or None (empty)
    stdout: str | None = None  # CLOSED, BROKEN or None (captured)
    env: tuple[tuple[str, str], ...] = ()
    #: Files or directories the tool may change (its documented outputs): relative to the
    #: repository, or ``{scratch}/...``.
    outputs: tuple[str, ...] = ()
    git: bool = False
    seconds: float = float(os.environ.get("HOSTILE_SECONDS", "20"))
    aws: tuple[tuple[str, servers.Script], ...] | None = None
    #: Routes of a scripted API server (``hostile_servers.FakeApiServer``) the case's
    #: kubeconfig (``{kubeconfig}``, also $KUBECONFIG) points at; None: no cluster.
    api: tuple[tuple[str, servers.Reply], ...] | None = None
    #: Extra check on the result: returns a problem or None.
    verify: t.Callable[[Env, subprocess.CompletedProcess[bytes]], str | None] | None = None


@dataclasses.dataclass
class Outcome:
    case: Case
    problems: list[str]
    code: int | None
    err: str
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


def _snapshot(root: Path, skip: t.Iterable[Path]) -> dict[str, str]:
    skipped = {p.resolve() for p in skip}
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if (here / d).resolve() not in skipped and d != ".git"]
        for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
            path = here / name
            if path.resolve() in skipped:
                continue
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[relative] = "link:" + os.readlink(path)
            elif path.is_file():
                stat = path.stat()
                state[relative] = f"{stat.st_mode:o}:" + hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[relative] = "other"
    return state


def make_repo(root: Path) -> Path:
    return copy_repository(root / "repo")


def _child_env(env: Env, case: Case) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ACCELCAP_", "GIT_", "KUBECONFIG"))}
    # The pinned upstream files: the session's mirror and cache (a case may set its own).
    base.update({name: os.environ[name] for name in (MIRROR_ENV, CACHE_ENV) if name in os.environ})
    base.setdefault(CACHE_ENV, str(env.scratch / "cache"))
    base.update(
        ACCELCAP_REPO=str(env.repo),
        ACCELCAP_TIMEOUTS=f"{SHORT_TIMEOUTS},kustomize.total=20" if case.klass == "timeout" else TEST_TIMEOUTS,
        # The cluster: the case's API server, or none (a stray call fails at once).
        KUBECONFIG=str(env.scratch / ("kubeconfig" if env.api else "no-kubeconfig")),
        HOME=str(env.scratch / "home"),
        TMPDIR=str(env.scratch / "tmp"),
        NO_COLOR="1",
        PYTHONDONTWRITEBYTECODE="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-west-2",
        AWS_MAX_ATTEMPTS="2",
        AWS_CONFIG_FILE=str(env.scratch / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(env.scratch / "aws-credentials"),
        # A stray AWS call fails at once: nothing listens on port 9.
        AWS_ENDPOINT_URL=env.aws.url if env.aws else "http://127.0.0.1:9",
        # kubeconform, if installed, is not what these cases test.
        PATH=path_without_kubeconform(),
    )
    for key, value in case.env:
        base[key] = fill(value, env)
    return base


def fill(text: str, env: Env) -> str:
    return (
        text.replace("{repo}", str(env.repo))
        .replace("{scratch}", str(env.scratch))
        .replace("{silent}", env.silent)
        .replace("{trickle}", env.trickle)
        .replace("{api}", env.api.url if env.api else "{api}")
        .replace("{kubeconfig}", str(env.scratch / "kubeconfig"))
    )


def _leftover_temporaries(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in root.rglob("*.tmp"):
            found.append(str(path))
    return found


def needs_a_process(case: Case) -> bool:
    """A closed or broken standard stream is a property of a process: such a case runs as one."""
    return case.stdin == CLOSED or case.stdout is not None


def run_case(
    case: Case, silent: str, trickle: str, base: Path | None = None, *, in_process: bool | None = None
) -> Outcome:
    """Run ``case`` in a directory of its own under ``base`` (the system's temporary
    directory when None), removed afterwards: in this process unless it needs a process of
    its own or ``in_process`` is False."""
    if in_process is None:
        in_process = not needs_a_process(case)
    if in_process and needs_a_process(case):
        raise ValueError(f"{case.id} needs a process of its own")
    with tempfile.TemporaryDirectory(prefix="hostile-", dir=base) as directory:
        scratch = Path(directory) / "scratch"
        (scratch / "home").mkdir(parents=True)
        (scratch / "tmp").mkdir()
        repo = make_repo(Path(directory))
        aws = servers.ScriptedAws(dict(case.aws)) if case.aws is not None else None
        api = servers.FakeApiServer(dict(case.api)) if case.api is not None else None
        env = Env(repo, scratch, silent, trickle, aws, api)
        if api:
            api.kubeconfig(scratch / "kubeconfig")
        try:
            if case.git:
                env.git("init", "-q")
                env.commit("base")
            if case.setup:
                case.setup(env)
            return (_run_in_process if in_process else _run)(case, env)
        finally:
            if aws:
                aws.close()
            if api:
                api.close()


def _outputs(case: Case, env: Env) -> list[Path]:
    return [env.repo / fill(o, env) for o in case.outputs] + [env.scratch / "cache"]


def _run(case: Case, env: Env) -> Outcome:
    outputs = _outputs(case, env)
    before = _snapshot(env.repo, outputs), _snapshot(env.scratch, outputs)
    argv = [str(REPO / "tools" / case.tool), *(fill(a, env) for a in case.argv)]
    stdin: t.Any = subprocess.PIPE
    closing: list[int] = []
    if case.stdin == CLOSED:
        closing.append(0)
        stdin = subprocess.DEVNULL
    stdout: t.Any = subprocess.PIPE
    pipe_ends: tuple[int, int] | None = None
    if case.stdout == CLOSED:
        closing.append(1)
        stdout = subprocess.DEVNULL
    elif case.stdout == BROKEN:
        pipe_ends = os.pipe()
        os.close(pipe_ends[0])
        stdout = pipe_ends[1]

    def close_streams() -> None:
        for fd in closing:
            os.close(fd)

    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=env.repo,
        env=_child_env(env, case),
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=close_streams if closing else None,  # noqa: PLW1509 - tests only
        start_new_session=True,
    )
    if pipe_ends:
        os.close(pipe_ends[1])
    data = case.stdin if isinstance(case.stdin, bytes) else None
    problems: list[str] = []
    try:
        out, err = process.communicate(data if stdin is subprocess.PIPE else None, timeout=case.seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        problems.append(f"still running after {case.seconds:.0f}s (killed)")
    elapsed = time.monotonic() - started
    result = subprocess.CompletedProcess(argv, process.returncode, out or b"", err)
    return _judge(case, env, result, before, problems, elapsed)


def _judge(
    case: Case,
    env: Env,
    result: subprocess.CompletedProcess[bytes],
    before: tuple[dict[str, str], dict[str, str]],
    problems: list[str],
    elapsed: float,
) -> Outcome:
    """Hold the finished run of ``case`` to the rules (module docstring)."""
    outputs = _outputs(case, env)
    code = result.returncode
    text = result.stderr.decode(errors="replace")
    if elapsed > case.seconds and not problems:
        problems.append(f"took {elapsed:.1f}s, more than its {case.seconds:.0f}s")
    if not problems:
        if code not in case.expect:
            problems.append(f"exit {code}, expected {sorted(case.expect)}")
        lines = text.splitlines()
        if len(lines) > 1:
            problems.append(f"{len(lines)} lines on stderr")
        for bad in ("Traceback", "internal error", "Exception ignored"):
            if bad in text:
                problems.append(f"stderr has {bad!r}")
        for name in case.names:
            if fill(name, env) not in text:
                problems.append(f"stderr does not name {fill(name, env)!r}")
        if case.verify:
            problem = case.verify(env, result)
            if problem:
                problems.append(problem)
    after = _snapshot(env.repo, outputs), _snapshot(env.scratch, outputs)
    for side, (old, new) in zip(("repository", "scratch"), zip(before, after, strict=True), strict=True):
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if changed:
            problems.append(f"{side} files changed: {', '.join(changed[:4])}")
    leftovers = _leftover_temporaries(env.repo, env.scratch)
    if leftovers:
        problems.append(f"temporary files left: {', '.join(leftovers[:3])}")
    first = text.strip().splitlines()[:1]
    return Outcome(case, problems, code, first[0] if first else "", elapsed)


def tool_module(tool: str) -> types.ModuleType:
    """The module of ``tool`` (its ``TOOL``, ``build_parser`` and ``execute``), from the registry."""
    module, _, _function = TOOLS_BY_NAME[tool].entry_point.partition(":")
    return importlib.import_module(module)


@contextlib.contextmanager
def process_state(environ: dict[str, str], cwd: Path, tmp: Path) -> t.Iterator[None]:
    """This process as a subprocess of the case would start: its environment, working
    directory and temporary directory; the caches that read the environment emptied."""
    saved_environ, saved_cwd, saved_tmp = dict(os.environ), os.getcwd(), tempfile.tempdir
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    tempfile.tempdir = str(tmp)
    caches = (load_settings, kustomize_command)
    for cache in caches:
        cache.cache_clear()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        os.chdir(saved_cwd)
        tempfile.tempdir = saved_tmp
        for cache in caches:
            cache.cache_clear()


def _run_in_process(case: Case, env: Env) -> Outcome:
    """``case`` through the CLI frame in this process, with the streams a subprocess would have."""
    outputs = _outputs(case, env)
    before = _snapshot(env.repo, outputs), _snapshot(env.scratch, outputs)
    module = tool_module(case.tool)
    argv = [fill(a, env) for a in case.argv]
    data = case.stdin if isinstance(case.stdin, bytes) else b""
    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True),
    )
    saved = sys.stdin, sys.stdout, sys.stderr
    started = time.monotonic()
    descriptors: dict[int, bytes] = {}
    with _descriptors_captured(descriptors), process_state(_child_env(env, case), env.repo, env.scratch / "tmp"):
        sys.stdin, sys.stdout, sys.stderr = streams
        try:
            code = run_tool(module.TOOL, module.build_parser, module.execute, argv)
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    elapsed = time.monotonic() - started
    # What a child process (kustomize, git) wrote to the inherited descriptors counts as the tool's.
    result = subprocess.CompletedProcess(
        [case.tool, *argv], code, out.getvalue() + descriptors[1], err.getvalue() + descriptors[2]
    )
    return _judge(case, env, result, before, [], elapsed)


@contextlib.contextmanager
def _descriptors_captured(captured: dict[int, bytes]) -> t.Iterator[None]:
    """Descriptors 1 and 2 of this process redirected to files for the block, as a subprocess's
    would be, so that what children write there is seen: ``captured[fd]`` after the block."""
    with tempfile.TemporaryDirectory(prefix="hostile-fds-") as directory:
        files = {fd: Path(directory, str(fd)) for fd in (1, 2)}
        saved = {fd: os.dup(fd) for fd in files}
        try:
            for fd, path in files.items():
                with open(path, "wb") as target:
                    os.dup2(target.fileno(), fd)
            yield
        finally:
            for fd, original in saved.items():
                os.dup2(original, fd)
                os.close(original)
            captured.update({fd: path.read_bytes() for fd, path in files.items()})


@contextlib.contextmanager
def peers() -> t.Iterator[tuple[str, str]]:
    silent, trickle = servers.SilentServer(), servers.TrickleServer(interval=SHORT["read"] / 10)
    try:
        yield silent.address, trickle.address
    finally:
        silent.close()
        trickle.close()


# --- the inputs ------------------------------------------------------------------------------

#: The input files of the corpus, one folder per class (cases/README.md).
CASES = HERE / "cases"
#: What the error on each input of ``cases/yaml/`` must say or name: the line where the
#: loader can tell (``:3``; ``:`` for any line), or a phrase; empty: the file itself.
BAD_YAML_BLAME = {
    "recursive-alias-mapping": ":3",
    "recursive-alias-sequence": ":4",
    "recursive-alias-ancestor": ":5",
    "recursive-merge-key": ":3",
    "deep-flow-sequence": ":3",
    "deep-flow-mapping": ":3",
    "deep-block-mapping": ":",
    "deep-block-sequence": ":4",
    "alias-bomb": "through aliases",
    "not-utf8": "",
    "duplicate-key": ":5",
    "python-tag": ":2",
    "undefined-alias": ":2",
    "control-characters": ":2",
}


def case_inputs(klass: str, suffix: str) -> dict[str, bytes]:
    """The input files of ``cases/<klass>/``: name (less ``suffix``) -> bytes."""
    found = {p.name.removesuffix(suffix): p.read_bytes() for p in sorted((CASES / klass).glob(f"*{suffix}"))}
    assert found, f"no *{suffix} under {CASES / klass}"
    return found


def _bad_yaml() -> dict[str, tuple[str | bytes, str]]:
    """Each input of ``cases/yaml/`` (text where it is UTF-8) with its blame; a file without
    a blame, or a blame without a file, fails."""
    inputs = case_inputs("yaml", ".yaml.in")
    assert set(inputs) == set(BAD_YAML_BLAME), (
        f"cases/yaml and BAD_YAML_BLAME differ: {set(inputs) ^ set(BAD_YAML_BLAME)}"
    )

    def text(data: bytes) -> str | bytes:
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data

    return {name: (text(data), BAD_YAML_BLAME[name]) for name, data in inputs.items()}


BAD_YAML = _bad_yaml()

#: A worker MachineSet (the shape of ``oc get machineset -o yaml``), broken field by field in
#: ``cases/internal/``.
WORKER = (CASES / "worker.yaml").read_text()


#: Breakage that leaves nothing to learn where it is (``null`` is unset, as Kubernetes reads it;
#: filters that are no list name nothing): the tool may learn the rest (0) or refuse (2).
LENIENT_WORKERS = frozenset({"filters-number", "provider-spec-null"})
#: What the one error line names besides the file, for breakage that must be refused: the
#: field that is wrong, so no case passes for another reason (the worker is whole otherwise).
WORKER_BLAME = {
    "spec-null": "no worker MachineSet",
    "template-metadata-null": "no worker MachineSet",
    "template-labels-list": "labels",
    "metadata-labels-null": "cluster-api-cluster",
    "metadata-string": "metadata",
    "template-spec-list": "spec.template.spec",
    "ami-list": "ami",
    "ami-id-mapping": "ami.id",
    "placement-string": "placement",
    "region-list": "region",
    "infra-id-number": "cluster-api-cluster",
    "infra-id-list": "cluster-api-cluster",
    "infra-id-newline": "cluster-api-cluster",
    "ami-newline": "ami",
    "zone-newline": "availabilityZone",
    "zone-number": "availabilityZone",
    "name-newline": "metadata.name",
    "block-devices-string": "blockDevices",
    "block-device-ebs-list": "ebs",
    "security-group-values-number": "securityGroups",
    "tags-mapping": "tags",
    "subnet-string": "subnet",
    "items-not-list": "items",
}


#: The broken workers of ``cases/internal/``: name -> text.
WORKER_BREAKAGE: dict[str, str] = {name: data.decode() for name, data in case_inputs("internal", ".yaml").items()}
assert set(WORKER_BLAME) | LENIENT_WORKERS == set(WORKER_BREAKAGE), set(WORKER_BLAME) ^ set(WORKER_BREAKAGE)


def _file_with(name: str, text: str | bytes) -> Setup:
    return lambda env: env.scratch_file(name, text) and None


def _replace(relative: str, text: str | bytes) -> Setup:
    return lambda env: env.write(relative, text) and None


def _edit(relative: str, old: str | bytes, new: str | bytes) -> Setup:
    """``old`` replaced by ``new`` once in the repository's ``relative`` (bytes: not UTF-8 text)."""

    def setup(env: Env) -> None:
        path = env.repo / relative
        data = path.read_bytes()
        before, after = (old, new) if isinstance(old, bytes) else (old.encode(), t.cast(str, new).encode())
        assert data.count(before) == 1, (relative, old)
        path.write_bytes(data.replace(before, t.cast(bytes, after)))

    return setup


def _block(relative: str, key_line: str, new: str) -> Setup:
    """The YAML block that starts at the line ``key_line`` (that line and every following line
    indented deeper, or blank) replaced by ``new``."""

    def setup(env: Env) -> None:
        path = env.repo / relative
        lines = path.read_text().splitlines(keepends=True)
        start = [n for n, line in enumerate(lines) if line.rstrip("\n") == key_line]
        assert len(start) == 1, (relative, key_line)
        indent = len(key_line) - len(key_line.lstrip())
        end = start[0] + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        path.write_text("".join(lines[: start[0]]) + new + "".join(lines[end:]))

    return setup


def _both(*setups: Setup) -> Setup:
    def run(env: Env) -> None:
        for setup in setups:
            setup(env)

    return run


def _expect(*codes: int) -> frozenset[int]:
    return frozenset(codes)


def yaml_cases() -> list[Case]:
    cases = []
    for name, (text, mark) in BAD_YAML.items():
        where = "bad.yaml"
        put = _file_with(where, text)
        file = "{scratch}/" + where
        names = (f"{where}{mark}",) if mark.startswith(":") else ((mark,) if mark else (where,))
        cases += [
            Case(f"check-yaml/{name}", "yaml", "check-yaml", (file,), _expect(1), setup=put),
            Case(f"validate/{name}", "yaml", "validate", (file,), _expect(2), names, put),
            Case(f"lint/{name}", "yaml", "lint", (file,), _expect(2), names, put),
            Case(f"crd-schemas/{name}", "yaml", "crd-schemas", (file, "-o", "{scratch}/out"), _expect(2), names, put),
            Case(
                f"validate-stdin/{name}",
                "yaml",
                "validate",
                ("-",),
                _expect(2),
                ("<stdin>",),
                stdin=text.encode() if isinstance(text, str) else text,
            ),
            Case(
                f"set-infra-id-machineset/{name}",
                "yaml",
                "set-infra-id",
                ("prod", "--from-machineset", file),
                _expect(2),
                names,
                put,
            ),
        ]
        # The same text where the tools find it on their own: the facts file and a kustomization.
        body = text if isinstance(text, bytes) else text.replace("apiVersion: v1\nkind: ConfigMap\n", "")
        facts = (body if isinstance(body, bytes) else body.encode()) + b""
        cases.append(
            Case(
                f"facts-file/{name}",
                "yaml",
                "lint",
                ("prod",),
                _expect(2),
                (FACTS,) if mark.startswith(":") or not mark else (mark,),
                _replace(FACTS, Path(REPO / FACTS).read_bytes() + b"\nextra:\n  " + facts.replace(b"\n", b"\n  ")),
            )
        )
        cases.append(
            Case(
                f"kustomization-changed/{name}",
                "yaml",
                "lint",
                ("--changed", POOL),
                _expect(2),
                ("kustomization.yaml",),
                _replace(POOL, Path(REPO / POOL).read_bytes() + b"\nextra:\n  " + facts.replace(b"\n", b"\n  ")),
            )
        )
    return cases


def _cycle(env: Env) -> None:
    env.write("overlays/prod/capacity/loop-a/kustomization.yaml", "resources:\n  - ../loop-b\n")
    env.write("overlays/prod/capacity/loop-b/kustomization.yaml", "resources:\n  - ../loop-a\n")
    env.edit(CAPACITY, "  - gpu-us-west-2a\n", "  - gpu-us-west-2a\n  - loop-a\n")


def _self_cycle(env: Env) -> None:
    env.edit(POOL, "  - pool.yaml\n", "  - pool.yaml\n  - .\n")


def cycle_cases() -> list[Case]:
    return [
        Case("lint-changed/cycle", "cycle", "lint", ("--changed", POOL), _expect(2), ("loop-",), _cycle),
        Case("validate-changed/cycle", "cycle", "validate", ("--changed", POOL), _expect(2), ("loop-",), _cycle),
        Case(
            "verify-quotas-changed/cycle",
            "cycle",
            "verify-quotas",
            ("--plan", "--changed", POOL),
            _expect(2),
            ("loop-",),
            _cycle,
        ),
        Case("lint/cycle", "cycle", "lint", ("prod",), _expect(2), ("loop-",), _cycle),
        Case(
            "lint-changed/self-cycle",
            "cycle",
            "lint",
            ("--changed", POOL),
            _expect(2),
            ("gpu-us-west-2a",),
            _self_cycle,
        ),
    ]


def _remote_resource(address: str) -> Setup:
    return lambda env: env.edit(POOL, "  - pool.yaml\n", f"  - pool.yaml\n  - http://{address}/pool.yaml\n")


def timeout_cases() -> list[Case]:
    template = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
    put = _file_with("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    cases = []
    for peer in ("silent", "trickle"):
        address = "{" + peer + "}"
        cases += [
            Case(
                f"validate/{peer}-schema-server",
                "timeout",
                "validate",
                ("{scratch}/ns.yaml", "--schema-location", f"http://{address}/{template}"),
                _expect(2),
                (address, "timed out"),
                put,
                seconds=15,
            ),
            Case(
                f"crd-schemas/{peer}-url",
                "timeout",
                "crd-schemas",
                (f"http://{address}/crd.yaml", "-o", "{scratch}/out"),
                _expect(2),
                (address, "timed out"),
                seconds=15,
            ),
            Case(
                f"verify-quotas/{peer}-aws",
                "timeout",
                "verify-quotas",
                ("prod",),
                _expect(3),
                ("sts:GetCallerIdentity", "timed out"),
                env=(("AWS_ENDPOINT_URL", f"http://{address}"),),
                seconds=15,
            ),
        ]
    # Remote kustomize content is never fetched (issue 10): lint reports it (CAP021) at once,
    # the other tools refuse it at once, naming the kustomization; a remote file (a patch) too.
    for what, setup in (("resource", _remote_resource), ("patch", _remote_patch)):
        cases += [
            Case(
                f"lint/remote-{what}-silent",
                "timeout",
                "lint",
                ("prod",),
                _expect(1),
                setup=lambda env, setup=setup: setup(env.silent)(env),
                seconds=15,
                verify=_stdout_has("CAP021", POOL),
            ),
            Case(
                f"validate/remote-{what}-silent",
                "timeout",
                "validate",
                ("prod",),
                _expect(2),
                (POOL, "CAP021"),
                lambda env, setup=setup: setup(env.silent)(env),
                seconds=15,
            ),
            Case(
                f"verify-quotas/remote-{what}-silent",
                "timeout",
                "verify-quotas",
                ("prod", "--plan"),
                _expect(2),
                (POOL, "CAP021"),
                lambda env, setup=setup: setup(env.silent)(env),
                seconds=15,
            ),
        ]
    # kustomize itself is an external call with a deadline: one that hangs is stopped.
    cases.append(
        Case(
            "lint/kustomize-hangs",
            "timeout",
            "lint",
            ("prod",),
            _expect(2),
            ("kustomize", "timed out"),
            _hanging_kustomize,
            env=(("ACCELCAP_KUSTOMIZE", "{scratch}/bin/kustomize"), ("ACCELCAP_TIMEOUTS", HANGING_KUSTOMIZE_TIMEOUTS)),
            seconds=15,
        )
    )
    # The pinned files' mirror (issue 13), on a cold cache: unreachable, silent, trickling.
    for peer in ("silent", "trickle"):
        cases.append(
            Case(
                f"validate/{peer}-mirror",
                "timeout",
                "validate",
                ("prod",),
                _expect(2),
                ("{" + peer + "}", "timed out", "ACCELCAP_CRD_MIRROR"),
                env=(("ACCELCAP_CRD_MIRROR", f"http://{{{peer}}}"), ("ACCELCAP_CACHE_DIR", "{scratch}/cache")),
                seconds=15,
            )
        )
    cases += [
        Case(
            "validate/unreachable-mirror",
            "timeout",
            "validate",
            ("prod",),
            _expect(2),
            ("127.0.0.1:9", "ACCELCAP_CRD_MIRROR"),
            env=(("ACCELCAP_CRD_MIRROR", "http://127.0.0.1:9"), ("ACCELCAP_CACHE_DIR", "{scratch}/cache")),
        ),
        Case(
            "validate/unreachable-mirror-setting",
            "timeout",
            "validate",
            ("prod",),
            _expect(2),
            ("127.0.0.1:9/github", "crd-mirror in pyproject.toml"),
            _setting('crd-mirror = "http://127.0.0.1:9/github"'),
            env=(("ACCELCAP_CRD_MIRROR", ""), ("ACCELCAP_CACHE_DIR", "{scratch}/cache")),
        ),
        Case(
            "crd-schemas/silent-mirror",
            "timeout",
            "crd-schemas",
            ("--pinned", "-o", "{scratch}/out"),
            _expect(2),
            ("{silent}", "timed out"),
            env=(("ACCELCAP_CRD_MIRROR", "http://{silent}"), ("ACCELCAP_CACHE_DIR", "{scratch}/cache")),
            seconds=15,
        ),
    ]
    # The cluster (issue 11): a server that never answers, or trickles, is stopped by the kube
    # limits; every tool that reads a cluster says which call timed out.
    for tool, argv in (
        ("set-infra-id", ("prod", "--from-cluster")),
        ("validate", ("prod", "--server")),
        ("verify-pools", ("prod",)),
        ("crd-schemas", ("--from-cluster", "machinesets.machine.openshift.io", "-o", "{scratch}/out")),
    ):
        for peer in ("silent", "trickle"):
            cases.append(
                Case(
                    f"{tool}/{peer}-cluster",
                    "timeout",
                    tool,
                    argv,
                    _expect(3),
                    ("{" + peer + "}/api", f"in {SHORT['read' if peer == 'silent' else 'total']:g}s"),
                    _kubeconfig_to("http://{" + peer + "}"),
                    env=(("KUBECONFIG", "{scratch}/elsewhere"),),
                    seconds=15,
                )
            )
    # A call the fake API server leaves unanswered, after discovery answered.
    cases.append(
        Case(
            "verify-pools/silent-applications",
            "timeout",
            "verify-pools",
            ("prod",),
            _expect(3),
            ("{api}" + APPLICATIONS, f"in {SHORT['read']:g}s"),
            api=(*_cluster(), (APPLICATIONS, servers.SILENT)),
            seconds=15,
        )
    )
    return cases


def _remote_patch(address: str) -> Setup:
    return lambda env: env.edit(
        POOL, "components:\n", f"patches:\n  - path: http://{address}/patch.yaml\ncomponents:\n"
    )


def _hanging_kustomize(env: Env) -> None:
    binary = env.scratch / "bin" / "kustomize"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text("#!/bin/sh\nexec sleep 60\n")
    binary.chmod(0o755)


def _stdout_has(*texts: str) -> t.Callable[[Env, subprocess.CompletedProcess[bytes]], str | None]:
    def verify(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
        out = result.stdout.decode(errors="replace")
        missing = [text for text in texts if text not in out]
        return f"standard output lacks {missing[0]!r}" if missing else None

    return verify


def _facts_dir_is_a_file(env: Env) -> None:
    shutil.rmtree(env.repo / "overlays/prod/facts")
    env.write("overlays/prod/facts", "x")


def _broken_wiring(env: Env) -> None:
    path = env.repo / WIRING
    text = path.read_text()
    path.unlink()
    path.mkdir()
    (path / "x").write_text(text)


def _pyproject(old: str, new: str) -> Setup:
    return lambda env: env.edit("pyproject.toml", old, new)


def _setting(line: str) -> Setup:
    """A setting written at the top of ``[tool.accelcap]``."""
    return _pyproject("[tool.accelcap]\n", f"[tool.accelcap]\n{line}\n")


def _dangling_ref(env: Env) -> None:
    directory = env.scratch / "schemas" / "v1"
    directory.mkdir(parents=True)
    big = {f"p{i}": {"type": "string", "description": "x" * 50} for i in range(60)}
    (directory / "namespace_v1.json").write_text(
        json.dumps({"type": "object", "properties": {**big, "metadata": {"$ref": "#/definitions/nowhere"}}})
    )
    env.scratch_file("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")


def _facts_say(*texts: str) -> t.Callable[[Env, subprocess.CompletedProcess[bytes]], str | None]:
    def verify(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
        facts = (env.repo / FACTS).read_text()
        missing = [text for text in texts if text not in facts]
        return f"the facts lack {missing[0]!r}" if missing else None

    return verify


def _kustomization_field(field: str) -> Setup:
    return lambda env: env.write(POOL, Path(REPO / POOL).read_text() + field)


# --- the cluster: a scripted API server that answers nonsense --------------------------------

INFRASTRUCTURE = "/apis/config.openshift.io/v1/infrastructures/cluster"
CLUSTER_VERSION = "/apis/config.openshift.io/v1/clusterversions/version"
MACHINESETS = "/apis/machine.openshift.io/v1beta1/namespaces/openshift-machine-api/machinesets"
MACHINES = "/apis/machine.openshift.io/v1beta1/namespaces/openshift-machine-api/machines"
CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/machinesets.machine.openshift.io"
APPLICATIONS = "/apis/argoproj.io/v1alpha1/namespaces/openshift-gitops/applications/"


def _infrastructure(status: t.Any) -> servers.Reply:
    return 200, {
        "apiVersion": "config.openshift.io/v1",
        "kind": "Infrastructure",
        "metadata": {"name": "cluster"},
        "status": status,
    }


INFRA_STATUS = {"infrastructureName": "prod-x7k2p", "platformStatus": {"aws": {"region": "us-west-2"}}}
#: prod's cluster, answering sanely: what each case breaks one call of.
SANE_CLUSTER: dict[str, servers.Reply] = {
    INFRASTRUCTURE: _infrastructure(INFRA_STATUS),
    CLUSTER_VERSION: (
        200,
        {
            "apiVersion": "config.openshift.io/v1",
            "kind": "ClusterVersion",
            "metadata": {"name": "version"},
            "status": {"desired": {"version": "4.20.1"}},
        },
    ),
    MACHINESETS: (
        200,
        {"apiVersion": "machine.openshift.io/v1beta1", "kind": "MachineSetList", "items": [yaml.safe_load(WORKER)]},
    ),
}


def _cluster(**broken: servers.Reply) -> tuple[tuple[str, servers.Reply], ...]:
    """prod's cluster with the calls named (by path) answering as given."""
    return tuple({**SANE_CLUSTER, **{CALLS[k]: v for k, v in broken.items()}}.items())


#: Short names of the calls cases break.
CALLS = {
    "api": "/api",
    "apis": "/apis",
    "infrastructure": INFRASTRUCTURE,
    "version": CLUSTER_VERSION,
    "machinesets": MACHINESETS,
    "machineset": f"{MACHINESETS}/{MACHINESET_NAME}",
    "machines": MACHINES,
    "nodes": "/api/v1/nodes",
    "crd": CRD,
    "applications": APPLICATIONS,
}
#: Discovery documents of the wrong shape.
WRONG_DISCOVERY: dict[str, t.Any] = {
    "items-mapping": {"kind": "APIGroupDiscoveryList", "items": {"a": "b"}},
    "versions-string": {"kind": "APIGroupDiscoveryList", "items": [{"metadata": {"name": "x"}, "versions": "v1"}]},
    "resources-number": {"kind": "APIGroupDiscoveryList", "items": [{"versions": [{"version": "v1", "resources": 3}]}]},
    "short-names-number": {
        "kind": "APIGroupDiscoveryList",
        "items": [
            {
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {"resource": "namespaces", "responseKind": {"kind": "Namespace"}, "shortNames": 5}
                        ],
                    }
                ]
            }
        ],
    },
    "group-string": {"kind": "APIGroupDiscoveryList", "items": ["config.openshift.io"]},
}
#: Answers no API server gives: (name, answer). The same list breaks each call in turn.
NONSENSE: dict[str, servers.Reply] = {
    "not-json": (200, b"error: you must be logged in"),
    "not-utf8": (200, b"\xff\xfe{}"),
    "json-list": (200, [1, 2]),
    "json-string": (200, "Infrastructure"),
    "deep-json": (200, b"[" * 100_000 + b"]" * 100_000),
    "html-500": (500, b"<html><body>oops</body></html>"),
}


def _machineset(change: t.Callable[[dict[str, t.Any]], None] | None = None) -> servers.Reply:
    """The live MachineSet of prod's GPU pool (as the render says), changed by ``change``."""
    machineset = {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {"name": MACHINESET_NAME, "namespace": "openshift-machine-api"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"machine.openshift.io/cluster-api-machineset": MACHINESET_NAME}},
            "template": {"spec": {"providerSpec": {"value": {"instanceType": "g5.2xlarge"}}}},
        },
    }
    if change:
        change(machineset)
    return 200, machineset


def _list(kind: str, *items: dict[str, t.Any]) -> servers.Reply:
    return 200, {"apiVersion": "v1", "kind": f"{kind}List", "items": list(items)}


def _set(path: str, value: t.Any) -> t.Callable[[dict[str, t.Any]], None]:
    def change(obj: dict[str, t.Any]) -> None:
        *parents, last = path.split(".")
        node = obj
        for step in parents:
            node = node.setdefault(step, {})
        node[last] = value

    return change


MACHINE = {
    "apiVersion": "machine.openshift.io/v1beta1",
    "kind": "Machine",
    "metadata": {"name": f"{MACHINESET_NAME}-abcde", "namespace": "openshift-machine-api"},
    "status": {"phase": "Running", "nodeRef": {"kind": "Node", "name": "ip-10-0-1-2"}},
}


def cluster_cases() -> list[Case]:
    """Every tool that reads a cluster, against an API server that answers nonsense: exit 3,
    one line naming the call (``GET <server><path>``); a kubeconfig that cannot be used is 2."""
    cases = []

    def case(
        name: str,
        tool: str,
        argv: tuple[str, ...],
        api: tuple[tuple[str, servers.Reply], ...],
        call: str,
        expect: frozenset[int] = _expect(3),
        **more: t.Any,
    ) -> None:
        names = (f"{{api}}{CALLS.get(call, call)}",) if call else ()
        cases.append(Case(f"{tool}-cluster/{name}", "cluster", tool, argv, expect, names, api=api, **more))

    set_infra_id = ("prod", "--from-cluster")
    validate = ("prod", "--server")
    verify = ("prod",)
    crd_schemas = ("--from-cluster", "machinesets.machine.openshift.io", "-o", "{scratch}/out")
    for name, answer in NONSENSE.items():
        case(name, "set-infra-id", set_infra_id, _cluster(infrastructure=answer), "infrastructure")
        if name in ("not-json", "json-list", "deep-json"):
            case(f"version-{name}", "set-infra-id", set_infra_id, _cluster(version=answer), "version")
            case(f"machinesets-{name}", "set-infra-id", set_infra_id, _cluster(machinesets=answer), "machinesets")
        case(name, "crd-schemas", crd_schemas, _cluster(crd=answer), "crd")
        case(name, "validate", validate, _cluster(infrastructure=answer), "infrastructure")
        case(name, "verify-pools", verify, _cluster(infrastructure=answer), "infrastructure")
    for name, document in WRONG_DISCOVERY.items():
        for tool, argv in (
            ("set-infra-id", set_infra_id),
            ("validate", validate),
            ("verify-pools", verify),
            ("crd-schemas", crd_schemas),
        ):
            case(f"discovery-{name}", tool, argv, _cluster(apis=(200, document)), "apis")
    wrong_shapes: dict[str, tuple[str, servers.Reply]] = {
        "status-list": ("infrastructure", _infrastructure([])),
        "status-string": ("infrastructure", _infrastructure("Ready")),
        "platform-status-string": ("infrastructure", _infrastructure({**INFRA_STATUS, "platformStatus": "aws"})),
        "region-newline": (
            "infrastructure",
            _infrastructure({**INFRA_STATUS, "platformStatus": {"aws": {"region": "us-west-2\n"}}}),
        ),
        "infrastructure-name-newline": ("infrastructure", _infrastructure({"infrastructureName": "prod-x7k2p\n"})),
        "infrastructure-name-number": ("infrastructure", _infrastructure({"infrastructureName": 7})),
        "version-number": ("version", (200, {"kind": "ClusterVersion", "status": {"desired": {"version": 4.2}}})),
        "version-missing": ("version", (200, {"kind": "ClusterVersion", "status": {}})),
        "items-not-list": ("machinesets", (200, {"kind": "MachineSetList", "items": {"a": "b"}})),
        "machineset-placement-string": (
            "machinesets",
            _list("MachineSet", yaml.safe_load(WORKER_BREAKAGE["placement-string"])),
        ),
        "machineset-infra-id-newline": (
            "machinesets",
            _list("MachineSet", yaml.safe_load(WORKER_BREAKAGE["infra-id-newline"])),
        ),
        "machineset-other-cluster": (
            "machinesets",
            _list("MachineSet", yaml.safe_load(WORKER.replace("prod-x7k2p", "other-a1b2c"))),
        ),
    }
    for name, (call, answer) in wrong_shapes.items():
        case(name, "set-infra-id", set_infra_id, _cluster(**{call: answer}), call)
    crd_shapes: dict[str, servers.Reply] = {
        "spec-list": (200, {"kind": "CustomResourceDefinition", "metadata": {"name": "x"}, "spec": []}),
        "not-a-crd": (200, {"kind": "ConfigMap", "metadata": {"name": "x"}}),
        "group-dotdot": (200, yaml.safe_load(_crd("../../escaped"))),
    }
    for name, answer in crd_shapes.items():
        case(name, "crd-schemas", crd_schemas, _cluster(crd=answer), "crd")
    case(
        "name-as-option",
        "crd-schemas",
        ("--from-cluster", "-o", "{scratch}/out", "--", "--kubeconfig=/etc/passwd"),
        _cluster(),
        "",
        _expect(2),
        verify=_no_call,
    )
    validate_shapes: dict[str, tuple[str, servers.Reply]] = {
        "status-list": ("infrastructure", _infrastructure(["prod-x7k2p"])),
        "dry-run-not-json": (APPLICATIONS, (200, b"<html>proxy login</html>")),
        "dry-run-list": (APPLICATIONS, (200, [])),
        "dry-run-deep": (APPLICATIONS, (200, b'{"a":' * 5000 + b"1" + b"}" * 5000)),
        "dry-run-throttled": (APPLICATIONS, (429, {"kind": "Status", "reason": "TooManyRequests"})),
    }
    for name, (call, answer) in validate_shapes.items():
        path = CALLS.get(call, call)
        case(name, "validate", validate, (*_cluster(), (path, answer)), call)
    pool = {"machineset": _machineset(), "machines": _list("Machine", MACHINE)}
    verify_shapes: dict[str, tuple[str, dict[str, servers.Reply]]] = {
        "status-list": ("infrastructure", {"infrastructure": _infrastructure([])}),
        "application-status-list": ("applications", {"applications": (200, {"kind": "Application", "status": []})}),
        "application-not-object": ("applications", {"applications": (200, {"kind": "Application", "metadata": "x"})}),
        "application-conditions-string": (
            "applications",
            {"applications": (200, {"kind": "Application", "status": {"conditions": "degraded"}})},
        ),
        "machineset-template-list": ("machineset", {"machineset": _machineset(_set("spec.template", []))}),
        "machineset-labels-string": ("machineset", {"machineset": _machineset(_set("metadata.labels", "gpu"))}),
        "machineset-taints-mapping": (
            "machineset",
            {"machineset": _machineset(_set("spec.template.spec.taints", {"key": "nvidia.com/gpu"}))},
        ),
        "machines-item-string": ("machines", {**pool, "machines": (200, {"kind": "MachineList", "items": ["x"]})}),
        "machine-provider-status-string": (
            "machines",
            {**pool, "machines": _list("Machine", {**MACHINE, "status": {"providerStatus": "failed"}})},
        ),
        "node-allocatable-list": (
            "nodes",
            {
                **pool,
                "nodes": _list(
                    "Node",
                    {
                        "kind": "Node",
                        "metadata": {"name": "ip-10-0-1-2"},
                        "status": {"allocatable": ["nvidia.com/gpu"]},
                    },
                ),
            },
        ),
        "node-taints-number": (
            "nodes",
            {
                **pool,
                "nodes": _list("Node", {"kind": "Node", "metadata": {"name": "ip-10-0-1-2"}, "spec": {"taints": 1}}),
            },
        ),
    }
    for name, (call, broken) in verify_shapes.items():
        case(
            name,
            "verify-pools",
            verify,
            tuple({**SANE_CLUSTER, **{CALLS[k]: v for k, v in broken.items()}}.items()),
            call,
        )
    # The cluster answering sanely: the cases above break one call of this each.
    cases += [
        Case(
            "set-infra-id-cluster/sane",
            "cluster",
            "set-infra-id",
            set_infra_id,
            _expect(0),
            api=_cluster(),
            outputs=(FACTS, WIRING),
            verify=_facts_say('openshiftVersion: "4.20"', "volumeType: gp3"),
        ),
        Case(
            "crd-schemas-cluster/sane",
            "cluster",
            "crd-schemas",
            crd_schemas,
            _expect(0),
            api=(*_cluster(), (CRD, (200, yaml.safe_load(_crd("example.com"))))),
            outputs=("{scratch}/out",),
        ),
        # Kinds the fake server does not serve are findings (exit 1), not errors.
        Case("validate-cluster/sane", "cluster", "validate", validate, _expect(1), api=_cluster()),
    ]
    # A cluster that answers sanely but has nothing of the pools: a finding, not an error.
    case("nothing-synced", "verify-pools", verify, _cluster(), "", _expect(1))
    case(
        "nothing-synced-json",
        "verify-pools",
        ("prod", "--format", "json"),
        _cluster(),
        "",
        _expect(1),
        verify=_json_out,
    )
    # No cluster to talk to: the kubeconfig is bad input (2), an unreachable server the cluster's (3).
    for tool, argv in (
        ("set-infra-id", set_infra_id),
        ("validate", validate),
        ("verify-pools", verify),
        ("crd-schemas", crd_schemas),
    ):
        cases.append(Case(f"{tool}-cluster/no-kubeconfig", "cluster", tool, argv, _expect(2), ("kubeconfig",)))
        cases.append(
            Case(
                f"{tool}-cluster/unreachable",
                "cluster",
                tool,
                argv,
                _expect(3),
                ("127.0.0.1:9", "cannot connect"),
                setup=_kubeconfig_to("http://127.0.0.1:9"),
                env=(("KUBECONFIG", "{scratch}/elsewhere"),),
            )
        )
    return cases


def _kubeconfig_to(server: str) -> Setup:
    return lambda env: servers.write_kubeconfig(env.scratch / "elsewhere", fill(server, env)) and None


def _no_call(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
    assert env.api is not None
    return f"the cluster was called: {env.api.seen}" if env.api.seen else None


def _json_out(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
    try:
        json.loads(result.stdout)
    except ValueError as error:
        return f"standard output is not JSON: {error}"
    return None


def internal_cases() -> list[Case]:
    cases = [
        Case(
            "set-infra-id/wiring-is-a-directory",
            "internal",
            "set-infra-id",
            ("prod", "--infra-id", "ocp-blue-9q8w7"),
            _expect(2),
            ("kustomization.yaml",),
            _broken_wiring,
        ),
        Case(
            "set-infra-id/facts-directory-is-a-file",
            "internal",
            "set-infra-id",
            ("prod", "--infra-id", "ocp-blue-9q8w7"),
            _expect(2),
            ("facts",),
            _facts_dir_is_a_file,
        ),
        Case(
            "validate/dangling-ref",
            "internal",
            "validate",
            (
                "{scratch}/ns.yaml",
                "--schema-location",
                "{scratch}/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
            ),
            _expect(2),
            ("namespace_v1.json", "#/definitions/nowhere"),
            _dangling_ref,
            verify=lambda env, r: "error line longer than 400 characters" if len(r.stderr) > 400 else None,
        ),
    ]
    cases.append(
        Case(
            "set-infra-id-machineset/sane",
            "internal",
            "set-infra-id",
            ("prod", "--from-machineset", "{scratch}/workers.yaml"),
            _expect(0),
            setup=_file_with("workers.yaml", WORKER),
            outputs=(FACTS, WIRING),
            verify=_facts_say("  worker:\n    ami:\n      id: ami-0870c7a3d5ef4d2b3\n", "volumeType: gp3"),
        )
    )
    for name, text in WORKER_BREAKAGE.items():
        cases.append(
            Case(
                f"set-infra-id-machineset/{name}",
                "internal",
                "set-infra-id",
                ("prod", "--from-machineset", "{scratch}/workers.yaml"),
                _expect(0, 2) if name in LENIENT_WORKERS else _expect(2),
                () if name in LENIENT_WORKERS else ("workers.yaml", WORKER_BLAME[name]),
                _file_with("workers.yaml", text),
                outputs=(FACTS, WIRING) if name in LENIENT_WORKERS else (),
            )
        )
    # (setup, what the error line names besides pyproject.toml)
    settings: dict[str, tuple[Setup, str]] = {
        "overlays-dir-number": (_pyproject('overlays-dir = "overlays"', "overlays-dir = 5"), "overlays-dir"),
        "repo-url-number": (
            _pyproject('repo-url = "https://github.com/example-org/accelerator-capacity.git"', "repo-url = 5"),
            "repo-url",
        ),
        "schema-locations-string": (_setting('schema-locations = "kubernetes-validate"'), "schema-locations"),
        "schema-locations-numbers": (_setting("schema-locations = [1, 2]"), "schema-locations"),
        "crd-mirror-list": (_setting('crd-mirror = ["https://mirror.example"]'), "crd-mirror"),
        "crd-mirror-number": (_setting("crd-mirror = 5"), "crd-mirror"),
        "crd-mirror-empty": (_setting('crd-mirror = "  "'), "crd-mirror"),
        "crd-mirror-escapes": (_setting('crd-mirror = "../../../elsewhere"'), "leads outside"),
        "accelcap-not-table": (
            lambda env: env.write("pyproject.toml", '[tool]\naccelcap = ["overlays"]\n') and None,
            "[tool.accelcap]",
        ),
        "tool-not-table": (
            lambda env: env.write("pyproject.toml", 'tool = 5\n[project]\nname = "x"\n') and None,
            "[tool]",
        ),
        "not-utf8": (lambda env: env.write("pyproject.toml", b'[tool.accelcap]\nrepo-url = "\xff"\n') and None, "read"),
    }
    # Every tool that reads the settings refuses them, whatever it goes on to do.
    readers = (
        ("lint", ("prod",)),
        ("validate", ("prod",)),
        ("verify-quotas", ("prod", "--plan")),
        ("set-infra-id", ("--check",)),
        ("verify-pools", ("prod",)),
        ("crd-schemas", ("{scratch}/crd.yaml", "-o", "{scratch}/out")),
        ("capacity-diff", ("HEAD", "HEAD")),
    )
    #: The settings every reader is held to; the others, by the three tools that read the most.
    everywhere = ("schema-locations-string", "crd-mirror-list", "crd-mirror-escapes", "not-utf8")
    for name, (setup, named) in settings.items():
        for tool, argv in readers if name in everywhere else readers[:3]:
            cases.append(
                Case(
                    f"{tool}-settings/{name}",
                    "settings",
                    tool,
                    argv,
                    _expect(2),
                    ("pyproject.toml", named),
                    _both(setup, _file_with("crd.yaml", _crd("example.com"))),
                    git=tool == "capacity-diff",
                )
            )
    cases.append(
        Case(
            "verify-quotas-settings/warn-percent-string",
            "settings",
            "verify-quotas",
            ("prod", "--plan"),
            _expect(2),
            ("pyproject.toml",),
            lambda env: (
                env.write(
                    "pyproject.toml",
                    (env.repo / "pyproject.toml").read_text() + '\n[tool.accelcap.verify-quotas]\nwarn-percent = "x"\n',
                )
                and None
            ),
        )
    )
    kustomizations = {
        "resources-number": "extra: 1\n".replace("extra: 1", "bases: 5"),
        "resources-string": "bases: abc\n",
        "patches-number": "patchesJson6902: 7\n",
        "patches-strings": "replacements: [a, b]\n",
        "generator-files-number": "configMapGenerator:\n  - name: x\n    files: 5\n",
        "components-mapping": "crds: {a: b}\n",
        "openapi-list": "openapi: [a]\n",
    }
    for name, field in kustomizations.items():
        cases.append(
            Case(
                f"lint-changed/kustomization-{name}",
                "kustomization",
                "lint",
                ("--changed", POOL),
                _expect(2),
                ("kustomization.yaml",),
                _kustomization_field(field),
            )
        )
    cases.append(
        Case(
            "lint-changed/kustomization-is-a-list",
            "kustomization",
            "lint",
            ("--changed", POOL),
            _expect(2),
            ("kustomization.yaml",),
            _replace(POOL, "- a\n- b\n"),
        )
    )
    return cases


#: The IAM action each scripted operation is named by in errors.
ACTIONS = {
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "DescribeInstances": "ec2:DescribeInstances",
    "DescribeInstanceTypes": "ec2:DescribeInstanceTypes",
    "ListServiceQuotas": "servicequotas:ListServiceQuotas",
    "GetAWSDefaultServiceQuota": "servicequotas:GetAWSDefaultServiceQuota",
}
JSON_OPERATIONS = ("ListServiceQuotas", "GetAWSDefaultServiceQuota")
GPU_QUOTA = "L-DB2E81BA"


def _broken(operation: str, answer: str | servers.Script, status: int = 200) -> tuple[str, servers.Script]:
    if callable(answer):
        return operation, answer
    kind = "application/x-amz-json-1.1" if operation in JSON_OPERATIONS else "text/xml"
    return operation, servers.fixed(status, answer, kind)


def aws_cases() -> list[Case]:
    running = "<item><instanceId>i-1</instanceId><instanceState><name>running</name></instanceState></item>"
    types = servers._ec2("DescribeInstanceTypes", "<instanceTypeSet/>")
    broken = {
        "sts-not-xml": _broken("GetCallerIdentity", "this is not XML"),
        "sts-html-500": _broken("GetCallerIdentity", "<html><body>oops</body></html>", 500),
        "types-without-vcpus": _broken("DescribeInstanceTypes", servers.ec2_types_with("")),
        "types-vcpus-not-number": _broken(
            "DescribeInstanceTypes", servers.ec2_types_with("<defaultVCpus>many</defaultVCpus>")
        ),
        "types-vcpus-negative": _broken(
            "DescribeInstanceTypes", servers.ec2_types_with("<defaultVCpus>-8</defaultVCpus>")
        ),
        "types-empty": _broken("DescribeInstanceTypes", types),
        "instances-not-xml": _broken("DescribeInstances", "<DescribeInstancesResponse><reservationSet><item>"),
        "instance-without-type": _broken("DescribeInstances", servers.instance_reservation(running)),
        "quotas-not-json": _broken("ListServiceQuotas", "{not json"),
        "quotas-list-string": _broken("ListServiceQuotas", '{"Quotas": "all of them"}'),
        "quota-value-missing": _broken("GetAWSDefaultServiceQuota", f'{{"Quota": {{"QuotaCode": "{GPU_QUOTA}"}}}}'),
        "quota-value-string": _broken(
            "GetAWSDefaultServiceQuota", f'{{"Quota": {{"QuotaCode": "{GPU_QUOTA}", "Value": "lots"}}}}'
        ),
        "quota-null": _broken("GetAWSDefaultServiceQuota", '{"Quota": null}'),
        "quota-value-negative": _broken(
            "GetAWSDefaultServiceQuota", f'{{"Quota": {{"QuotaCode": "{GPU_QUOTA}", "Value": -5}}}}'
        ),
    }
    return [
        Case(
            f"verify-quotas-aws/{name}",
            "aws",
            "verify-quotas",
            ("prod",),
            _expect(3),
            (ACTIONS[op],),
            aws=((op, script),),
        )
        for name, (op, script) in broken.items()
    ] + [
        Case("verify-quotas-aws/sane", "aws", "verify-quotas", ("prod",), _expect(0), aws=()),
    ]


def _unchanged(relative: str) -> t.Callable[[Env, subprocess.CompletedProcess[bytes]], str | None]:
    def verify(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
        path = env.repo / relative
        if path.read_bytes() != (REPO / relative).read_bytes():
            return f"{relative} changed"
        return None

    return verify


def _victim(env: Env) -> None:
    env.scratch_file("victim.txt", "keep me\n")


def _commit_symlink(target: str) -> Setup:
    def setup(env: Env) -> None:
        (env.repo / "overlays" / "evil").symlink_to(target)
        env.commit("link")

    return setup


def _outside_kustomization(env: Env) -> Path:
    outside = env.scratch / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources:\n  - ms.yaml\n")
    (outside / "ms.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outsider\n")
    return outside


def _resource_outside(env: Env) -> None:
    outside = _outside_kustomization(env)
    relative = os.path.relpath(outside, env.repo / POOL_DIR)
    env.edit(POOL, "  - pool.yaml\n", f"  - pool.yaml\n  - {relative}\n")


def _resource_through_link(env: Env) -> None:
    outside = _outside_kustomization(env)
    (env.repo / POOL_DIR / "elsewhere").symlink_to(outside)
    env.edit(POOL, "  - pool.yaml\n", "  - pool.yaml\n  - elsewhere\n")


def _application(name: str, path: str) -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
        "  namespace: openshift-gitops\nspec:\n  project: accelerator-capacity\n  source:\n"
        "    repoURL: https://github.com/example-org/accelerator-capacity.git\n"
        f"    targetRevision: main\n    path: {path}\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: x\n"
    )


def _application_to(path: t.Callable[[Env], str]) -> Setup:
    """An Application the root Application of prod syncs (issue 10: overlays/prod/apps), with
    the ``path`` given."""

    def setup(env: Env) -> None:
        _outside_kustomization(env)
        env.write("overlays/prod/apps/stray.yaml", _application("prod-stray", path(env)))
        env.edit(APPS, "resources:\n", "resources:\n  - stray.yaml\n")

    return setup


def _nested_applications(levels: int, last: t.Callable[[Env], str]) -> Setup:
    """A chain of Applications below the ones prod's root syncs, each syncing a directory with
    the next; the last syncs ``last``."""

    def setup(env: Env) -> None:
        _outside_kustomization(env)
        env.write("overlays/prod/apps/nest-0.yaml", _application("prod-nest-0", "overlays/prod/nest/1"))
        env.edit(APPS, "resources:\n", "resources:\n  - nest-0.yaml\n")
        for level in range(1, levels + 1):
            path = last(env) if level == levels else f"overlays/prod/nest/{level + 1}"
            env.write(f"overlays/prod/nest/{level}/app.yaml", _application(f"prod-nest-{level}", path))
            env.write(f"overlays/prod/nest/{level}/kustomization.yaml", "resources:\n  - app.yaml\n")

    return setup


def _crd(group: str, kind: str = "Widget", version: str = "v1") -> str:
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        f"  name: widgets.example.com\nspec:\n  group: {group}\n  names:\n    kind: {kind}\n"
        f"  versions:\n    - name: {version}\n      served: true\n      schema:\n        openAPIV3Schema:\n"
        "          type: object\n"
    )


def _crlf_facts(env: Env) -> None:
    for relative in (FACTS, WIRING):
        path = env.repo / relative
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def _kept_crlf(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
    data = (env.repo / FACTS).read_bytes()
    if b"infraID: ocp-blue-9q8w7\r\n" not in data:
        return "the new infraID line is not in the facts file with CRLF"
    if data.count(b"\n") != data.count(b"\r\n"):
        return "the facts file lost its CRLF line endings"
    return None


def files_cases() -> list[Case]:
    victim = "{scratch}/victim.txt"

    def victim_kept(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
        return None if (env.scratch / "victim.txt").read_text() == "keep me\n" else "victim.txt was changed"

    as_options = {"base": ("--", f"--output={victim}", "HEAD"), "head": ("HEAD", "--", f"--output={victim}")}
    cases = [
        Case(
            f"capacity-diff/{side}-as-option",
            "files",
            "capacity-diff",
            argv,
            _expect(2),
            ("--output",),
            _victim,
            git=True,
            verify=victim_kept,
        )
        for side, argv in as_options.items()
    ]
    cases += [
        Case(
            "capacity-diff/tree",
            "files",
            "capacity-diff",
            ("HEAD:overlays", "HEAD"),
            _expect(2),
            ("HEAD:overlays",),
            git=True,
        ),
        Case(
            "capacity-diff/blob",
            "files",
            "capacity-diff",
            ("HEAD:pyproject.toml", "HEAD"),
            _expect(2),
            ("HEAD:pyproject.toml",),
            git=True,
        ),
        Case(
            "capacity-diff/peeled-tree",
            "files",
            "capacity-diff",
            ("HEAD^{tree}", "HEAD"),
            _expect(2),
            ("HEAD^{tree}",),
            git=True,
        ),
        Case("capacity-diff/unknown", "files", "capacity-diff", ("nope", "HEAD"), _expect(2), ("nope",), git=True),
        Case("capacity-diff/empty", "files", "capacity-diff", ("", "HEAD"), _expect(2), git=True),
        Case("capacity-diff/newline", "files", "capacity-diff", ("HEAD\n", "HEAD"), _expect(2), git=True),
        Case(
            "capacity-diff/range",
            "files",
            "capacity-diff",
            ("HEAD..HEAD", "HEAD"),
            _expect(2),
            ("HEAD..HEAD",),
            git=True,
        ),
        Case(
            "capacity-diff/absolute-symlink",
            "files",
            "capacity-diff",
            ("HEAD", "HEAD"),
            _expect(2),
            ("overlays/evil",),
            _commit_symlink("/etc"),
            git=True,
        ),
        Case(
            "capacity-diff/escaping-symlink",
            "files",
            "capacity-diff",
            ("HEAD", "HEAD"),
            _expect(2),
            ("overlays/evil",),
            _commit_symlink("../../../.."),
            git=True,
        ),
        Case("capacity-diff/not-a-repository", "files", "capacity-diff", ("HEAD", "HEAD"), _expect(2)),
    ]
    for name, text in {
        "group-dotdot": _crd("../../escaped"),
        "group-absolute": _crd("/tmp/escaped"),
        "kind-slash": _crd("example.com", kind="../../Escaped"),
        "version-dotdot": _crd("example.com", version="../../escaped"),
        "group-newline": _crd('"example.com\\n"'),
    }.items():
        cases.append(
            Case(
                f"crd-schemas/{name}",
                "files",
                "crd-schemas",
                ("{scratch}/crd.yaml", "-o", "{scratch}/out/deeper"),
                _expect(2),
                ("crd.yaml",),
                _file_with("crd.yaml", text),
            )
        )
    cases += [
        Case("lint/resource-outside", "files", "lint", ("prod",), _expect(2), ("outside",), _resource_outside),
        Case("validate/resource-outside", "files", "validate", ("prod",), _expect(2), ("outside",), _resource_outside),
        Case(
            "lint/resource-through-link", "files", "lint", ("prod",), _expect(2), ("elsewhere",), _resource_through_link
        ),
        Case(
            "lint-changed/resource-outside",
            "files",
            "lint",
            ("--changed", POOL),
            _expect(2),
            ("outside",),
            _resource_outside,
        ),
        Case(
            "lint/application-outside",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("prod-stray",),
            _application_to(lambda env: "overlays/prod/../../../scratch/outside"),
        ),
        Case(
            "lint/application-absolute",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("prod-stray",),
            _application_to(lambda env: "/prod/" + str(env.scratch / "outside").lstrip("/")),
        ),
        Case(
            "set-infra-id/infra-id-newline",
            "files",
            "set-infra-id",
            ("prod", "--infra-id", "abc-def\n"),
            _expect(2),
            ("--infra-id",),
        ),
        Case(
            "set-infra-id/infra-id-dash",
            "files",
            "set-infra-id",
            ("prod", "--infra-id=-abc"),
            _expect(2),
            ("--infra-id",),
        ),
        Case(
            "set-infra-id/infra-id-unicode-digit",
            "files",
            "set-infra-id",
            ("prod", "--infra-id", "abc-\u0661\u0662"),
            _expect(2),
            ("--infra-id",),
        ),
        Case(
            "lint/facts-infra-id-newline",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            (FACTS,),
            lambda env: env.edit(FACTS, "infraID: prod-x7k2p", 'infraID: "prod-x7k2p\\n"'),
        ),
        Case(
            "lint/facts-ami-newline",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            (FACTS,),
            lambda env: env.edit(FACTS, "id: ami-0870c7a3d5ef4d2b3", 'id: "ami-0870c7a3d5ef4d2b3\\n"'),
        ),
        Case(
            "set-infra-id/crlf-facts",
            "files",
            "set-infra-id",
            ("prod", "--infra-id", "ocp-blue-9q8w7"),
            _expect(0),
            setup=_crlf_facts,
            # The pools' names follow the infraID: the generated files that name them follow too.
            outputs=(FACTS, "overlays/prod/capacity/gpu-limits.yaml", "overlays/prod/capacity/priority-expander.yaml"),
            verify=_kept_crlf,
        ),
        Case(
            "lint/cluster-newline",
            "files",
            "lint",
            ("--cluster", "prod\n", "{scratch}/x.yaml"),
            _expect(2),
            setup=_file_with("x.yaml", "a: 1\n"),
        ),
    ]
    # The render follows Applications recursively (issue 10): a path outside the repository is
    # refused at any depth, through a link too; so are cycles and nesting past the bound.
    outside = "overlays/prod/../../../scratch/outside"
    cases += [
        Case(
            "lint/nested-application-outside",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("prod-nest-2", "leads outside"),
            _nested_applications(2, lambda env: outside),
        ),
        Case(
            "validate/nested-application-outside",
            "files",
            "validate",
            ("prod",),
            _expect(2),
            ("prod-nest-2", "leads outside"),
            _nested_applications(2, lambda env: outside),
        ),
        Case(
            "verify-quotas/nested-application-absolute",
            "files",
            "verify-quotas",
            ("prod", "--plan"),
            _expect(2),
            ("prod-nest-1",),
            _nested_applications(1, lambda env: str(env.scratch / "outside")),
        ),
        Case(
            "lint/application-through-link",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("prod-stray", "leads outside"),
            _both(
                _application_to(lambda env: "overlays/prod/elsewhere"),
                _link("overlays/prod/elsewhere", "{scratch}/outside"),
            ),
        ),
        Case(
            "lint/application-cycle",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("Application cycle",),
            _nested_applications(2, lambda env: "overlays/prod/nest/1"),
        ),
        Case(
            "validate/applications-too-deep",
            "files",
            "validate",
            ("prod",),
            _expect(2),
            ("nest deeper",),
            _nested_applications(6, lambda env: "overlays/prod/nest/leaf"),
        ),
        Case(
            "lint/application-path-number",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("overlays/prod/apps",),
            _application_to(lambda env: "7"),
        ),
        Case(
            "lint/application-path-newline",
            "files",
            "lint",
            ("prod",),
            _expect(2),
            ("prod-stray",),
            _application_to(lambda env: '"overlays/prod/capacity\\n"'),
        ),
    ]
    # Identifiers of pool.yaml (issue 13) are checked in full: a trailing newline is no zone.
    for field, old, new in (
        ("zone", "zone: us-west-2a", 'zone: "us-west-2a\\n"'),
        ("instance-type", "instanceType: g5.2xlarge", 'instanceType: "g5.2xlarge\\n"'),
        ("accelerator-label", "acceleratorLabel: nvidia-a10g", 'acceleratorLabel: "nvidia-a10g\\n"'),
        ("name", "name: gpu-us-west-2a", 'name: "gpu-us-west-2a\\n"'),
    ):
        for tool, argv in (("lint", ("prod",)), ("validate", ("prod",)), ("verify-quotas", ("prod", "--plan"))):
            cases.append(
                Case(
                    f"{tool}/pool-{field}-newline",
                    "files",
                    tool,
                    argv,
                    _expect(2),
                    (POOL_YAML,),
                    lambda env, old=old, new=new: env.edit(POOL_YAML, old, new),
                )
            )
    # set-infra-id's writes keep a CRLF file CRLF: the facts and the worker wiring the pools copy.
    cases.append(
        Case(
            "set-infra-id/crlf-from-machineset",
            "files",
            "set-infra-id",
            ("prod", "--from-machineset", "{scratch}/workers.yaml"),
            _expect(0),
            setup=_both(_crlf_facts, _file_with("workers.yaml", WORKER)),
            outputs=(FACTS, WIRING),
            verify=_all_crlf(FACTS, WIRING),
        )
    )
    return cases


def _link(relative: str, target: str) -> Setup:
    def setup(env: Env) -> None:
        (env.scratch / "outside").mkdir(exist_ok=True)
        (env.repo / relative).symlink_to(fill(target, env))

    return setup


def _all_crlf(*relatives: str) -> t.Callable[[Env, subprocess.CompletedProcess[bytes]], str | None]:
    def verify(env: Env, result: subprocess.CompletedProcess[bytes]) -> str | None:
        for relative in relatives:
            data = (env.repo / relative).read_bytes()
            if data == (REPO / relative).read_bytes().replace(b"\n", b"\r\n"):
                return f"{relative} was not rewritten"
            if data.count(b"\n") != data.count(b"\r\n"):
                return f"{relative} lost its CRLF line endings"
        return None

    return verify


def _findings(env: Env) -> None:
    """Many lint findings, so the report is longer than any pipe buffer."""
    env.edit(FACTS, "infraID: prod-x7k2p", "infraID: INFRAID")


def _many_bad_files(env: Env) -> None:
    for index in range(400):
        env.scratch_file(f"bad{index:03d}.yaml", "a: [\n")


def stream_cases() -> list[Case]:
    bad_files = tuple(f"{{scratch}}/bad{i:03d}.yaml" for i in range(400))
    return [
        Case("lint/broken-pipe-findings", "pipes", "lint", ("prod",), _expect(1), setup=_findings, stdout=BROKEN),
        Case("lint/broken-pipe-clean", "pipes", "lint", ("prod",), _expect(141), stdout=BROKEN),
        Case("lint/closed-stdout-findings", "pipes", "lint", ("prod",), _expect(1), setup=_findings, stdout=CLOSED),
        Case("lint/closed-stdout-clean", "pipes", "lint", ("prod",), _expect(141), stdout=CLOSED),
        Case(
            "check-yaml/broken-pipe", "pipes", "check-yaml", bad_files, _expect(1), setup=_many_bad_files, stdout=BROKEN
        ),
        Case(
            "check-yaml/closed-stdout",
            "pipes",
            "check-yaml",
            bad_files,
            _expect(1),
            setup=_many_bad_files,
            stdout=CLOSED,
        ),
        Case(
            "validate/broken-pipe-json", "pipes", "validate", ("prod", "--format", "json"), _expect(141), stdout=BROKEN
        ),
        Case(
            "capacity-diff/broken-pipe",
            "pipes",
            "capacity-diff",
            ("HEAD", "HEAD"),
            _expect(141),
            git=True,
            stdout=BROKEN,
        ),
        Case("verify-quotas/broken-pipe", "pipes", "verify-quotas", ("prod", "--plan"), _expect(141), stdout=BROKEN),
        Case("lint/help-broken-pipe", "pipes", "lint", ("--help",), _expect(141), stdout=BROKEN),
        Case(
            "crd-schemas/broken-pipe",
            "pipes",
            "crd-schemas",
            ("{scratch}/crd.yaml", "-o", "{scratch}/out"),
            _expect(141),
            setup=_file_with("crd.yaml", _crd("example.com")),
            stdout=BROKEN,
            outputs=("{scratch}/out",),
        ),
        Case("set-infra-id/check-closed-stdout", "pipes", "set-infra-id", ("--check",), _expect(141), stdout=CLOSED),
        Case("validate/stdin-closed", "pipes", "validate", ("-",), _expect(2), ("standard input",), stdin=CLOSED),
        Case("lint/stdin-closed", "pipes", "lint", ("-",), _expect(2), ("standard input",), stdin=CLOSED),
        Case(
            "crd-schemas/stdin-closed",
            "pipes",
            "crd-schemas",
            ("-", "-o", "{scratch}/out"),
            _expect(2),
            ("standard input",),
            stdin=CLOSED,
        ),
        Case(
            "set-infra-id/machineset-stdin-closed",
            "pipes",
            "set-infra-id",
            ("prod", "--from-machineset", "/dev/stdin"),
            _expect(2),
            ("/dev/stdin",),
            stdin=CLOSED,
        ),
        Case("validate/stdin-empty", "pipes", "validate", ("-",), _expect(0), stdin=b""),
        # verify-pools (issue 15): its findings never pass for success when they cannot be written.
        Case(
            "verify-pools/closed-stdout", "pipes", "verify-pools", ("prod",), _expect(1), api=_cluster(), stdout=CLOSED
        ),
        Case(
            "verify-pools/broken-pipe-json",
            "pipes",
            "verify-pools",
            ("prod", "--format", "json"),
            _expect(1),
            api=_cluster(),
            stdout=BROKEN,
        ),
        Case(
            "verify-pools/broken-pipe-markdown",
            "pipes",
            "verify-pools",
            ("prod", "--format", "markdown"),
            _expect(1),
            api=_cluster(),
            stdout=BROKEN,
        ),
        Case("verify-pools/help-closed-stdout", "pipes", "verify-pools", ("--help",), _expect(141), stdout=CLOSED),
        Case(
            "verify-pools/bad-input-closed-stdout",
            "pipes",
            "verify-pools",
            ("nope",),
            _expect(2),
            ("nope",),
            stdout=CLOSED,
        ),
        Case(
            "verify-pools/stdin-closed",
            "pipes",
            "verify-pools",
            ("prod",),
            _expect(1),
            api=_cluster(),
            stdin=CLOSED,
        ),
        Case(
            "check-yaml/non-utf8-file-name",
            "pipes",
            "check-yaml",
            ("{scratch}/bad\udcff.yaml",),
            _expect(1),
            setup=_file_with("bad\udcff.yaml", "a: [\n"),
        ),
    ]


def exit_code_cases() -> list[Case]:
    return [
        Case("check-yaml/missing-file", "exit", "check-yaml", ("{scratch}/nope.yaml",), _expect(2), ("nope.yaml",)),
        Case("check-yaml/directory", "exit", "check-yaml", ("{scratch}",), _expect(2), ("{scratch}",)),
        Case("validate/missing-path", "exit", "validate", ("{scratch}/nope.yaml",), _expect(2), ("nope.yaml",)),
        Case("lint/missing-path", "exit", "lint", ("{scratch}/nope.yaml",), _expect(2), ("nope.yaml",)),
        Case(
            "crd-schemas/missing-file",
            "exit",
            "crd-schemas",
            ("{scratch}/nope.yaml", "-o", "{scratch}/out"),
            _expect(2),
            ("nope.yaml",),
        ),
        Case(
            "set-infra-id/missing-machineset",
            "exit",
            "set-infra-id",
            ("prod", "--from-machineset", "{scratch}/nope.yaml"),
            _expect(2),
            ("nope.yaml",),
        ),
        Case("verify-quotas/missing-cluster", "exit", "verify-quotas", ("nope", "--plan"), _expect(2), ("nope",)),
        Case(
            "validate/missing-schema-location",
            "exit",
            "validate",
            ("prod", "--schema-location", "{scratch}/nope"),
            _expect(2),
            ("nope",),
        ),
        Case(
            "lint/missing-cluster", "exit", "lint", ("--cluster", "nope", "-"), _expect(2), ("nope",), stdin=b"a: 1\n"
        ),
        Case(
            "validate/generated-dir-is-a-file",
            "exit",
            "validate",
            ("prod", "--generated", "{scratch}/file"),
            _expect(2),
            ("{scratch}/file",),
            _file_with("file", "x"),
        ),
        Case("verify-pools/missing-cluster", "exit", "verify-pools", ("nope",), _expect(2), ("nope",)),
        Case("verify-pools/cluster-dotdot", "exit", "verify-pools", ("../prod",), _expect(2), ("../prod",)),
        Case(
            "verify-pools/missing-kubeconfig",
            "exit",
            "verify-pools",
            ("prod", "--kubeconfig", "{scratch}/nope"),
            _expect(2),
            ("nope",),
        ),
        Case("verify-pools/unknown-pool", "exit", "verify-pools", ("prod", "--pool", "nope"), _expect(2), ("nope",)),
        Case(
            "verify-pools/timeout-zero", "exit", "verify-pools", ("prod", "--timeout", "0"), _expect(2), ("--timeout",)
        ),
        Case(
            "verify-pools/facts-infra-id-unset",
            "exit",
            "verify-pools",
            ("prod",),
            _expect(2),
            (FACTS, "infraID"),
            lambda env: env.edit(FACTS, "infraID: prod-x7k2p", "infraID: INFRAID"),
        ),
        Case(
            "crd-schemas/output-dir-is-a-file",
            "exit",
            "crd-schemas",
            ("{scratch}/crd.yaml", "-o", "{scratch}/crd.yaml"),
            _expect(2),
            ("crd.yaml",),
            _file_with("crd.yaml", _crd("example.com")),
        ),
    ]


# --- pools: pool.yaml and the worker settings of the facts (issue 13) -----------------------

#: pool.yaml of the wrong shape: an edit of prod's GPU pool, and what the error line names.
POOL_BREAKAGE: dict[str, tuple[Setup, str]] = {
    "spec-list": (_block(POOL_YAML, "spec:", "spec: []\n"), "spec"),
    "spec-null": (_block(POOL_YAML, "spec:", "spec: null\n"), "spec"),
    "metadata-string": (_block(POOL_YAML, "metadata:", "metadata: gpu-us-west-2a\n"), "metadata"),
    "zone-number": (_edit(POOL_YAML, "zone: us-west-2a", "zone: 1"), "zone"),
    "zone-list": (_edit(POOL_YAML, "zone: us-west-2a", "zone: [us-west-2a]"), "zone"),
    "max-replicas-string": (_edit(POOL_YAML, "maxReplicas: 2 ", 'maxReplicas: "4" '), "maxReplicas"),
    "max-replicas-float": (_edit(POOL_YAML, "maxReplicas: 2 ", "maxReplicas: 2.5 "), "maxReplicas"),
    "max-replicas-bool": (_edit(POOL_YAML, "maxReplicas: 2 ", "maxReplicas: true "), "maxReplicas"),
    "min-above-max": (_edit(POOL_YAML, "minReplicas: 0", "minReplicas: 3"), "minReplicas"),
    "volume-size-huge": (_edit(POOL_YAML, "volumeSize: 120 ", "volumeSize: 1e400 "), "volumeSize"),
    "market-lowercase": (_edit(POOL_YAML, "market: Spot ", "market: spot "), "market"),
    "instance-type-mapping": (
        _edit(POOL_YAML, "instanceType: g5.2xlarge", "instanceType: {g5: 2xlarge}"),
        "instanceType",
    ),
    "annotations-list": (_block(POOL_YAML, "  annotations:", "  annotations: [local-config]\n"), "annotations"),
    "local-config-bool": (
        _edit(POOL_YAML, 'config.kubernetes.io/local-config: "true"', "config.kubernetes.io/local-config: true"),
        "local-config",
    ),
    "unknown-field": (_edit(POOL_YAML, "  volumeSize: 120 ", "  volumesize: 100\n  volumeSize: 120 "), "volumesize"),
    "recursive-alias": (_edit(POOL_YAML, "spec:\n  zone:", "spec: &s\n  self: *s\n  zone:"), "recursive alias"),
    "deep": (
        _edit(POOL_YAML, "  zone: us-west-2a", "  extra: " + "[" * 150 + "]" * 150 + "\n  zone: us-west-2a"),
        "nested more than",
    ),
    "duplicate-key": (
        _edit(POOL_YAML, "  zone: us-west-2a", "  zone: us-west-2a\n  zone: us-west-2b"),
        "duplicate key",
    ),
    "not-utf8": (_edit(POOL_YAML, b"acceleratorLabel: nvidia-a10g", b"acceleratorLabel: nvidia-\xff"), "UTF-8"),
}
#: The facts' worker settings and subnets (spec.worker, spec.subnets) of the wrong shape, and
#: what the error line names besides the facts file.
FACTS_BREAKAGE: dict[str, tuple[Setup, str]] = {
    "worker-list": (_block(FACTS, "  worker:", "  worker: []\n"), "worker"),
    "worker-null": (_block(FACTS, "  worker:", "  worker: null\n"), "worker"),
    "worker-ami-string": (_block(FACTS, "    ami:", "    ami: ami-0870c7a3d5ef4d2b3\n"), "ami"),
    "worker-ami-without-id": (_edit(FACTS, "      id: ami-0870c7a3d5ef4d2b3\n", "      arn: arn:aws:ec2:x\n"), "ami"),
    "worker-ami-newline": (_edit(FACTS, "id: ami-0870c7a3d5ef4d2b3", 'id: "ami-0870c7a3d5ef4d2b3\\n"'), "ami"),
    "worker-tags-mapping": (
        _block(FACTS, "    tags:", "    tags: {kubernetes.io/cluster/prod-x7k2p: owned}\n"),
        "tags",
    ),
    "worker-block-devices-string": (_block(FACTS, "    blockDevices:", "    blockDevices: gp3\n"), "blockDevices"),
    "worker-root-volume-size": (
        _edit(FACTS, "          volumeType: gp3\n", "          volumeType: gp3\n          volumeSize: 100\n"),
        "volumeSize",
    ),
    "worker-security-groups-string": (
        _block(FACTS, "    securityGroups:", "    securityGroups: sg-1\n"),
        "securityGroups",
    ),
    "worker-public-ip-string": (
        _edit(FACTS, "    deviceIndex: 0\n", '    deviceIndex: 0\n    publicIp: "false"\n'),
        "publicIp",
    ),
    "worker-instance-type": (
        _edit(FACTS, "    deviceIndex: 0\n", "    deviceIndex: 0\n    instanceType: m6i.xlarge\n"),
        "instanceType",
    ),
    "worker-recursive-alias": (
        _edit(FACTS, "  worker:\n    ami:", "  worker: &w\n    self: *w\n    ami:"),
        "recursive alias",
    ),
    "worker-deep": (
        _edit(FACTS, "    deviceIndex: 0\n", "    deviceIndex: 0\n    keyName: " + "[" * 150 + "]" * 150 + "\n"),
        "nested more than",
    ),
    "subnets-list": (_block(FACTS, "  subnets:", "  subnets: [us-west-2a]\n"), "subnets"),
    "subnet-string": (_block(FACTS, "    us-west-2a:", "    us-west-2a: subnet-0123456789abcdef0\n"), "us-west-2a"),
    "subnet-zone-newline": (
        _edit(FACTS, "    us-west-2a:\n      filters:", '    "us-west-2a\\n":\n      filters:'),
        "subnets",
    ),
    "subnet-other-region": (
        _edit(FACTS, "  subnets:\n", "  subnets:\n    eu-west-1a:\n      id: subnet-0123456789abcdef0\n"),
        "eu-west-1a",
    ),
    "subnet-filter-values-number": (
        _edit(FACTS, "            - prod-x7k2p-subnet-private-us-west-2a\n", "            - 5\n"),
        "subnets",
    ),
}


def pool_cases() -> list[Case]:
    """Every tool that reads pool.yaml or the facts' worker settings, on each of them broken:
    exit 2 and one line naming the file (nothing rendered, nothing written)."""
    cases = []
    readers = (
        ("lint", ("prod",)),
        ("validate", ("prod",)),
        ("verify-quotas", ("prod", "--plan")),
        ("verify-pools", ("prod",)),
        ("lint-changed", ("--changed", POOL_YAML)),
    )
    #: Every breakage through lint and verify-pools; a few through every reader (one root serves all).
    everywhere = ("zone-number", "max-replicas-string", "recursive-alias")
    for name, (setup, named) in POOL_BREAKAGE.items():
        for tool, argv in readers if name in everywhere else (readers[0], readers[3]):
            cases.append(
                Case(
                    f"{tool}/pool-{name}",
                    "pools",
                    tool.removesuffix("-changed"),
                    argv,
                    _expect(2),
                    (POOL_YAML, named),
                    setup,
                )
            )
    cases.append(
        Case(
            "capacity-diff/pool-max-replicas-string",
            "pools",
            "capacity-diff",
            ("HEAD~1", "HEAD"),
            _expect(2),
            (POOL_YAML, "maxReplicas"),
            _both(POOL_BREAKAGE["max-replicas-string"][0], lambda env: env.commit("bad pool") and None),
            git=True,
        )
    )
    facts_readers = (
        ("lint", ("prod",)),
        ("verify-quotas", ("prod", "--plan")),
        ("verify-pools", ("prod",)),
        ("set-infra-id", ("prod", "--from-machineset", "{scratch}/workers.yaml")),
        ("set-infra-id", ("prod", "--infra-id", "ocp-blue-9q8w7")),
    )
    everywhere = ("worker-list", "worker-recursive-alias", "subnet-string")
    for name, (setup, named) in FACTS_BREAKAGE.items():
        for tool, argv in facts_readers if name in everywhere else (facts_readers[0], facts_readers[3]):
            source = "machineset" if "--from-machineset" in argv else "infra-id" if "--infra-id" in argv else ""
            cases.append(
                Case(
                    f"{tool}{'-' + source if source else ''}/facts-{name}",
                    "pools",
                    tool,
                    argv,
                    _expect(2),
                    (FACTS, named),
                    _both(setup, _file_with("workers.yaml", WORKER)),
                )
            )
    return cases


def all_cases() -> list[Case]:
    return (
        yaml_cases()
        + cycle_cases()
        + timeout_cases()
        + internal_cases()
        + aws_cases()
        + files_cases()
        + pool_cases()
        + cluster_cases()
        + stream_cases()
        + exit_code_cases()
    )


@contextlib.contextmanager
def pinned_files() -> t.Iterator[None]:
    """The shared test data as the tools' mirror, and a cache, unless the environment names them
    (under pytest, ``tests/conftest.py`` does)."""
    if MIRROR_ENV in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="hostile-mirror-") as directory:
        os.environ[MIRROR_ENV] = str(build_mirror(shared_dir(), Path(directory) / "mirror"))
        os.environ[CACHE_ENV] = str(Path(directory) / "cache")
        try:
            yield
        finally:
            del os.environ[MIRROR_ENV], os.environ[CACHE_ENV]


def main(argv: list[str]) -> int:
    subprocesses = "--subprocess" in argv  # every case as users run it, in a process of its own
    wanted = set(argv) - {"--subprocess"}
    cases = [c for c in all_cases() if not wanted or c.klass in wanted or c.id in wanted]
    failed: dict[str, int] = {}
    total: dict[str, int] = {}
    with peers() as (silent, trickle), pinned_files():
        for case in cases:
            outcome = run_case(case, silent, trickle, in_process=False if subprocesses else None)
            total[case.klass] = total.get(case.klass, 0) + 1
            if not outcome.ok:
                failed[case.klass] = failed.get(case.klass, 0) + 1
                print(f"FAIL {case.id} ({outcome.seconds:.1f}s): {'; '.join(outcome.problems)} | {outcome.err[:200]}")
            sys.stdout.flush()
    print()
    for klass, number in total.items():
        print(f"{klass:<14} {number - failed.get(klass, 0):>4} of {number:>4} hold")
    print(f"{'all':<14} {sum(total.values()) - sum(failed.values()):>4} of {sum(total.values()):>4} hold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
