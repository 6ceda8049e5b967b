"""The GitHub workflow: the README's commands, and the trust model of docs/runbook.md, checked
property by property so that a later edit cannot undo one silently.

- Every action is pinned by full commit SHA, with its version in a comment.
- Checkouts keep no credentials; no ``${{ }}`` expression is pasted into a ``run:`` script.
- Each job asks for the smallest token; only the quota job can mint an OIDC token, only in
  the reviewed ``aws-quotas`` environment, and only on ``pull_request_target`` (this file as
  it is on the base branch).
- That job runs the base branch's tool, installed from a hash-pinned lock file before any
  credentials exist, and reads the pull request's tree only as data.
- The gate (``policy``) is the base branch's check on the pull request's tree, without
  credentials; the trusted jobs take their settings from the base branch (ACCELCAP_SETTINGS)
  and the cluster list must hold every cluster of the base branch.
- The trust policy conditions only on what IAM evaluates (``aud``, ``sub``), and the customised
  ``sub`` pins this repository, the environment and this file on main; SKIP_QUOTAS reaches the
  tool only from that environment's variables. CODEOWNERS covers what the gate is made of.
"""

from __future__ import annotations

import json
import re
import tomllib
import typing as t

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from accelcap.config import load_settings
from accelcap.facts import list_clusters, load_facts
from support import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
LOCK = REPO / "requirements" / "verify-quotas.lock"
ENVIRONMENT = "aws-quotas"
ROLE_JOB = "quotas"
POLICY_JOB = "policy"
#: The jobs that run the base branch's tool on the pull request's tree.
TRUSTED_JOBS = (POLICY_JOB, "quota-clusters", ROLE_JOB)
BASE_SETTINGS = "${{ github.workspace }}/tool/pyproject.toml"
TOOL_CHECKOUT = {"ref": "${{ github.event.pull_request.base.sha }}", "path": "tool", "persist-credentials": False}
PR_CHECKOUT = {
    "repository": "${{ github.event.pull_request.head.repo.full_name }}",
    "ref": "${{ github.event.pull_request.head.sha }}",
    "path": "pull-request",
    "persist-credentials": False,
}


