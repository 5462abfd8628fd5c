"""Options and saved state: one table of options, one reader of saved explorers.

The same checks serve a constructor's keyword options and a state read back
with ``from_dict``, so whatever an explorer accepts it can save, and whatever it
saves it reads back.

Options (:data:`OPTIONS`): one :class:`Option` per entry, with its JSON type,
default, allowed values and meaning; a new option is one line there.
:func:`check_options` fills the defaults and refuses unknown keys and wrong JSON
types: ``"false"`` is not a boolean, ``1`` is not a boolean, ``True`` is not a
number; nothing is coerced by truthiness.

Saved state (:func:`read_saved_state`, format version 1, as written by
``ChainRuleExplorer.to_dict`` since chainviz 0.1)::

    {"chainviz": "ChainRuleExplorer", "version": 1,
     "net": {"weights": [W1, ...], "activations": ["sigmoid", ...], "biases": [b1 or null, ...]},
     "x": [...], "loss": {"name": "mse", "target": [...]} | {"name": "sum"} | {"name": "softmax_ce", "label": 0},
     "options": {"free_limits": false, ...}, "seed": 0}

is read in three passes, each refusing with a ``ValueError``/``TypeError`` that
names the key: sizes first (text length, the number and dimensions of the
matrices, total entries: a 20 MB state is refused before a single entry is
read), then JSON types, then values (through :class:`~chainviz.core.net.Net`
and the losses, which name shapes that do not chain).
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .checks import _short, describe
from .saved_text import parse_saved_text
from .losses import MSE, Loss, SoftmaxCrossEntropy, Sum, as_loss
from .net import Net, as_net


# -- the options -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One option: its name, JSON type, default, what else it must satisfy, and what it means.

    ``kind`` is ``"boolean"``, ``"number"``, ``"integer"`` or ``"text"`` (the JSON type);
    ``nullable`` allows ``null``/``None``; ``allowed`` returns ``None`` for a good value or
    the rule it breaks, in words (``"lie within 1e-12 ≤ c ≤ 1e6"``).
    """

    name: str
    kind: str
    default: object
    doc: str
    nullable: bool = False
    allowed: Callable[[object], str | None] = field(default=lambda v: None, repr=False)


def _between(low: float, high: float, symbol: str, low_open: bool = True,
             shown: str = "") -> Callable[[object], str | None]:
    rule = f"lie within {low:g} {'<' if low_open else '≤'} {symbol} ≤ {shown or f'{high:g}'.replace('e+0', 'e')}"
    return lambda v: None if (v > low if low_open else v >= low) and v <= high else rule


def _one_of(*names: str) -> Callable[[object], str | None]:
    return lambda v: None if v in names else "be one of " + ", ".join(repr(n) for n in names)


#: Smallest colour limit: the floor of the limit taken from the data (views.style.symmetric_limit),
#: so a limit set by hand spans no less than one taken from the numbers. Far below it, the
#: colours' arithmetic leaves float64's range: value/c overflows for c = 1e-310 (a subnormal,
#: with few significant bits), here and in plotly.js's (z − zmin)/(zmax − zmin).
MIN_COLOR_LIMIT = 1e-12

#: Every option of the chain-rule explorer; ``seed`` is saved at the top level of a state.
OPTIONS: tuple[Option, ...] = (
    Option("free_limits", "boolean", False, "each panel gets its own colour scale"),
    Option("show_weight_grads", "boolean", False, "show the ∂L/∂W band"),
    Option("show_forward", "boolean", None, "show the forward-mode band; null: the explorer decides "
           "(on unless presenting or wider than 32)", nullable=True),
    Option("presentation", "boolean", False, "large type and a fixed colour scale, for slides"),
    Option("color_limit", "number", None, "fixed symmetric colour limit; null: from the data", nullable=True,
           allowed=_between(MIN_COLOR_LIMIT, 1e6, "c", low_open=False)),
    Option("seed", "integer", 0, "seed of Randomize and of random defaults", allowed=_between(0, 2**32 - 1, "seed",
           low_open=False, shown="2³² − 1")),
    Option("theme", "text", "auto", "colours: follow JupyterLab, or light, or dark",
           allowed=_one_of("auto", "light", "dark")),
    Option("eta", "number", 0.1, "learning rate η of a gradient step", allowed=_between(0, 10, "η")),
)
OPTION = {o.name: o for o in OPTIONS}

