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
    return repr((np.asarray(a, dtype=float) + 0.0).tolist())  # full precision, so the snippet is this state


# numpy: the same formulas as chainviz.core.activations, so the snippet computes what the explorer
# shows at every state it accepts (saturated ones too: no exp of a large positive number anywhere)
_NUMPY_DEFS = {
    "sigmoid": ("def sigmoid(z):  # 1 / (1 + e^-z), split by sign so exp never overflows\n"
                "    e = np.exp(-np.abs(z))\n"
                "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n\n"
                "def dsigmoid(z):\n"
                "    s = sigmoid(z)\n"
                "    return s * (1 - s)"),
    "tanh": ("tanh = np.tanh\n\n"
             "def dtanh(z):\n"
             "    return 1 - np.tanh(z) ** 2"),
    "relu": ("def relu(z):\n"
             "    return np.maximum(z, 0.0)\n\n"
             "def drelu(z):  # relu'(0) = 0, as chainviz uses\n"
             "    return (z > 0).astype(float)"),
    "leaky_relu": ("def leaky_relu(z):\n"
                   "    return np.where(z > 0, z, 0.01 * z)\n\n"
                   "def dleaky_relu(z):  # 0.01 at 0, as chainviz uses\n"
                   "    return np.where(z > 0, 1.0, 0.01)"),
    "softplus": ("def softplus(z):  # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): never overflows\n"
                 "    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))\n\n"
                 "def dsoftplus(z):  # the sigmoid, split by sign\n"
                 "    e = np.exp(-np.abs(z))\n"
                 "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))"),
}
# torch and jax: their own stable functions, and their autodiff (the same formulas, mathematically;
# leaky relu's slope at 0 and relu's are the ones chainviz uses)
_ACT_TORCH = {"identity": "{}", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})", "relu": "torch.relu({})",
              "leaky_relu": "torch.nn.functional.leaky_relu({}, 0.01)",
              "softplus": "torch.logaddexp({0}, torch.zeros_like({0}))"}
_ACT_JAX = {"identity": "{}", "sigmoid": "jax.nn.sigmoid({})", "tanh": "jnp.tanh({})", "relu": "jax.nn.relu({})",
            "leaky_relu": "jnp.where({0} > 0, {0}, 0.01 * {0})", "softplus": "jnp.logaddexp({}, 0.0)"}


def _loss_numpy(loss: Loss) -> tuple[str, str]:
    if isinstance(loss, MSE):
        return f"t = np.array({_arr(loss.target)})", "dL_dy = y - t                  # L = 1/2 ||y - t||^2"
    if isinstance(loss, Sum):
        return "", "dL_dy = np.ones_like(y)        # L = sum(y)"
    c = loss.label
    return (f"label = {c}", "log_p = (y - y.max()) - np.log(np.sum(np.exp(y - y.max())))   # log softmax, no overflow\n"
            "dL_dy = np.exp(log_p) - np.eye(len(y))[label]   # L = -log softmax(y)[label]")


def _loss_expr(loss: Loss, lib: str) -> tuple[str, str]:
    if isinstance(loss, MSE):
        return f"t = {lib}.tensor({_arr(loss.target)}, dtype={lib}.float64)" if lib == "torch" else \
            f"t = jnp.array({_arr(loss.target)})", "0.5 * ((y - t) ** 2).sum()"
    if isinstance(loss, Sum):
        return "", "y.sum()"
    ls = "torch.log_softmax(y, 0)" if lib == "torch" else "jax.nn.log_softmax(y)"
    return f"label = {loss.label}", f"-{ls}[label]"


