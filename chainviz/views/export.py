"""Static exports: a self-contained HTML page of a figure, and code that rebuilds a state.

The HTML embeds plotly.js, so it renders from ``file://`` with no kernel and no
internet; the code snippets let a learner take the exact net into numpy, PyTorch
or JAX and check chainviz against them.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from ..core.losses import MSE, Loss, Sum
from ..core.net import Net

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#222}}
.eq{{font-size:18px;margin:4px 0}} .note{{font-size:14px;margin:4px 0 12px}}</style></head>
<body><div class="eq">{heading}</div><div class="note">{note}</div>
{figure}
</body></html>
"""


def _plain(tex: str) -> str:
    """LaTeX of the equation line, made readable without MathJax (no CDN offline)."""
    out = tex.strip("$")
    for a, b in [(r"\dfrac{\partial y}{\partial x}", "∂y/∂x"), (r"\mathrm{diag}", "diag"), (r"\sigma", "σ"),
                 (r"\tanh", "tanh"), (r"\mathrm{relu}", "relu"), (r"\mathrm{lrelu}", "lrelu"),
                 (r"\mathrm{softplus}", "softplus"), (r"\times", "×"), (r"\qquad", "    "), (r"\,", " · "),
                 ("_{", ""), ("}", ""), ("{", "")]:
        out = out.replace(a, b)
    return out


def write_html(path, figure, title: str, heading: str = "", note: str = "", plotlyjs: str = "embed") -> Path:
    """Write ``figure`` (a Figure or FigureWidget) to ``path`` as an offline HTML file.

    ``plotlyjs="embed"`` puts plotly.js (~4.6 MB) inside the file, so the one file
    is enough; ``"directory"`` refers to a ``plotly.min.js`` written beside it, so
    several snapshots in one folder share one copy. Neither needs the internet.
    """
    path = Path(path)
    if plotlyjs not in ("embed", "directory"):
        raise ValueError(f"plotlyjs must be 'embed' or 'directory', got {plotlyjs!r}")
    fig = go.Figure(figure)
    body = fig.to_html(include_plotlyjs=True if plotlyjs == "embed" else "directory", full_html=False,
                       config={"displaylogo": False})
    if plotlyjs == "directory":
        js = path.parent / "plotly.min.js"
        if not js.exists():
            from plotly.offline import get_plotlyjs

            js.write_text(get_plotlyjs(), encoding="utf-8")
    path.write_text(_PAGE.format(title=html.escape(title), heading=html.escape(_plain(heading)), note=note,
                                 figure=body), encoding="utf-8")
    return path


def _arr(a: np.ndarray) -> str:
    return repr(np.asarray(a).tolist())


_ACT_NUMPY = {
    "identity": ("lambda z: z", "lambda z: np.ones_like(z)"),
    "sigmoid": ("lambda z: 1 / (1 + np.exp(-z))", "lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2"),
    "tanh": ("np.tanh", "lambda z: 1 - np.tanh(z) ** 2"),
    "relu": ("lambda z: np.maximum(z, 0)", "lambda z: (z > 0).astype(float)"),
    "leaky_relu": ("lambda z: np.where(z > 0, z, 0.01 * z)", "lambda z: np.where(z > 0, 1.0, 0.01)"),
    "softplus": ("lambda z: np.log1p(np.exp(z))", "lambda z: 1 / (1 + np.exp(-z))"),
}
_ACT_TORCH = {"identity": "lambda z: z", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "relu": "torch.relu",
              "leaky_relu": "lambda z: torch.nn.functional.leaky_relu(z, 0.01)",
              "softplus": "torch.nn.functional.softplus"}
_ACT_JAX = {"identity": "lambda z: z", "sigmoid": "jax.nn.sigmoid", "tanh": "jnp.tanh", "relu": "jax.nn.relu",
            "leaky_relu": "lambda z: jax.nn.leaky_relu(z, 0.01)", "softplus": "jax.nn.softplus"}


def _loss_numpy(loss: Loss) -> tuple[str, str]:
    if isinstance(loss, MSE):
        return f"t = np.array({_arr(loss.target)})", "dL_dy = y - t                  # L = 1/2 ||y - t||^2"
    if isinstance(loss, Sum):
        return "", "dL_dy = np.ones_like(y)        # L = sum(y)"
    c = loss.label
    return (f"label = {c}", "p = np.exp(y - y.max()); p /= p.sum()\n"
            "dL_dy = p - np.eye(len(y))[label]   # L = -log softmax(y)[label]")


