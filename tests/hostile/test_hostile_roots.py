"""The shared roots that hold every tool to the bad-input rules, one class at a time, with
inputs of their own: the strict loader, the identifier validator, paths inside their root,
the atomic writer, the CLI frame, the time limits, the revision resolver, the
kustomization graph."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import jsonschema
import pytest

from accelcap import cli, files, timeouts
from accelcap.affected import KustomizationGraph
from accelcap.config import load_settings
from accelcap.errors import ExternalError, InputError
from accelcap.git import resolve_commit
from accelcap.identifiers import AMI_ID, API_GROUP, INFRA_ID, KIND, ecma_regex, with_ecma_patterns
from accelcap.paths import inside
from accelcap.yamlload import MAX_DEPTH, load_documents, load_json, value_at


def _fails(text: str | bytes, expected: str) -> str:
    with pytest.raises(InputError) as caught:
        load_documents(text, "in.yaml")
    message = str(caught.value)
    assert expected in message, message
    assert "\n" not in message
    return message


# --- the strict loader: recursion, depth, characters -------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("kind: x\nspec: &s {replicas: 1, again: *s}\n", 2),
        ("items:\n  - &i [a, [b, [c, *i]]]\n", 2),
        ("a: 1\nb: 2\nselector: &sel\n  matchLabels: {x: y}\n  <<: *sel\n", 3),
        ("top: &t\n  deeper:\n    deepest:\n      - back: *t\n", 1),
    ],
)
def test_recursive_alias_fails_on_its_line(text: str, line: int) -> None:
    _fails(text, f"in.yaml:{line}: recursive alias")


def test_shared_aliases_are_no_recursion() -> None:
    (document,) = load_documents("a: &a {x: [1, 2]}\nb: [*a, *a]\nc: {d: *a}\n", "in.yaml")
    assert document["b"] == [{"x": [1, 2]}, {"x": [1, 2]}]


def _nested(levels: int, flow: bool) -> str:
    if flow:
        return "a: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"
    # The scalar at the bottom is a level of its own.
    return "".join(" " * i + f"k{i}:\n" for i in range(levels - 2)) + " " * (levels - 2) + "k: 1\n"


@pytest.mark.parametrize("flow", [True, False])
def test_depth_limit(flow: bool) -> None:
    assert load_documents(_nested(MAX_DEPTH, flow), "in.yaml")
    _fails(_nested(MAX_DEPTH + 1, flow), f"nested more than {MAX_DEPTH} levels deep")


def test_depth_reached_through_an_alias_counts() -> None:
    half = MAX_DEPTH // 2 + 5
    text = "a: &deep " + "[" * half + "]" * half + "\nb: " + "[" * half + "*deep" + "]" * half + "\n"
    _fails(text, "nested more than")


@pytest.mark.parametrize(
    ("text", "line"), [("a: 1\nb: \x1b[31m\n", 2), (b"a: 1\nb: 2\nc: \xc3\x28\n", 3), ("a: \x00\n", 1)]
)
def test_characters_yaml_refuses_are_named_by_line(text: str | bytes, line: int) -> None:
    _fails(text, f"in.yaml:{line}: character #x")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than"),
        ("[" * 50_000 + "]" * 50_000, "nested more than"),
        (b"\xff{}", "not JSON"),
        ("{'single': 'quotes'}", "not JSON"),
    ],
)
def test_json_is_held_to_the_same_rules(data: str | bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_json(data, "answer")


def test_value_at_never_raises_unless_asked() -> None:
    document = {"spec": None, "template": {"labels": ["a"]}, "n": {"m": 0}}
    assert value_at(document, "spec", "x") is None
    assert value_at(document, "template", "labels", "role", default="none") == "none"
    assert value_at(document, "n", "m") == 0
    with pytest.raises(InputError, match=r"template\.labels is a list, not a mapping"):
        value_at(document, "template", "labels", "role", where="f.yaml")


# --- identifiers, and schema patterns as ECMA 262 reads them ------------------------------


@pytest.mark.parametrize(
    ("identifier", "value"),
    [
        (INFRA_ID, "ocp-blue-9q8w7\n"),
        (INFRA_ID, "ocp-\u0661\u0662"),  # Arabic-Indic digits
        (INFRA_ID, 12345),
        (AMI_ID, "ami-0123456789abcdef0 "),
        (API_GROUP, "example.com\n"),
        (API_GROUP, "../etc"),
        (KIND, "Widget/../../x"),
    ],
)
def test_identifiers_are_checked_in_full(identifier: t.Any, value: t.Any) -> None:
    assert not identifier.matches(value)
    with pytest.raises(InputError, match=f"is not a valid {identifier.name}"):
        identifier.check(value, "here")


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),
        ("^[$a]+$", "$a$", True),
        (r"^x\$$", "x$", True),
        (r"^\d+$", "\u0661", False),
    ],
)
def test_ecma_patterns(pattern: str, value: str, matches: bool) -> None:
    assert (ecma_regex(pattern).search(value) is not None) is matches


def test_schema_validation_uses_ecma_patterns() -> None:
    schema = {"type": "string", "pattern": "^[a-z]+$"}
    assert jsonschema.Draft7Validator(schema).is_valid("abc\n")  # what jsonschema alone says
    assert not with_ecma_patterns(jsonschema.Draft7Validator)(schema).is_valid("abc\n")


# --- paths stay inside their root ------------------------------------------------------


def test_paths_inside_their_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "in-link").symlink_to(root / "a")
    (root / "out-link").symlink_to(tmp_path / "outside")
    assert inside(root, "a/../a", "x") == (root / "a").resolve()
    assert inside(root, "in-link", "x") == (root / "a").resolve()
    for escaping in ("../outside", "/etc", "out-link", "a/../../outside"):
        with pytest.raises(InputError, match="leads outside"):
            inside(root, escaping, "x")


# --- the atomic writer: errors, line endings, signals ----------------------------------


def test_write_failure_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=r"child\.json: cannot write: "):
        files.write_atomically(tmp_path / "file" / "child.json", b"{}", where="child.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_crlf_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_bytes(b"# comment\r\nspec:\r\n  infraID: a\r\n")
    text, newline = files.read_text(path)
    assert (text, newline) == ("# comment\nspec:\n  infraID: a\n", "\r\n")
    files.write_atomically(path, text.replace("infraID: a", "infraID: b"), newline)
    assert path.read_bytes() == b"# comment\r\nspec:\r\n  infraID: b\r\n"


def test_mixed_line_endings_are_left_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\n")
    assert files.read_text(path) == ("a: 1\r\nb: 2\n", "\n")


def test_not_utf8_text_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8"):
        files.read_text(path)


def test_a_signal_during_a_write_waits_for_the_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text("old\n")
    real_fsync = os.fsync

    def fsync_then_terminated(descriptor: int) -> None:
        real_fsync(descriptor)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the signal is pending, not delivered, while signals are held

    monkeypatch.setattr(os, "fsync", fsync_then_terminated)
    # Another thread alive, as in a real run: the kernel may hand the signal to either.
    release = threading.Event()
    threading.Thread(target=release.wait, daemon=True).start()
    try:
        with pytest.raises(cli.Interrupted), cli.signals_raise():
            files.write_atomically(path, "new\n")
            time.sleep(1)  # not reached: delivered when the write is done
    finally:
        release.set()
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cluster.yaml"]


def test_sigterm_stops_set_infra_id_without_a_temporary(repo_copy: Path) -> None:
    """The real tool in a process of its own, SIGTERM arriving in the middle of the write."""
    script = (
        "import os, signal, sys\n"
        "real = os.fsync\n"
        "def fsync(fd):\n"
        "    real(fd)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "os.fsync = fsync\n"
        "from accelcap.set_infra_id import main\n"
        "sys.argv = ['set-infra-id', 'prod', '--infra-id', 'ocp-blue-9q8w7']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert result.stderr == "set-infra-id: interrupted: SIGTERM\n"
    facts = repo_copy / "overlays" / "prod" / "facts"
    assert not [p for p in facts.iterdir() if p.name.endswith(".tmp")]
    # The signal waited for the file: it is the new one, whole.
    assert "  infraID: ocp-blue-9q8w7\n" in (facts / "cluster.yaml").read_text()


@pytest.mark.slow
def test_sigterm_during_a_render_removes_the_render_directory(repo_copy: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    slow = tmp_path / "slow-kustomize"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(scratch), "ACCELCAP_KUSTOMIZE": str(slow)}
    process = subprocess.Popen(
        [sys.executable, "-m", "accelcap.toolbox", "lint", "prod"], env=env, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    # The build's empty HOME for kustomize (its origin wrapper is made only when a source is asked).
    while not list(scratch.glob("accelcap-home-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not list(scratch.glob("accelcap-home-*")):
        process.kill()
        pytest.fail(f"lint made no render directory within 20 s: {process.communicate(timeout=40)[1]}")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=40)
    assert process.returncode == 143, err
    assert err == "lint: interrupted: SIGTERM\n"
    assert list(scratch.iterdir()) == []


def test_closed_standard_input_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match="standard input is closed"):
        files.read_stdin()


# --- the CLI frame: one line, lost output, help --------------------------------------------


def test_error_lines_stay_one_line() -> None:
    assert cli.one_line("HEAD\n--output=x\r\x1b[2J") == "HEAD\\n--output=x\\r\\x1b[2J"
    assert cli.one_line("plain text, ünïcode") == "plain text, ünïcode"


def _tool(code: int, text: str = "a finding\n" * 5000) -> t.Callable[..., int]:
    def execute(_args: t.Any) -> int:
        sys.stdout.write(text)
        return code

    return execute


def _run_into(stream: t.Any, code: int, text: str = "a finding\n" * 5000) -> int:
    saved = sys.stdout
    sys.stdout = stream
    try:
        return cli.run_tool("demo", lambda: cli.new_parser("demo", "demo"), _tool(code, text), [])
    finally:
        sys.stdout = saved


@pytest.mark.parametrize(("verdict", "expected"), [(0, cli.EXIT_OUTPUT_LOST), (1, 1), (2, 2)])
def test_output_into_a_closed_pipe(verdict: int, expected: int) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    with os.fdopen(writer, "w") as stream:
        assert _run_into(stream, verdict) == expected


def test_output_with_stdout_closed() -> None:
    assert _run_into(None, 0) == cli.EXIT_OUTPUT_LOST
    assert _run_into(None, 1) == 1
    assert _run_into(None, 0, "") == 0  # nothing to lose


def test_output_arrives_whole_when_it_can() -> None:
    stream = io.StringIO()
    assert _run_into(stream, 1, "x\n") == 1
    assert stream.getvalue() == "x\n"


def test_help_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_tool("demo", lambda: cli.new_parser("demo", "demo"), _tool(0), ["--help"]) == 0
    assert "141" in capsys.readouterr().out


# --- time limits ---------------------------------------------------------------------------


def test_timeout_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timeouts.ENV, "aws.total=7, http.read=0.5")
    assert timeouts.limits("aws").total == 7 and timeouts.limits("http").read == 0.5
    assert timeouts.limits("kustomize") == timeouts.DEFAULTS["kustomize"]
    for bad in ("aws.total=0", "aws.total=soon", "kustomize.read=1", "ftp.total=3"):
        monkeypatch.setenv(timeouts.ENV, bad)
        with pytest.raises(InputError):
            timeouts.limits("aws")


def test_defaults_fit_a_hook() -> None:
    """No call may keep a pre-commit hook or a CI step waiting for minutes."""
    for name, limit in timeouts.DEFAULTS.items():
        assert limit.total <= (120 if name == "kubeconform" else 30), name


def test_within_gives_up_at_the_deadline() -> None:
    release = threading.Event()
    with pytest.raises(ExternalError, match="late"):
        timeouts.within(0.2, release.wait, lambda: ExternalError("call", "late"))
    release.set()
    assert timeouts.within(5, lambda: 42, lambda: ExternalError("call", "late")) == 42
    with pytest.raises(ZeroDivisionError):
        timeouts.within(5, lambda: 1 / 0, lambda: ExternalError("call", "late"))


# --- revisions and the kustomization graph ------------------------------------------------


def test_revisions_resolve_to_commits_only(tmp_path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}  # fmt: skip
    (tmp_path / "f").write_text("x")
    for args in (["init", "-q"], ["add", "f"], ["commit", "-qm", "c"]):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, env=env)
    assert len(resolve_commit(tmp_path, "HEAD")) == 40
    for bad in ("--output=x", "-h", "HEAD:f", "HEAD^{tree}", "HEAD~1..HEAD", "HEAD\n", "", "nothing"):
        with pytest.raises(InputError):
            resolve_commit(tmp_path, bad)
    assert not (tmp_path / "x").exists()


def test_graph_refuses_cycles_escapes_and_wrong_types(repo_copy: Path) -> None:
    settings = load_settings(repo_copy)
    pool = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a"
    original = (pool / "kustomization.yaml").read_text()
    cases = {
        "  - ../../capacity\n": "kustomization cycle",
        "  - ../../../../..\n": "leads outside the repository",
    }
    for extra, expected in cases.items():
        (pool / "kustomization.yaml").write_text(original.replace("  - pool.yaml\n", "  - pool.yaml\n" + extra))
        with pytest.raises(InputError, match=expected):
            KustomizationGraph(settings).files(repo_copy / "overlays" / "prod" / "capacity")
    (pool / "kustomization.yaml").write_text(original + "crds: 3\n")
    with pytest.raises(InputError, match="crds must be a list of paths"):
        KustomizationGraph(settings).files(pool)


# --- the merged tree's roots: the mirror, settings, derived files, the cluster ------------


def _pin(relative: str) -> t.Any:
    from accelcap.validate.pinned import PinnedFile

    owner_repo, _, rest = relative.partition("@")
    commit, _, path = rest.partition(":")
    return PinnedFile("Widget", "example.com", owner_repo, commit, path, "0" * 64, "")


def test_a_mirror_made_of_links_is_followed_but_a_pin_never_climbs_out(tmp_path: Path) -> None:
    from accelcap.validate.pinned import _mirror_file

    settings = load_settings(tmp_path / "repo")
    store = tmp_path / "store"
    (store / "crd.yaml").parent.mkdir(parents=True)
    (store / "crd.yaml").write_text("x")
    mirror = tmp_path / "mirror"
    (mirror / "o" / "r" / "c").mkdir(parents=True)
    (mirror / "o" / "r" / "c" / "crd.yaml").symlink_to(store / "crd.yaml")
    assert _mirror_file(mirror, _pin("o/r@c:crd.yaml"), settings).read_text() == "x"
    for escaping in ("o/r@c:../../../../etc/passwd", "o/r@..:x", "/etc@c:passwd"):
        with pytest.raises(InputError, match="leads outside the mirror"):
            _mirror_file(mirror, _pin(escaping), settings)


def test_a_mirror_inside_the_repository_stays_inside(tmp_path: Path) -> None:
    from accelcap.validate.pinned import _mirror_file

    repo = tmp_path / "repo"
    (repo / "mirror" / "o" / "r").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    (repo / "mirror" / "o" / "r" / "c").symlink_to(tmp_path / "c")
    with pytest.raises(InputError, match="leads outside the repository"):
        _mirror_file(repo / "mirror", _pin("o/r@c:crd.yaml"), load_settings(repo))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("crd-mirror = []", "crd-mirror: must be str"),
        ('crd-mirror = " "', "must be an http(s) URL or a directory"),
        ('crd-mirror = "../elsewhere"', "leads outside the repository"),
        ('schema-locations = "kubernetes-validate"', "schema-locations: must be a list of str"),
    ],
)
def test_settings_that_cannot_be_right_fail_at_load(tmp_path: Path, line: str, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.accelcap]\n{line}\n")
    with pytest.raises(InputError, match=re.escape(expected)):
        load_settings(tmp_path)


def test_mirror_settings_that_are_fine(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    for value, expected in (
        ("mirror", str((tmp_path / "mirror").resolve())),
        ("/srv/mirror", "/srv/mirror"),
        ("https://mirror.example/github", "https://mirror.example/github"),
    ):
        (tmp_path / "pyproject.toml").write_text(f'[tool.accelcap]\ncrd-mirror = "{value}"\n')
        load_settings.cache_clear()
        assert load_settings(tmp_path).mirror == expected


def test_a_derived_file_keeps_its_crlf_when_a_pool_change_rewrites_it(repo_copy: Path) -> None:
    from accelcap import generate

    limits = repo_copy / "overlays" / "prod" / "capacity" / "gpu-limits.yaml"
    limits.write_bytes(limits.read_bytes().replace(b"\n", b"\r\n"))
    pool = repo_copy / "overlays" / "prod" / "capacity" / "gpu-us-west-2a" / "pool.yaml"
    pool.write_text(pool.read_text().replace("maxReplicas: 2 ", "maxReplicas: 4 "))
    assert generate.write_derived(repo_copy) == ["overlays/prod/capacity/gpu-limits.yaml"]
    data = limits.read_bytes()
    # 4 Spot nodes and the 2 of prod's On-Demand fallback
    assert b"max: 6\r\n" in data and data.count(b"\n") == data.count(b"\r\n")


@pytest.mark.parametrize(
    "ami",
    ["ami-0870c7a3d5ef4d2b3", "ami-0c5f5e9b", "ami-0870c7a3d5ef4d2b3\n", "ami-0C5F5E9B", "ami-12", " ami-0c5f5e9b"],
)
def test_the_facts_schema_and_the_identifier_agree_on_amis(ami: str) -> None:
    from accelcap.facts import _validator

    schema = _validator().schema["properties"]["spec"]["properties"]["worker"]["properties"]["ami"]
    pattern = schema["properties"]["id"]["pattern"]
    assert (ecma_regex(pattern).search(ami) is not None) is AMI_ID.matches(ami)


def test_kube_limits_come_from_the_table_and_timeout_sets_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelcap.kube_client import Connection

    assert Connection().limits == timeouts.DEFAULTS["kube"]
    monkeypatch.setenv(timeouts.ENV, "kube.connect=1,kube.read=2,kube.total=3")
    assert Connection().limits == timeouts.Limits(1, 2, 3)
    assert Connection(timeout=0.5).limits == timeouts.Limits(0.5, 0.5, 0.5)
    assert Connection(timeout=5, connect_timeout=4).limits == timeouts.Limits(4, 5, 5)


def test_kustomize_runs_without_a_cluster(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kubectl kustomize would ask the current context's API server for its version first."""
    from accelcap.render import kustomize

    seen: list[str | None] = []
    real = subprocess.Popen

    def popen(*args: t.Any, **kwargs: t.Any) -> t.Any:
        seen.append((kwargs.get("env") or {}).get("KUBECONFIG"))
        return real(*args, **kwargs)

    monkeypatch.setenv("KUBECONFIG", str(repo_copy / "a-cluster"))
    monkeypatch.setattr(kustomize.subprocess, "Popen", popen)
    kustomize.kustomize_build(repo_copy / "base" / "machineset", "base/machineset")
    # Every kustomize call (its version check first, then the build) gets no cluster.
    assert seen and set(seen) == {os.devnull}


