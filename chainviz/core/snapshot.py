"""Everything the chain-rule explorer shows, computed once per state.

A :class:`Snapshot` is the core's answer for one ``(net, x, loss)``: the
forward pass, the Jacobian factors, their product, the reverse-mode rows, what
forward mode carries at the same stages, and the weight gradients. Views only
arrange these arrays; they never compute derivatives themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import check_computed
from .gradcheck import JacobianCheck, check_net
from .losses import Loss, as_loss
from .net import Net, Trace, as_net


@dataclass(frozen=True)
class Snapshot:
    """The chain rule at one point.

    Attributes
    ----------
    factors : list of Factor
        Written order, output side first; ``K`` of them.
    J : ndarray ``(m, n)``
        Their product.
    J_check : float
        ``max |J - numerical_jacobian(net, x)|``: the raw difference (kept for old
        readers; :attr:`check` is the verdict to show).
    rows : list of Row
        ``K + 1`` reverse-mode rows; ``rows[0] = ∂L/∂y``, ``rows[k + 1]`` is the row
        after factor ``k``, ``rows[-1] = ∂L/∂x``.
    carried : list of ndarray
        What forward mode holds at the stage of each row: ``carried[i]`` is
        ``∂v/∂x`` ``(d, n)`` for the value ``v`` that ``rows[i]`` differentiates
        (so ``carried[0] = J`` and ``carried[-1] = I_n``).
    weight_grads : list of ndarray
        ``[∂L/∂W_1, ..., ∂L/∂W_L]``.
    loss_value : float
        Never ``-0.0``.
    check : JacobianCheck
        ``J`` judged against central differences at this scale, with kinks named:
        ``.status`` (``"ok"``, ``"kink"``, ``"mismatch"``) and ``.text``, the sentence
        to show (see :mod:`chainviz.core.gradcheck`).
    """

    net: Net
    x: np.ndarray
    loss: Loss
    trace: Trace
    factors: list
    J: np.ndarray
    J_check: float
    rows: list
    carried: list
    weight_grads: list
    loss_value: float
    check: JacobianCheck

    @property
    def y(self) -> np.ndarray:
        return self.trace.output

    def J_terms(self, i: int, j: int) -> np.ndarray:
        """The terms of ``J[i, j]`` as a sum over paths through one hidden layer.

        For a two-layer net ``J[i, j] = Σ_k D2[i,i]·W2[i,k]·D1[k,k]·W1[k,j]``; returns
        the ``(h,)`` array of those products (absent slope factors count as 1).
        Only defined for depth 2.
        """
        if self.net.depth != 2:
            raise ValueError("J_terms is defined for two-layer nets")
        W1, W2 = self.net.weights
        s1, s2 = self.trace.slopes
        if self.net.activations[0] == "identity":
            s1 = np.ones_like(s1)
        if self.net.activations[1] == "identity":
            s2 = np.ones_like(s2)
        return s2[i] * W2[i, :] * s1 * W1[:, j]


def snapshot(net: Net, x, loss: Loss) -> Snapshot:
    """Compute every panel's numbers for ``(net, x, loss)``; raises on bad input, changing nothing.

    This is the one place the explorer's numbers are made, so it is the one place they are
    judged: everything is computed with numpy's floating-point warnings off and then every
    value shown (forward values, factors, ``J`` and what forward mode carries, the reverse
    rows, ``∂L/∂W``, the loss, the check of ``J``) must be finite, or a ``ValueError`` names
    the first that is not (:func:`~chainviz.core.checks.check_computed`).
    """
    net = as_net(net)
    loss = as_loss(loss)
    x = net.check_input(x)
    loss.check(net.m)
    with np.errstate(all="ignore"):  # overflow is refused below, in words
        tr = net.forward(x)
        factors = net.jacobian_factors(x, tr)
        forward = net.forward_sweep(x, tr)
        rows = net.reverse_sweep(x, loss, tr)
        grads = net.weight_gradients(x, loss, tr, rows)
        loss_value = loss.value(tr.output)
    K = len(factors)
    J = forward[-1]
    carried = [forward[K - 1 - i] for i in range(K)] + [np.eye(net.n)]
    _check_finite(factors, rows, carried, grads, loss_value)
    with np.errstate(all="ignore"):
        check, differences = check_net(net, x, J, tr, [f.matrix for f in factors])
        J_check = float(np.max(np.abs(J - differences.J)))
    check_computed("the central differences that check J", J_check, "x or the weights are too large to "
                   "difference")
    return Snapshot(net, x, loss, tr, factors, J, J_check, rows, carried, grads, loss_value, check)


def _check_finite(factors, rows, carried, grads, loss_value) -> None:
    """Every computed value finite, in the order a learner meets them; else the first that is not, named."""
    named = [(f.text, f.matrix) for f in factors if f.kind == "slope"]
    # carried[i] is ∂v/∂x for the value v that rows[i] differentiates: "∂L/∂z₂" -> "∂z₂/∂x"
    named += [("J = ∂y/∂x" if i == 0 else f"{r.text.replace('∂L/', '', 1)}/∂x", c)
              for i, (r, c) in enumerate(zip(rows, carried))]
    named += [(r.text, r.values) for r in rows]
    named += [(f"∂L/∂W{l}", G) for l, G in enumerate(grads, start=1)]
    named.append(("the loss L", loss_value))
    for name, value in named:
        check_computed(name, value)
