"""Remote is whatever is not a file of this repository (issue 19, parts 3 and 9).

The forms are those kustomize's own repospec parser accepts: the test table of
kubernetes-sigs/kustomize ``api/internal/git/repospec_test.go`` at kustomize/v5.5.0 (commit
afe77936761f8f7ee735a67f167a8382c8406f74): every host of ``TestNewRepoSpecFromUrl_Permute``
with every repository, path and ref it permutes, and every ``input`` of its other tables. Each
must count as remote in every field that loads content; then kustomize itself must be unable
to fetch what a missed form would name (a ``file://`` clone, an http URL), and must run
without the caller's credentials.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import threading
import typing as t
from pathlib import Path

import pytest
import yaml
from gate_support import caught, edit, lint

from accelcap.affected import LOADED_FIELDS, fetched
from accelcap.config import load_settings
from accelcap.errors import InputError
from accelcap.render.kustomize import kustomize_build, kustomize_command, kustomize_env
from accelcap.render.remote import remote_references

#: ``schemeAuthority`` of TestNewRepoSpecFromUrl_Permute (the raw forms).
HOSTS = (
    "gitHub.com/",
    "github.com:",
    "http://github.com/",
    "https://github.com/",
    "hTTps://github.com/",
    "https://git-codecommit.us-east-2.amazonaws.com/",
    "https://fabrikops2.visualstudio.com/",
    "ssh://git.example.com:7999/",
    "git::https://gitlab.com/",
    "git::http://git.example.com/",
    "git::https://git.example.com/",
    "git@github.com:",
    "git@github.com/",
    "git::git@github.com:",
    "org-12345@github.com:",
    "org-12345@github.com/",
)
REPO_PATHS = ("someOrg/someRepo", "kubernetes/website")
PATH_NAMES = ("README.md", "foo/krusty.txt", "")
REFS = ("group/version", "someBranch", "master", "v0.1.0", "")
#: The ``input`` of every other table of the file.
INPUTS = (
    "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir",
    "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir?ref=testbranch",
    "https://fabrikops2.visualstudio.com/someorg/somerepo?ref=master",
    "http://github.com/someorg/somerepo/somedir",
    "git@github.com:someorg/somerepo/somedir",
    "http://github.com/someorg/somerepo.git/somedir",
    "git@github.com:someorg/somerepo.git/somedir",
    "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0",
    "git@bitbucket.org:company/project.git//path?ref=branch",
    "git@bitbucket.org/company/project.git//path?ref=branch",
    "ssh://git@bitbucket.org/company/project.git//path?ref=branch",
    "https://itfs.mycompany.com/collection/project/_git/somerepos",
    "https://itfs.mycompany.com/collection/project/_git/somerepos?version=v1.0.0",
    "https://itfs.mycompany.com/collection/project/_git/somerepos/somedir?version=v1.0.0",
    "git::https://itfs.mycompany.com/collection/project/_git/somerepos",
    "https://bitbucket.example.com/scm/project/repository.git",
    "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somepath",
    "git@github.com/someorg/somerepo/somepath",
    "https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6",
    "file://a/b/c/someRepo.git/somepath?ref=someBranch",
    "file://a/b/c/someRepo//somepath?ref=someBranch",
    "file://a/b/c/someRepo?ref=someBranch",
    "file:///a/b/c/someRepo?ref=someBranch",
    "ssh://git@github.com/kubernetes-sigs/kustomize//examples/multibases/dev?ref=v1.0.6",
    "file:///a/b/c/someRepo",
    "file:///",
    "https://example.org/path/to/repo//examples/multibases/dev",
    "https://example.org/path/to/repo.git/examples/multibases/dev",
    "ssh://alice@example.com/path/to/repo//examples/multibases/dev",
    "https://authority/org/repo?ref=group/version",
    "https://authority/org/repo/?ref=includes_git/for_some_reason",
    "https://authority/org/repo/?ref=includes.git/for_some_reason",
    "https://authority/org/repo/%-invalid-uri-so-not-parsable-by-net/url.Parse",
    "ssh://myusername@bitbucket.org/ourteamname/ourrepositoryname.git//path?ref=branch",
    "file://git@home/path/to/repository.git//path?ref=branch",
    "http://git@home.com/path/to/repository.git//path?ref=branch",
    "https://git@home.com/path/to/repository.git//path?ref=branch",
    "ssh://git@ssh.github.com:443/YOUR-USERNAME/YOUR-REPOSITORY.git",
    "git@gitlab.com/user:name/YOUR-REPOSITORY.git/path",
    "git@gitlab.com:gitlab-tests/sample-project.git",
    "git@gitlab.com:gitlab-tests/sample-project",
    "https://username@dev.azure.com/org/project/_git/repo//path/to/kustomization/root",
    "https://org.visualstudio.com/project/_git/repo/path/to/kustomization/root",
    "ssh://org-12345@github.com/kubernetes-sigs/kustomize",
    "org-12345@github.com/kubernetes-sigs/kustomize",
    "git@gist.github.com:bc7947cb727d7f9217e7862d961a1ffd.git",
    "https://gist.github.com/bc7947cb727d7f9217e7862d961a1ffd.git",
    # The issue's own: another user than git, and the github.com SCP shorthand.
    "deploy@git.example.com:org/repo.git/dir",
    "github.com:org/repo/dir",
)


def _permuted() -> list[str]:
    forms = []
    for host in HOSTS:
        for repo in REPO_PATHS:
            for name in PATH_NAMES:
                for ref in REFS:
                    url = host + (f"{repo}/{name}" if name else repo)
                    forms.append(url + (f"?ref={ref}" if ref else ""))
    return forms


FORMS = (*_permuted(), *INPUTS)
#: Every field of a kustomization that loads content, with how an entry is written in it.
FIELDS: dict[str, t.Callable[[list[str]], t.Any]] = {
    **{key: list for key in (*LOADED_FIELDS, "crds", "configurations", "patchesStrategicMerge")},
    "patches": lambda forms: [{"path": f} for f in forms],
    "patchesJson6902": lambda forms: [{"path": f, "target": {"kind": "X", "name": "y"}} for f in forms],
    "replacements": lambda forms: [{"path": f} for f in forms],
    "configMapGenerator": lambda forms: [{"name": "c", "files": forms, "envs": forms}],
    "secretGenerator": lambda forms: [{"name": "s", "files": [f"key={f}" for f in forms]}],
}


def test_the_table_is_kustomizes() -> None:
    assert len(FORMS) == 16 * 2 * 3 * 5 + len(INPUTS) == 529


@pytest.mark.parametrize("field", [*FIELDS, "openapi.path"])
def test_every_form_is_remote_in_every_field(tmp_path: Path, field: str) -> None:
    assert all(fetched(field, form) for form in FORMS)
    # A directory of the repository named like a form is still remote: kustomize's loader tries
    # the repository first (fileloader.go, New).
    (tmp_path / "github.com:org/repo/dir").mkdir(parents=True)
    assert fetched(field, "github.com:org/repo/dir", tmp_path)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_render_finds_every_form_in_every_field(repo_copy: Path, field: str) -> None:
    build = repo_copy / "overlays/prod/remote"
    build.mkdir()
    (build / "kustomization.yaml").write_text(yaml.safe_dump({field: FIELDS[field](list(FORMS))}))
    found = remote_references(build, load_settings(repo_copy))
    # Every entry is reported once; a generator's file is the part after its ``key=``.
    assert len(found) == len(FORMS) * (2 if field == "configMapGenerator" else 1)
    if not field.endswith("Generator"):
        assert sorted(r.value for r in found) == sorted(FORMS)


def test_a_missing_path_is_remote_and_a_path_of_the_repository_is_not(repo_copy: Path) -> None:
    directory = repo_copy / "overlays/prod/capacity"
    assert fetched("resources", "nowhere", directory)
    assert fetched("patches[].path", "missing.yaml", directory)
    assert not fetched("resources", "gpu-us-west-2a", directory)
    assert not fetched("patches[].path", "gpu-limits.yaml", directory)


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("overlays/prod/capacity/kustomization.yaml", "  - gpu-us-west-2a\n",
         "  - gpu-us-west-2a\n  - deploy@git.example.com:org/repo.git/dir\n"),
        ("overlays/prod/capacity/kustomization.yaml", "  - gpu-us-west-2a\n",
         "  - gpu-us-west-2a\n  - github.com:org/repo/dir\n"),
        ("overlays/prod/capacity/kustomization.yaml", "patches:\n", "generators:\n  - github.com/org/repo//gen?ref=v1\npatches:\n"),
        ("overlays/prod/capacity/kustomization.yaml", "patches:\n", "transformers:\n  - git::https://example.com/org/repo//t\npatches:\n"),
        ("overlays/prod/capacity/kustomization.yaml", "patches:\n", "validators:\n  - git@example.com:org/repo.git//v\npatches:\n"),
        ("overlays/prod/operators/kustomization.yaml", "patches:\n", "configMapGenerator:\n  - name: x\n    files:\n      - https://example.com/x.yaml\npatches:\n"),
        ("overlays/prod/operators/kustomization.yaml", "patches:\n", "helmGlobals:\n  chartHome: charts\npatches:\n"),
        ("overlays/prod/capacity/kustomization.yaml", "  - path: gpu-limits.yaml\n", "  - path: gpu-limits.yaml\n  - path: ../../../../../etc/missing.yaml\n"),
    ],
    ids=["scp-other-user", "github-scp", "generators", "transformers", "validators", "generator-file", "helm", "missing-file"],
)  # fmt: skip
def test_a_pull_request_naming_remote_content_fails_cap021(repo_copy: Path, file: str, old: str, new: str) -> None:
    edit(repo_copy, file, old, new)
    assert {f["code"] for f in caught(lint(), "CAP021")} == {"CAP021"}


def test_a_local_directory_named_like_a_repository_is_remote(repo_copy: Path) -> None:
    """kustomize would clone github.com:org/repo, not read the directory of that name."""
    pool = repo_copy / "overlays/prod/capacity/gpu-us-west-2a"
    target = repo_copy / "overlays/prod/capacity/github.com:org/repo/dir"
    target.mkdir(parents=True)
    for item in pool.iterdir():
        (target / item.name).write_text(item.read_text().replace("../../../../", "../../../../../../"))
    edit(
        repo_copy, "overlays/prod/capacity/kustomization.yaml", "  - gpu-us-west-2a\n", "  - github.com:org/repo/dir\n"
    )
    caught(lint(), "CAP021")


# --- belt and braces: kustomize cannot fetch, and sees no credentials --------------------------


def _local_repository(tmp_path: Path) -> Path:
    source = tmp_path / "upstream"
    source.mkdir()
    (source / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n")
    (source / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n")
    git = ["git", "-C", str(source), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "upstream"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return source


def _build_dir(tmp_path: Path, entry: str) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    (build / "kustomization.yaml").write_text(f"resources:\n  - {entry}\n")
    return build


def test_kustomize_cannot_clone_even_a_file_repository(tmp_path: Path) -> None:
    """A form the predicate missed fails the build: here kustomize is handed a file:// repository
    directly (no predicate), which it clones in the caller's environment and not in its own."""
    build = _build_dir(tmp_path, f"file://{_local_repository(tmp_path)}")
    command = [*kustomize_command(), str(build)]
    plain = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, "KUBECONFIG": os.devnull}
    )
    assert plain.returncode == 0 and "fetched" in plain.stdout, plain.stderr  # the control: it can
    with pytest.raises(InputError, match="kustomize failed"):
        kustomize_build(build, "build")