def _loss_expr(loss: Loss, lib: str) -> tuple[str, str]:
    if isinstance(loss, MSE):
        return f"t = {lib}.tensor({_arr(loss.target)}, dtype={lib}.float64)" if lib == "torch" else \
            f"t = jnp.array({_arr(loss.target)})", "0.5 * ((y - t) ** 2).sum()"
    if isinstance(loss, Sum):
        return "", "y.sum()"
    ls = "torch.log_softmax(y, 0)" if lib == "torch" else "jax.nn.log_softmax(y)"
    return f"label = {loss.label}", f"-{ls}[label]"


def code_snippet(net: Net, x: np.ndarray, loss: Loss, framework: str = "numpy") -> str:
    """Source code that rebuilds ``net``, ``x`` and ``loss`` and prints ``J`` and ``∂L/∂x``.

    The numpy version spells the chain rule out (factors, product, reverse
    sweep); the torch and jax versions ask those libraries' autodiff instead.
    """
    if net.depth != 2:
        raise ValueError("code export is written for two-layer nets")
    W1, W2 = (np.asarray(w) for w in net.weights)
    b1, b2 = (np.asarray(b) for b in net.biases)
    a1, a2 = net.activations
    if framework == "numpy":
        setup, grad = _loss_numpy(loss)
        return "\n".join(line for line in [
            "import numpy as np",
            f"W1 = np.array({_arr(W1)})",
            f"W2 = np.array({_arr(W2)})",
            f"b1 = np.array({_arr(b1)})",
            f"b2 = np.array({_arr(b2)})",
            f"x = np.array({_arr(x)})",
            setup,
            f"s1, ds1 = {_ACT_NUMPY[a1][0]}, {_ACT_NUMPY[a1][1]}   # {a1}",
            f"s2, ds2 = {_ACT_NUMPY[a2][0]}, {_ACT_NUMPY[a2][1]}   # {a2}",
            "z1 = W1 @ x + b1; a1 = s1(z1)",
            "z2 = W2 @ a1 + b2; y = s2(z2)",
            "J = np.diag(ds2(z2)) @ W2 @ np.diag(ds1(z1)) @ W1   # the chain rule, written order",
            grad,
            "dL_dx = ((dL_dy * ds2(z2)) @ W2 * ds1(z1)) @ W1      # reverse mode: one row at a time",
            "print('J =', J.tolist())",
            "print('dL/dx =', dL_dx.tolist())",
        ] if line)
    if framework == "torch":
        setup, L = _loss_expr(loss, "torch")
        return "\n".join(line for line in [
            "import torch",
            "f64 = torch.float64",
            f"W1 = torch.tensor({_arr(W1)}, dtype=f64)",
            f"W2 = torch.tensor({_arr(W2)}, dtype=f64)",
            f"b1 = torch.tensor({_arr(b1)}, dtype=f64)",
            f"b2 = torch.tensor({_arr(b2)}, dtype=f64)",
            f"x = torch.tensor({_arr(x)}, dtype=f64, requires_grad=True)",
            setup,
            f"def f(x):\n    return ({_ACT_TORCH[a2]})(W2 @ ({_ACT_TORCH[a1]})(W1 @ x + b1) + b2)",
            "J = torch.autograd.functional.jacobian(f, x)",
            f"y = f(x)\nL = {L}\nL.backward()",
            "print('J =', J.tolist())",
            "print('dL/dx =', x.grad.tolist())",
        ] if line)
    if framework == "jax":
        setup, L = _loss_expr(loss, "jax")
        return "\n".join(line for line in [
            "import jax",
            'jax.config.update("jax_enable_x64", True)',
            "import jax.numpy as jnp",
            f"W1 = jnp.array({_arr(W1)})",
            f"W2 = jnp.array({_arr(W2)})",
            f"b1 = jnp.array({_arr(b1)})",
            f"b2 = jnp.array({_arr(b2)})",
            f"x = jnp.array({_arr(x)})",
            setup,
            f"def f(x):\n    return ({_ACT_JAX[a2]})(W2 @ ({_ACT_JAX[a1]})(W1 @ x + b1) + b2)",
            f"def loss(x):\n    y = f(x)\n    return {L}",
            "J = jax.jacrev(f)(x)",
            "print('J =', J.tolist())",
            "print('dL/dx =', jax.grad(loss)(x).tolist())",
        ] if line)
    raise ValueError(f"framework {framework!r} is not supported; choose numpy, torch or jax")


__all__ = ["write_html", "code_snippet"]
