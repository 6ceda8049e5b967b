"""Fixtures of the workflow tests."""

from render_memo import render_memo  # noqa: F401 - fixtures are found by name
