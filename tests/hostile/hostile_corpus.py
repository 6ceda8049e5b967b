"""A corpus of bad and hostile inputs across the seven tools, run as users run them.

Every case runs ``tools/<name>`` in a subprocess on a fresh copy of the repository (a git
repository for capacity-diff), with its own standard streams, and is held to the rules every
tool shares (DEVELOPERS.md, "What every tool shares"):

- the exit code is one the case expects (the documented code for that input);
- standard error is at most one line, never a traceback, never ``internal error``, never
  ``Exception ignored``, and names what the case says it must name (a file, a call);
- nothing changes outside the tool's documented outputs, and no ``.tmp`` file is left;
- it finishes within its time limit (a hang is a failure, not a wait).

``python tests/hostile/hostile_corpus.py [CLASS...]`` runs the corpus and prints one line per
failing case and a count per class (the figures of the issue's report);
``test_hostile_corpus.py`` runs it under pytest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO / "src")]

import hostile_servers as servers

from support import copy_repository, shared_dir

FACTS = "overlays/prod/facts/cluster.yaml"
WIRING = "overlays/prod/facts/kustomization.yaml"
POOL_DIR = "overlays/prod/capacity/gpu-us-west-2a"
POOL = f"{POOL_DIR}/kustomization.yaml"
CAPACITY = "overlays/prod/capacity/kustomization.yaml"
OVERLAY = "overlays/prod/kustomization.yaml"
#: Timeouts short enough for tests (the tools' documented setting; see docs/timeouts.md).
TEST_TIMEOUTS = "http.connect=2,http.read=2,http.total=4,aws.connect=2,aws.read=2,aws.total=4,kustomize.total=5"
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
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ACCELCAP_", "GIT_"))}
    base.update(
        ACCELCAP_REPO=str(env.repo),
        ACCELCAP_SHARED=str(shared_dir()),
        ACCELCAP_CACHE_DIR=str(env.scratch / "cache"),
        ACCELCAP_TIMEOUTS=TEST_TIMEOUTS,
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
        PATH=os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "kubeconform").exists()),
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
    )


def _leftover_temporaries(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in root.rglob("*.tmp"):
            found.append(str(path))
    return found


def run_case(case: Case, silent: str, trickle: str) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="hostile-") as directory:
        scratch = Path(directory) / "scratch"
        (scratch / "home").mkdir(parents=True)
        (scratch / "tmp").mkdir()
        repo = make_repo(Path(directory))
        aws = servers.ScriptedAws(dict(case.aws)) if case.aws is not None else None
        env = Env(repo, scratch, silent, trickle, aws)
        try:
            if case.git:
                env.git("init", "-q")
                env.commit("base")
            if case.setup:
                case.setup(env)
            return _run(case, env)
        finally:
            if aws:
                aws.close()


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
    code = process.returncode
    text = err.decode(errors="replace")
    result = subprocess.CompletedProcess(argv, code, out or b"", err)
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


@contextlib.contextmanager
def peers() -> t.Iterator[tuple[str, str]]:
    silent, trickle = servers.SilentServer(), servers.TrickleServer()
    try:
        yield silent.address, trickle.address
    finally:
        silent.close()
        trickle.close()


# --- the inputs ------------------------------------------------------------------------------

BAD_YAML: dict[str, tuple[str | bytes, str]] = {
    # name: (text, what the error must say or name: the line where it can be told)
    "recursive-alias-mapping": ("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, self: *m}\n", ":3"),
    "recursive-alias-sequence": ("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: &s [1, [2, *s]]\n", ":4"),
    "recursive-alias-ancestor": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec: &top\n  a:\n    b:\n      c: *top\n",
        ":5",
    ),
    "recursive-merge-key": ("apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\n  <<: *m\n", ":3"),
    "deep-flow-sequence": ("apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 400 + "]" * 400 + "\n", ":3"),
    "deep-flow-mapping": ("apiVersion: v1\nkind: ConfigMap\ndata: " + "{a: " * 700 + "1" + "}" * 700 + "\n", ":3"),
    "deep-block-mapping": (
        "apiVersion: v1\nkind: ConfigMap\ndata:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(500)),
        ":",
    ),
    "deep-block-sequence": ("apiVersion: v1\nkind: ConfigMap\ndata:\n  x: " + "- " * 400 + "1\n", ":4"),
    "alias-bomb": (
        "apiVersion: v1\nkind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
        "through aliases",
    ),
    "not-utf8": (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff\xfe}\n", ""),
    "duplicate-key": ("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: 1\n  a: 2\n", ":5"),
    "python-tag": ("apiVersion: v1\nkind: !!python/object/apply:os.system ['true']\n", ":2"),
    "undefined-alias": ("apiVersion: v1\nkind: *nothing\n", ":2"),
    "control-characters": ("apiVersion: v1\nkind: Config\x07Map\n", ":2"),
}

#: A worker MachineSet (the shape of ``oc get machineset -o yaml``) to break field by field.
WORKER = """\
apiVersion: machine.openshift.io/v1beta1
kind: MachineSet
metadata:
  name: prod-x7k2p-worker-us-west-2a
  namespace: openshift-machine-api
  labels:
    machine.openshift.io/cluster-api-cluster: prod-x7k2p
