"""Field report 5: the exported code computes what the explorer shows, saturated states included.

The numpy snippet is run and compared with the core's factors and sweep (``Net.jacobian``,
``Net.reverse_sweep``) within the rounding of a product of factors (Higham §3.5); the
torch and jax snippets (neither library is installed here) are compiled, and their
forward pass is run with independent numpy stand-ins for the library functions, against
the textbook forward pass of the reference network.
"""

from __future__ import annotations

import io
import re
import types
from contextlib import redirect_stdout

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.views.export import code_snippet

W1 = np.array([[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]])
W2 = np.array([[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]])
X = np.array([1.0, -0.5, 0.8])
EPS = np.finfo(float).eps
SLOW = settings(max_examples=150, deadline=None, database=None)


def _run(code: str) -> dict:
    ns: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "<snippet>", "exec"), ns)  # warnings are errors under pytest: none may occur
    assert "J =" in out.getvalue() and "dL/dx =" in out.getvalue()
    return ns


def _assert_reproduces(net, x, loss, ref):
    ns = _run(code_snippet(net, x, loss, "numpy"))
    factors = [f.matrix for f in net.jacobian_factors(x)]
    K, width = len(factors), max(net.widths)
    scale = ref.abs_chain(factors)
    tol = 4 * (K + 1) * width * EPS * scale + 1e-300
    assert np.isfinite(ns["J"]).all() and np.all(np.abs(ns["J"] - net.jacobian(x)) <= tol)
    g = loss.grad(net(x))
    row_scale = (np.abs(g)[None, :] @ scale).ravel()
    row_tol = 4 * (K + 2) * width * EPS * (row_scale + np.abs(g).sum() * scale.max(axis=0)) + 1e-300
    assert np.isfinite(ns["dL_dx"]).all()
    assert np.all(np.abs(ns["dL_dx"] - net.reverse_sweep(x, loss)[-1].values) <= row_tol)


def test_the_issue_state_gives_finite_numbers_equal_to_the_explorer(ref):
    A = W1.copy()
    A[0, 0] = -1000.0  # the issue's edit: a naive sigmoid overflowed, softplus gave ±inf
    for acts in (["sigmoid", "identity"], ["softplus", "softplus"], ["sigmoid", "sigmoid"], ["tanh", "softplus"]):
        _assert_reproduces(cv.Net([A, W2], acts), X, cv.SoftmaxCrossEntropy(1), ref)


@st.composite
def _saturating_states(draw, ref_specs):
    spec = draw(ref_specs)
    # weights and input as a lecturer may type them: any power of ten up to the ±1e6 a cell accepts,
    # large ones often (|z| beyond 709 is where a naive exp overflows)
    power = st.sampled_from([-2, 0, 1, 3, 4, 6, 6])
    spec.weights = [np.clip(W * 10.0 ** draw(power), -1e6, 1e6) for W in spec.weights]
    spec.x = np.clip(spec.x * 10.0 ** draw(power), -1e6, 1e6)
    return spec


@SLOW
@given(data=st.data())
def test_the_numpy_snippet_reproduces_the_core_at_every_state(net_specs, loss_specs, ref, data):
    spec = data.draw(_saturating_states(net_specs))
    net = spec.net()
    try:
        net.forward(spec.x)
    except ValueError:  # the explorer refuses a state that overflows; nothing to export
        return
    loss = data.draw(loss_specs(spec.widths[-1])).cv_loss()
    _assert_reproduces(net, spec.x, loss, ref)


# -- torch and jax --------------------------------------------------------------------------------
def _stand_ins(framework: str) -> dict:
    """numpy versions of the library functions the snippets call, written from their definitions."""
    sigmoid = lambda z: 0.5 * (np.tanh(0.5 * z) + 1.0)  # noqa: E731 - σ(z) = (tanh(z/2) + 1)/2
    leaky = lambda z, slope: np.where(z > 0, z, slope * z)  # noqa: E731
    if framework == "torch":
        torch = types.SimpleNamespace(sigmoid=sigmoid, tanh=np.tanh, relu=lambda z: np.maximum(z, 0.0),
                                      logaddexp=np.logaddexp, zeros_like=np.zeros_like,
                                      nn=types.SimpleNamespace(functional=types.SimpleNamespace(leaky_relu=leaky)))
        return {"torch": torch}
    jax = types.SimpleNamespace(nn=types.SimpleNamespace(sigmoid=sigmoid, relu=lambda z: np.maximum(z, 0.0)))
    return {"jax": jax, "jnp": np}


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("acts", [["sigmoid", "identity"], ["relu", "leaky_relu"], ["softplus", "tanh"],
                                  ["tanh", "sigmoid", "softplus"], ["identity"]])
@pytest.mark.parametrize("loss", [cv.Sum(), cv.MSE([0.1, -0.2]), cv.SoftmaxCrossEntropy(0)])
def test_torch_and_jax_snippets_compile_and_compute_the_same_forward_pass(framework, acts, loss, ref):
    rng = np.random.default_rng(len(acts))
    widths = [3] + [4] * (len(acts) - 1) + [2]
    Ws = [rng.normal(size=(b, a)) * 300 for a, b in zip(widths, widths[1:])]  # saturated: |z| in the hundreds
    net = cv.Net(Ws, acts, [rng.normal(size=w) for w in widths[1:]])
    x = rng.normal(size=3)
    code = code_snippet(net, x, loss if not isinstance(loss, cv.MSE) else cv.MSE([0.1, -0.2]), framework)
    compile(code, f"<{framework}>", "exec")
    forward = re.search(r"^def f\(x\):\n(?:    .*\n)+", code + "\n", re.M).group(0)
    ns = dict(_stand_ins(framework), **{f"W{l}": W for l, W in enumerate(net.weights, 1)},
              **{f"b{l}": b for l, b in enumerate(net.biases, 1)})
    exec(forward, ns)
    expected = ref.forward(net.weights, net.biases, acts, x)[1][-1]  # the textbook formulas
    np.testing.assert_allclose(ns["f"](x), expected, rtol=1e-12, atol=1e-12)
    # the stable forms, never exp of a large positive number
    assert "exp(" not in code.replace("logaddexp(", "")
    if "softplus" in acts:
        assert ("torch.logaddexp(" if framework == "torch" else "jnp.logaddexp(") in code


def test_every_depth_exports():
    for depth in (1, 2, 3, 4):
        net = cv.Net([np.eye(2)] * depth, "tanh")
        code = code_snippet(net, [0.5, -0.5], cv.Sum())
        assert f"W{depth} = np.array(" in code and f"W{depth + 1}" not in code
    with pytest.raises(ValueError, match="framework 'tensorflow' is not supported"):
        code_snippet(net, [0.5, -0.5], cv.Sum(), "tensorflow")