@pytest.mark.parametrize(
    ("field", "entry"),
    [
        ("patches", "- path: https://example.com/patch.yaml"),
        ("replacements", "- path: http://example.com/r.yaml"),
        ("configMapGenerator", "- name: x\n    files: [k=https://example.com/f]"),
        ("openapi", "path: https://example.com/schema.json"),
        ("components", "- github.com/example/x?ref=main"),
    ],
)
def test_remote_files_are_remote_content(repo_copy: Path, field: str, entry: str) -> None:
    from accelcap.render.remote import remote_references

    directory = repo_copy / "overlays" / "prod" / "remote"
    directory.mkdir()
    (directory / "kustomization.yaml").write_text(f"resources:\n  - ../capacity\n{field}:\n  {entry}\n")
    (reference,) = remote_references(directory, load_settings(repo_copy))
    assert reference.file == "overlays/prod/remote/kustomization.yaml"
    assert reference.field.startswith(field)


def test_live_objects_of_the_wrong_shape_are_the_clusters_nonsense() -> None:
    from accelcap.verify_pools.live import checked

    node = {"kind": "Node", "metadata": {"name": "n", "labels": {}}, "status": {"allocatable": {"nvidia.com/gpu": "1"}}}
    assert checked(node, "Node", "GET /api/v1/nodes") is node
    for broken, expected in (
        ({**node, "status": {"allocatable": []}}, "status.allocatable is a list"),
        ({**node, "status": {"conditions": [{"type": "Ready"}, "x"]}}, r"status.conditions\[1\] is a str"),
        ({**node, "metadata": "n"}, "metadata is a str"),
        ({**node, "spec": {"taints": {"a": "b"}}}, "spec.taints is a dict"),
    ):
        with pytest.raises(ExternalError, match=expected):
            checked(broken, "Node", "GET /api/v1/nodes")
    with pytest.raises(ExternalError, match="holds a list"):
        checked([], "Node", "GET /api/v1/nodes")
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "status": {"containerStatuses": [{"state": {"running": {}}}]}}
    assert checked(pod, "Pod", "GET /api/v1/pods") is pod
    for field in ("containerStatuses", "initContainerStatuses"):
        for value, found in (({"name": "c"}, "dict"), ("c", "str")):
            with pytest.raises(ExternalError, match=f"status.{field} is a {found}, not a list"):
                checked({**pod, "status": {field: value}}, "Pod", "GET /api/v1/pods")
