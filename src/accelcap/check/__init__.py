"""``tools/check``: one render pass, every offline check.

The main job and the pre-commit hook. It renders each build once (``accelcap.render``: every
overlay at once, each directory once per run, up to one build per core) and runs over the same
objects what the focused tools run one at a time:

- ``checks``: the checks, one small unit each (infra-id, validate, lint, quota-plan), each
  standing for its tool and reporting what that tool reports;
- ``output``: the report in text, json, github annotations or markdown, every finding naming
  the check that produced it;
- ``cli``: the command line.
"""
