"""Issue 22, parts 4 and 8: what a newcomer is told works as written, and names the fix.

One set-up line for contributors, commands that run from the repository root, and the small
messages: a missing kubeconfig, "did you mean" on unknown keys, exit-code help from the
registry, Kubernetes versions checked, pools scaled by hand named as such, check's summaries
before its tables, a kustomize crash named by its file, capacity-diff outside git.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from accelcap import capacity_diff, set_infra_id
from accelcap.capacity_diff import PoolCapacity, PoolChange
from accelcap.check import cli as check_cli
from accelcap.errors import InputError
from accelcap.facts import check_facts_document
from accelcap.pool_file import check_pool_document
from accelcap.quotas import cli as quotas_cli
from accelcap.render import KUSTOMIZE_ENV, kustomize_command
from accelcap.toolbox import TOOLS
from accelcap.validate import cli as validate_cli
from support import REPO, Result, enable_inferentia, run_in_process

#: Text files a user reads commands from.
TEXT_SUFFIXES = {".md", ".py", ".yaml", ".yml", ".toml", ".json", ".txt"}


@pytest.fixture(autouse=True)
def _text_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCELCAP_FORMAT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def _repository_text_files() -> list[Path]:
    roots = [
        REPO / name for name in ("README.md", "pyproject.toml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml")
    ]
    files = [p for p in roots if p.is_file()]
    for directory in ("base", "components", "overlays", "docs", "src", "tests", "benchmarks", "tools"):
        files += [p for p in (REPO / directory).rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    return [p for p in files if ".egg-info" not in str(p)]


def test_every_generate_command_runs_from_the_repository_root() -> None:
    """`python -m accelcap...` fails outside the venv (No module named 'accelcap')."""
    bare = re.compile(r"(?<!\.venv/bin/)\bpython3? -m accelcap")
    offending = [
        f"{path.relative_to(REPO)}:{number}"
        for path in _repository_text_files()
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if bare.search(line)
    ]
    assert offending == []


def test_one_set_up_line_installs_what_the_hooks_run() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    dev = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras["dev"]}
    test = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras["test"]}
    # dev is the test extra (pre-commit, ruff, mypy, the stubs) and whatever else it names.
    assert "accel-capacity" in dev or {"pre-commit", "ruff", "mypy"} <= dev
    assert {"pre-commit", "ruff", "mypy"} <= test
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    executables = {hook["entry"].split()[0] for hook in config["repos"][0]["hooks"]}
    assert executables <= {".venv/bin/python", ".venv/bin/ruff", ".venv/bin/mypy"} | {
        f"tools/{tool.name}" for tool in TOOLS
    }
    readme = (REPO / "README.md").read_text()
    assert "pip install -q -e '.[dev]' && .venv/bin/pre-commit install" in readme


def test_from_cluster_without_a_kubeconfig_says_so(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = repo_copy / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    result = run_in_process(set_infra_id, "prod", "--from-cluster")
    assert result.code == 2
    assert result.err.strip() == (
        f"set-infra-id: kubeconfig {missing}: no such file: log in first (`oc login` writes ~/.kube/config) "
        "or point $KUBECONFIG at a kubeconfig"
    )
    assert "Invalid kube-config" not in result.err


def _pool_document() -> dict[str, object]:
    return yaml.safe_load((REPO / "overlays/prod/capacity/gpu-us-west-2a/pool.yaml").read_text())


def test_a_misspelt_pool_key_gets_a_did_you_mean() -> None:
    document = _pool_document()
    spec = document["spec"]
    assert isinstance(spec, dict)
    spec["maxReplica"] = spec.pop("maxReplicas")
    with pytest.raises(InputError) as raised:
        check_pool_document(document, "pool.yaml")
    assert raised.value.what.startswith("spec: unknown key 'maxReplica' (did you mean maxReplicas?); known here:")
    # A key far from every known one: no guess, the known keys all the same.
    spec["maxReplicas"] = spec.pop("maxReplica")
    spec["colour"] = "blue"
    with pytest.raises(InputError) as raised:
        check_pool_document(document, "pool.yaml")
    assert "did you mean" not in raised.value.what and "known here: acceleratorLabel" in raised.value.what


def test_a_misspelt_pool_key_is_named_by_the_tools(repo_copy: Path) -> None:
    pool = repo_copy / "overlays/prod/inferentia/capacity/inf2-us-west-2a/pool.yaml"
    pool.write_text(pool.read_text().replace("  replicas: 0", "  replica: 0"))
    enable_inferentia(repo_copy)
    result = run_in_process(check_cli, "prod")
    assert result.code == 2
    assert "unknown key 'replica' (did you mean replicas?)" in result.err, result.err


@pytest.mark.parametrize(
    ("path", "typo", "expected"),
    [
        (("spec",), ("zones", "zone"), "spec: unknown key 'zone' (did you mean zones?)"),
        (("spec", "worker"), ("iamInstanceProfile", "iamInstanceprofil"), "did you mean iamInstanceProfile?"),
    ],
)
def test_a_misspelt_facts_key_gets_a_did_you_mean(path: tuple[str, ...], typo: tuple[str, str], expected: str) -> None:
    document = yaml.safe_load((REPO / "overlays/prod/facts/cluster.yaml").read_text())
    node = document
    for key in path:
        node = node[key]
    node[typo[1]] = node.pop(typo[0])
    with pytest.raises(InputError) as raised:
        check_facts_document(document, "cluster.yaml")
    assert expected in raised.value.what


def _help_exit_codes(help_text: str) -> set[int]:
    block = help_text.split("exit codes:\n", 1)[1]
    return {int(m[1]) for m in re.finditer(r"^  (\d+)  ", block, re.MULTILINE)} - {141}


@pytest.mark.parametrize("tool", TOOLS, ids=lambda tool: tool.name)
def test_help_lists_the_exit_codes_of_the_registry(tool: object, capsys: pytest.CaptureFixture[str]) -> None:
    """capacity-diff cannot exit 1 or 3, check-yaml cannot exit 3: their help says so."""
    import importlib

    module_name, _, _ = tool.entry_point.partition(":")  # type: ignore[attr-defined]
    module = importlib.import_module(module_name)
    result = run_in_process(module, "--help")
    assert result.code == 0
    assert _help_exit_codes(result.out) == {code for code, _ in tool.exit_codes}  # type: ignore[attr-defined]


def test_an_unknown_kubernetes_version_is_refused(tmp_path: Path) -> None:
    result = run_in_process(validate_cli, "--kubernetes-version", "9.99", "prod")
    assert result.code == 2
    assert result.err.startswith("validate: --kubernetes-version: '9.99' is not a Kubernetes version with schemas here")
    assert "1.33" in result.err
    # The spellings of a version it has, on one object (prod at each version would be three renders).
    namespace = tmp_path / "namespace.yaml"
    namespace.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    for good in ("1.33", "v1.33", "1.33.7"):
        accepted = run_in_process(validate_cli, "--kubernetes-version", good, str(namespace))
        assert (accepted.code, accepted.err) == (0, ""), good
    assert run_in_process(validate_cli, "--kubernetes-version", "1.33", "prod").code == 0


def test_the_quota_plan_names_a_pool_scaled_by_hand(repo_copy: Path) -> None:
    enable_inferentia(repo_copy)
    result = run_in_process(quotas_cli, "prod", "--plan")
    assert result.code == 0, result.err
    rows = [line for line in result.out.splitlines() if not line.startswith("verify-quotas:")]  # the table
    row = next(line for line in rows if "inferentia-us-west-2a" in line)
    assert "prod-x7k2p-inferentia-us-west-2a (scaled by hand: replicas, no autoscaler)" in row
    assert re.search(r"\s0\s", row)
    gpu = next(line for line in rows if "gpu-us-west-2a" in line)
    assert "scaled by hand" not in gpu


def _capacity(replicas: int, by_hand: bool) -> PoolCapacity:
    return PoolCapacity("prod", "p", "inf2.xlarge", "spot", "Inf", replicas, 4 * replicas, replicas, "z", None, by_hand)


def test_capacity_diff_says_replicas_of_a_pool_scaled_by_hand() -> None:
    assert PoolChange("prod", "p", "changed", _capacity(0, True), _capacity(1, True)).detail == "replicas 0 -> 1"
    assert PoolChange("prod", "p", "changed", _capacity(2, False), _capacity(4, False)).detail == "maxReplicas 2 -> 4"
    assert PoolChange("prod", "p", "added", None, _capacity(0, True)).detail == "zone z, replicas 0 (scaled by hand)"
    assert PoolChange("prod", "p", "changed", _capacity(1, True), _capacity(1, False)).detail == (
        "scaled by hand -> autoscaled"
    )


def test_check_prints_the_summaries_of_each_check_before_the_tables() -> None:
    result = run_in_process(check_cli, "prod")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    first_table = next(n for n, line in enumerate(lines) if line.startswith("CLASS"))
    summaries = [n for n, line in enumerate(lines) if re.match(r"check: (infra-id|validate|lint|quota-plan): ok", line)]
    assert len(summaries) == 4 and max(summaries) < first_table
    assert lines[-1].startswith("check: ok")


def add_recursive_alias(root: Path) -> None:
    """A ConfigMap whose data contains itself, in prod's operators build."""
    operators = root / "overlays/prod/operators"
    (operators / "loop.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\n  namespace: x\ndata: &a\n  b: *a\n"
    )
    kustomization = operators / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - loop.yaml\n", 1))