_KIND_WORDS = {"boolean": "true or false", "number": "a number", "integer": "a whole number", "text": "text"}


def _json_kind(v) -> str:
    """The JSON type a Python value would have: what the message says was given."""
    if v is None:
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return f"the boolean {str(bool(v)).lower()}"
    if isinstance(v, numbers.Real):
        shown = _short(v, 30)
        return shown if shown.startswith("a whole number of") else f"the number {shown}"
    if isinstance(v, str):
        return f"the text {_short(v, 30)}"
    return describe(v)


def check_option(name: str, value, where: str = "options"):
    """One option's value, checked against :data:`OPTIONS` and normalized (``float``, ``int``, ``bool``).

    Raises
    ------
    ValueError
        An unknown option, or a value of the right type outside what is allowed.
    TypeError
        A value of the wrong JSON type.
    """
    if name not in OPTION:
        near = difflib.get_close_matches(str(name), OPTION, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"{where}: unknown option {_short(name, 40)}{hint}; known options: {', '.join(OPTION)}")
    opt = OPTION[name]
    expected = _KIND_WORDS[opt.kind] + (" or null (None)" if opt.nullable else "")
    if value is None:
        if opt.nullable:
            return None
        raise TypeError(f"{where}: {name} must be {expected}, got null")
    is_bool = isinstance(value, (bool, np.bool_))
    if opt.kind == "boolean":
        ok = is_bool
    elif opt.kind == "number":
        ok = isinstance(value, numbers.Real) and not is_bool
    elif opt.kind == "integer":
        ok = isinstance(value, numbers.Real) and not is_bool and (
            isinstance(value, numbers.Integral) or (math.isfinite(float(value)) and float(value).is_integer()))
    else:
        ok = isinstance(value, str)
    if not ok:
        raise TypeError(f"{where}: {name} must be {expected}, got {_json_kind(value)}")
    given = value
    if opt.kind == "boolean":
        value = bool(value)
    elif opt.kind == "number":
        try:
            value = float(value)
        except OverflowError:  # a whole number beyond 1.8e308: judged by its rule, never printed
            raise ValueError(f"{where}: {name} must {opt.allowed(value) or 'be a finite number'}, "
                             f"got {_short(given, 30)}") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    elif opt.kind == "integer":
        value = int(value)
    problem = opt.allowed(value)
    if problem is not None:
        raise ValueError(f"{where}: {name} must {problem}, got {_short(given, 30)}")
    return value + 0.0 if isinstance(value, float) else value


def check_options(mapping: Mapping | None, where: str = "options", *, only: tuple[str, ...] | None = None) -> dict:
    """Every option (or those named in ``only``), from ``mapping`` or its default, checked.

    ``mapping`` is a dict of option values (keyword arguments, or a saved state's
    ``"options"``); None means all defaults. Returns a new dict holding every option.

    Raises
    ------
    TypeError
        ``mapping`` is not a dict, a key is not text, or a value has the wrong JSON type.
    ValueError
        An unknown key (the message lists the known ones), or a value outside what is allowed.
    """
    names = tuple(OPTION) if only is None else only
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{where} must be a dict of options, got {describe(mapping)}")
    for key in mapping:
        if not isinstance(key, str):
            raise TypeError(f"{where}: option names are text, got {_json_kind(key)}")
        if key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{where}: unknown option {_short(key, 40)}{hint}; known options: {', '.join(names)}")
    return {name: check_option(name, mapping.get(name, OPTION[name].default), where) for name in names}


# -- the saved state ---------------------------------------------------------------------------
FORMAT = "ChainRuleExplorer"
VERSION = 1
#: Longest JSON text read (characters): a net at the largest sizes needs ~7 MB.
MAX_BYTES = 8_000_000
#: Most numbers in a saved net, input and target together.
MAX_ENTRIES = 300_000
#: Widest layer and deepest net a saved state may hold.
MAX_WIDTH = 256
MAX_DEPTH = 4
TOP_KEYS = ("chainviz", "version", "net", "x", "loss", "options", "seed", "history")
#: Most gradient steps a saved history may hold.
MAX_HISTORY = 500
HISTORY_KEYS = ("weights", "loss", "predicted")
NET_KEYS = ("weights", "activations", "biases")
LOSS_KEYS = {"mse": ("name", "target"), "sum": ("name",), "softmax_ce": ("name", "label")}
SAVED_OPTIONS = tuple(o.name for o in OPTIONS if o.name != "seed")


