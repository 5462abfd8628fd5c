"""Gradient descent on the weights: what the reverse sweep is for.

One step moves every weight matrix against its gradient at once,
``W_l ← W_l − η·∂L/∂W_l``, where ``∂L/∂W_l = (∂L/∂z_l)ᵀ a_{l−1}ᵀ`` is the outer
product of the reverse-mode row reaching layer ``l`` and the layer's input (the
section's backpropagation). To first order the loss then changes by
``−η·Σ_l ‖∂L/∂W_l‖²`` (a Taylor expansion of L along the step); how far the real
change is from that prediction shows when η is too large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .checks import _short, check_computed
from .losses import Loss, as_loss
from .net import Net
from .notation import fmt, sub

#: The largest learning rate a step accepts (beyond it a step is a jump, not a descent).
MAX_ETA = 10.0


@dataclass(frozen=True)
class Step:
    """One gradient step from ``before`` to ``after``.

    Attributes
    ----------
    before, after : Net
    grads : list of ndarray
        ``∂L/∂W_l`` at ``before``, the shapes of the weights.
    loss_before, loss_after : float
    predicted : float
        The first-order prediction of ``loss_after``: ``loss_before − η·Σ‖∂L/∂W_l‖²``.
    eta : float
    """

    before: Net
    after: Net
    grads: list
    loss_before: float
    loss_after: float
    predicted: float
    eta: float


def check_eta(eta, where: str = "η") -> float:
    """η as a float in (0, :data:`MAX_ETA`], or a ``ValueError``/``TypeError`` saying what is allowed."""
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where} must be a number such as 0.1, got {_short(eta)}")
    given = eta
    eta = float(eta) if not isinstance(eta, int) or abs(eta) <= MAX_ETA else math.inf  # 10**5000 is no float
    if not (np.isfinite(eta) and 0 < eta <= MAX_ETA):
        raise ValueError(f"{where} must lie within 0 < η ≤ {MAX_ETA:g}, got {_short(given)}")
    return eta


def gradient_step(net: Net, x, loss: Loss, eta: float) -> Step:
    """``W_l − η·∂L/∂W_l`` for every layer at once; biases stay as they are.

    Raises
    ------
    ValueError
        If η is not in (0, 10], or the step would make a weight, the output or the loss
        non-finite (the message suggests a smaller η); nothing is changed.
    """
    eta = check_eta(eta)
    loss = as_loss(loss)
    tr = net.forward(x)
    with np.errstate(all="ignore"):  # as in the snapshot: what overflows is refused in words
        grads = net.weight_gradients(x, loss, tr)
        loss_before = loss.value(tr.output)
    for l, G in enumerate(grads, start=1):
        check_computed(f"∂L/∂W{l}", G)
    check_computed("the loss L", loss_before)
    with np.errstate(over="ignore", invalid="ignore"):
        Ws = [W - eta * G for W, G in zip(net.weights, grads)]
    for l, W in enumerate(Ws, start=1):
        if not np.all(np.isfinite(W)):
            raise ValueError(f"a step of η = {eta:g} would make W{l} non-finite: try a smaller η")
    try:
        after = Net(Ws, net.activations, net._given_biases())
        with np.errstate(over="ignore", invalid="ignore"):
            loss_after = loss.value(after.forward(x).output)
    except ValueError as exc:
        raise ValueError(f"a step of η = {eta:g} overflows ({exc}): try a smaller η") from None
    if not np.isfinite(loss_after):
        raise ValueError(f"a step of η = {eta:g} makes the loss non-finite: try a smaller η")
    with np.errstate(all="ignore"):  # ‖∂L/∂W‖² overflows for entries beyond 1e154: refused in words
        predicted = loss_before - eta * sum(float(np.sum(G * G)) for G in grads)
    check_computed("the predicted loss L − η·Σ‖∂L/∂W‖²", predicted,
                   "∂L/∂W is too large to step along; make the weights or x smaller")
    return Step(net, after, grads, float(loss_before), float(loss_after), float(predicted), eta)


def dead_units(net: Net, x, loss: Loss) -> list[tuple[int, int, float]]:
    """Hidden units that gradient descent cannot move: ``(layer, k, z)`` where the unit's slope
    ``s_l′(z_l[k])`` is 0, so row ``k`` of ``∂L/∂W_l`` is zero (a dead ReLU, at this ``x``)."""
    tr = net.forward(x)
    grads = net.weight_gradients(x, as_loss(loss), tr)
    out = []
    for l, (slope, G, act) in enumerate(zip(tr.slopes, grads, net.activations), start=1):
        if act == "identity":
            continue
        for k in np.flatnonzero(slope == 0):
            if not np.any(G[k]):
                out.append((l, int(k), float(tr.zs[l - 1][k])))
    return out


def dead_text(dead: list[tuple[int, int, float]], activations: list[str]) -> str:
    """One sentence on why the dead units stay dead, or ``""``."""
    if not dead:
        return ""
    parts = [f"z{sub(l)}[{k}] = {fmt(z, 3)}" for l, k, z in dead]
    l0 = dead[0][0]
    name = activations[l0 - 1]
    return (f"Dead unit{'s' if len(dead) > 1 else ''} at {', '.join(parts)}: {name}′ is 0 there, so "
            f"{'their rows' if len(dead) > 1 else 'its row'} of ∂L/∂W{l0} "
            f"{'are' if len(dead) > 1 else 'is'} zero and a step never changes "
            f"{'them' if len(dead) > 1 else 'it'}.")
