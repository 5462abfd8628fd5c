"""chainviz.views.grid: many matrices on one grid of cells (no kernel, no browser)."""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET

import numpy as np

from chainviz.views.grid import Box, cell_borders, colour_bar_image, hover_cells, pack, panel_backgrounds


def test_pack_puts_each_matrix_in_its_box_and_nan_elsewhere():
    A = np.arange(6.0).reshape(2, 3)
    B = -np.ones((1, 2))
    Z = pack((4, 6), {"A": (Box(0, 1, 2, 3), A), "B": (Box(3, 4, 1, 2), B)})
    assert Z.shape == (4, 6)
    np.testing.assert_array_equal(Z[0:2, 1:4], A)
    np.testing.assert_array_equal(Z[3, 4:6], [-1, -1])
    assert np.isnan(Z).sum() == 24 - 6 - 2


def test_box_edges_and_entries():
    b = Box(row=2, col=5, rows=3, cols=4)
    assert (b.left, b.right, b.top, b.bottom) == (4.5, 8.5, 1.5, 4.5)
    assert b.entry(2, 5) == (0, 0) and b.entry(4, 8) == (2, 3)
    assert b.entry(1, 5) is None and b.entry(2, 9) is None and b.entry(5, 5) is None


def _segments(path: str) -> list[str]:
    return re.findall(r"M[^M]+", path)


def test_borders_outline_each_panel_and_part_its_cells():
    boxes = [Box(0, 0, 2, 3), Box(4, 1, 1, 1)]
    segs = _segments(cell_borders(boxes))
    # panel 1: outline + 2 inner vertical + 1 inner horizontal lines; panel 2: outline only
    assert len(segs) == 1 + 2 + 1 + 1
    assert segs[0] == "M-0.5,-0.5H2.5V1.5H-0.5Z"
    assert "M0.5,-0.5V1.5" in segs and "M1.5,-0.5V1.5" in segs and "M-0.5,0.5H2.5" in segs
    assert segs[-1] == "M0.5,3.5H1.5V4.5H0.5Z"
    assert _segments(panel_backgrounds(boxes)) == [segs[0], segs[-1]]


def test_hover_text_uses_indices_inside_each_panel():
    H = hover_cells((3, 5), ((Box(1, 2, 2, 2), "W[%{y},%{x}]"), (Box(0, 0, 1, 1), "t[%{x}]")))
    assert H[1, 2] == "W[0,0]" and H[2, 3] == "W[1,1]" and H[1, 3] == "W[0,1]"
    assert H[0, 0] == "t[0]"
    assert H[0, 4] == "" and H[2, 0] == ""
    # cached: the same layout gives the very same (read-only) array, so an edit sends nothing for it
    assert hover_cells((3, 5), ((Box(1, 2, 2, 2), "W[%{y},%{x}]"), (Box(0, 0, 1, 1), "t[%{x}]"))) is H
    assert not H.flags.writeable


def test_colour_bar_is_an_svg_gradient_of_the_scale():
    scale = [[0.0, "#053061"], [0.5, "#f7f7f7"], [1.0, "#67001f"]]
    uri = colour_bar_image(scale)
    head, _, body = uri.partition(",")
    assert head == "data:image/svg+xml;utf8"
    svg = ET.fromstring(urllib.parse.unquote(body))
    ns = {"s": "http://www.w3.org/2000/svg"}
    stops = svg.findall(".//s:stop", ns)
    assert [(float(s.get("offset")), s.get("stop-color")) for s in stops] == [(p, c) for p, c in scale]
    grad = svg.find(".//s:linearGradient", ns)
    assert (grad.get("y1"), grad.get("y2")) == ("1", "0")  # first colour at the bottom: negative below
