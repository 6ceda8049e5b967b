"""``tools/lint``: capacity safety rules checked on rendered overlays.

Layout (one job per module):

- ``rule``: what a rule is (``Rule``, ``Violation``) and the registry that holds them;
- ``rules/``: one small module per rule, each registering itself;
- ``context``: the per-overlay index every rule reads (built once per overlay);
- ``silence``: the per-object ignore annotation;
- ``engine``: runs the rules over one rendered overlay and turns violations into findings;
- ``docs``: generates ``docs/lint-rules.md`` from the registry;
- ``cli``: the command line.
"""