def readme_command(label: str) -> str:
    """The indented command that follows the README line starting with ``label``."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label))
    return next(line.strip() for line in lines[start + 1 :] if line.startswith("    "))


def workflow() -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], yaml.safe_load(WORKFLOW.read_text()))


def triggers() -> dict[str, t.Any]:
    document = workflow()
    return t.cast(dict[str, t.Any], document[True] if True in document else document["on"])  # YAML 1.1 "on"


def jobs() -> dict[str, dict[str, t.Any]]:
    return t.cast(dict[str, dict[str, t.Any]], workflow()["jobs"])


def steps(job: str) -> list[dict[str, t.Any]]:
    return t.cast(list[dict[str, t.Any]], jobs()[job]["steps"])


def run_lines(job: str) -> list[str]:
    return [line.strip() for step in steps(job) for line in str(step.get("run", "")).splitlines() if line.strip()]


def runs_on_pull_request_target(job: dict[str, t.Any]) -> bool:
    condition = str(job.get("if", ""))
    return "github.event_name == 'pull_request_target'" in condition


def index_of(job: str, predicate: t.Callable[[dict[str, t.Any]], bool]) -> int:
    found = [n for n, step in enumerate(steps(job)) if predicate(step)]
    assert len(found) == 1, f"{job}: {len(found)} matching steps"
    return found[0]


def uses(step: dict[str, t.Any], action: str) -> bool:
    return str(step.get("uses", "")).startswith(f"{action}@")


# --- the README's commands -----------------------------------------------------------------


#: What .ci/run adds to the README's test command: a report of the slowest tests, nothing
#: that changes which tests run or how.
CI_REPORT_OPTIONS = " --durations=20"


def test_ci_run_is_the_readme_test_command() -> None:
    test_command = readme_command("Tests")
    script = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command + CI_REPORT_OPTIONS in [line.strip() for line in script]
    assert "bash .ci/run" in run_lines("checks")


def test_workflow_runs_the_readme_main_job_hooks_and_capacity_diff() -> None:
    assert readme_command("Main job") in run_lines("checks")
    assert "pre-commit run --all-files" in " ".join(run_lines("checks"))
    assert any("capacity-diff" in line and "GITHUB_STEP_SUMMARY" in line for line in run_lines("checks"))


def test_the_tests_get_go_and_the_test_data_and_nothing_else_does() -> None:
    go = index_of("checks", lambda step: uses(step, "actions/setup-go"))
    data = index_of("checks", lambda step: step.get("name") == "Test data")
    tests = index_of("checks", lambda step: "bash .ci/run" in str(step.get("run", "")))
    main_job = index_of("checks", lambda step: readme_command("Main job") in str(step.get("run", "")))
    assert steps("checks")[go]["with"]["go-version"] == "1.26"
    assert main_job < go < data < tests
    assert steps("checks")[tests]["env"] == {"ACCELCAP_SHARED": "${{ runner.temp }}/shared"}
    # The main job runs as a team's clone would: no test data, no mirror beside it.
    assert "env" not in steps("checks")[main_job] or "ACCELCAP_SHARED" not in steps("checks")[main_job]["env"]


# --- triggers and tokens -------------------------------------------------------------------


def test_triggers_and_which_jobs_run_on_pull_request_target() -> None:
    assert set(triggers()) == {"pull_request", "pull_request_target", "push"}
    assert triggers()["push"] == {"branches": ["main"]}
    assert set(jobs()) == {"checks", POLICY_JOB, "quota-clusters", ROLE_JOB, "quota-verdict"}
    # The pull request's own code runs only where there is nothing to steal.
    assert jobs()["checks"]["if"] == "github.event_name != 'pull_request_target'"
    for name in (*TRUSTED_JOBS, "quota-verdict"):
        assert runs_on_pull_request_target(jobs()[name]), name


def test_smallest_permissions_per_job() -> None:
    assert workflow()["permissions"] == {}
    expected = {
        "checks": {"contents": "read"},
        POLICY_JOB: {"contents": "read"},
        "quota-clusters": {"contents": "read"},
        ROLE_JOB: {"contents": "read", "id-token": "write"},
        "quota-verdict": {},
    }
    assert {name: job.get("permissions") for name, job in jobs().items()} == expected


def test_only_the_reviewed_environment_holds_the_role() -> None:
    for name, job in jobs().items():
        mints = (job.get("permissions") or {}).get("id-token") == "write"
        assumes = any(uses(step, "aws-actions/configure-aws-credentials") for step in job["steps"])
        assert mints == assumes == (name == ROLE_JOB), name
        assert (job.get("environment") == ENVIRONMENT) == (name == ROLE_JOB), name
    text = WORKFLOW.read_text()
    assert "secrets." not in text  # no stored secret anywhere: the role comes from OIDC


# --- actions, checkouts, scripts -----------------------------------------------------------


def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment() -> None:
    lines = [line.strip() for line in WORKFLOW.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines, "no actions found"
    for line in lines:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


def test_checkouts_keep_no_credentials() -> None:
    checkouts = [s for job in jobs() for s in steps(job) if uses(s, "actions/checkout")]
    assert len(checkouts) == 7  # checks: 1; policy, quota-clusters and quotas: tool + pull request each
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, step


def test_no_expression_is_pasted_into_a_script() -> None:
    for name in jobs():
        for step in steps(name):
            assert "${{" not in str(step.get("run", "")), (name, step.get("name"))


# --- the role-holding job runs the base branch's tool on the pull request's data -----------


def test_quota_jobs_check_out_the_base_tool_and_the_pull_request_apart() -> None:
    for name in TRUSTED_JOBS:
        checkouts = [s["with"] for s in steps(name) if uses(s, "actions/checkout")]
        assert checkouts == [TOOL_CHECKOUT, PR_CHECKOUT], name
        env = jobs()[name]["env"]
        assert env["TOOL_DIR"] == "${{ github.workspace }}/tool"
        assert env["ACCELCAP_REPO"] == "${{ github.workspace }}/pull-request"
        # The settings are the base branch's: the pull request's pyproject.toml is never read.
        assert env["ACCELCAP_SETTINGS"] == BASE_SETTINGS
        assert env["TOOL_VENV"].startswith("${{ runner.temp }}/")


def _install_steps(name: str) -> list[str]:
    return [str(s["run"]) for s in steps(name) if "bin/pip" in str(s.get("run", ""))]


def test_the_tool_is_installed_from_the_lock_file_before_any_credentials() -> None:
    expected = (
        'python3 -m venv "$TOOL_VENV"\n'
        '"$TOOL_VENV/bin/pip" install --quiet --no-deps --require-hashes --only-binary :all: '
        '-r "$TOOL_DIR/requirements/verify-quotas.lock"\n'
        '"$TOOL_VENV/bin/pip" install --quiet --no-deps --no-build-isolation --no-index "$TOOL_DIR"\n'
    )
    for name in TRUSTED_JOBS:
        assert _install_steps(name) == [expected], name
    install = index_of(ROLE_JOB, lambda s: "--require-hashes" in str(s.get("run", "")))
    symlinks = index_of(ROLE_JOB, lambda s: "-type l" in str(s.get("run", "")))
    credentials = index_of(ROLE_JOB, lambda s: uses(s, "aws-actions/configure-aws-credentials"))
    check = index_of(ROLE_JOB, lambda s: "bin/verify-quotas" in str(s.get("run", "")))
    assert install < symlinks < credentials < check == len(steps(ROLE_JOB)) - 1


def test_with_credentials_only_the_base_tool_runs() -> None:
    """After the role is assumed, one step runs, and it runs the installed base tool, outside
    the pull request's tree; nothing before it executes anything from that tree."""
    credentials = index_of(ROLE_JOB, lambda s: uses(s, "aws-actions/configure-aws-credentials"))
    (check,) = steps(ROLE_JOB)[credentials + 1 :]
    assert check["working-directory"] == "${{ runner.temp }}"
    assert check["env"]["CLUSTER"] == "${{ matrix.cluster }}"
    commands = [line for line in str(check["run"]).splitlines() if line.strip()]
    assert commands == [
        "set -o pipefail",
        '"$TOOL_VENV/bin/verify-quotas" "$CLUSTER" --format markdown | tee -a "$GITHUB_STEP_SUMMARY"',
    ]
    for name in TRUSTED_JOBS:
        for step in steps(name):
            script = str(step.get("run", ""))
            assert "pull-request" not in script, (name, step.get("name"))
            assert "$ACCELCAP_REPO" not in script or "-type l" in script, (name, step.get("name"))
            assert "PYTHONPATH" not in script and "python -m" not in script and "tools/" not in script