@dataclass(frozen=True, eq=False)
class SavedState:
    """A checked explorer state: ``net``, ``x`` ``(n,)``, ``loss``, ``options`` (every option but
    ``seed``, see :data:`OPTIONS`), ``seed``, and the gradient steps taken, ``history``: per step
    ``(net before it, loss before it, first-order prediction of the loss after it)``."""

    net: Net
    x: np.ndarray
    loss: Loss
    options: dict
    seed: int
    history: tuple = ()

    @classmethod
    def of(cls, net, x, loss, seed: int = 0, history=(), **options) -> "SavedState":
        """A state from live objects, checked as :func:`read_saved_state` checks a saved one."""
        net = as_net(net)
        loss = as_loss(loss)
        x = net.check_input(x)
        loss.check(net.m)
        opts = check_options(options, "options", only=SAVED_OPTIONS)
        steps = tuple((as_net(h), float(L), float(p)) for h, L, p in history)
        for k, (h, _, _) in enumerate(steps):
            if h.widths != net.widths or h.activations != net.activations:
                raise ValueError(f"history[{k}] is a net of widths {h.widths}, not of the net's {net.widths}")
        return cls(net, x, loss, opts, check_option("seed", seed), steps)

    def to_dict(self) -> dict:
        """The JSON-safe version-1 format (module docstring); ``history`` only where steps were taken."""
        d = {"chainviz": FORMAT, "version": VERSION, "net": self.net.to_dict(), "x": self.x.tolist(),
             "loss": self.loss.to_dict(), "options": dict(self.options), "seed": self.seed}
        if self.history:
            d["history"] = [{"weights": [W.tolist() for W in h.weights], "loss": L, "predicted": p}
                            for h, L, p in self.history]
        return d

    def __eq__(self, other) -> bool:
        return (isinstance(other, SavedState) and self.net == other.net and np.array_equal(self.x, other.x)
                and self.loss == other.loss and self.options == other.options and self.seed == other.seed
                and len(self.history) == len(other.history)
                and all(a[0] == b[0] and a[1:] == b[1:] for a, b in zip(self.history, other.history)))

    __hash__ = None


def _need(d: dict, key: str, where: str):
    if key not in d:
        raise ValueError(f"{where} lacks {key!r}")
    return d[key]


