"""Changes of the net itself: weights in bulk, shape, depth, activations, loss, presets, random
numbers, reset. A mixin of :class:`~chainviz.widgets.state.ChainRuleState`; every method is a pure
transition that raises ``ValueError``/``TypeError`` with a message and changes nothing on bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core import examples, modes
from ..core.losses import MSE, Loss, SoftmaxCrossEntropy, Sum, as_loss
from ..core.net import Net
from ..core.snapshot import Snapshot, snapshot

MAX_DEPTH = 4
MAX_WIDTH = 256
MAX_GRID = 8  # matrices up to this size are typed into grids; larger ones are scrubbed one cell at a time
FORWARD_MAX_WIDTH = 32  # forward mode's d×n carries are drawn by default up to this width
DEFAULT_SIZES = (3, 4, 2)


def compute(net, x, loss) -> Snapshot:
    """The core snapshot, after checking what the explorer can draw; raises on anything invalid."""
    if not isinstance(net, Net):
        if isinstance(net, (list, tuple)) and net and all(hasattr(w, "__len__") for w in net):
            raise TypeError(f"net must be a chainviz Net, e.g. cv.Net([W1, W2], activations=['sigmoid', "
                            f"'identity']); got a list of {len(net)} matrices")
        raise TypeError(f"net must be a chainviz Net, e.g. cv.two_layer(W1, W2); got {type(net).__name__}")
    if net.depth > MAX_DEPTH:
        raise ValueError(f"the explorer draws nets of 1 to {MAX_DEPTH} layers; this net has {net.depth}")
    if max(net.widths) > MAX_WIDTH:
        raise ValueError(f"widths up to {MAX_WIDTH} are supported; this net has widths {net.widths}")
    return snapshot(net, x, loss)


def check_widths(widths) -> tuple[int, ...]:
    """``(n, d_1, ..., d_L)`` as whole numbers in range, or a message saying which one is not.

    Read by the one rule for widths (:func:`chainviz.core.modes.check_widths`): text as the
    typed Widths field reads it, any vector-like as the list it holds; then the explorer's
    own bounds (1 to 4 layers, widths up to 256).
    """
    # named "widths" as on the page's Widths field and in ModeCostExplorer: one message everywhere
    ws = modes.check_widths(widths, "widths", "3, 4, 2", limit=1e6)
    if len(ws) > MAX_DEPTH + 1:
        raise ValueError(f"widths must list n and one width per layer (1 to {MAX_DEPTH} layers), got {len(ws)} numbers")
    for k, w in enumerate(ws):
        if w > MAX_WIDTH:
            name = "n (widths[0])" if k == 0 else f"d{k} (widths[{k}])"
            raise ValueError(f"{name} is {w}: it must be between 1 and {MAX_WIDTH}")
    return ws


def _fit_loss(loss: Loss, m: int) -> Loss:
    """``loss`` for an output of length ``m``: a target is cut or padded with zeros, a label kept in range."""
    if isinstance(loss, MSE):
        t = np.zeros(m)
        k = min(m, loss.target.size)
        t[:k] = loss.target[:k]
        return MSE(t)
    if isinstance(loss, SoftmaxCrossEntropy):
        return SoftmaxCrossEntropy(min(loss.label, m - 1))
    return loss


def _fit_vector(v: np.ndarray, n: int, fill: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros(n) if fill is None else np.array(fill, dtype=float)
    k = min(n, v.size)
    out[:k] = v[:k]
    return out


class StructureTransitions:
    """Transitions that change the net, its input's length or the loss (see the module docstring)."""

    def with_net(self, net) -> "StructureTransitions":
        """A new net; ``x`` and the loss are kept where they still fit."""
        if not isinstance(net, Net):
            compute(net, None, None)  # raises the plain-words TypeError
        x = _fit_vector(self.x, net.n)
        return self._with_snap(compute(net, x, _fit_loss(self.loss, net.m)))

    def with_x(self, x) -> "StructureTransitions":
        return self._with_snap(compute(self.net, x, self.loss))

    def with_loss(self, loss) -> "StructureTransitions":
        return self._with_snap(compute(self.net, self.x, as_loss(loss)))

    def with_loss_named(self, name: str, label: int | None = None) -> "StructureTransitions":
        """``"mse"`` (keeps its target), ``"sum"`` or ``"softmax_ce"`` with class ``label``."""
        if name == "mse":
            loss = self.loss if isinstance(self.loss, MSE) else MSE(np.zeros(self.net.m))
        elif name == "sum":
            loss = Sum()
        elif name == "softmax_ce":
            loss = SoftmaxCrossEntropy(label if label is not None else getattr(self.loss, "label", 0))
        else:
            raise ValueError(f"loss {name!r} is not known; choose one of: mse, sum, softmax_ce")
        return self.with_loss(loss)

    def with_activation(self, layer: int, name: str) -> "StructureTransitions":
        """Layer ``layer``'s activation (names from ``cv.ACTIVATIONS``)."""
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= self.net.depth:
            raise ValueError(f"layer must be 1 to {self.net.depth}, got {layer!r}")
        acts = self.net.activations
        acts[layer - 1] = name
        return self._with_snap(compute(self.net.with_activations(acts), self.x, self.loss))

    def resized(self, widths) -> "StructureTransitions":
        """Widths ``(n, d_1, ..., d_L)``: entries that still fit are kept (hidden layers by position,
        the output layer with the output layer), new ones are random (seeded)."""
        widths = check_widths(widths)
        L = len(widths) - 1
        old = self.net
        hidden_act = old.activations[0] if old.depth > 1 else "sigmoid"
        fresh, x0, _ = examples.random_state(widths, self.seed, hidden_act)
        Ws = [np.array(W) for W in fresh.weights]
        pairs = [(l, l) for l in range(min(L, old.depth) - 1)] + [(L - 1, old.depth - 1)]
        acts = [hidden_act] * (L - 1) + [old.activations[-1]]
        for new_l, old_l in pairs:
            W, V = Ws[new_l], old.weights[old_l]
            r, k = min(W.shape[0], V.shape[0]), min(W.shape[1], V.shape[1])
            W[:r, :k] = V[:r, :k]
            acts[new_l] = old.activations[old_l]
        net = Net(Ws, acts)
        return self._with_snap(compute(net, _fit_vector(self.x, widths[0], x0), _fit_loss(self.loss, widths[-1])))

    def with_depth(self, depth: int) -> "StructureTransitions":
        """``depth`` layers, keeping n and m: hidden layers are added (as wide as the last one) or
        dropped from the output end."""
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1 to {MAX_DEPTH}, got {depth!r}")
        w = self.net.widths
        hidden = w[1:-1][: depth - 1]
        while len(hidden) < depth - 1:
            hidden.append(hidden[-1] if hidden else 4)
        return self.resized([w[0], *hidden, w[-1]])

    def with_preset(self, name: str) -> "StructureTransitions":
        """One of :data:`chainviz.core.examples.PRESETS`; its note becomes the state's note."""
        if name not in examples.PRESETS:
            raise ValueError(f"preset {name!r} is not known; choose one of: {', '.join(examples.PRESETS)}")
        p = examples.PRESETS[name]
        return replace(self._with_snap(compute(p.net, p.x, p.loss), fresh=True), note=p.note)

    def randomized(self, seed: int | None = None) -> "StructureTransitions":
        """New random weights, input and target for the current widths and activations."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"seed must be a whole number, got {seed!r}")
        s = replace(self, seed=int(seed) if seed is not None else self.seed + 1)
        net, x, loss = examples.random_state(self.net.widths, s.seed)
        net = net.with_activations(self.net.activations)
        keep = loss if isinstance(self.loss, MSE) else _fit_loss(self.loss, net.m)
        return s._with_snap(compute(net, x, keep), fresh=True)

    def reset(self) -> "StructureTransitions":
        """Back to the net, input and loss the explorer was created with, the whole sweep shown."""
        net, x, loss = self.initial
        return replace(self._with_snap(compute(net, x, loss), fresh=True), step=None, selection=None)
