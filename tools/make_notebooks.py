#!/usr/bin/env python3
"""Write ``notebooks/*.ipynb`` from the cell sources in this file.

The notebooks are generated, never edited by hand: this file is what a
reviewer reads, and every run writes them clean.

    python tools/make_notebooks.py            # build, run, check the exercises, write all five
    python tools/make_notebooks.py 03 04      # only the notebooks whose names start with these
    python tools/make_notebooks.py --check    # exit 1 if a committed notebook differs from this file
    python tools/make_notebooks.py --no-execute   # write without running them first

What a written notebook holds
    * every cell carries ``metadata.slideshow.slide_type`` (jupyterlab-slideshow's
      "Toggle Deck" presents 03 and 04 as talks);
    * no widget state (``metadata.widgets`` absent), no outputs and no execution
      counts. The cells that print numbers also ``assert`` the closed-form values,
      so ``pytest --nbval-lax`` (which runs every cell) fails on a wrong number
      without any stored output to compare.

Before writing, each notebook is executed twice in a fresh kernel (nbclient):
once as the learner gets it, which must raise nothing and print nothing on
stderr, and once with every exercise answer replaced by its solution, where
every exercise check must print "right".
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
# "Continue the current slide" is the empty string: JupyterLab's property inspector writes "" for
# its "-" choice, and jupyterlab-slideshow 0.3.4 reads "" (or no value) as "continue", while it puts
# a cell marked "-" (the classic nbconvert/RISE spelling) on no slide at all.
CONTINUE = ""
SLIDE_TYPES = ("slide", "subslide", "fragment", CONTINUE, "skip", "notes")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_TIMEOUT = 300  # seconds; nothing here takes more than a few


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" | "code"
    source: str
    slide: str = CONTINUE
    solution: str | None = None  # code: the cell's source in the solutions run
    exercise_check: bool = False  # code: must print "right" in the solutions run
    hidden: bool = False  # show the cell collapsed (metadata.jupyter.source_hidden)

    def __post_init__(self):
        if self.slide not in SLIDE_TYPES:
            raise ValueError(f"slide type {self.slide!r} is not one of {SLIDE_TYPES}")


def md(source: str, slide: str = CONTINUE) -> Cell:
    return Cell("markdown", _dedent(source), slide)


def code(source: str, slide: str = CONTINUE, *, solution: str | None = None, exercise_check: bool = False,
         hidden: bool = False) -> Cell:
    return Cell("code", _dedent(source), slide, _dedent(solution) if solution else None, exercise_check, hidden)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


# =====================================================================================
# Shared code cells
# =====================================================================================

SETUP = '''
import numpy as np
import chainviz as cv


def fmt(v, digits=4):
    """A number with fixed decimals, the same on every machine (and never "-0.0000")."""
    return f"{round(float(v), digits) + 0.0:.{digits}f}"


def vec(v, digits=4):
    return "(" + ", ".join(fmt(e, digits) for e in np.ravel(v)) + ")"


def shape(M):
    r, c = np.atleast_2d(M).shape
    return f"{r}×{c}"


def show(label, M, digits=4):
    """Print a matrix (or a vector, as one row) with its rows aligned."""
    cells = [[fmt(e, digits) for e in row] for row in np.atleast_2d(np.asarray(M, dtype=float))]
    width = max(len(c) for row in cells for c in row)
    lines = ["[" + "  ".join(c.rjust(width) for c in row) + "]" for row in cells]
    print(f"{label} = {lines[0]}")
    for line in lines[1:]:
        print(" " * (len(label) + 3) + line)
'''

CHECKERS = '''
def check(answer, truth, name="your answer", tol=1e-3):
    """Print "right" or what is not right yet (returns nothing). A wrong answer is no error: never raises."""
    try:
        truth = np.atleast_2d(np.asarray(truth, dtype=float))
        if answer is Ellipsis:
            print(f"not yet: replace the ... in {name} with your answer")
            return
        got = np.array(answer, dtype=object)
        if got.size != truth.size or np.squeeze(got).shape != np.squeeze(truth).shape:
            r, c = truth.shape
            print(f"not yet: {name} should be {r}×{c} ({r} row{'s' * (r > 1)}, {c} column{'s' * (c > 1)}); "
                  f"yours has shape {got.shape}")
            return
        got = got.reshape(truth.shape)
        problems, wrong = [], []
        for (i, j), t in np.ndenumerate(truth):
            where = f"entry [{i}, {j}]" if truth.shape[0] > 1 else (f"entry [{j}]" if truth.size > 1 else name)
            v = got[i, j]
            if v is Ellipsis:
                problems.append(f"{where} is still ...")
                continue
            try:
                v = float(v)
            except (TypeError, ValueError):
                problems.append(f"{where} is {v!r}, not a number")
                continue
            if not abs(v - t) <= tol * max(1.0, abs(t)):
                wrong.append(where)
        if problems:
            print("not yet: " + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""))
        elif wrong:
            more = " …" if len(wrong) > 3 else ""
            verb = "is" if len(wrong) == 1 else "are"
            print(f"not yet: {', '.join(wrong[:3])}{more} {verb} off ({truth.size - len(wrong)} of {truth.size} right)")
        else:
            print(f"right: {name}")
    except Exception as exc:  # whatever was typed, say so instead of a traceback
        print(f"not yet: could not read {name} ({type(exc).__name__}: {exc})")


def check_quiz(app, name, answer):
    """Type ``answer`` into the explorer's exercise grid ``name``, press its Check, print the verdict."""
    try:
        if answer is Ellipsis or any(v is Ellipsis for v in np.array(answer, dtype=object).flat):
            print(f"not yet: replace every ... in your {name} first (the panel stays hidden until you check)")
            return
        app.answer(name, np.atleast_2d(np.array(answer, dtype=object)))
        ok = app.check(name)[name]
    except Exception as exc:
        print(f"not yet: {exc}")
        return
    if ok.all():
        print(f"right: all {ok.size} entries of {name}; the panel is revealed in the explorer")
        return
    wrong = [f"[{i}, {j}]" if ok.shape[0] > 1 else f"[{j}]" for i, j in np.argwhere(~ok)]
    print(f"not yet: {name} entr{'y' if len(wrong) == 1 else 'ies'} {', '.join(wrong)} "
          f"{'is' if len(wrong) == 1 else 'are'} off ({int(ok.sum())} of {ok.size} right)")