def _list(v, where: str, most: int, what: str) -> list:
    if not isinstance(v, list):
        raise TypeError(f"{where} must be a list ({what}), got {_json_kind(v)}")
    if len(v) > most:
        raise ValueError(f"{where} has {len(v):,} entries; at most {most:,} ({what})")
    return v


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _float_or_inf(v) -> float:
    """``float(v)``, or inf for a whole number beyond float64's range (which ``float`` refuses)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf


def _all_numbers(values: list) -> bool:
    # what json.loads gives, checked at C speed; anything else takes the careful path
    return all(type(v) is float or type(v) is int for v in values) or all(_is_number(v) for v in values)


def _numbers(values: list, name: str, where: str) -> None:
    """Every entry of a flat list is a JSON number (not a boolean, not text)."""
    if _all_numbers(values):
        return
    for k, v in enumerate(values):
        if not _is_number(v):
            raise TypeError(f"{where}: {name}[{k}] is {_json_kind(v)}: every entry must be a number")


def _floats(values: list) -> np.ndarray:
    try:
        return np.array(values, dtype=float)
    except OverflowError:  # an integer beyond 1.8e308: let the constructor name it
        return np.array(values, dtype=object)


def _matrix(W, l: int, max_width: int) -> tuple[int, int]:
    """Rows and columns of a saved ``W_l``, read from its first row: no entry is visited."""
    where = f"saved state net.weights[{l - 1}]"
    rows = _list(W, where, max_width, f"W{l} is a list of rows, at most {max_width} of them")
    if not rows:
        raise ValueError(f"{where}: W{l} has no rows")
    first = _list(rows[0], f"{where}[0]", max_width, f"a row of W{l}, at most {max_width} numbers")
    return len(rows), len(first)


def _matrix_entries(W: list, l: int, cols: int) -> None:
    where = f"saved state net.weights[{l - 1}]"
    for i, row in enumerate(W):
        if not isinstance(row, list):
            raise TypeError(f"{where}: row {i} of W{l} must be a list of numbers, got {_json_kind(row)}")
        if len(row) != cols:
            raise ValueError(f"{where}: W{l} has rows of different lengths (row 0 has {cols}, row {i} has "
                             f"{len(row)}): it must be a rectangular array of numbers")
        if _all_numbers(row):
            continue
        for j, v in enumerate(row):
            if not _is_number(v):
                raise TypeError(f"{where}: W{l}[{i}, {j}] is {_json_kind(v)}: every entry must be a number")


def read_saved_state(d, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES, *,
                     max_width: int = MAX_WIDTH, max_depth: int = MAX_DEPTH) -> SavedState:
    """Read a saved explorer state (a dict, or its JSON text) into a checked :class:`SavedState`.

    Sizes are checked before any entry is read: at most ``max_bytes`` characters of
    text, ``max_depth`` weight matrices of at most ``max_width`` rows and columns, and
    ``max_entries`` numbers in all. Then JSON types (numbers are numbers, booleans are
    booleans, names are text), then values.

    Raises
    ------
    ValueError, TypeError
        With a message naming the key (``net.weights[1]``, ``options: free_limits``, …);
        never a raw Python error. Nothing is built from a refused state.
    """
    if isinstance(d, (str, bytes, bytearray)):
        d = parse_saved_text(d, max_bytes)
    if not isinstance(d, dict):
        raise ValueError(f"saved state must be a dict (a JSON object), got {_json_kind(d)}")
    unknown = [k for k in d if k not in TOP_KEYS]
    if unknown:
        raise ValueError(f"saved state has an unknown key {_short(unknown[0], 40)}; its keys are: {', '.join(TOP_KEYS)}")
    if d.get("chainviz", FORMAT) != FORMAT:
        raise ValueError(f"saved state['chainviz'] is {_json_kind(d['chainviz'])}, not {FORMAT!r}: "
                         f"this is not a saved ChainRuleExplorer")
    version = d.get("version", VERSION)
    if not _is_number(version) or version != VERSION:
        raise ValueError(f"saved state['version'] is {_json_kind(version)}; this chainviz reads version {VERSION}")
    net_d, x, loss_d = (_need(d, k, "saved state") for k in ("net", "x", "loss"))

    # 1. sizes, from lengths only
    if not isinstance(net_d, dict):
        raise TypeError(f"saved state['net'] must be a dict with 'weights' and 'activations', got {_json_kind(net_d)}")
    bad = [k for k in net_d if k not in NET_KEYS]
    if bad:
        raise ValueError(f"saved state['net'] has an unknown key {_short(bad[0], 40)}; its keys are: {', '.join(NET_KEYS)}")
    weights = _list(_need(net_d, "weights", "saved state['net']"), "saved state net.weights", max_depth,
                    f"one matrix per layer, at most {max_depth} layers")
    if not weights:
        raise ValueError("saved state net.weights is empty: a net needs at least one layer")
    shapes = [_matrix(W, l, max_width) for l, W in enumerate(weights, start=1)]
    activations = _need(net_d, "activations", "saved state['net']")
    biases = net_d.get("biases")
    if biases is not None:
        _list(biases, "saved state net.biases", max_depth, "one vector or null per layer")
    _list(x, "saved state x", max_width, f"the input, at most {max_width} numbers")
    if not isinstance(loss_d, dict):
        raise TypeError(f"saved state['loss'] must be a dict with a 'name', got {_json_kind(loss_d)}")
    target = loss_d.get("target")
    if target is not None:
        _list(target, "saved state loss.target", max_width, f"the target, at most {max_width} numbers")
    history = d.get("history", [])
    _list(history, "saved state history", MAX_HISTORY, f"one entry per gradient step, at most {MAX_HISTORY}")
    per_net = sum(r * c for r, c in shapes)
    total = per_net * (1 + len(history)) + len(x) + len(target or []) + max_width * len(biases or [])
    if total > max_entries:
        raise ValueError(f"saved state holds about {total:,} numbers; at most {max_entries:,} are read")

    # 2. JSON types
    for l, (W, (_, cols)) in enumerate(zip(weights, shapes), start=1):
        _matrix_entries(W, l, cols)
    if isinstance(activations, str):
        activations = [activations]  # one name for every layer, as Net accepts
    _list(activations, "saved state net.activations", max_depth, "one name per layer")
    for k, a in enumerate(activations):
        if not isinstance(a, str):
            raise TypeError(f"saved state net.activations[{k}] must be a name such as 'sigmoid', got {_json_kind(a)}")
    for l, b in enumerate(biases or [], start=1):
        if b is not None:
            _list(b, f"saved state net.biases[{l - 1}]", max_width, f"b{l}, at most {max_width} numbers")
            _numbers(b, f"b{l}", f"saved state net.biases[{l - 1}]")
    _numbers(x, "x", "saved state x")
    name = _need(loss_d, "name", "saved state['loss']")
    if not isinstance(name, str) or name not in LOSS_KEYS:
        raise ValueError(f"saved state loss.name: loss {_short(name, 40)} is not known; choose one of: "
                         f"{', '.join(LOSS_KEYS)}")
    extra = [k for k in loss_d if k not in LOSS_KEYS[name]]
    if extra:
        raise ValueError(f"saved state['loss']: a {name!r} loss has no {_short(extra[0], 40)}; "
                         f"its keys are: {', '.join(LOSS_KEYS[name])}")
    options = d.get("options", {})
    if not isinstance(options, dict):
        raise TypeError(f"saved state['options'] must be a dict, got {_json_kind(options)}")
    if "seed" in options:
        raise ValueError("saved state options: 'seed' is saved at the top level ('seed'), not among the options")

    # 3. values
    opts = check_options(options, "saved state options", only=SAVED_OPTIONS)
    seed = check_option("seed", d.get("seed", 0), "saved state")
    try:  # arrays: the entries are known to be numbers, no need for Net to look at each again
        net = Net([_floats(W) for W in weights], activations,
                  None if biases is None else [None if b is None else _floats(b) for b in biases])
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"saved state net: {exc}") from None
    try:
        if name == "mse":
            if target is None:
                raise ValueError("a saved 'mse' loss needs its 'target'")
            _numbers(target, "t", "loss.target")
            loss: Loss = MSE(_floats(target))
        elif name == "softmax_ce":
            label = _need(loss_d, "label", "a saved 'softmax_ce' loss")
            if not _is_number(label):
                raise TypeError(f"label must be a whole number (a class index), got {_json_kind(label)}")
            loss = SoftmaxCrossEntropy(label)
        else:
            loss = Sum()
        loss.check(net.m)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"saved state loss: {exc}") from None
    try:
        x_arr = net.check_input(_floats(x))
        net.forward(x_arr)  # weights and x that overflow are refused here, not in the explorer
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"saved state x: {exc}") from None
    return SavedState(net, x_arr, loss, opts, seed, _history(history, net, shapes, max_depth))


def _history(history: list, net: Net, shapes: list, max_depth: int) -> tuple:
    """The saved gradient steps, each a net of exactly the saved net's shapes and activations."""
    out = []
    for k, h in enumerate(history):
        where = f"saved state history[{k}]"
        if not isinstance(h, dict):
            raise TypeError(f"{where} must be a dict with 'weights', 'loss' and 'predicted', got {_json_kind(h)}")
        extra = [key for key in h if key not in HISTORY_KEYS]
        if extra:
            raise ValueError(f"{where} has an unknown key {_short(extra[0], 40)}; its keys are: {', '.join(HISTORY_KEYS)}")
        weights = _list(_need(h, "weights", where), f"{where}.weights", max_depth, "one matrix per layer")
        if [(len(W), len(W[0]) if W and isinstance(W[0], list) else -1) if isinstance(W, list) else None
                for W in weights] != [tuple(s) for s in shapes]:
            raise ValueError(f"{where}.weights must have the net's shapes {[f'{r}×{c}' for r, c in shapes]}")
        for l, (W, (_, cols)) in enumerate(zip(weights, shapes), start=1):
            try:
                _matrix_entries(W, l, cols)
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{where}: {exc}") from None
        values = []
        for key in ("loss", "predicted"):
            v = _need(h, key, where)
            if not _is_number(v) or not math.isfinite(_float_or_inf(v)):
                raise TypeError(f"{where}.{key} must be a finite number, got {_json_kind(v)}")
            values.append(float(v))
        try:
            before = Net([_floats(W) for W in weights], net.activations, net._given_biases())
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{where}: {exc}") from None
        out.append((before, *values))
    return tuple(out)
