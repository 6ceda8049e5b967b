"""Random YAML and random arguments to every tool of the registry (``accelcap.toolbox``).

Each example runs one tool's entry point in this process, as its console script would, on a
fresh copy of the repository (a git repository, for capacity-diff) where one manifest may
have been replaced by random YAML, with random YAML in a file and on standard input, and
holds it to the rules every tool shares:

- the exit code is one the registry documents for the tool;
- standard error has at most one line (no ``--debug``), never a traceback or an internal
  error;
- no file changes outside the tool's documented outputs (set-infra-id: the cluster's facts;
  crd-schemas and validate: the directory given to ``-o``/``--generated`` and the cache).

Bounded in examples and time (``settings`` below). The default profile is derandomized, so
CI runs the same examples every time; ``ACCELCAP_FUZZ=explore`` runs more, at random.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import importlib
import io
import os
import shutil
import string
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import hostile_corpus as corpus
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelcap.cli import run_tool
from accelcap.toolbox import TOOLS, Tool
from support import shared_dir

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=datetime.timedelta(seconds=30),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    max_examples=300,
    deadline=datetime.timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("ACCELCAP_FUZZ", "ci"))

#: Files of the repository copy that an example may replace with random YAML.
REPLACEABLE = (
    corpus.FACTS,
    corpus.FACTS_WIRING,
    corpus.WIRING,
    corpus.POOL,
    corpus.POOL_YAML,
    corpus.CAPACITY,
    corpus.OVERLAY,
    corpus.APPS,
    "base/pools/gpu/kustomization.yaml",
)
#: Options whose value is a directory the tool writes (a documented output).
OUTPUT_OPTIONS = ("-o", "--output-dir", "--generated")
#: Words worth trying anywhere: names that exist, revisions, formats, placeholders.
WORDS = (
    "prod", "nope", "-", "--", "HEAD", "HEAD~1", "overlays/prod", "overlays", "{yaml}", "{scratch}/nope.yaml",
    "http://127.0.0.1:9/x.json", "text", "json", "github", "markdown", "g5.2xlarge", "CAP001", "1.31", "out",
    "ocp-blue-9q8w7", "INFRAID", "machinesets.machine.openshift.io", "--debug=1",
)  # fmt: skip

YAML_PUNCTUATION = "&*[]{}:-!|>#'\"?,%@`\n\t <<"
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _dumped(value: t.Any) -> str:
    return yaml.safe_dump(value, default_flow_style=None)


def _mutated(pair: tuple[str, int, str]) -> str:
    text, position, insert = pair
    position %= len(text) + 1
    return text[:position] + insert + text[position:]


MANIFEST_TEXTS = [(corpus.REPO / path).read_text() for path in REPLACEABLE]
random_yaml = st.one_of(
    data.map(_dumped),
    st.text(alphabet=string.ascii_letters + string.digits + YAML_PUNCTUATION, max_size=80),
    st.tuples(st.sampled_from(MANIFEST_TEXTS), st.integers(0, 2000), st.text(YAML_PUNCTUATION + "x1", max_size=6)).map(
        _mutated
    ),
    st.sampled_from([text for text, _ in corpus.BAD_YAML.values() if isinstance(text, str)]),
)


def option_strings(tool: Tool) -> list[str]:
    module = importlib.import_module(tool.entry_point.partition(":")[0])
    parser = module.build_parser()
    return sorted({o for action in parser._actions for o in action.option_strings if o != "--debug"})


#: Command lines that get past the parser, so the random YAML reaches the tool's work; the
#: fuzz adds random words to them (and tries entirely random command lines too).
SKELETONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "check-yaml": (("{yaml}",), ("--any-document", "{yaml}"), ("{yaml}", "{yaml}")),
    "check": (("prod",), ("{yaml}",), ("-",), ("--cluster", "prod", "{yaml}"), ("--changed",)),
    "set-infra-id": (
        ("prod", "--from-machineset", "{yaml}"),
        ("prod", "--infra-id"),
        ("--check",),
        ("prod", "--check"),
    ),
    "validate": (("prod",), ("{yaml}",), ("-",), ("--cluster", "prod", "-"), ("--changed",)),
    "lint": (("prod",), ("{yaml}",), ("-",), ("--cluster", "prod", "{yaml}"), ("--changed",)),
    "verify-quotas": (("prod", "--plan"), ("--plan", "--changed"), ("prod",), ("--list-clusters",)),
    "capacity-diff": (("HEAD", "HEAD"), ("HEAD",), ("--", "HEAD")),
    "crd-schemas": (("{yaml}", "-o", "out"), ("-", "-o", "out"), ("--from-cluster",)),
    # No cluster answers here ($KUBECONFIG names no file): the overlay, the facts and the
    # kubeconfig (random YAML too) are what it reads before it would call one.
    "verify-pools": (
        ("prod",),
        ("prod", "--kubeconfig", "{yaml}"),
        ("prod", "--format", "json", "--kubeconfig", "{yaml}"),
        ("prod", "--pool"),
        ("prod", "--require-nodes", "--timeout"),
        ("nope",),
    ),
    "new-cluster": (
        (
            "staging",
            "--region",
            "us-east-1",
            "--account",
            "210987654321",
            "--zone",
            "us-east-1a",
            "--instance-type",
            "g6.xlarge",
            "--infra-id",
            "staging-4kq7z",
            "--ami",
            "ami-0b32f2ab78dc2189b",
        ),
        (
            "staging",
            "--region",
            "us-east-1",
            "--account",
            "210987654321",
            "--zone",
            "us-east-1a",
            "--instance-type",
            "g6.xlarge",
            "--from-machineset",
            "{yaml}",
        ),
    ),
}


def arguments(tool: Tool) -> st.SearchStrategy[list[str]]:
    token = st.one_of(
        st.sampled_from(option_strings(tool)),
        st.sampled_from(WORDS + REPLACEABLE),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10),
    )
    skeleton = st.sampled_from(SKELETONS[tool.name]).map(list)
    extended = st.tuples(skeleton, st.lists(token, max_size=2)).map(lambda pair: pair[0] + pair[1])
    return st.one_of(extended, extended, st.lists(token, max_size=6))


class Example(t.NamedTuple):
    argv: list[str]
    yaml_text: str
    stdin: str
    replaced: tuple[str, str] | None


def examples(tool: Tool) -> st.SearchStrategy[Example]:
    return st.builds(
        Example,
        arguments(tool),
        random_yaml,
        random_yaml,
        st.one_of(st.none(), st.tuples(st.sampled_from(REPLACEABLE), random_yaml)),
    )


def confined(argv: list[str], scratch: Path) -> tuple[list[str], list[Path]]:
    """``argv`` with every directory a tool may write to moved into ``scratch/outputs``, and
    those directories. An abbreviated or attached form of an output option (``--out``,
    ``-o/``) becomes a plain word, so no example writes outside the scratch directory."""
    confined_argv: list[str] = []
    outputs: list[Path] = []
    take_value = False
    for word in argv:
        if take_value:
            target = scratch / "outputs" / str(len(outputs))
            outputs.append(target)
            confined_argv.append(str(target))
            take_value = False
        elif word in OUTPUT_OPTIONS:
            confined_argv.append(word)
            take_value = True
        elif word.startswith(("-o", "--o", "--g")) and word not in option_strings_all():
            confined_argv.append("word")
        else:
            confined_argv.append(word)
    return confined_argv, outputs


@functools.cache
def option_strings_all() -> frozenset[str]:
    return frozenset(o for tool in TOOLS for o in option_strings(tool))


def _allowed_outputs(tool: Tool, repo: Path, scratch: Path, outputs: list[Path]) -> list[Path]:
    allowed = [scratch / "cache", scratch / "tmp", *outputs]
    if tool.name == "set-infra-id":  # the facts, and the generated files that follow from them
        allowed += [p / sub for p in (repo / "overlays").iterdir() for sub in ("facts", "capacity")]
    if tool.name == "new-cluster":  # a new overlay
        allowed.append(repo / "overlays")
    return allowed


def run_example(tool: Tool, example: Example, base: Path) -> tuple[int, str]:
    module = importlib.import_module(tool.entry_point.partition(":")[0])
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=base) as directory:
        scratch = Path(directory) / "scratch"
        for sub in ("home", "tmp", "cache"):
            (scratch / sub).mkdir(parents=True)
        repo = corpus.make_repo(Path(directory))
        if tool.name == "capacity-diff":
            env = corpus.Env(repo, scratch, "", "")
            env.git("init", "-q")
            env.commit("base")
        if example.replaced:
            (repo / example.replaced[0]).write_text(example.replaced[1])
        (scratch / "in.yaml").write_text(example.yaml_text)
        argv = [w.replace("{yaml}", str(scratch / "in.yaml")).replace("{scratch}", str(scratch)) for w in example.argv]
        argv, written = confined(argv, scratch)
        outputs = _allowed_outputs(tool, repo, scratch, written)
        before = corpus._snapshot(repo, outputs), corpus._snapshot(scratch, outputs)
        values = {
            "ACCELCAP_REPO": str(repo),
            "ACCELCAP_SHARED": str(shared_dir()),
            "ACCELCAP_CACHE_DIR": str(scratch / "cache"),
            "ACCELCAP_TIMEOUTS": corpus.TEST_TIMEOUTS,
            "TMPDIR": str(scratch / "tmp"),
            "HOME": str(scratch / "home"),
            "KUBECONFIG": str(scratch / "no-kubeconfig"),
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CONFIG_FILE": str(scratch / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "aws-credentials"),
            "NO_COLOR": "1",
        }
        out, err = io.StringIO(), io.StringIO()
        stdin = io.TextIOWrapper(io.BytesIO(example.stdin.encode()), encoding="utf-8")
        state = corpus.process_state({**os.environ, **values}, scratch, scratch / "tmp")
        with state, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            saved_stdin, sys.stdin = sys.stdin, stdin
            try:
                code = run_tool(tool.name, module.build_parser, module.execute, argv)
            finally:
                sys.stdin = saved_stdin
        after = corpus._snapshot(repo, outputs), corpus._snapshot(scratch, outputs)
        for side, old, new in zip(("repository", "scratch"), before, after, strict=True):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            assert not changed, f"{tool.name} {argv}: {side} files changed: {changed}"
        return code, err.getvalue()


@pytest.mark.slow  # 25 examples a tool, each on a repository copy
@pytest.mark.parametrize("tool", TOOLS, ids=lambda tool: tool.name)
def test_random_input(tool: Tool, tmp_path: Path) -> None:
    @given(examples(tool))
    def check(example: Example) -> None:
        code, err = run_example(tool, example, tmp_path)
        context = f"{tool.name} {example.argv!r}: exit {code}, stderr {err!r}"
        assert code in tool.documented_exits, context
        assert err.count("\n") <= 1, context
        assert "Traceback" not in err and "internal error" not in err, context

    check()


def test_git_is_there() -> None:
    """capacity-diff examples need git; without it they would fail for the wrong reason."""
    assert shutil.which("git"), "git is not on PATH"
    assert subprocess.run(["git", "--version"], capture_output=True, check=False).returncode == 0


def test_every_tool_of_the_registry_has_command_lines() -> None:
    """A tool added to the registry needs its skeletons here, or the fuzz cannot reach its work."""
    assert sorted(SKELETONS) == sorted(tool.name for tool in TOOLS)
