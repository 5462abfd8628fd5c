"""One-liners that open an explorer on the section's worked examples (``cv.demos``).

The examples themselves are data in :mod:`chainviz.core.examples`; opening them
needs the widget layer, so the openers live here and the core never imports widgets.
"""

from __future__ import annotations

from ..core.examples import (
    J_jacobian_demo, JACOBIAN_DEMO_X0, SCALE_WIDTHS, SIN_X2, SQUARE_3X_PLUS_1, ScalarChain, f_composition,
    f_jacobian_demo, g_composition,
)
from .function_explorers import CompositionExplorer, JacobianExplorer, ModeCostExplorer

_SCALAR_CHAINS = {"sin(x²)": SIN_X2, "sin": SIN_X2, "sin(x^2)": SIN_X2,
                  "(3x+1)²": SQUARE_3X_PLUS_1, "(3x+1)^2": SQUARE_3X_PLUS_1, "square": SQUARE_3X_PLUS_1}


def jacobian_demo(*, theme: str = "auto") -> JacobianExplorer:
    """A :class:`JacobianExplorer` on f(x₁, x₂) = (x₁² + x₂, x₁x₂) at (1, 2).

    ``theme``: ``"auto"`` (follow JupyterLab), ``"light"`` or ``"dark"``, as in every demo here.
    """
    return JacobianExplorer(f_jacobian_demo, JACOBIAN_DEMO_X0, names=["x₁", "x₂"], jacobian=J_jacobian_demo,
                            theme=theme)


def composition_demo(*, theme: str = "auto") -> CompositionExplorer:
    """A :class:`CompositionExplorer` on f(x) = (x, x²), g(u) = u₁ + u₂ at x = 1."""
    return CompositionExplorer(f_composition, g_composition, [1.0], theme=theme)


def scale_demo(*, theme: str = "auto") -> ModeCostExplorer:
    """A :class:`ModeCostExplorer` on the section's n = 10⁶ example."""
    return ModeCostExplorer(SCALE_WIDTHS, theme=theme)


def scalar_chain_demo(example: str | ScalarChain = "sin(x²)", x0: float = 1.0, *,
                      theme: str = "auto") -> CompositionExplorer:
    """The scalar chain rule ``h'(x) = g'(f(x))·f'(x)`` as a product of 1×1 Jacobians.

    ``example`` is ``"sin(x²)"`` or ``"(3x+1)²"`` (or a :class:`chainviz.examples.ScalarChain`).
    Shows ``g'(f(x))``, ``f'(x)``, their product and ``h(x)``, checked against
    the closed form ``h'(x)`` derived by hand and against differences of ``h``.

    Raises
    ------
    ValueError
        An unknown ``example`` or ``theme``.
    """
    if isinstance(example, ScalarChain):
        c = example
    elif example in _SCALAR_CHAINS:
        c = _SCALAR_CHAINS[example]
    else:
        raise ValueError(f"unknown example {example!r}: use 'sin(x²)' or '(3x+1)²'")
    closed_text = c.text.rsplit("h'(x) = ", 1)[-1]
    return CompositionExplorer(
        lambda x: [c.f(x[0])], lambda u: [c.g(u[0])], [x0],
        jacobian_f=lambda x: [[c.df(x[0])]], jacobian_g=lambda u: [[c.dg(u[0])]], names=["x"],
        closed_form=lambda x: [[c.dh(x[0])]], closed_form_text=f"h′(x) = {closed_text}",
        heading=f"The scalar chain rule for {c.text.replace(chr(39), '′')}", theme=theme,
    )


__all__ = ["jacobian_demo", "composition_demo", "scale_demo", "scalar_chain_demo"]