def test_every_cluster_is_checked() -> None:
    listing = steps("quota-clusters")[-1]
    assert listing["id"] == "list"
    assert '"$TOOL_VENV/bin/verify-quotas" --list-clusters --base-repo "$TOOL_DIR"' in listing["run"]
    # A failed list (empty, or a base cluster missing) fails the job; its notes reach the summary.
    assert 'exit "$status"' in listing["run"] and '>> "$GITHUB_STEP_SUMMARY"' in listing["run"]
    assert jobs()[ROLE_JOB]["if"] == "github.event_name == 'pull_request_target'"  # never skipped by an empty list
    assert jobs()["quota-clusters"]["outputs"]["clusters"] == "${{ steps.list.outputs.clusters }}"
    matrix = jobs()[ROLE_JOB]["strategy"]
    assert matrix["matrix"] == {"include": "${{ fromJSON(needs.quota-clusters.outputs.clusters) }}"}
    assert matrix["fail-fast"] is False
    verdict = jobs()["quota-verdict"]
    assert verdict["needs"] == ["quota-clusters", ROLE_JOB] and verdict["if"].startswith("always() && ")
    (verdict_step,) = verdict["steps"]
    assert "skipped" not in verdict_step["run"]  # a skipped quota check is no pass
    credentials = steps(ROLE_JOB)[index_of(ROLE_JOB, lambda s: uses(s, "aws-actions/configure-aws-credentials"))]
    assert credentials["with"] == {
        "role-to-assume": "arn:aws:iam::${{ matrix.account }}:role/${{ vars.QUOTA_CHECK_ROLE_NAME }}",
        "aws-region": "${{ matrix.region }}",
    }
    assert "prod" not in WORKFLOW.read_text()  # no cluster is special


def test_skip_quotas_comes_only_from_the_environment_job() -> None:
    setters = [line.strip() for line in WORKFLOW.read_text().splitlines() if re.search(r"\bSKIP_QUOTAS\s*[:=]", line)]
    assert setters == ["SKIP_QUOTAS: ${{ vars.SKIP_QUOTAS }}"]
    check = steps(ROLE_JOB)[-1]
    assert check["env"]["SKIP_QUOTAS"] == "${{ vars.SKIP_QUOTAS }}"


# --- the trust policy and the lock file -------------------------------------------------------