def _outside_address() -> str:
    """An address of this machine that is not loopback: Go's proxy settings skip loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.254", 9))  # no packet is sent
        address = str(probe.getsockname()[0])
    assert not address.startswith("127."), "this test needs a non-loopback IPv4 address"
    return address


def test_kustomize_cannot_fetch_over_http(tmp_path: Path) -> None:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: t.Any) -> None:
            pass

    server = http.server.HTTPServer((_outside_address(), 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        build = _build_dir(tmp_path, f"http://{host!s}:{port}/cm.yaml")
        with pytest.raises(InputError, match="kustomize failed"):
            kustomize_build(build, "build")
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []


def test_kustomize_sees_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GITHUB_TOKEN",
        "SSH_AUTH_SOCK",
    ):
        monkeypatch.setenv(name, "secret")
    env = kustomize_env("/tmp/home")
    assert not {name for name, value in env.items() if value == "secret"}
    assert env["HOME"] == "/tmp/home" and env["GIT_ALLOW_PROTOCOL"] == "none"
    assert set(env) <= {
        "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "HOME", "KUBECONFIG", "NO_PROXY", "no_proxy",
        "GIT_ALLOW_PROTOCOL", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_TERMINAL_PROMPT", "GIT_SSH_COMMAND",
        "GIT_ASKPASS", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy",
        "GOGC",
    }  # fmt: skip


def test_kustomize_older_than_v5_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accelcap.lint import cli as lint_cli
    from support import run_in_process

    fake = tmp_path / "bin" / "kustomize"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho '{Version:kustomize/v4.5.7 GitCommit:x BuildDate:y GoOs:linux GoArch:amd64}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ACCELCAP_KUSTOMIZE", f"{fake} build")
    kustomize_command.cache_clear()
    try:
        result = run_in_process(lint_cli, "prod")
    finally:
        kustomize_command.cache_clear()
    assert result.code == 2
    assert result.err == "lint: kustomize: kustomize v4.5.7 is too old: the render needs kustomize v5 or newer\n"
