"""An explorer's state to JSON-safe data and back, through the core's one reader of saved state
(:func:`chainviz.core.schema.read_saved_state`: sizes first, then types, then values)."""

from __future__ import annotations

from dataclasses import replace

from ..core.schema import SavedState, read_saved_state
from .settings import NAMES
from .state import ChainRuleState


def state_to_dict(state: ChainRuleState) -> dict:
    """The saved form (format version 1): net, x, loss, options, seed."""
    opts = {name: getattr(state.settings, name) for name in NAMES}
    return SavedState.of(state.net, state.x, state.loss, seed=state.seed, eta=state.eta, history=state.history,
                         **opts).to_dict()


def state_from_dict(d) -> ChainRuleState:
    """A state from :func:`state_to_dict` output (a dict or its JSON text), checked whole before
    anything is built; raises ``ValueError``/``TypeError`` naming the key."""
    saved = read_saved_state(d)
    opts = {k: v for k, v in saved.options.items() if k in NAMES}
    state = ChainRuleState.create(saved.net, saved.x, saved.loss, seed=saved.seed, eta=saved.options["eta"], **opts)
    return replace(state, history=saved.history) if saved.history else state
