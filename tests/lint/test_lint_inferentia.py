"""The Inferentia opt-in (components/inferentia), linted as a cluster would get it."""

from __future__ import annotations

from pathlib import Path

from accelcap.catalog.instance_types import Accelerator
from accelcap.config import load_settings
from accelcap.lint.engine import lint_overlay
from accelcap.lint.examples import NEURON_TAINT
from accelcap.model import find_machinesets, render_model
from accelcap.render import RenderedOverlay
from support import codes, enable_inferentia


def prod_with_inferentia(root: Path) -> RenderedOverlay:
    enable_inferentia(root)
    return render_model(root / "overlays" / "prod", load_settings(root))


def test_inferentia_opt_in_lints_clean(repo_copy: Path) -> None:
    findings = lint_overlay(prod_with_inferentia(repo_copy))
    assert findings == [], [(f.code, f.object, f.message) for f in findings]


def test_hard_taint_on_the_real_neuron_pool_fires_cap014(repo_copy: Path) -> None:
    overlay = prod_with_inferentia(repo_copy)
    before = codes(lint_overlay(overlay))
    neuron = [p for p in find_machinesets(overlay.documents) if p.accelerator is Accelerator.NEURON]
    assert neuron, "the Inferentia build has no Neuron pool"
    assert any(d.kind == "DeviceConfig" for d in overlay.documents)
    neuron[0].machineset.obj["spec"]["template"]["spec"]["taints"] = [dict(NEURON_TAINT)]
    assert codes(lint_overlay(overlay)) - before == {"CAP014"}
