"""Everything the chain-rule explorer shows, computed once per state.

A :class:`Snapshot` is the core's answer for one ``(net, x, loss)``: the
forward pass, the Jacobian factors, their product, the reverse-mode rows, what
forward mode carries at the same stages, and the weight gradients. Views only
arrange these arrays; they never compute derivatives themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """Compute every panel's numbers for ``(net, x, loss)``; raises on bad input, changing nothing."""
    net = as_net(net)
    loss = as_loss(loss)
    x = net.check_input(x)
    loss.check(net.m)
    tr = net.forward(x)
    factors = net.jacobian_factors(x, tr)
    forward = net.forward_sweep(x, tr)
    J = forward[-1]
    rows = net.reverse_sweep(x, loss, tr)
    K = len(factors)
    carried = [forward[K - 1 - i] for i in range(K)] + [np.eye(net.n)]
    check, differences = check_net(net, x, J, tr, [f.matrix for f in factors])
    J_check = float(np.max(np.abs(J - differences.J)))
    grads = net.weight_gradients(x, loss, tr, rows)
    return Snapshot(net, x, loss, tr, factors, J, J_check, rows, carried, grads, loss.value(tr.output), check)
