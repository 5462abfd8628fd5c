"""How an explorer's one plotly figure reaches the page.

:func:`new_figure` is the only place a ``FigureWidget`` is made, so how plotly.js
is shipped to the browser is decided here and nowhere else.
"""

from __future__ import annotations

import plotly.graph_objects as go


def new_figure(data: list, layout: dict, config: dict | None = None) -> go.FigureWidget:
    """A ``FigureWidget`` holding ``data`` (trace dicts) and ``layout``, with plotly ``config``."""
    fig = go.FigureWidget(data=data, layout=layout)
    if config is not None:
        fig._config = config
    return fig