spec:
  replicas: 3
  template:
    metadata:
      labels:
        machine.openshift.io/cluster-api-machine-role: worker
    spec:
      providerSpec:
        value:
          ami:
            id: ami-0c5f5e9b2a7d4e1f3
          securityGroups:
            - filters:
                - name: tag:Name
                  values:
                    - prod-x7k2p-node
          subnet:
            filters:
              - name: tag:Name
                values:
                  - prod-x7k2p-subnet-private-us-west-2a
          placement:
            region: us-west-2
"""


#: Breakage that leaves nothing to learn where it is (``null`` is unset, as Kubernetes reads it;
#: filters that are no list name nothing): the tool may learn the rest (0) or refuse (2).
LENIENT_WORKERS = frozenset({"filters-number", "provider-spec-null"})


def _worker(old: str, new: str) -> str:
    assert old in WORKER, old
    return WORKER.replace(old, new, 1)


WORKER_BREAKAGE: dict[str, str] = {
    "spec-null": _worker("spec:\n  replicas: 3\n  template:", "spec: null\nstatus:\n  template:"),
    "template-metadata-null": _worker(
        "    metadata:\n      labels:\n        machine.openshift.io/cluster-api-machine-role: worker\n",
        "    metadata: null\n",
    ),
    "template-labels-list": _worker(
        "      labels:\n        machine.openshift.io/cluster-api-machine-role: worker\n",
        "      labels: [worker]\n",
    ),
    "metadata-labels-null": _worker(
        "  labels:\n    machine.openshift.io/cluster-api-cluster: prod-x7k2p\n", "  labels: null\n"
    ),
    "metadata-string": _worker(
        "metadata:\n  name: prod-x7k2p-worker-us-west-2a\n  namespace: openshift-machine-api\n"
        "  labels:\n    machine.openshift.io/cluster-api-cluster: prod-x7k2p\n",
        "metadata: prod\n",
    ),
    "template-spec-list": _worker("    spec:\n      providerSpec:", "    spec: []\n    other:\n      providerSpec:"),
    "provider-spec-null": _worker(
        "      providerSpec:\n        value:", "      providerSpec: null\n      other:\n        value:"
    ),
    "ami-list": _worker(
        "          ami:\n            id: ami-0c5f5e9b2a7d4e1f3\n", "          ami: [ami-0c5f5e9b2a7d4e1f3]\n"
    ),
    "ami-id-mapping": _worker("            id: ami-0c5f5e9b2a7d4e1f3\n", "            id: {a: b}\n"),
    "placement-string": _worker(
        "          placement:\n            region: us-west-2\n", "          placement: us-west-2\n"
    ),
    "region-list": _worker("            region: us-west-2\n", "            region: [us-west-2]\n"),
    "filters-number": _worker(
        "            filters:\n              - name: tag:Name\n                values:\n"
        "                  - prod-x7k2p-subnet-private-us-west-2a\n",
        "            filters: 5\n",
    ),
    "infra-id-number": _worker("cluster-api-cluster: prod-x7k2p", "cluster-api-cluster: 12345"),
    "infra-id-list": _worker("cluster-api-cluster: prod-x7k2p", "cluster-api-cluster: [prod-x7k2p]"),
    "infra-id-newline": _worker("cluster-api-cluster: prod-x7k2p", 'cluster-api-cluster: "prod-x7k2p\\n"'),
    "ami-newline": _worker("id: ami-0c5f5e9b2a7d4e1f3", 'id: "ami-0c5f5e9b2a7d4e1f3\\n"'),
    "items-not-list": "apiVersion: v1\nkind: List\nitems: {a: b}\n",
}


def _file_with(name: str, text: str | bytes) -> Setup:
    return lambda env: env.scratch_file(name, text) and None


def _replace(relative: str, text: str | bytes) -> Setup:
    return lambda env: env.write(relative, text) and None


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
    cases.append(
        Case(
            "lint/remote-resource-silent",
            "timeout",
            "lint",
            ("prod",),
            _expect(2),
            ("kustomize", "timed out"),
            lambda env: _remote_resource(env.silent)(env),
            seconds=15,
        )
    )
    return cases


def _facts_dir_is_a_file(env: Env) -> None:
    shutil.rmtree(env.repo / "overlays/prod/facts")
    env.write("overlays/prod/facts", "x")


def _broken_wiring(env: Env) -> None:
    path = env.repo / WIRING
    text = path.read_text()
    path.unlink()
    path.mkdir()
    (path / "x").write_text(text)


def _fake_oc(script: str) -> Setup:
    def setup(env: Env) -> None:
        binary = env.scratch / "bin" / "oc"
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_text("#!/bin/sh\n" + script)
        binary.chmod(0o755)

    return setup


def _oc_env() -> tuple[tuple[str, str], ...]:
    return (("PATH", "{scratch}/bin:" + os.environ["PATH"]),)


OC_INFRA = '{"status": {"infrastructureName": "prod-x7k2p", "platformStatus": {"aws": {"region": "us-west-2"}}}}'


def _oc_answers(infrastructure: str, version: str = '{"status": {"desired": {"version": "4.20.1"}}}') -> str:
    return (
        'case "$2" in\n'
        f"  infrastructures*) printf '%s' '{infrastructure}';;\n"
        f"  clusterversion*) printf '%s' '{version}';;\n"
        '  *) printf \'{"kind": "List", "items": []}\';;\nesac\n'
    )


def _pyproject(old: str, new: str) -> Setup:
    return lambda env: env.edit("pyproject.toml", old, new)


def _dangling_ref(env: Env) -> None:
    directory = env.scratch / "schemas" / "v1"
    directory.mkdir(parents=True)
    big = {f"p{i}": {"type": "string", "description": "x" * 50} for i in range(60)}
    import json

    (directory / "namespace_v1.json").write_text(
        json.dumps({"type": "object", "properties": {**big, "metadata": {"$ref": "#/definitions/nowhere"}}})
    )
    env.scratch_file("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")


def _kustomization_field(field: str) -> Setup:
    return lambda env: env.write(POOL, Path(REPO / POOL).read_text() + field)


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
    for name, text in WORKER_BREAKAGE.items():
        cases.append(
            Case(
                f"set-infra-id-machineset/{name}",
                "internal",
                "set-infra-id",
                ("prod", "--from-machineset", "{scratch}/workers.yaml"),
                _expect(0, 2) if name in LENIENT_WORKERS else _expect(2),
                () if name in LENIENT_WORKERS else ("workers.yaml",),
                _file_with("workers.yaml", text),
                outputs=(FACTS,) if name in LENIENT_WORKERS else (),
            )
        )
    oc_outputs = {
        "not-json": "printf 'error: you must be logged in'\n",
        "not-utf8": "printf '\\377\\376{}'\n",
        "json-list": "printf '[1, 2]'\n",
        "status-list": _oc_answers('{"status": []}'),
        "platform-status-string": _oc_answers(
            '{"status": {"infrastructureName": "prod-x7k2p", "platformStatus": "aws"}}'
        ),
        "infrastructure-name-newline": _oc_answers('{"status": {"infrastructureName": "prod-x7k2p\\\\n"}}'),
        "version-number": _oc_answers(OC_INFRA, '{"status": {"desired": {"version": 4.2}}}'),
        "deep-json": "python3 -c \"print('[' * 100000 + ']' * 100000)\"\n",
    }
    for name, script in oc_outputs.items():
        cases.append(
            Case(
                f"set-infra-id-oc/{name}",
                "oc",
                "set-infra-id",
                ("prod", "--from-cluster"),
                _expect(3),
                ("oc get",),
                _fake_oc(script),
                env=_oc_env(),
            )
        )
    cases.append(
        Case(
            "crd-schemas-oc/not-utf8",
            "oc",
            "crd-schemas",
            ("--from-cluster", "machinesets.machine.openshift.io", "-o", "{scratch}/out"),
            _expect(3),
            ("crd/machinesets.machine.openshift.io",),
            _fake_oc("printf 'kind: \\377\\376'\n"),
            env=_oc_env(),
        )
    )
    cases.append(
        Case(
            "crd-schemas-oc/name-as-option",
            "oc",
            "crd-schemas",
            ("--from-cluster", "-o", "{scratch}/out", "--", "--kubeconfig=/etc/passwd"),
            _expect(2),
            ("--kubeconfig=/etc/passwd",),
            _fake_oc('echo "$@" > "$(dirname "$0")/called"\n'),
            env=_oc_env(),
            verify=lambda env, r: "oc was called" if (env.scratch / "bin" / "called").exists() else None,
        )
    )
    settings = {
        "overlays-dir-number": _pyproject('overlays-dir = "overlays"', "overlays-dir = 5"),
        "shared-dir-list": _pyproject('shared-dir = "../shared"', "shared-dir = []"),
        "repo-url-number": _pyproject(
            'repo-url = "https://github.com/example-org/accelerator-capacity.git"', "repo-url = 5"
        ),
        "schema-locations-string": _pyproject("schema-locations = [", 'schema-locations = "x"\nunused = ['),
        "accelcap-not-table": lambda env: env.write("pyproject.toml", '[tool]\naccelcap = ["overlays"]\n'),
        "tool-not-table": lambda env: env.write("pyproject.toml", 'tool = 5\n[project]\nname = "x"\n'),
        "not-utf8": lambda env: env.write("pyproject.toml", b'[tool.accelcap]\nrepo-url = "\xff"\n'),
    }
    for name, setup in settings.items():
        for tool, argv in (("lint", ("prod",)), ("validate", ("prod",)), ("verify-quotas", ("prod", "--plan"))):
            cases.append(
                Case(f"{tool}-settings/{name}", "settings", tool, argv, _expect(2), ("pyproject.toml",), setup)
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


def _application_to(path: t.Callable[[Env], str]) -> Setup:
    def setup(env: Env) -> None:
        _outside_kustomization(env)
        env.write(
            "overlays/prod/stray.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: prod-stray\n"
            "  namespace: openshift-gitops\nspec:\n  project: accelerator-capacity\n  source:\n"
            "    repoURL: https://github.com/example-org/accelerator-capacity.git\n"
            f"    targetRevision: main\n    path: {path(env)}\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: x\n",
        )
        env.edit(OVERLAY, "  - ../../base/argocd\n", "  - ../../base/argocd\n  - stray.yaml\n")

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
            lambda env: env.edit(FACTS, "ami: ami-0c5f5e9b2a7d4e1f3", 'ami: "ami-0c5f5e9b2a7d4e1f3\\n"'),
        ),
        Case(
            "set-infra-id/crlf-facts",
            "files",
            "set-infra-id",
            ("prod", "--infra-id", "ocp-blue-9q8w7"),
            _expect(0),
            setup=_crlf_facts,
            outputs=(FACTS,),
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
    return cases


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


def all_cases() -> list[Case]:
    return (
        yaml_cases()
        + cycle_cases()
        + timeout_cases()
        + internal_cases()
        + aws_cases()
        + files_cases()
        + stream_cases()
        + exit_code_cases()
    )


def main(argv: list[str]) -> int:
    wanted = set(argv)
    cases = [c for c in all_cases() if not wanted or c.klass in wanted or c.id in wanted]
    failed: dict[str, int] = {}
    total: dict[str, int] = {}
    with peers() as (silent, trickle):
        for case in cases:
            outcome = run_case(case, silent, trickle)
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
