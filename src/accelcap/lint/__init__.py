"""``tools/lint``: capacity safety rules checked on rendered overlays.

Layout (one job per module):

- ``rule``: what a rule is (``Rule``, ``Violation``, the ``rule`` decorator) and
  ``all_rules``, which discovers the rules;
- ``rules/``: one small module per rule (``capNNN_<name>.py``), found with pkgutil;
- ``examples``: the failing and passing examples a rule declares, as changes to the prod
  render (the tests apply them);
- ``context``: the per-overlay index every rule reads (built once per overlay), and
  Argo CD's sync options and waves;
- ``silence``: the per-object ignore annotation;
- ``tolerations``: taint and toleration matching, as the scheduler does it;
- ``provider``: where the AWS providerSpec sits in a MachineSet;
- ``engine``: runs the rules over one rendered overlay and turns violations into findings;
- ``docs``: ``docs/lint-rules.md`` from the rules (``.venv/bin/python -m accelcap.generate``);
- ``cli``: the command line.
"""
