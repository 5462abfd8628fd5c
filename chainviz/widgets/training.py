"""Gradient descent in the explorer: one step, many steps, undo, and the loss history.

A mixin of :class:`~chainviz.widgets.state.ChainRuleState`: every method is a pure
transition. ``history`` holds, per step taken, the net before it, the loss before it
and the first-order prediction of the loss after it; any change other than a step
starts it anew (its losses belong to one net, input and loss).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core.descent import check_eta, dead_text, dead_units, gradient_step
from ..core.notation import fmt
from .structure import compute

#: Training stops when the loss has grown this many steps in a row.
GROWING_STEPS = 3
#: How many of the weights a step moved most are outlined.
MOVED_SHOWN = 3
#: The most steps kept for undo (and drawn); older ones are forgotten, oldest first.
MAX_HISTORY = 500


class TrainingTransitions:
    """Gradient-descent transitions (see the module docstring)."""

    def with_eta(self, eta) -> "TrainingTransitions":
        """The learning rate η of the next steps: finite, 0 < η ≤ 10."""
        return replace(self, eta=check_eta(eta), note="")

    def stepped(self, eta=None) -> "TrainingTransitions":
        """Every weight matrix takes ``W_l − η·∂L/∂W_l`` at once.

        Raises ``ValueError`` (nothing changed) if η is out of range or the step would make
        anything non-finite; the message suggests a smaller η.
        """
        eta = self.eta if eta is None else check_eta(eta)
        step = gradient_step(self.net, self.x, self.loss, eta)
        snap = compute(step.after, self.x, self.loss)
        kept = self.history + ((self.net, step.loss_before, step.predicted),)
        history = kept[-MAX_HISTORY:]
        forgotten = self.forgotten + len(kept) - len(history)
        start = self.trained_from if self.trained_from is not None else self.net
        moves = np.concatenate([np.abs(G).ravel() for G in step.grads])
        where = [(l, i, j) for l, G in enumerate(step.grads, start=1) for i, j in np.ndindex(G.shape)]
        top = [where[k] for k in np.argsort(-moves, kind="stable")[:MOVED_SHOWN] if moves[k] > 0]
        new = replace(self._with_snap(snap, training=True), history=history, moved=tuple(top), eta=eta,
                      trained_from=start, forgotten=forgotten, charted=True)
        if not new.settings.show_weight_grads:  # the gradient a step uses is shown once it is used
            new = replace(new, settings=replace(new.settings, show_weight_grads=True))._rescaled(new)
        note = (f"Step {forgotten + len(history)} (η = {fmt(eta, 3)}): L {fmt(step.loss_before, 4)} → "
                f"{fmt(step.loss_after, 4)}; first order predicted {fmt(step.predicted, 4)}.")
        if forgotten:
            note += (f" Undo and the loss line keep the last {MAX_HISTORY} steps; Reset training still "
                     f"goes back to before step 1.")
        if new.growing():
            note += (f" The loss has grown {GROWING_STEPS} steps in a row: η = {fmt(eta, 3)} is too large "
                     f"for this net; try a smaller η.")
        dead = dead_text(dead_units(new.net, new.x, new.loss), new.net.activations)
        return replace(new, note=(note + (" " + dead if dead else "")))

    def trained(self, steps: int, eta=None) -> "TrainingTransitions":
        """Up to ``steps`` steps, stopping early (with a note) when the loss grows
        :data:`GROWING_STEPS` steps in a row or a step would leave the finite numbers; the
        last finite state is kept. Raises only if not even the first step can be taken."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_HISTORY:
            raise ValueError(f"steps must be a whole number from 1 to {MAX_HISTORY}, got {steps!r}")
        state = self.stepped(eta)
        for _ in range(int(steps) - 1):
            if state.growing():
                return replace(state, note=state.note + " Training stopped.")
            try:
                state = state.stepped(eta)
            except ValueError as exc:
                return replace(state, note=f"Training stopped: {exc}. The last finite state is kept.")
        return state

    def undone(self) -> "TrainingTransitions":
        """Back one step, to exactly the weights before it."""
        if not self.history:
            raise ValueError("there is no step to undo")
        net, _, _ = self.history[-1]
        new = self._with_snap(compute(net, self.x, self.loss), training=True)
        return replace(new, history=self.history[:-1], note=f"Undid step {self.forgotten + len(self.history)}.")

    def training_reset(self) -> "TrainingTransitions":
        """Back to the weights before the first step of this training (kept apart from the
        history, which forgets its oldest steps after :data:`MAX_HISTORY`)."""
        if not self.history and self.trained_from is None:
            raise ValueError("there is no training to reset")
        net = self.trained_from if self.trained_from is not None else self.history[0][0]
        return replace(self._with_snap(compute(net, self.x, self.loss)), note="Back to the weights before training.")

    # -- what the history says ---------------------------------------------------------------------
    def losses(self) -> tuple[float, ...]:
        """L before each step, then L now: ``len(history) + 1`` values."""
        return tuple(h[1] for h in self.history) + (float(self.snap.loss_value),)

    def predictions(self) -> tuple[float, ...]:
        """The first-order prediction ``L − η·Σ‖∂L/∂W_l‖²`` made before each step, one per step."""
        return tuple(h[2] for h in self.history)

    def growing(self) -> bool:
        """Whether the loss grew in each of the last :data:`GROWING_STEPS` steps."""
        L = self.losses()
        return len(L) > GROWING_STEPS and all(b > a for a, b in zip(L[-GROWING_STEPS - 1:], L[-GROWING_STEPS:]))
