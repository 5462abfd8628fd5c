"""chainviz: see the vector chain rule.

The numpy core (this module) loads without plotly or ipywidgets; the explorers
are imported from :mod:`chainviz.widgets` on first use.
"""

from __future__ import annotations

from .core.activations import ACTIVATIONS
from .core.jacobian import numerical_jacobian
from .core.losses import MSE, Loss, SoftmaxCrossEntropy, Sum
from .core.modes import ModeCost, mode_cost
from .core.net import Factor, Net, Row, Trace, two_layer

__version__ = "0.1.0"

_WIDGETS = {
    "ChainRuleExplorer": "chain_rule",
    "JacobianExplorer": "function_explorers",
    "CompositionExplorer": "function_explorers",
    "ModeCostExplorer": "function_explorers",
}


def __getattr__(name: str):
    # The widget layer pulls in plotly and ipywidgets (~1 s): only on first use.
    if name in _WIDGETS:
        import importlib

        module = importlib.import_module(f".widgets.{_WIDGETS[name]}", __name__)
        return getattr(module, name)
    if name == "examples":  # the section's worked examples: data only
        import importlib

        return importlib.import_module(".core.examples", __name__)
    if name == "config":  # run-time settings (how plotly.js reaches the page)
        import importlib

        return importlib.import_module(".config", __name__)
    if name == "demos":  # one-liners that open an explorer on them
        import importlib

        return importlib.import_module(".widgets.demos", __name__)
    raise AttributeError(f"module 'chainviz' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_WIDGETS) + ["examples", "demos", "config"])


__all__ = [
    "ACTIVATIONS", "MSE", "Sum", "SoftmaxCrossEntropy", "Loss", "Net", "two_layer", "Trace", "Factor",
    "Row", "ModeCost", "mode_cost", "numerical_jacobian", *_WIDGETS,
]
