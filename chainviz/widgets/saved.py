"""An explorer's state to JSON-safe data and back, through the core's one reader of saved state
(:func:`chainviz.core.schema.read_saved_state`: sizes first, then types, then values)."""

from __future__ import annotations

import json
from dataclasses import replace

from ..core.schema import MAX_BYTES, MAX_ENTRIES, SavedState, read_saved_state
from .settings import NAMES
from .state import ChainRuleState


def state_to_dict(state: ChainRuleState) -> dict:
    """The saved form (format version 1): net, x, loss, options, seed, and the gradient steps.

    Only what :func:`state_from_dict` reads back is written: of a long training on a large net,
    the most recent steps whose weights fit :data:`~chainviz.core.schema.MAX_ENTRIES` numbers
    and :data:`~chainviz.core.schema.MAX_BYTES` bytes (so *Save* never writes a file *Load*
    refuses)."""
    opts = {name: getattr(state.settings, name) for name in NAMES}
    history = state.history
    per_net = sum(W.size for W in state.net.weights)
    room = MAX_ENTRIES - 2 * per_net - 4 * max(state.net.widths) * (state.net.depth + 2)  # now, x, t, biases
    history = history[len(history) - max(0, min(len(history), room // per_net)):]
    while True:
        d = SavedState.of(state.net, state.x, state.loss, seed=state.seed, eta=state.eta, history=history,
                          **opts).to_dict()
        if not history or len(json.dumps(d)) <= MAX_BYTES:
            return d
        history = history[len(history) // 2 + 1:]  # the newer half


def state_from_dict(d) -> ChainRuleState:
    """A state from :func:`state_to_dict` output (a dict or its JSON text), checked whole before
    anything is built; raises ``ValueError``/``TypeError`` naming the key."""
    saved = read_saved_state(d)
    opts = {k: v for k, v in saved.options.items() if k in NAMES}
    state = ChainRuleState.create(saved.net, saved.x, saved.loss, seed=saved.seed, eta=saved.options["eta"], **opts)
    return replace(state, history=saved.history) if saved.history else state