def _repository() -> str:
    url = load_settings(REPO).repo_url or ""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(\.git)?", url)
    assert match, url
    return match.group(1)


#: The claim keys the repository's subject claim is customised with (docs/runbook.md), in order.
SUB_CLAIM_KEYS = ["repo", "context", "job_workflow_ref"]


def test_trust_policy_conditions_only_on_what_iam_evaluates_and_pins_the_whole_sub() -> None:
    """IAM evaluates only aud and sub of GitHub's tokens; sub, customised with repo, context and
    job_workflow_ref, names this repository, the quota job's environment and this file on main."""
    repository = _repository()
    document = json.loads((REPO / "docs" / "iam-trust-policy.json").read_text())
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    accounts = {load_facts(name, load_settings(REPO)).account_id for name in list_clusters(load_settings(REPO))}
    assert {statement["Principal"]["Federated"]} == {
        f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com" for account in accounts
    }
    assert list(statement["Condition"]) == ["StringEquals"]
    conditions = statement["Condition"]["StringEquals"]
    assert set(conditions) == {"token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:sub"}
    assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    environment = jobs()[ROLE_JOB]["environment"]
    workflow_ref = f"{repository}/{WORKFLOW.relative_to(REPO).as_posix()}@refs/heads/main"
    # GitHub writes each included claim as key:value, in the order of include_claim_keys, and
    # "context" as it appears in the default sub (environment:<name>).
    expected = f"repo:{repository}:environment:{environment}:job_workflow_ref:{workflow_ref}"
    assert SUB_CLAIM_KEYS == ["repo", "context", "job_workflow_ref"]
    assert conditions["token.actions.githubusercontent.com:sub"] == expected
    assert "*" not in expected and "?" not in expected  # StringEquals: no wildcard wanted either


def test_the_runbook_gives_the_one_time_subject_claim_command() -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text()
    (line,) = [line.strip() for line in runbook.splitlines() if "actions/oidc/customization/sub --input" in line]
    assert line.startswith(f"gh api --method PUT repos/{_repository()}/actions/oidc/customization/sub ")
    payload = json.loads(line.split("<<< ", 1)[1].strip("'"))
    assert payload == {"use_default": False, "include_claim_keys": SUB_CLAIM_KEYS}


# --- the gate: the base branch's check, CODEOWNERS ----------------------------------------------


def test_the_policy_job_runs_the_base_check_on_the_pull_request_without_credentials() -> None:
    job = jobs()[POLICY_JOB]
    assert "environment" not in job and job["permissions"] == {"contents": "read"}
    install = index_of(POLICY_JOB, lambda s: "--require-hashes" in str(s.get("run", "")))
    symlinks = index_of(POLICY_JOB, lambda s: "-type l" in str(s.get("run", "")))
    check = index_of(POLICY_JOB, lambda s: "bin/check" in str(s.get("run", "")))
    assert install < symlinks < check == len(steps(POLICY_JOB)) - 1
    step = steps(POLICY_JOB)[check]
    assert step["run"] == '"$TOOL_VENV/bin/check"' and step["working-directory"] == "${{ runner.temp }}"
    # The branch protection the runbook sets up requires it.
    assert "require the `policy` and `quota-verdict` checks" in (REPO / "docs" / "runbook.md").read_text()


CODEOWNED = ("src/", "pyproject.toml", "requirements/", "base/bootstrap/", ".github/", "docs/iam-*.json")


def test_codeowners_cover_what_the_gate_is_made_of() -> None:
    rules = [
        line.split()
        for line in (REPO / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    owned = {pattern.lstrip("/"): owners for pattern, *owners in rules}
    for path in CODEOWNED:
        assert owned.get(path), f"CODEOWNERS does not cover {path}"
    assert all(owner.startswith("@") for owners in owned.values() for owner in owners)


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in the lock file."""
    text = LOCK.read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name, _, version = requirement.partition("==")
        assert version, f"{requirement}: not pinned with =="
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=sha256:")]
        assert len(hashes) == len(options) and hashes, f"{requirement}: every file needs a sha256 hash"
        found[canonicalize_name(name)] = (version, hashes)
    return found


def test_the_lock_file_pins_every_dependency_and_the_build_backend_with_hashes() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    locked = _locked()
    for spec in wanted:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {LOCK.name}: refresh it (docs/runbook.md)"
        assert requirement.specifier.contains(locked[name][0]), f"{name}=={locked[name][0]} does not meet {spec}"
