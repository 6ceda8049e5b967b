"""The lint rules, one module each, found by ``accelcap.lint.rule.all_rules`` (pkgutil).

A new rule is one module, ``capNNN_<name>.py``: a check function decorated with
``rule("CAPNNN", ...)`` that carries its text and its failing and passing examples
(``accelcap.lint.examples``). Then run ``.venv/bin/python -m accelcap.generate`` for its docs.
"""