'''


def setup_cells() -> list[Cell]:
    """Two cells every lesson starts with: the imports, then the helpers (source collapsed)."""
    imports = code(
        """
        # Run this first. (The next cell, collapsed, defines small printing and checking helpers.)
        import numpy as np
        import chainviz as cv
        """,
        "skip",
    )
    helpers = code("# Helpers: fmt, vec, shape, show (printing) and check, check_quiz (exercises).\n"
                   + _dedent(SETUP.replace("import chainviz as cv\n", "")).strip("\n")
                   + "\n\n\n" + _dedent(CHECKERS), "skip", hidden=True)
    return [imports, helpers]


# =====================================================================================
# 00 index
# =====================================================================================

NB00 = [
    md(
        """
        # chainviz: the chain rule you can see

        Four short notebooks, meant to be read in order. Each one computes a few things by hand,
        checks them with numbers, and then hands you a live widget to poke at. Each ends with
        two or three exercises that tell you "right" or "not yet" when you run the check cell.

        1. [Jacobians](01_jacobians.ipynb): from one slope to a table of slopes, and what that table predicts.
        2. [The vector chain rule](02_vector_chain_rule.ipynb): composing two maps multiplies their Jacobians, and the shapes tell you the order.
        3. [A two-layer net, factor by factor](03_two_layer_net.ipynb): weight matrices and diagonal slope matrices, multiplied into the network's Jacobian.
        4. [Reverse mode](04_reverse_mode.ipynb): why backpropagation starts at the loss, and what that saves at scale.
        """,
        "slide",
    ),
    md(
        """
        ## How to use them

        * Run the cells from the top (**Shift+Enter**, or *Run → Run All Cells*). The first code cell of
          each notebook loads `chainviz`; nothing needs the internet.
        * The widgets react to dragging, typing a number and pressing **Enter**, and clicking a cell of
          a figure. A red message under a widget explains an edit it could not accept; the last good
          state stays on screen.
        * Notebooks 3 and 4 are also slide decks: open one, select its first cell and press
          **Toggle Deck** in the notebook toolbar. The widgets stay live on the slides.
        * Without the code, as an app: `voila notebooks/03_two_layer_net.ipynb`.
        """,
        "subslide",
    ),
]


# =====================================================================================
# 01 Jacobians
# =====================================================================================

NB01 = [
    md(
        """
        # 1. Jacobians

        A derivative tells you how fast one output moves when one input moves. A function of several
        inputs with several outputs has one such rate for every (output, input) pair, and laying them
        out as a table gives the **Jacobian**. This notebook builds that table for a small example,
        checks it numerically, and shows what it is good for: predicting how the outputs move.
        """,
        "slide",
    ),
    *setup_cells(),
    md(
        """
        ## The scalar chain rule, in one line

        For a composition $h(x) = g(f(x))$ of one-variable functions,

        $$h'(x) = g'\\bigl(f(x)\\bigr)\\cdot f'(x):$$

        the slope of the outer function, read off at the value the inner one hands it, times the slope
        of the inner function.

        * $h(x) = \\sin(x^2)$: the inner $x^2$ has slope $2x$, the outer $\\sin$ has slope $\\cos$, read at
          $x^2$. So $h'(x) = \\cos(x^2)\\cdot 2x$, and no trigonometry was needed.
        * $h(x) = (3x+1)^2$: the inner slope is $3$, the outer $u^2$ has slope $2u$ at $u = 3x + 1$, so
          $h'(x) = 2(3x+1)\\cdot 3 = 18x + 6$. Multiplying out first, $9x^2 + 6x + 1$, gives the same
          slope, but a deep network never lets you multiply out.

        The cell below compares the chain rule, the hand-derived formula and a difference quotient
        $\\bigl(h(x+\\varepsilon) - h(x-\\varepsilon)\\bigr)/2\\varepsilon$ at three points.
        """,
        "slide",
    ),
    code(
        """
        from chainviz.core.examples import SIN_X2, SQUARE_3X_PLUS_1


        def difference_quotient(h, x, eps=1e-5):
            return (h(x + eps) - h(x - eps)) / (2 * eps)


        for example in (SIN_X2, SQUARE_3X_PLUS_1):
            print(example.text)
            for x in (-1.0, 0.5, 2.0):
                by_rule = example.chain_rule(x)  # g'(f(x)) · f'(x)
                by_hand = example.dh(x)  # the formula derived above
                numeric = difference_quotient(example.h, x)
                assert abs(by_rule - by_hand) < 1e-12 and abs(numeric - by_hand) < 1e-6
                print(f"  x = {x:4.1f}: chain rule {fmt(by_rule, 6):>10}   formula {fmt(by_hand, 6):>10}"
                      f"   difference quotient {fmt(numeric, 6):>10}")
        """,
        "fragment",
    ),
    md(
        """
        ## Many inputs, many outputs: a table of slopes

        Take $\\mathbf f:\\mathbb R^n \\to \\mathbb R^m$. Each of the $m$ outputs can respond to each of the
        $n$ inputs, so there are $m\\cdot n$ partial derivatives. The Jacobian arranges them with **one row
        per output and one column per input**: entry $(i, j)$ is $\\partial f_i/\\partial x_j$, and the whole
        matrix is $m\\times n$.

        Two familiar objects are special cases: with one input and one output it is a $1\\times 1$ matrix,
        the ordinary derivative; with one output it is a $1\\times n$ row, the gradient written as a row.
        """,
        "slide",
    ),
    md(
        """
        ### An example: $\\mathbf f(x_1, x_2) = (x_1^2 + x_2,\\; x_1 x_2)$

        Differentiate each output by each input:

        | | $\\partial/\\partial x_1$ | $\\partial/\\partial x_2$ |
        |---|---|---|
        | $f_1 = x_1^2 + x_2$ | $2x_1$ | $1$ |
        | $f_2 = x_1 x_2$ | $x_2$ | $x_1$ |

        so $\\mathbf J_{\\mathbf f}(\\mathbf x) = \\begin{pmatrix} 2x_1 & 1\\\\ x_2 & x_1\\end{pmatrix}$, and at the point
        $(1, 2)$ every entry becomes a number: $\\begin{pmatrix} 2 & 1\\\\ 2 & 1\\end{pmatrix}$.
        `cv.numerical_jacobian` gets the same matrix without any algebra, one column per nudged input.
        """,
        "subslide",
    ),
    code(
        """
        from chainviz.core.examples import J_jacobian_demo as J_by_hand
        from chainviz.core.examples import f_jacobian_demo as f

        x0 = np.array([1.0, 2.0])
        J_hand = J_by_hand(x0)  # [[2·x₁, 1], [x₂, x₁]] at (1, 2)
        J_numeric = cv.numerical_jacobian(f, x0)  # central differences
        show("J_f(1, 2) by hand       ", J_hand)
        show("J_f(1, 2) by differences", J_numeric)
        assert np.allclose(J_hand, [[2, 1], [2, 1]]) and np.allclose(J_numeric, J_hand, atol=1e-6)
        """,
        "fragment",
    ),
    md(
        """
        ### Live

        Drag $x_1$ and $x_2$ (or type a value and press Enter) and watch the entries follow
        $2x_1$, $1$, $x_2$, $x_1$. Notice which entry never moves, and that the two rows agree only
        at the starting point $(1, 2)$ itself.
        """,
        "subslide",
    ),
    code(
        """
        jacobian_app = cv.demos.jacobian_demo()
        jacobian_app
        """,
        CONTINUE,
    ),
    md(
        """
        ## What the Jacobian predicts

        Near a point, $\\mathbf f$ behaves like its Jacobian: nudging the input by a small $\\Delta\\mathbf x$
        moves the output by about $\\mathbf J_{\\mathbf f}(\\mathbf x)\\,\\Delta\\mathbf x$. The prediction is not
        exact, but its error shrinks like $\\lVert\\Delta\\mathbf x\\rVert^2$: halve the step and the gap
        drops to a quarter. Here, the gap is exactly $(\\Delta x_1^2,\\ \\Delta x_1\\Delta x_2)$.

        The $\\Delta\\mathbf x$ sliders of the explorer above show the same comparison live.
        """,
        "slide",
    ),
    code(
        """
        gaps = []
        for scale in (1.0, 0.5, 0.25):
            dx = scale * np.array([0.1, -0.05])
            actual = f(x0 + dx) - f(x0)
            predicted = J_hand @ dx
            gaps.append(np.abs(actual - predicted).max())
            print(f"Δx = {vec(dx, 4)}: f(x+Δx) − f(x) = {vec(actual, 6)},  J·Δx = {vec(predicted, 6)},"
                  f"  gap {fmt(gaps[-1], 6)}")
        print("each halving of Δx divides the gap by", fmt(gaps[0] / gaps[1], 2), "and", fmt(gaps[1] / gaps[2], 2))
        assert np.allclose(gaps, [0.01, 0.0025, 0.000625]) and np.isclose(gaps[0] / gaps[1], 4)
        """,
        "fragment",
    ),
    md(
        """
        ## Exercises

        Fill in the `...` and run the cell below each answer. It says **right** or what is not right yet;
        indices are counted from 0, as numpy does.

        **1.** The Jacobian of $\\mathbf f(x_1, x_2) = (x_1^2 + x_2,\\; x_1 x_2)$ at the point $(3, -1)$.
        """,
        "slide",
    ),
    code("my_J = [[..., ...], [..., ...]]", solution="my_J = [[6, 1], [-1, 3]]"),
    code('check(my_J, J_by_hand([3.0, -1.0]), "my_J")', exercise_check=True),
    md(
        """
        **2.** $\\mathbf g(x_1, x_2, x_3) = (x_1 x_2 x_3,\\; x_1 + x_3^2)$ has three inputs and two outputs. Write
        its Jacobian at $(1, 2, 3)$. (First decide its shape.)
        """,
        "fragment",
    ),
    code("my_J_g = ...", solution="my_J_g = [[6, 3, 2], [1, 0, 6]]"),
    code(
        """
        def g(x):
            return np.array([x[0] * x[1] * x[2], x[0] + x[2] ** 2])


        check(my_J_g, cv.numerical_jacobian(g, [1.0, 2.0, 3.0]), "my_J_g")
        """,
        exercise_check=True,
    ),
    md(
        """
        **3.** The slope of $h(x) = \\sin(x^2)$ at $x = \\sqrt{\\pi}$, as a number (numpy is allowed:
        `np.sqrt(np.pi)`, `np.cos`).
        """,
        "fragment",
    ),
    code("my_slope = ...", solution="my_slope = np.cos(np.pi) * 2 * np.sqrt(np.pi)"),
    code('check(my_slope, SIN_X2.dh(np.sqrt(np.pi)), "my_slope")', exercise_check=True),
    md("Next: [2. The vector chain rule](02_vector_chain_rule.ipynb) · [index](00_index.ipynb)", CONTINUE),
]


# =====================================================================================
# 02 The vector chain rule
# =====================================================================================

NB02 = [
    md(
        """
        # 2. The vector chain rule

        Feed the output of $\\mathbf f:\\mathbb R^n\\to\\mathbb R^m$ into $\\mathbf g:\\mathbb R^m\\to\\mathbb R^p$.
        The composition $\\mathbf h = \\mathbf g\\circ\\mathbf f$ has the Jacobian

        $$\\mathbf J_{\\mathbf h}(\\mathbf x) = \\mathbf J_{\\mathbf g}\\bigl(\\mathbf f(\\mathbf x)\\bigr)\\;\\mathbf J_{\\mathbf f}(\\mathbf x).$$

        It is the scalar rule again, with a matrix product in place of an ordinary one: the outer
        Jacobian stands on the left and is read at $\\mathbf f(\\mathbf x)$, the point $\\mathbf g$ actually
        receives; the inner one is read at $\\mathbf x$.
        """,
        "slide",
    ),
    *setup_cells(),
    md(
        """
        ## Shapes that cancel

        $\\mathbf J_{\\mathbf f}$ is $m\\times n$ and $\\mathbf J_{\\mathbf g}$ is $p\\times m$, so

        $$(p\\times m)\\,(m\\times n) = p\\times n,$$

        which is the shape $\\mathbf h:\\mathbb R^n\\to\\mathbb R^p$ needs. The $m$ that disappears is the length
        of the vector passed from $\\mathbf f$ to $\\mathbf g$. The other order, $\\mathbf J_{\\mathbf f}\\mathbf J_{\\mathbf g}$,
        usually does not even fit, which is a handy way to remember which side the outer Jacobian goes on.

        Below: $\\mathbf f:\\mathbb R^3\\to\\mathbb R^4$ and $\\mathbf g:\\mathbb R^4\\to\\mathbb R^2$, two arbitrary smooth maps,
        every Jacobian by central differences.
        """,
        "slide",
    ),
    code(
        """
        A = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0], [-0.7, 0.1, 0.4], [0.5, 0.5, 0.5]])


        def f(x):  # R³ → R⁴
            return np.tanh(A @ x)


        def g(u):  # R⁴ → R²
            return np.array([u @ u, np.sin(u).sum()])


        x = np.array([0.2, -0.4, 0.9])
        J_f = cv.numerical_jacobian(f, x)  # read at x
        J_g = cv.numerical_jacobian(g, f(x))  # read at f(x), what g receives
        J_h = cv.numerical_jacobian(lambda v: g(f(v)), x)  # the composition, differenced directly
        print(f"J_g · J_f: ({shape(J_g)}) · ({shape(J_f)}) = {shape(J_g @ J_f)};  J_h is {shape(J_h)}")
        print("J_g(f(x)) · J_f(x) equals J_h(x):", np.allclose(J_g @ J_f, J_h, atol=1e-6))
        try:
            J_f @ J_g
        except ValueError:
            print(f"J_f · J_g: {shape(J_f)} times {shape(J_g)} does not fit")
        assert np.allclose(J_g @ J_f, J_h, atol=1e-6)
        """,
        "fragment",
    ),
    md(
        """
        ## A worked example: $\\mathbf f(x) = (x, x^2)$, $g(\\mathbf u) = u_1 + u_2$

        Straight away, $h(x) = x + x^2$ and $h'(x) = 1 + 2x$. Through the chain rule:
        $\\mathbf f$ turns one number into two, so $\\mathbf J_{\\mathbf f} = \\begin{pmatrix}1\\\\ 2x\\end{pmatrix}$ is $2\\times 1$;
        $g$ turns two numbers into one, so $\\mathbf J_g = \\begin{pmatrix}1 & 1\\end{pmatrix}$ is $1\\times 2$, the same at
        every point. Their product is $1\\times 1$:

        $$\\begin{pmatrix}1 & 1\\end{pmatrix}\\begin{pmatrix}1\\\\ 2x\\end{pmatrix} = 1 + 2x.$$
        """,
        "slide",
    ),
    code(
        """
        from chainviz.core.examples import J_f_composition, J_g_composition, dh_composition, f_composition

        for x1 in (-1.0, 0.5, 2.0):
            xv = np.array([x1])
            Jf = J_f_composition(xv)  # 2×1
            Jg = J_g_composition(f_composition(xv))  # 1×2, at u = f(x)
            product = Jg @ Jf  # 1×1
            print(f"x = {x1:4.1f}:  J_g = {vec(Jg, 1)}  J_f = {vec(Jf, 1)}ᵀ  J_g·J_f = {fmt(product[0, 0], 1):>4}"
                  f"   1 + 2x = {fmt(dh_composition(x1), 1):>4}")
            assert product.shape == (1, 1) and np.isclose(product[0, 0], dh_composition(x1))
        """,
        "fragment",
    ),
    md(
        """
        ### Live

        Drag $x$: the two factors, their product and a direct numerical check of $h$ update together.
        Only $\\mathbf J_{\\mathbf f}$ changes, because $\\mathbf J_g$ is the same everywhere.
        """,
        "subslide",
    ),
    code(
        """
        composition_app = cv.demos.composition_demo()
        composition_app
        """,
        CONTINUE,
    ),
    md(
        """
        ### Your own functions

        `cv.CompositionExplorer(f, g, x0)` takes any two Python functions. Here $\\mathbf f$ turns polar
        coordinates $(r, \\theta)$ into a point of the plane and $g$ is its squared length, so
        $h(r, \\theta) = r^2$ and $\\mathbf J_h = (2r,\\; 0)$. Both factors depend on $\\theta$, yet the
        $\\theta$ column of their product is always zero: turning a point does not change its length.
        """,
        "subslide",
    ),
    code(
        """
        def polar(v):
            r, theta = v
            return np.array([r * np.cos(theta), r * np.sin(theta)])


        def squared_length(u):
            return np.array([u[0] ** 2 + u[1] ** 2])


        cv.CompositionExplorer(polar, squared_length, [2.0, 0.7], names=["r", "θ"])
        """,
        CONTINUE,
    ),
    md(
        """
        ## Longer chains

        Nothing stops at two. For $\\mathbf f_3\\circ\\mathbf f_2\\circ\\mathbf f_1$ the rule applies twice:
        $\\mathbf J = \\mathbf J_3\\,\\mathbf J_2\\,\\mathbf J_1$, each factor read at the point its function sees.
        A neural network is exactly such a chain, and [notebook 3](03_two_layer_net.ipynb) multiplies
        one out factor by factor.
        """,
        "slide",
    ),
    md(
        """
        ## Exercises

        **1.** $\\mathbf f:\\mathbb R^5\\to\\mathbb R^3$ and $\\mathbf g:\\mathbb R^3\\to\\mathbb R^4$. Give the shapes
        (rows, columns) of $\\mathbf J_{\\mathbf f}$, $\\mathbf J_{\\mathbf g}$ and $\\mathbf J_{\\mathbf g\\circ\\mathbf f}$.
        """,
        "slide",
    ),
    code(
        'my_shapes = {"J_f": (..., ...), "J_g": (..., ...), "J_h": (..., ...)}',
        solution='my_shapes = {"J_f": (3, 5), "J_g": (4, 3), "J_h": (4, 5)}',
    ),
    code(
        """
        for key, truth in {"J_f": (3, 5), "J_g": (4, 3), "J_h": (4, 5)}.items():
            answer = my_shapes.get(key, ...) if isinstance(my_shapes, dict) else ...
            check(answer, truth, key)
        """,
        exercise_check=True,
    ),
    md(
        """
        **2.** Keep $\\mathbf f(x) = (x, x^2)$ but take $g(\\mathbf u) = u_1 u_2$. At $x = 2$: what is
        $\\mathbf J_g(\\mathbf f(2))$ (a $1\\times 2$ row), and what is $h'(2)$? Check the second against
        $h(x) = x^3$.
        """,
        "fragment",
    ),
    code(
        """
        my_J_g = [[..., ...]]
        my_h_slope = ...
        """,
        solution="""
        my_J_g = [[4, 2]]
        my_h_slope = 12
        """,
    ),
    code(
        """
        check(my_J_g, [[4.0, 2.0]], "my_J_g")
        check(my_h_slope, 3 * 2.0**2, "my_h_slope")
        """,
        exercise_check=True,
    ),
    md(
        """
        **3.** $\\mathbf f(x_1, x_2) = (x_1 + x_2,\\; x_1 - x_2)$ and $g(\\mathbf u) = u_1 u_2$. Use the chain rule to
        find the $1\\times 2$ Jacobian of $h = g\\circ\\mathbf f$ at $(3, 1)$.
        """,
        "fragment",
    ),
    code("my_J_h = [[..., ...]]", solution="my_J_h = [[6, -2]]"),
    code(
        """
        def h(x):
            return np.array([(x[0] + x[1]) * (x[0] - x[1])])


        check(my_J_h, cv.numerical_jacobian(h, [3.0, 1.0]), "my_J_h")
        """,
        exercise_check=True,
    ),
    md("Next: [3. A two-layer net](03_two_layer_net.ipynb) · [index](00_index.ipynb)", CONTINUE),
]


# =====================================================================================
# 03 A two-layer net
# =====================================================================================

NB03 = [
    md(
        """
        # 3. A two-layer net, factor by factor

        $\\mathbf x\\in\\mathbb R^3 \\;\\xrightarrow{\\;\\mathbf W_1\\ (4\\times 3)\\;}\\; \\mathbf z_1
        \\;\\xrightarrow{\\;\\sigma\\;}\\; \\mathbf a_1 \\;\\xrightarrow{\\;\\mathbf W_2\\ (2\\times 4)\\;}\\; \\mathbf y\\in\\mathbb R^2$

        Every step is a map with a Jacobian, so the network's Jacobian $\\partial\\mathbf y/\\partial\\mathbf x$ is
        their product. We build it up in three stages: no activation, one activation, two.
        """,
        "slide",
    ),
    *setup_cells(),
    md(
        """
        ## Reading the explorer

        * **Top row:** the factors in the order they are written, output side first, then `=` and their
          product $J$ ($2\\times 3$). Each panel names its matrix, its shape and the point it is read at.
        * **Colours:** red positive, blue negative, white zero, on one scale shared by all panels; the
          number is printed in each cell.
        * **Edit:** type into the $W_1$, $W_2$ and $x$ grids (Enter), pick a cell and drag the *scrub*
          slider, or change the activation. Click any cell of the figure to see how it is computed.
        * **Below the product:** the backward sweep ($\\partial L/\\partial\\cdot$ rows, notebook 4) and, for
          comparison, what forward mode carries.
        """,
        "slide",
    ),
    md(
        """
        ## Two linear layers

        Take away the activation: $\\mathbf a_1 = \\mathbf W_1\\mathbf x$, $\\mathbf y = \\mathbf W_2\\mathbf a_1$.
        A linear map's Jacobian is its own matrix (each output is a fixed mix of the inputs), so

        $$\\mathbf J = \\mathbf W_2\\,\\mathbf W_1, \\qquad (2\\times 4)(4\\times 3) = 2\\times 3.$$

        It does not depend on $\\mathbf x$ at all. Stacking a second linear layer adds weights but no new
        behaviour: whatever $\\mathbf W_1$ and $\\mathbf W_2$ are, the pair does exactly what the single matrix
        $\\mathbf W_2\\mathbf W_1$ does. Depth only pays off once something bends in between.
        """,
        "slide",
    ),
    code(
        """
        linear = cv.examples.PRESETS["linear"]
        W1, W2 = linear.net.weights
        J = linear.net.jacobian(linear.x)
        show("W2 · W1", W2 @ W1)
        show("J      ", J)
        elsewhere = np.array([-2.0, 0.3, 5.0])
        print("same J at another x:", np.allclose(linear.net.jacobian(elsewhere), J))
        print("the net is x ↦ (W2·W1) x:", np.allclose(linear.net(elsewhere), (W2 @ W1) @ elsewhere))
        assert np.allclose(J, W2 @ W1) and np.allclose(linear.net.jacobian(elsewhere), J)
        """,
        "fragment",
    ),
    code(
        """
        linear_app = cv.ChainRuleExplorer(linear.net, linear.x, linear.loss)  # the preset above, live
        linear_app
        """,
        "slide",
    ),
    md(
        """
        Ask the room before touching anything: if $x$ changes, which panels change? (Only the values and
        the loss rows; $J$ stays put.) Then double one entry of $W_1$ and watch a whole column of $J$ move.
        """,
        "notes",
    ),
    md(
        """
        ## Add an activation

        Now $\\mathbf z_1 = \\mathbf W_1\\mathbf x$ and $\\mathbf a_1 = \\sigma(\\mathbf z_1)$, one unit at a time. Since
        $a_{1,i}$ depends only on $z_{1,i}$, the Jacobian of this step has zeros off the diagonal and the
        slopes $\\sigma'(z_{1,i})$ on it: $\\mathrm{diag}\\bigl(\\sigma'(\\mathbf z_1)\\bigr)$. Storing it takes one
        vector; multiplying by it just rescales.

        $$\\mathbf J = \\mathbf W_2\\;\\mathrm{diag}\\bigl(\\sigma'(\\mathbf z_1)\\bigr)\\;\\mathbf W_1$$

        The diagonal factor scales row $k$ of $\\mathbf W_1$ by the slope of hidden unit $k$, and those slopes
        depend on $\\mathbf x$: now moving the input changes the Jacobian.
        """,
        "slide",
    ),
    code(
        """
        sig = cv.examples.PRESETS["sigmoid"]
        trace = sig.net.forward(sig.x)
        z1, slopes = trace.zs[0], trace.slopes[0]
        W1, W2 = sig.net.weights
        print(" · ".join(f"{F.text} ({shape(F.matrix)})" for F in sig.net.jacobian_factors(sig.x)), "= J (2×3)")
        show("z1    ", z1)
        show("σ'(z1)", slopes)
        s = 1 / (1 + np.exp(-z1))
        print("σ'(z) = σ(z)(1 − σ(z)):", np.allclose(slopes, s * (1 - s)))
        print("diag(σ'(z1)) · W1 scales the rows of W1:", np.allclose(np.diag(slopes) @ W1, slopes[:, None] * W1))
        assert np.allclose(sig.net.jacobian(sig.x), W2 @ np.diag(slopes) @ W1)
        """,
        "fragment",
    ),
    code(
        """
        sigmoid_app = cv.ChainRuleExplorer(sig.net, sig.x, sig.loss)  # the preset above, live
        sigmoid_app
        """,
        "slide",
    ),
    md(
        """
        Things to try: drag $x_0$ far positive or negative and watch the slope factor fade; switch σ₁ to
        `relu` and see the slopes become 0 or 1 (whole rows of $W_1$ kept or dropped); switch to `tanh`,
        whose slopes reach 1 at zero instead of the sigmoid's ¼.
        """,
        CONTINUE,
    ),
    md(
        """
        ## A second activation

        Put an activation after the second layer as well and one more diagonal factor joins, on the left:

        $$\\mathbf J = \\mathrm{diag}\\bigl(\\sigma'(\\mathbf z_2)\\bigr)\\,\\mathbf W_2\\,\\mathrm{diag}\\bigl(\\sigma'(\\mathbf z_1)\\bigr)\\,\\mathbf W_1,
        \\qquad (2\\times 2)(2\\times 4)(4\\times 4)(4\\times 3) = 2\\times 3.$$

        Deeper nets repeat the pattern: weight matrix, slope matrix, weight matrix, slope matrix, and
        the chain rule multiplies them all. (This preset also swaps the loss for softmax cross-entropy;
        the factors do not care which loss follows.)
        """,
        "slide",
    ),
    code(
        """
        two = cv.examples.PRESETS["two_sigmoids"]
        factors = two.net.jacobian_factors(two.x)
        print(" · ".join(f"{F.text} ({shape(F.matrix)})" for F in factors), "= J (2×3)")
        product = np.linalg.multi_dot([F.matrix for F in factors])
        print("product of the four factors equals J:", np.allclose(product, two.net.jacobian(two.x)))
        for F in factors:
            if F.kind == "slope":
                show(F.text, np.diag(F.matrix))
        assert [F.kind for F in factors] == ["slope", "weight", "slope", "weight"]
        assert np.allclose(product, two.net.jacobian(two.x))
        """,
        "fragment",
    ),
    code(
        """
        two_app = cv.ChainRuleExplorer(two.net, two.x, two.loss)  # the preset above, live
        two_app
        """,
        "slide",
    ),
    md(
        """
        ## When slopes vanish

        A slope factor can switch paths off.

        * **Dead ReLU.** If $z_{1,k} < 0$ then $\\mathrm{relu}'(z_{1,k}) = 0$: row $k$ of the slope factor is zero,
          so nothing reaches $\\mathbf x$ through hidden unit $k$, and its row of $\\partial L/\\partial\\mathbf W_1$
          is zero too. That unit learns nothing from this input.
        * **Saturated sigmoid.** $\\sigma'$ is at most ¼ (at $z = 0$) and nearly 0 once $|z|$ is large. With big
          weights $z_1$ lands out there, and the paths through those units all but vanish.

        The explorer starts on the dead ReLU; pick **A saturated sigmoid** from its *Preset* menu to compare.
        """,
        "slide",
    ),
    code(
        """
        dead = cv.examples.PRESETS["dead_relu"]
        tr = dead.net.forward(dead.x)
        show("z1       ", tr.zs[0])
        show("relu'(z1)", tr.slopes[0])
        show("∂L/∂W1   ", dead.net.weight_gradients(dead.x, dead.loss)[0])
        assert tr.zs[0][1] < 0 and np.all(dead.net.weight_gradients(dead.x, dead.loss)[0][1] == 0)

        sat = cv.examples.PRESETS["saturated"]
        tr = sat.net.forward(sat.x)
        print()
        show("saturated: z1", tr.zs[0], 2)
        show("σ'(z1)", tr.slopes[0])
        print("largest |∂L/∂W1| in each row:", vec(np.abs(sat.net.weight_gradients(sat.x, sat.loss)[0]).max(axis=1), 5))
        assert tr.slopes[0].max() < 0.1
        """,
        "fragment",
    ),
    code(
        """
        vanishing_app = cv.ChainRuleExplorer(dead.net, dead.x, dead.loss)  # the preset above, live
        vanishing_app
        """,
        "slide",
    ),
    md(
        """
        Tick *show ∂L/∂W1, ∂L/∂W2* to see the zero row. For the dead unit, ask: which single weight would
        you change to bring it back to life? (Any weight in row 1 of $W_1$ that makes $z_{1,1}$ positive.)
        """,
        "notes",
    ),
    md(
        """
        ## On the big screen

        Presentation mode: larger type, a fixed colour scale (−2 to 2), rarer controls under *more*.
        """,
        "slide",
    ),
    code(
        """
        cv.ChainRuleExplorer(presentation=True)
        """,
        CONTINUE,
        hidden=True,  # on the slide, the explorer alone: 720 px has no room for its code
    ),
    md(
        """
        With the colour scale fixed, a colour means the same number on every slide and after every edit.
        Click a cell of $W_1$ and drag the scrub slider; arrow keys on a focused slider move the slider,
        not the deck.
        """,
        "notes",
    ),
    md(
        """
        ## Exercises

        **1.** This explorer hides the slope diagonal $D_1$ and the product $J$ of the dead-ReLU net. Work
        them out (the scratch cell gives you the numbers to start from), then type them into the grids and
        press **Check**, or put them in `my_D1` and `my_J` and run the check cell, which types them in for you.
        Entries within ±0.01 count as right.
        """,
        "slide",
    ),
    code(
        """
        quiz_app = cv.ChainRuleExplorer(dead.net, dead.x, dead.loss, quiz=["D1", "J"])
        quiz_app
        """,
        CONTINUE,
    ),
    code(
        """
        # scratch: W1 (4×3), W2 (2×4) and x of the net above
        W1, W2 = quiz_app.net.weights
        x = quiz_app.x
        z1 = W1 @ x
        show("z1", z1)
        """,
        CONTINUE,
    ),
    code(
        """
        my_D1 = [..., ..., ..., ...]  # relu'(z1), one slope per hidden unit
        my_J = ...  # 2×3
        """,
        solution="""
        my_D1 = (z1 > 0).astype(float)
        my_J = W2 @ np.diag(my_D1) @ W1
        """,
    ),
    code(
        """
        check_quiz(quiz_app, "D1", my_D1)
        check_quiz(quiz_app, "J", my_J)
        """,
        exercise_check=True,
    ),
    md(
        """
        **2.** What is the largest value the sigmoid's slope $\\sigma'(z) = \\sigma(z)\\,(1-\\sigma(z))$ can take, and
        at which $z$? (So each sigmoid layer can only shrink what passes through its slope factor.)
        """,
        "fragment",
    ),
    code(
        """
        my_max_slope = ...
        my_at_z = ...
        """,
        solution="""
        my_max_slope = 0.25
        my_at_z = 0
        """,
    ),
    code(
        """
        check(my_max_slope, 0.25, "my_max_slope")
        check(my_at_z, 0.0, "my_at_z")
        """,
        exercise_check=True,
    ),
    md(
        """
        **3.** Three linear layers with no activations: $\\mathbf W_1$ ($4\\times 3$), $\\mathbf W_2$ ($5\\times 4$),
        $\\mathbf W_3$ ($2\\times 5$) below. Which single matrix $M$ does the whole net apply to $\\mathbf x$?
        Write it with numpy.
        """,
        "fragment",
    ),
    code(
        """
        rng = np.random.default_rng(3)
        V1, V2, V3 = rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), rng.normal(size=(2, 5))
        my_M = ...
        """,
        solution="""
        rng = np.random.default_rng(3)
        V1, V2, V3 = rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), rng.normal(size=(2, 5))
        my_M = V3 @ V2 @ V1
        """,
    ),
    code(
        """
        three = cv.Net([V1, V2, V3], "identity")
        check(my_M, three.jacobian(np.zeros(3)), "my_M")
        """,
        exercise_check=True,
    ),
    md("Next: [4. Reverse mode](04_reverse_mode.ipynb) · [index](00_index.ipynb)", CONTINUE),
]


# =====================================================================================
# 04 Reverse mode
# =====================================================================================

NB04 = [
    md(
        """
        # 4. Reverse mode: the chain rule from the loss backwards

        Training needs the gradient of one number, the loss $L$, with respect to everything before it.
        The chain rule writes that gradient as a product of Jacobians. A product can be evaluated from
        either end with the same result, but at very different cost; backpropagation is the cheap end.
        """,
        "slide",
    ),
    *setup_cells(),
    md(
        """
        ## One product, two orders

        For the net of notebook 3 with a loss after it,

        $$\\frac{\\partial L}{\\partial\\mathbf x} = \\underbrace{\\frac{\\partial L}{\\partial\\mathbf y}}_{1\\times 2}\\,
        \\underbrace{\\mathbf W_2}_{2\\times 4}\\,\\underbrace{\\mathrm{diag}\\bigl(\\sigma'(\\mathbf z_1)\\bigr)}_{4\\times 4}\\,
        \\underbrace{\\mathbf W_1}_{4\\times 3}.$$

        Because $L$ is a single number, the leftmost factor is a **row**.

        * **Reverse mode** starts at the left: row times matrix is again a row, one layer wide. It never
          holds more than a row.
        * **Forward mode** starts at the right, with $\\mathbf W_1$, and multiplies on the left: it carries
          $\\partial(\\text{stage})/\\partial\\mathbf x$, a matrix with one column per input, all the way up.
        """,
        "slide",
    ),
    code(
        """
        ex = cv.examples.PRESETS["sigmoid"]
        net, x, loss = ex.net, ex.x, ex.loss
        rows = net.reverse_sweep(x, loss)  # in the order computed
        for r in rows:
            print(f"reverse holds {r.text:6} length {r.values.size}: {vec(r.values)}")
        carried = net.forward_sweep(x)  # input side first
        print("forward holds  ", ", ".join(shape(C) for C in carried), "(then ∂L/∂y · J at the end)")
        g = loss.grad(net(x))
        print("both orders agree:", np.allclose(g @ carried[-1], rows[-1].values))
        assert np.allclose(g @ carried[-1], rows[-1].values) and [r.values.size for r in rows] == [2, 4, 4, 3]
        """,
        "fragment",
    ),
    md(
        """
        ## Step through the backward sweep

        In the explorer, press **▶** to play the sweep from $\\partial L/\\partial\\mathbf y$, or move one
        multiplication at a time with **◀ ▶** or the *backward step* slider: each new row appears under
        the factor just applied, and rows not yet computed stay blank. Below the rows, forward mode's
        carried matrices show what the other order would have to hold at the same stages.
        """,
        "slide",
    ),
    code(
        """
        sweep_app = cv.ChainRuleExplorer()
        sweep_app
        """,
        "slide",
    ),
    code(
        """
        # the same from code: 0 shows only ∂L/∂y, 1 after W2, 2 after diag(σ'(z1)), None the whole sweep
        sweep_app.set_step(1)
        """,
        "fragment",
    ),
    md(
        """
        Step 2 is the one to linger on: multiplying a row by a diagonal matrix just scales each entry by
        that unit's slope, $d$ multiplications, not $d^2$.
        """,
        "notes",
    ),
    md(
        """
        ## The section's example at scale

        Input $n = 10^6$, ten hidden layers of width $10^3$, a scalar loss. Between two hidden layers forward
        mode carries a $10^3\\times 10^6$ matrix, a billion numbers, where reverse mode carries a row of a
        thousand: a factor of a million.

        An honest count adds two things. Reverse mode's **last** row is $\\partial L/\\partial\\mathbf x$ itself,
        as long as the input, so its peak is $10^6$ numbers and the peak ratio is $1000$, not a million.
        And reverse mode's final step, the row times $\\mathbf W_1$, costs one multiply-add per weight of the
        first layer, $10^9$ of them, so its total is about $10^9$ against forward mode's $9\\times 10^{12}$:
        some 8930 times less arithmetic.
        Still the difference between training and not.
        """,
        "slide",
    ),
    code(
        """
        cost = cv.mode_cost(cv.examples.SCALE_WIDTHS)  # [10**6] + [10**3] * 10, scalar loss after
        print(f"{'':28}{'forward':>20}{'reverse':>16}{'ratio':>10}")
        for name, fw, rv in [("multiply-adds", cost.forward_madds, cost.reverse_madds),
                             ("most numbers held at once", cost.forward_peak, cost.reverse_peak)]:
            print(f"{name:28}{fw:>20,}{rv:>16,}{fw / rv:>10,.1f}")
        print(f"forward mode holds {len(cost.forward_carried)} matrices of {cost.forward_carried[0]:,} numbers;")
        print(f"reverse mode holds rows of {', '.join(f'{d:,}' for d in sorted(set(cost.reverse_carried[:-1])))}"
              f" numbers, then ∂L/∂x with {cost.reverse_carried[-1]:,},")
        print(f"and keeps {cost.stored_activations:,} slopes from the forward pass until the sweep needs them.")
        assert (cost.forward_peak, cost.reverse_peak) == (10**9, 10**6)
        assert cost.peak_ratio == 1000 and round(cost.madds_ratio) == 8931
        """,
        "fragment",
    ),
    md(
        """
        ## Try other sizes

        The explorer predicts what each mode carries after every stage and what it costs; change $n$, the
        depth or the width, or type the widths. The section's example is far too big to run, so to time
        real sweeps press **Small net (measurable)** first, then **Measure**.
        """,
        "slide",
    ),
    code(
        """
        scale_app = cv.demos.scale_demo()
        scale_app
        """,
        "slide",
    ),
    md(
        """
        ## Measured: time against $n$

        A real sigmoid net with three hidden layers of 100 units, both sweeps started from the same forward
        pass. Both grow with $n$ (reverse mode's last product, with $\\mathbf W_1$, is $100\\times n$), but forward
        mode grows far faster because every one of its steps carries $n$ columns. Timings depend on the
        machine; the shape of the curves does not.
        """,
        "slide",
    ),
    code(
        """
        import plotly.graph_objects as go

        from chainviz.core.modes import measure_sweeps

        hidden = [100, 100, 100]
        ns = [1_000, 4_000, 16_000, 32_000]
        measure_sweeps([ns[0]] + hidden, repeats=1)  # warm up numpy once
        times = [measure_sweeps([n] + hidden, repeats=5) for n in ns]  # median of 5 runs each
        for n, (fwd, rev) in zip(ns, times):
            print(f"n = {n:>6,}: forward {fwd * 1e3:7.2f} ms   reverse {rev * 1e3:6.2f} ms   ratio {fwd / rev:5.1f}")

        fig = go.Figure(
            [go.Scatter(x=ns, y=[t[0] * 1e3 for t in times], name="forward mode", mode="lines+markers",
                        line_color="#b2182b"),
             go.Scatter(x=ns, y=[t[1] * 1e3 for t in times], name="reverse mode", mode="lines+markers",
                        line_color="#2166ac")],
            layout=dict(xaxis=dict(type="log", title="input size n"), yaxis=dict(type="log", title="milliseconds"),
                        title="∂L/∂x for widths [n, 100, 100, 100], measured here", template="plotly_white",
                        height=380, width=680, margin=dict(t=50)),
        )
        fig
        """,
        "fragment",
    ),
    md(
        """
        ## On the big screen

        Stopped before the first multiplication: press ▶, or step with ◀ ▶, and narrate each row.
        """,
        "slide",
    ),
    code(
        """
        deck_app = cv.ChainRuleExplorer(presentation=True)
        deck_app.set_step(0)
        deck_app
        """,
        CONTINUE,
        hidden=True,
    ),
    md(
        """
        ## Exercises

        **1.** This explorer hides two rows of the backward sweep. Compute them from $\\partial L/\\partial\\mathbf y$
        (shown) with numpy in the scratch cell: $\\partial L/\\partial\\mathbf a_1 = \\partial L/\\partial\\mathbf y\\;\\mathbf W_2$, and
        $\\partial L/\\partial\\mathbf z_1$ is that row times $\\mathrm{diag}(\\sigma'(\\mathbf z_1))$. Then type them into the grids
        and press **Check**, or set `my_dL_da1`, `my_dL_dz1` and run the check cell.
        """,
        "slide",
    ),
    code(
        """
        quiz_app = cv.ChainRuleExplorer(quiz=["dL/da1", "dL/dz1"])
        quiz_app
        """,
        CONTINUE,
    ),
    code(
        """
        # scratch: the numbers of the net above
        W1, W2 = quiz_app.net.weights
        trace = quiz_app.net.forward(quiz_app.x)
        slopes = trace.slopes[0]  # σ'(z1)
        dL_dy = quiz_app.loss.grad(trace.output)
        show("∂L/∂y", dL_dy)
        """,
        CONTINUE,
    ),
    code(
        """
        my_dL_da1 = [..., ..., ..., ...]
        my_dL_dz1 = [..., ..., ..., ...]
        """,
        solution="""
        my_dL_da1 = dL_dy @ W2
        my_dL_dz1 = my_dL_da1 * slopes
        """,
    ),
    code(
        """
        check_quiz(quiz_app, "dL/da1", my_dL_da1)
        check_quiz(quiz_app, "dL/dz1", my_dL_dz1)
        """,
        exercise_check=True,
    ),
    md(
        """
        **2.** A digit classifier with widths $[784, 128, 64, 10]$ (input, two hidden layers, ten outputs) and a
        scalar loss. What is the most numbers each mode holds at once while computing $\\partial L/\\partial\\mathbf x$?
        """,
        "fragment",
    ),
    code(
        'my_peaks = {"forward": ..., "reverse": ...}',
        solution='my_peaks = {"forward": 784 * 128, "reverse": 784}',
    ),
    code(
        """
        digits = cv.mode_cost([784, 128, 64, 10])
        for mode, truth in {"forward": digits.forward_peak, "reverse": digits.reverse_peak}.items():
            check(my_peaks.get(mode, ...) if isinstance(my_peaks, dict) else ..., truth, f"{mode} peak")
        """,
        exercise_check=True,
    ),
    md(
        """
        **3.** For the same net, list the lengths of the rows reverse mode holds between layers, in the order
        it computes them: $\\partial L/\\partial\\mathbf y$, $\\partial L/\\partial\\mathbf a_2$, $\\partial L/\\partial\\mathbf a_1$,
        $\\partial L/\\partial\\mathbf x$.
        """,
        "fragment",
    ),
    code("my_rows = [..., ..., ..., ...]", solution="my_rows = [10, 64, 128, 784]"),
    code('check(my_rows, digits.reverse_carried, "my_rows")', exercise_check=True),
    md("Back to the [index](00_index.ipynb).", CONTINUE),
]


NOTEBOOKS: dict[str, list[Cell]] = {
    "00_index": NB00,
    "01_jacobians": NB01,
    "02_vector_chain_rule": NB02,
    "03_two_layer_net": NB03,
    "04_reverse_mode": NB04,
}


# =====================================================================================
# Building, running, cleaning
# =====================================================================================


def build(name: str, solutions: bool = False) -> nbformat.NotebookNode:
    """The notebook ``name`` without outputs (with exercise solutions filled in if ``solutions``)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for k, c in enumerate(NOTEBOOKS[name]):
        meta = {"slideshow": {"slide_type": c.slide}}
        if c.hidden:
            meta["jupyter"] = {"source_hidden": True}
        if c.kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(c.source, metadata=meta)
        else:
            src = c.solution if (solutions and c.solution is not None) else c.source
            cell = nbformat.v4.new_code_cell(src, metadata=meta)
        cell.id = f"{name[:2]}-{k:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def execute(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel (cwd notebooks/); raise on any error or stderr."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
                            store_widget_state=False, record_timing=False)
    client.execute()
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":  # nbclient raises first; kept for safety
                raise RuntimeError(f"{name} cell {k} raised {out.ename}: {out.evalue}")
            if out.output_type == "stream" and out.name == "stderr":
                raise RuntimeError(f"{name} cell {k} wrote to stderr:\n{out.text}")
    return nb


def verify_solutions(name: str) -> int:
    """Run the notebook with every solution filled in; every exercise check must say "right"."""
    nb = build(name, solutions=True)
    checks = [k for k, c in enumerate(NOTEBOOKS[name]) if c.exercise_check]
    if not checks:
        return 0
    executed = execute(nb, name + " (solutions)")
    for k in checks:
        text = "".join(o.get("text", "") for o in executed.cells[k].outputs if o.output_type == "stream")
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines or not all(line.startswith("right") for line in lines):
            raise RuntimeError(f"{name}: with the solutions, exercise check cell {k} printed:\n{text}")
    return len(checks)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def sources_of(nb) -> list[tuple]:
    """What ``--check`` compares: cell kinds, sources and metadata, in order."""
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    p.add_argument("--check", action="store_true", help="only compare committed notebooks with this file")
    p.add_argument("--no-execute", action="store_true", help="write without running first")
    p.add_argument("--no-solutions", action="store_true", help="skip the run with the exercise solutions")
    args = p.parse_args(argv)
    names = [n for n in NOTEBOOKS if not args.names or any(n.startswith(a) for a in args.names)]
    if not names:
        p.error(f"no notebook matches {args.names}; known: {', '.join(NOTEBOOKS)}")

    if args.check:
        stale = []
        for name in names:
            path = NOTEBOOK_DIR / f"{name}.ipynb"
            if not path.exists() or sources_of(nbformat.read(path, as_version=4)) != sources_of(build(name)):
                stale.append(path.name)
        if stale:
            print(f"out of date with tools/make_notebooks.py: {', '.join(stale)}; run python tools/make_notebooks.py")
            return 1
        print(f"{len(names)} notebooks match tools/make_notebooks.py")
        return 0

    NOTEBOOK_DIR.mkdir(exist_ok=True)
    for name in names:
        t0 = time.perf_counter()
        nb = build(name)
        if not args.no_execute:
            execute(nb, name)  # must run clean; what is written has no outputs
        checked = 0 if (args.no_execute or args.no_solutions) else verify_solutions(name)
        write(nb, NOTEBOOK_DIR / f"{name}.ipynb")
        extra = f", {checked} exercise checks right with the solutions" if checked else ""
        print(f"wrote notebooks/{name}.ipynb ({len(nb.cells)} cells{extra}) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