#: The start and end of the trace kustomize prints when kyaml overflows its stack.
GO_STACK_OVERFLOW = (
    "runtime: goroutine stack exceeds 1000000000-byte limit\n"
    "runtime: sp=0xc0200e0390 stack=[0xc0200e0000, 0xc0400e0000]\n"
    "fatal error: stack overflow\n\nruntime stack:\nruntime.throw({0x1b6c1e5?, 0x0?})\n"
    "\t/usr/local/go/src/runtime/panic.go:1023 +0x5c fp=0x7ffd2c9c1f08 sp=0x7ffd2c9c1ed8\n\n"
    "goroutine 1 gp=0xc000002380 m=0 mp=0x2d0f0a0 [running]:\n"
    "sigs.k8s.io/kustomize/kyaml/yaml.(*RNode).Content(...)\n"
    "\t/root/go/pkg/mod/k8s.io/klog/v2@v2.130.1/klog.go:1137 +0x167\n"
)


def test_a_kustomize_crash_is_one_line_naming_the_file(
    repo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kustomize of the operators build crashes as it does on a recursive alias (a Go trace on
    standard error), without the seconds the real overflow takes (below, slow)."""
    add_recursive_alias(repo_copy)
    crashing = tmp_path / "crashing-kustomize"
    crashing.write_text(
        "#!/bin/sh\nfor build; do :; done\n"  # the last argument: kustomize's wrapper kustomization
        'if grep -q "overlays/prod/operators$" "$build/kustomization.yaml"; then\n'
        f"  printf %s {shlex.quote(GO_STACK_OVERFLOW)} >&2\n  exit 2\nfi\n"
        f'exec {shlex.join(kustomize_command())} "$@"\n'
    )
    crashing.chmod(0o755)
    monkeypatch.setenv(KUSTOMIZE_ENV, str(crashing))
    kustomize_command.cache_clear()
    try:
        result = run_in_process(check_cli, "prod")
    finally:
        kustomize_command.cache_clear()
    assert_one_crash_line(result)


@pytest.mark.slow
def test_a_kustomize_crash_names_the_build_and_the_file_once(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recursive alias crashes kustomize with a Go trace (kyaml recurses without bound,
    to Go's 1 GB stack limit: slow on a busy machine, hence the longer limit)."""
    monkeypatch.setenv("ACCELCAP_TIMEOUTS", "kustomize.total=300")
    add_recursive_alias(repo_copy)
    assert_one_crash_line(run_in_process(check_cli, "prod"))


def assert_one_crash_line(result: Result) -> None:
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("check: overlays/prod/operators: kustomize crashed (")
    assert lines[0].count("overlays/prod/operators/loop.yaml") == 1
    assert "recursive alias" in lines[0]
    assert "goroutine" not in lines[0] and ".go:" not in lines[0]


def test_capacity_diff_outside_a_git_repository_says_so(repo_copy: Path) -> None:
    result = run_in_process(capacity_diff, "HEAD", "HEAD")
    assert result.code == 2
    assert "not inside a git repository" in result.err and "not a revision" not in result.err
