"""`import chainviz` stays light: the numpy core loads without plotly or ipywidgets."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, sys
import chainviz as cv
before = sorted(m for m in sys.modules if m.split(".")[0] in ("plotly", "ipywidgets", "anywidget"))
# the whole numpy API is usable without them
net = cv.two_layer([[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]])
net.jacobian([0.0, 0.0]); net.reverse_sweep([0.0, 0.0], cv.Sum()); cv.mode_cost([3, 4, 2])
import chainviz.core.examples
after = sorted(m for m in sys.modules if m.split(".")[0] in ("plotly", "ipywidgets", "anywidget"))
widgets = sorted(m for m in sys.modules if m.startswith(("chainviz.widgets", "chainviz.views")))
print(json.dumps({"before": before, "after": after, "widgets": widgets, "all": sorted(cv.__all__)}))
"""


def test_import_chainviz_does_not_load_plotly_or_ipywidgets():
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == []
    assert seen["after"] == []  # using the core and its examples does not pull them in either
    assert seen["widgets"] == []
    for name in ("Net", "two_layer", "mode_cost", "numerical_jacobian", "MSE", "Sum", "SoftmaxCrossEntropy",
                 "ACTIVATIONS", "Factor", "Row", "Trace", "ModeCost", "ChainRuleExplorer"):
        assert name in seen["all"]
