"""Every lint rule, one module each. Importing this package registers them all.

A new rule: add ``capNNN_<name>.py`` with a check function decorated by ``rule(...)``,
list it below, add its failing mutation to ``tests/lint/lint_mutations.py``, and regenerate
``docs/lint-rules.md`` (``python -m accelcap.lint.docs``).
"""

from __future__ import annotations

from . import (  # noqa: F401 - imported to register
    cap001_machineset_no_prune,
    cap002_application_no_auto_prune,
    cap003_machineset_replicas,
    cap004_autoscaled_replicas,
    cap005_gpu_pool_taint_labels,
    cap006_specialized_pool_role,
    cap007_infra_id,
    cap008_selector_labels,
    cap009_zone_region,
    cap010_clusterpolicy_tolerations,
    cap011_cluster_autoscaler,
    cap012_cluster_scoped,
    cap013_olm_custom_resources,
    cap014_neuron_pool_taints,
    cap015_validation_workloads,
    cap016_nfd_operand,
    cap017_operator_support,
    cap101_ignore_reason,
    cap102_facts_missing,
)