def _numpy_snippet(net: Net, x: np.ndarray, loss: Loss) -> str:
    L, acts = net.depth, net.activations
    setup, grad = _loss_numpy(loss)
    defs = [_NUMPY_DEFS[a] for a in dict.fromkeys(acts) if a != "identity"]
    lines = ["import numpy as np\n"] + [d + "\n" for d in defs]
    lines += [f"W{l} = np.array({_arr(W)})" for l, W in enumerate(net.weights, 1)]
    lines += [f"b{l} = np.array({_arr(b)})" for l, b in enumerate(net.biases, 1)]
    lines += [f"x = np.array({_arr(x)})", setup]
    prev = "x"
    for l, a in enumerate(acts, 1):
        out = "y" if l == L else f"a{l}"
        value = f"z{l}" if a == "identity" else f"{a}(z{l})"
        lines.append(f"z{l} = W{l} @ {prev} + b{l}; {out} = {value}   # layer {l}: {a}")
        prev = out
    # the chain rule in written order, output side first; an identity layer has no slope factor
    factors = []
    for l in range(L, 0, -1):
        if acts[l - 1] != "identity":
            factors.append(f"np.diag(d{acts[l - 1]}(z{l}))")
        factors.append(f"W{l}")
    J = " @ ".join(factors) if len(factors) > 1 else "W1.copy()"
    lines += [f"J = {J}   # the chain rule, written order", grad]
    row = "dL_dy"
    for l in range(L, 0, -1):
        if acts[l - 1] != "identity":
            row = f"({row} * d{acts[l - 1]}(z{l}))"
        row = f"({row} @ W{l})"
    lines += [f"dL_dx = {row[1:-1]}   # reverse mode: one row at a time",
              "print('J =', J.tolist())", "print('dL/dx =', dL_dx.tolist())"]
    return "\n".join(line for line in lines if line)


def _forward_source(net: Net, table: dict) -> str:
    """``def f(x)`` for torch or jax: one line per layer."""
    body, prev = [], "x"
    for l, a in enumerate(net.activations, 1):
        body.append(f"    z = W{l} @ {prev} + b{l}")
        body.append(f"    a = {table[a].format('z')}")
        prev = "a"
    return "def f(x):\n" + "\n".join(body) + "\n    return a"


def code_snippet(net: Net, x: np.ndarray, loss: Loss, framework: str = "numpy") -> str:
    """Source code that rebuilds ``net`` (any depth), ``x`` and ``loss`` and prints ``J`` and ``∂L/∂x``.

    The numpy version spells the chain rule out (factors, product, reverse
    sweep) with the same stable formulas as the core, so it gives what the
    explorer shows at every accepted state, saturated ones included; the torch
    and jax versions ask those libraries' autodiff, through their own stable
    sigmoid, softplus (log-add-exp) and log-softmax.
    """
    if framework == "numpy":
        return _numpy_snippet(net, x, loss)
    if framework == "torch":
        setup, L = _loss_expr(loss, "torch")
        return "\n".join(line for line in [
            "import torch",
            "f64 = torch.float64",
            *[f"W{l} = torch.tensor({_arr(W)}, dtype=f64)" for l, W in enumerate(net.weights, 1)],
            *[f"b{l} = torch.tensor({_arr(b)}, dtype=f64)" for l, b in enumerate(net.biases, 1)],
            f"x = torch.tensor({_arr(x)}, dtype=f64, requires_grad=True)",
            setup,
            _forward_source(net, _ACT_TORCH),
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
            *[f"W{l} = jnp.array({_arr(W)})" for l, W in enumerate(net.weights, 1)],
            *[f"b{l} = jnp.array({_arr(b)})" for l, b in enumerate(net.biases, 1)],
            f"x = jnp.array({_arr(x)})",
            setup,
            _forward_source(net, _ACT_JAX),
            f"def loss(x):\n    y = f(x)\n    return {L}",
            "J = jax.jacrev(f)(x)",
            "print('J =', J.tolist())",
            "print('dL/dx =', jax.grad(loss)(x).tolist())",
        ] if line)
    raise ValueError(f"framework {framework!r} is not supported; choose numpy, torch or jax")


__all__ = ["write_html", "code_snippet"]
