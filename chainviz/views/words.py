"""Words on a figure (titles, headings, the operators between factors) drawn as text traces.

Why not layout annotations: plotly.js removes and re-creates every annotation on each
full redraw, and draws them twice (once to measure them for autorange, once for real).
An edit that changes a heatmap's ``z`` is a full redraw, so in JupyterLab 22 annotations
cost about 20 ms per edit, a third of the explorer's edit → DOM time
(``benchmarks/results.md``). A text trace's elements are updated in place.

Words come in two traces: ``words``, which change only with the net's shape and the
options, and ``live words``, which quote numbers of the state (``at z₁ = (…)``,
``L = 0.3275``). An edit then re-sends only the short live texts, not every title.

A live figure's front end draws both itself (``meta.drawn_by``, see
``chainviz/_static/figure_loader.js``): even updated in place, plotly.js restyles every text
point on every full redraw.
"""

from __future__ import annotations

from typing import NamedTuple

#: A word's anchor, as (horizontal, vertical) in annotation terms, to a scatter text position
#: (which names where the text goes from its point: text anchored at its bottom goes "top").
_POSITION = {
    ("center", "bottom"): "top center", ("left", "bottom"): "top right",
    ("center", "middle"): "middle center",
}


class Word(NamedTuple):
    """One piece of text at data coordinates ``(x, y)``; ``anchor`` is ``(horizontal, vertical)``:
    the point of the text placed at ``(x, y)``; ``live``: it quotes numbers of the state."""

    text: str
    x: float
    y: float
    size: float
    anchor: tuple[str, str] = ("center", "middle")
    live: bool = False


def word_traces(words: list[Word], colour: str) -> list[dict]:
    """Two plotly scatter text traces, ``words`` then ``live words``, drawing ``words``.

    Texts may hold plotly's HTML subset (``<b>``, ``<br>``). A word may stick out of the plot
    area (``cliponaxis=False``), but a word whose point lies outside the axes' range is not
    drawn at all (plotly hides such points): words in the margins stay annotations.
    """
    out = []
    for name, live in (("words", False), ("live words", True)):
        group = [w for w in words if w.live is live]
        out.append(dict(
            type="scatter", name=name, mode="text", x=[round(w.x, 4) for w in group],
            y=[round(w.y, 4) for w in group], text=[w.text for w in group],
            textposition=[_POSITION[w.anchor] for w in group],
            textfont=dict(size=[round(w.size, 1) for w in group], color=colour),
            cliponaxis=False, hoverinfo="skip", showlegend=False, meta={"drawn_by": "page"}))
    return out
