"""The chain-rule explorer's one figure: factors, reverse rows, forward carries, weight gradients.

Columns follow the written order of the product, output side first::

    loss  | diag(s2'(z2)) | W2     | diag(s1'(z1)) | W1    | J
          |  factors, with · between them and = before J          band "top"
    ∂L/∂y | ∂L/∂z2        | ∂L/∂a1 | ∂L/∂z1        | ∂L/∂x |       band "rev": the row after each factor
    ∂y/∂x | ∂z2/∂x        | ∂a1/∂x | ∂z1/∂x        | I     |       band "fwd": what forward mode holds there
    ∂L/∂W2, ∂L/∂W1                                                 band "grad" (on a toggle)

Each reverse row sits under the factor that produced it, so its length is that
factor's column count and the shapes explain themselves. Every panel has a fixed
trace slot, so an edit only restyles; a missing slope factor (identity
activation) is a hidden, zero-width slot.

:func:`figure_spec` is pure: a :class:`~chainviz.snapshot.Snapshot` and
:class:`Options` in, ``{"traces": [...], "layout": {...}}`` out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..net import sub
from ..snapshot import Snapshot
from . import style

COLUMNS = ["loss", "D2", "W2", "D1", "W1", "J"]
SLOTS = [
    ("top", "D2"), ("top", "W2"), ("top", "D1"), ("top", "W1"), ("top", "J"),
    ("rev", "loss"), ("rev", "D2"), ("rev", "W2"), ("rev", "D1"), ("rev", "W1"),
    ("fwd", "loss"), ("fwd", "D2"), ("fwd", "W2"), ("fwd", "D1"), ("fwd", "W1"),
    ("grad", "W2"), ("grad", "W1"),
]
SLOT_INDEX = {slot: i for i, slot in enumerate(SLOTS)}
BANDS = ["top", "rev", "fwd", "grad"]
SYMBOL = {"identity": "id", "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "lrelu", "softplus": "softplus"}


@dataclass(frozen=True)
class Options:
    """How to draw.

    free_limits : each panel gets its own symmetric colour limits (else one shared scale).
    color_limit : a fixed symmetric limit, e.g. for slides; ``None`` takes it from the data.
    show_weight_grads : add the ∂L/∂W band.
    show_forward : show the band of what forward mode would carry.
    step : how many factors the backward walk-through has applied (``None``: all).
    selected : ``(band, column, i, j)`` of a clicked cell, or ``None``.
    presentation : larger type and cells for a projector.
    width : figure width in px.
    hidden : slots drawn as empty grids of the right shape (exercise mode).
    """

    free_limits: bool = False
    color_limit: float | None = None
    show_weight_grads: bool = False
    step: int | None = None
    selected: tuple | None = None
    presentation: bool = False
    width: int = 840  # fits JupyterLab's output area at 1280 px with the file browser open
    hidden: frozenset = frozenset()  # slots shown as empty grids: an exercise to fill in
    show_forward: bool = True


def axis_names(slot: tuple[str, str]) -> tuple[str, str]:
    """Trace axis ids (``"x3"``, ``"y3"``) of a slot; the first slot uses ``"x"``, ``"y"``."""
    k = SLOT_INDEX[slot] + 1
    return ("x", "y") if k == 1 else (f"x{k}", f"y{k}")


def _vec(v, n=4) -> str:
    vals = ", ".join(style.fmt(t, 2) for t in v[:n])
    return f"({vals}{', …' if len(v) > n else ''})"


def _shape(a) -> str:
    r, k = np.atleast_2d(a).shape
    return f"{r}×{k}"


def _count(k: int) -> str:
    return f"{k:,} number{'s' if k != 1 else ''}"


def factor_column(f) -> str:
    return ("D" if f.kind == "slope" else "W") + str(f.layer)


def panels(s: Snapshot, step: int | None = None) -> dict[tuple[str, str], dict]:
    """Each present panel's matrix ``z``, title and hover template, keyed by slot.

    Rows not yet reached by the walk-through (``step``) are blank.
    """
    tr, acts = s.trace, s.net.activations
    out: dict[tuple[str, str], dict] = {}
    for f in s.factors:
        l = f.layer
        if f.kind == "slope":
            z = np.where(np.eye(f.matrix.shape[0], dtype=bool), f.matrix, np.nan)  # blank off-diagonal
            title = f"<b>{f.text}</b>  {_shape(f.matrix)}<br>at z{sub(l)} = {_vec(tr.zs[l - 1])}"
            hover = f"{SYMBOL[acts[l - 1]]}′(z{sub(l)}[%{{y}}]) = %{{z:.4g}}"
        else:
            src = "x" if l == 1 else f"a{sub(l - 1)}"
            z = f.matrix
            title = f"<b>{f.text}</b>  {_shape(z)}<br>= ∂z{sub(l)}/∂{src}"
            hover = f"W{l}[%{{y}},%{{x}}] = ∂z{sub(l)}[%{{y}}]/∂{src}[%{{x}}] = %{{z:.4g}}"
        out[("top", factor_column(f))] = dict(z=z, title=title, hover=hover)
    chain = "·".join(f.text for f in s.factors)
    if s.net.depth == 2:
        l1, l2 = acts
        d1 = "" if l1 == "identity" else f"·{SYMBOL[l1]}′(z₁[k])"
        d2 = "" if l2 == "identity" else f"{SYMBOL[l2]}′(z₂[%{{y}}])·"
        how = f"Σₖ {d2}W2[%{{y}},k]{d1}·W1[k,%{{x}}]"
    else:
        how = f"({chain})[%{{y}},%{{x}}]"
    out[("top", "J")] = dict(
        z=s.J,
        title=f"<b>J = ∂y/∂x</b>  {_shape(s.J)}<br>at x = {_vec(s.x)}",
        hover=f"J[%{{y}},%{{x}}] = ∂y[%{{y}}]/∂x[%{{x}}] = {how} = %{{z:.4g}}",
    )
    cols = ["loss"] + [factor_column(f) for f in s.factors]
    shown = len(s.rows) if step is None else step + 1
    for i, (row, col, C) in enumerate(zip(s.rows, cols, s.carried)):
        d = row.values.size
        how = "" if i == 0 else f" = ∂L/∂{s.rows[i - 1].text.split('/∂')[1]} · {s.factors[i - 1].text}"
        reached = i < shown
        out[("rev", col)] = dict(
            z=row.values[None, :] if reached else np.full((1, d), np.nan),
            title=f"<b>{row.text}</b>  1×{d}<br>{_count(d)}" if reached else f"{row.text}  1×{d}<br>not yet computed",
            hover=f"{row.text}[%{{x}}]{how}[%{{x}}] = %{{z:.4g}}",
        )
        v = row.text.split("/∂")[1]
        r, n = C.shape
        out[("fwd", col)] = dict(
            z=C,
            title=f"<b>∂{v}/∂x</b>  {r}×{n}<br>{_count(r * n)}",
            hover=f"∂{v}[%{{y}}]/∂x[%{{x}}] = %{{z:.4g}}",
        )
    for l, G in enumerate(s.weight_grads, start=1):
        src = "x" if l == 1 else f"a{sub(l - 1)}"
        out[("grad", f"W{l}")] = dict(
            z=G,
            title=f"<b>∂L/∂W{l}</b>  {_shape(G)}<br>= (∂L/∂z{sub(l)})ᵀ · {src}ᵀ",
            hover=f"∂L/∂W{l}[%{{y}},%{{x}}] = ∂L/∂z{sub(l)}[%{{y}}] · {src}[%{{x}}] = %{{z:.4g}}",
        )
    return out


def _band_text(s: Snapshot, band: str, step: int | None) -> str:
    if band == "top":
        shapes = "".join(f"({_shape(f.matrix)})" for f in s.factors)
        chain = " · ".join(f.text for f in s.factors)
        return f"<b>Jacobian factors</b>, written order:  J = {chain}    {shapes} = {_shape(s.J)}"
    if band == "rev":
        K = len(s.factors)
        where = "" if step is None or step >= K else f"  ·  step {step} of {K}"
        return (f"<b>Reverse mode</b>: from ∂L/∂y, one factor at a time (each row under its factor)"
                f"  ·  L = {style.fmt(s.loss_value, 4)}{where}")
    if band == "fwd":
        total_f = sum(C.size for C in s.carried[:-1])
        total_r = sum(r.values.size for r in s.rows)
        return (f"<b>Forward mode</b> would carry ∂(stage)/∂x, a d×n matrix, instead: "
                f"{_count(total_f)} in all vs {_count(total_r)} in the rows")
    return "<b>Weight gradients</b>: the row reaching a layer times that layer's input (outer product)"


def revealing(s: Snapshot, hidden) -> set:
    """The hidden slots plus the panels that would give them away at a glance.

    J is forward mode's last carry; a slope factor's diagonal can be read off the
    row it produces (∂L/∂z = ∂L/∂a ⊙ σ′) and the forward carry it scales.
    """
    out = set(hidden)
    if ("top", "J") in out:
        out.add(("fwd", "loss"))
    cols = ["loss"] + [factor_column(f) for f in s.factors]
    for k, f in enumerate(s.factors):
        if f.kind == "slope" and ("top", cols[k + 1]) in out:
            out.add(("rev", cols[k + 1]))  # the row after the slope factor
            out.add(("fwd", cols[k]))  # the carry just after it (forward mode reads right to left)
    return out


def figure_spec(s: Snapshot, opts: Options = Options()) -> dict:
    """The whole figure for one state: 17 trace dicts (fixed slots) and a layout dict."""
    if s.net.depth != 2:
        raise ValueError(f"the explorer draws two-layer nets; this net has {s.net.depth} layers")
    K = len(s.factors)
    step = None if opts.step is None or opts.step >= K else max(0, opts.step)
    P = panels(s, step)
    hidden = revealing(s, opts.hidden)
    for slot in hidden:
        if slot in P:
            p = P[slot]
            name = p["title"].split("</b>")[0].replace("<b>", "")
            r, k = p["z"].shape
            P[slot] = dict(z=np.full((r, k), np.nan), hover="hidden: this is the exercise",
                           title=f"<b>? {name}</b>  {r}×{k}<br>your turn: fill it in below")
    font = style.FONT_PRESENTATION if opts.presentation else style.FONT
    fs = font["size"]
    bands = [b for b in BANDS if b in ("top", "rev") or (b == "fwd" and opts.show_forward)
             or (b == "grad" and opts.show_weight_grads)]

    # -- geometry in px: square cells of one size everywhere ------------------------
    col_cells = {c: max([P[(b, c)]["z"].shape[1] for b in bands if b != "grad" and (b, c) in P], default=0)
                 for c in COLUMNS}
    present = [c for c in COLUMNS if col_cells[c]]
    gap = 2.2 * fs  # room for "·" between panels and titles that overhang
    ml, mr, mt, mb = 8, 72, 8, 8
    plot_w = opts.width - ml - mr
    grad_cells = sum(P[("grad", c)]["z"].shape[1] for c in ("W2", "W1")) if "grad" in bands else 0
    width_cells = max(sum(col_cells[c] for c in present), grad_cells)
    band_rows = {
        "top": max(P[("top", c)]["z"].shape[0] for c in COLUMNS if ("top", c) in P),
        "rev": 1,
        "fwd": max(P[("fwd", c)]["z"].shape[0] for c in present if ("fwd", c) in P),
        "grad": max(P[("grad", c)]["z"].shape[0] for c in ("W2", "W1")),
    }
    heading_h, title_h, pad = 1.9 * fs, 2.9 * fs, 1.2 * fs
    fixed_h = sum(heading_h + title_h + pad for _ in bands)
    cell = min(
        (2.6 if opts.presentation else 3.0) * fs,
        (plot_w - gap * (len(present) - 1)) / width_cells,
        max(4.0, (1500 - fixed_h) / sum(band_rows[b] for b in bands)),
    )
    col_left, x = {}, 0.0
    for c in present:
        col_left[c] = x
        x += col_cells[c] * cell + gap
    # shrink the figure to its content so the colour bar sits beside J, not at the far edge
    plot_w = max(x - gap, grad_cells * cell + gap, 46 * fs)  # 46 em: room for the band headings
    # three significant digits where a cell has room for "−0.123", else two decimals
    number_format = "%{z:.3~g}" if cell >= 3.9 * fs else "%{z:.2f}"
    band_top, y = {}, 0.0
    for b in bands:
        band_top[b] = y
        y += heading_h + title_h + band_rows[b] * cell + pad
    plot_h = y
    height = int(plot_h + mt + mb)

    def px(xp: float, yp: float) -> tuple[float, float]:
        # rounded and clipped: plotly rejects 1.0000000000000002, and short numbers travel light
        return round(min(max(xp / plot_w, 0.0), 1.0), 5), round(min(max(1 - yp / plot_h, 0.0), 1.0), 5)

    # -- colour limits ---------------------------------------------------------------
    shown = {slot: p for slot, p in P.items() if slot[0] in bands}
    shared = opts.color_limit or style.symmetric_limit(*[p["z"] for p in shown.values()])

    traces, layout = [], {}
    annotations, shapes = [], []
    boxes = {}  # slot -> (x0, x1, y0, y1) in paper coords, for titles and highlights
    for slot in SLOTS:
        band, col = slot
        xa, ya = axis_names(slot)
        p = shown.get(slot)
        if p is None:
            # An empty slot borrows J's axes: axes of their own would be one more subplot
            # for plotly to lay out on every redraw (about 1.5 ms each). Axes left behind by
            # a panel that went away are not drawn: plotly drops axes no trace refers to.
            jx, jy = axis_names(("top", "J"))
            traces.append(dict(type="heatmap", visible=False, xaxis=jx, yaxis=jy))
            continue
        r, k = p["z"].shape
        if band == "grad":
            left = 0.0 if col == "W2" else P[("grad", "W2")]["z"].shape[1] * cell + gap
        else:
            left = col_left[col] + (col_cells[col] - k) * cell / 2
        top = band_top[band] + heading_h + title_h
        (x0, y1), (x1, y0) = px(left, top), px(left + k * cell, top + r * cell)
        boxes[slot] = (x0, x1, y0, y1)
        c = (opts.color_limit or style.symmetric_limit(p["z"])) if opts.free_limits else shared
        tr = style.heatmap(p["z"], labelled=max(r, k) <= style.MAX_LABELLED, c=c, hovertemplate=p["hover"],
                           name=f"{band}:{col}", xaxis=xa, yaxis=ya, font_size=fs if cell > 2.6 * fs else int(0.8 * fs),
                           number_format=number_format)
        tr["visible"] = True
        if slot == ("top", "J") and not opts.free_limits:
            tr["showscale"] = True
            tr["colorbar"] = dict(x=1.005, xanchor="left", y=y1, yanchor="top", len=max(y1 - y0, 0.25),
                                  thickness=14, tickfont=dict(size=fs - 2), title=dict(text="±" + style.fmt(c, 2)))
        traces.append(tr)
        layout[f"xaxis{xa[1:]}"] = dict(domain=[x0, x1], range=[-0.5, k - 0.5], visible=False, fixedrange=True)
        layout[f"yaxis{ya[1:]}"] = dict(domain=[y0, y1], range=[r - 0.5, -0.5], visible=False, fixedrange=True)
        annotations.append(dict(text=p["title"], x=(x0 + x1) / 2, y=y1, xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=fs - 1)))

    # "·" between factors and "=" before J, vertically centred on the factor band
    tops = [c for c in present if ("top", c) in shown]
    for a, b in zip(tops, tops[1:]):
        xa = (boxes[("top", a)][1] + boxes[("top", b)][0]) / 2
        ya = np.mean([(boxes[("top", c)][2] + boxes[("top", c)][3]) / 2 for c in (a, b)])
        annotations.append(dict(text="=" if b == "J" else "·", x=xa, y=ya, xref="paper", yref="paper",
                                showarrow=False, font=dict(size=2.2 * fs)))
    for b in bands:
        annotations.append(dict(text=_band_text(s, b, step), x=0, y=px(0, band_top[b])[1], xref="paper",
                                yref="paper", xanchor="left", yanchor="top", showarrow=False, align="left",
                                font=dict(size=fs)))

    # -- highlights: the walk-through's current factor and row; a clicked J cell's inputs
    def outline(slot, i0=None, i1=None, j0=None, j1=None, dash="solid"):
        xa, ya = axis_names(slot)
        r, k = shown[slot]["z"].shape
        shapes.append(dict(type="rect", xref=xa, yref=ya,
                           x0=(-0.5 if j0 is None else j0 - 0.5), x1=(k - 0.5 if j1 is None else j1 + 0.5),
                           y0=(-0.5 if i0 is None else i0 - 0.5), y1=(r - 0.5 if i1 is None else i1 + 0.5),
                           line=dict(color=style.HIGHLIGHT, width=4, dash=dash), fillcolor="rgba(0,0,0,0)"))

    if step is not None:
        cols = ["loss"] + [factor_column(f) for f in s.factors]
        outline(("rev", cols[step]))
        if step >= 1:
            outline(("top", cols[step]), dash="dot")
    if opts.selected is not None:
        band, col, i, j = opts.selected
        if (band, col) == ("top", "J") and i < s.J.shape[0] and j < s.J.shape[1]:
            left, right = factor_column(s.factors[0]), factor_column(s.factors[-1])
            outline(("top", left), i0=i, i1=i)
            outline(("top", right), j0=j, j1=j)
            outline(("top", "J"), i0=i, i1=i, j0=j, j1=j)
        elif (band, col) in shown:
            r, k = shown[(band, col)]["z"].shape
            if i < r and j < k:
                outline((band, col), i0=i, i1=i, j0=j, j1=j)

    layout.update(
        width=int(plot_w + ml + mr),
        height=height,
        margin=dict(l=ml, r=mr, t=mt, b=mb, autoexpand=False),
        font=font,
        plot_bgcolor="#e4e4e4",  # shows through the cell gaps as grid lines, and blanks as grey
        paper_bgcolor="white",
        showlegend=False,
        hoverlabel=dict(font=dict(size=fs)),
        annotations=annotations,
        shapes=shapes,
        dragmode=False,
    )
    return {"traces": traces, "layout": layout}


QUIZ_NAMES = ["J", "D1", "D2", "dL/dy", "dL/dz2", "dL/da1", "dL/dz1", "dL/dx"]


def quiz_slot(s: Snapshot, name: str) -> tuple[str, str]:
    """The slot an exercise name refers to: ``"J"``, ``"D1"`` (a slope factor) or a row like ``"dL/dz1"``."""
    if name == "J":
        return ("top", "J")
    if name in ("D1", "D2"):
        if not any(factor_column(f) == name for f in s.factors):
            raise ValueError(f"quiz {name!r}: this net has no slope factor {name} (its activation is the identity)")
        return ("top", name)
    if name.startswith("dL/d"):
        v = name[4:]
        text = "∂L/∂" + (v if v in ("x", "y") else v[0] + sub(int(v[1:])) if v[1:].isdigit() else v)
        cols = ["loss"] + [factor_column(f) for f in s.factors]
        for row, col in zip(s.rows, cols):
            if row.text == text:
                return ("rev", col)
        raise ValueError(f"quiz {name!r}: this net has no row {text}")
    raise ValueError(f"quiz {name!r} is not a panel; choose from: {', '.join(QUIZ_NAMES)}")


def quiz_answer(s: Snapshot, slot: tuple[str, str]) -> np.ndarray:
    """The true values an exercise on ``slot`` asks for: a slope factor's diagonal, a row, or J."""
    z = panels(s)[slot]["z"]
    return np.diag(np.nan_to_num(z)) [None, :] if slot[1].startswith("D") and slot[0] == "top" else z
