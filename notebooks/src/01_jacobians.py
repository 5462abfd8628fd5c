# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 1. Jacobians
#
# A derivative tells you how fast one output moves when one input moves. A function of several
# inputs with several outputs has one such rate for every (output, input) pair, and laying them
# out as a table gives the **Jacobian**. This notebook builds that table for a small example,
# checks it numerically, and shows what it is good for: predicting how the outputs move.

# %% slideshow={"slide_type": "skip"}
# Run this first: numpy, chainviz, and the lesson helpers (show and vec print numbers, check
# says "right" or what is not right yet).
import numpy as np

import chainviz as cv
from chainviz.lesson import check, fmt, show, vec

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The scalar chain rule, in one line
#
# For a composition $h(x) = g(f(x))$ of one-variable functions,
#
# $$h'(x) = g'\bigl(f(x)\bigr)\cdot f'(x):$$
#
# the slope of the outer function, read off at the value the inner one hands it, times the slope
# of the inner function.
#
# * $h(x) = \sin(x^2)$: the inner $x^2$ has slope $2x$, the outer $\sin$ has slope $\cos$, read at
#   $x^2$. So $h'(x) = \cos(x^2)\cdot 2x$, and no trigonometry was needed.
# * $h(x) = (3x+1)^2$: the inner slope is $3$, the outer $u^2$ has slope $2u$ at $u = 3x + 1$, so
#   $h'(x) = 2(3x+1)\cdot 3 = 18x + 6$. Multiplying out first, $9x^2 + 6x + 1$, gives the same
#   slope, but a deep network never lets you multiply out.
#
# The cell below compares the chain rule, the hand-derived formula and a difference quotient
# $\bigl(h(x+\varepsilon) - h(x-\varepsilon)\bigr)/2\varepsilon$ at three points.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Many inputs, many outputs: a table of slopes
#
# Take $\mathbf f:\mathbb R^n \to \mathbb R^m$. Each of the $m$ outputs can respond to each of the
# $n$ inputs, so there are $m\cdot n$ partial derivatives. The Jacobian arranges them with **one row
# per output and one column per input**: entry $(i, j)$ is $\partial f_i/\partial x_j$, and the whole
# matrix is $m\times n$.
#
# Two familiar objects are special cases: with one input and one output it is a $1\times 1$ matrix,
# the ordinary derivative; with one output it is a $1\times n$ row, the gradient written as a row.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### An example: $\mathbf f(x_1, x_2) = (x_1^2 + x_2,\; x_1 x_2)$
#
# Differentiate each output by each input:
#
# | | $\partial/\partial x_1$ | $\partial/\partial x_2$ |
# |---|---|---|
# | $f_1 = x_1^2 + x_2$ | $2x_1$ | $1$ |
# | $f_2 = x_1 x_2$ | $x_2$ | $x_1$ |
#
# so $\mathbf J_{\mathbf f}(\mathbf x) = \begin{pmatrix} 2x_1 & 1\\ x_2 & x_1\end{pmatrix}$, and at the point
# $(1, 2)$ every entry becomes a number: $\begin{pmatrix} 2 & 1\\ 2 & 1\end{pmatrix}$.
# `cv.numerical_jacobian` gets the same matrix without any algebra, one column per nudged input.

# %% slideshow={"slide_type": "fragment"}
from chainviz.core.examples import J_jacobian_demo as J_by_hand
from chainviz.core.examples import f_jacobian_demo as f

x0 = np.array([1.0, 2.0])
J_hand = J_by_hand(x0)  # [[2·x₁, 1], [x₂, x₁]] at (1, 2)
J_numeric = cv.numerical_jacobian(f, x0)  # central differences
show("J_f(1, 2) by hand       ", J_hand)
show("J_f(1, 2) by differences", J_numeric)
assert np.allclose(J_hand, [[2, 1], [2, 1]]) and np.allclose(J_numeric, J_hand, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Live
#
# Drag $x_1$ and $x_2$ (or type a value and press Enter) and watch the entries follow
# $2x_1$, $1$, $x_2$, $x_1$. Notice which entry never moves, and that the two rows agree only
# at the starting point $(1, 2)$ itself.

# %%
jacobian_app = cv.demos.jacobian_demo()
jacobian_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the Jacobian predicts
#
# Near a point, $\mathbf f$ behaves like its Jacobian: nudging the input by a small $\Delta\mathbf x$
# moves the output by about $\mathbf J_{\mathbf f}(\mathbf x)\,\Delta\mathbf x$. The prediction is not
# exact, but its error shrinks like $\lVert\Delta\mathbf x\rVert^2$: halve the step and the gap
# drops to a quarter. Here, the gap is exactly $(\Delta x_1^2,\ \Delta x_1\Delta x_2)$.
#
# The $\Delta\mathbf x$ sliders of the explorer above show the same comparison live.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace each `...` with your answer and run the check cell under it. It prints **right**, or
# **not yet** with the entries that are off; indices count from 0, as numpy's do. Entries within
# ±0.01 count as right.
#
# **1.** The Jacobian of $\mathbf f(x_1, x_2) = (x_1^2 + x_2,\; x_1 x_2)$ at the point $(3, -1)$,
# as a list of rows.

# %% tags=["exercise"]
my_J = [[..., ...], [..., ...]]

# %% tags=["solution"]
my_J = [[6, 1], [-1, 3]]

# %% tags=["check"]
check(my_J, J_by_hand([3.0, -1.0]), "my_J")  # the formula of the table above, at (3, -1)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **2.** $\mathbf g(x_1, x_2, x_3) = (x_1 x_2 x_3,\; x_1 + x_3^2)$ has three inputs and two outputs. Write
# its Jacobian at $(1, 2, 3)$. First decide its shape: how many rows, how many columns?

# %% tags=["exercise"]
my_J_g = ...

# %% tags=["solution"]
my_J_g = [[6, 3, 2], [1, 0, 6]]


# %% tags=["check"]
def g(x):
    return np.array([x[0] * x[1] * x[2], x[0] + x[2] ** 2])


check(my_J_g, cv.numerical_jacobian(g, [1.0, 2.0, 3.0]), "my_J_g")  # central differences of g

# %% [markdown] slideshow={"slide_type": "fragment"}
# **3.** The slope of $h(x) = \sin(x^2)$ at $x = \sqrt{\pi}$, as one number (numpy is allowed:
# `np.sqrt(np.pi)`, `np.cos`).

# %% tags=["exercise"]
my_slope = ...

# %% tags=["solution"]
my_slope = np.cos(np.pi) * 2 * np.sqrt(np.pi)

# %% tags=["check"]
check(my_slope, SIN_X2.dh(np.sqrt(np.pi)), "my_slope")  # cos(x²)·2x, derived at the top

# %% [markdown]
# Next: [2. The vector chain rule](02_vector_chain_rule.ipynb) · [index](00_index.ipynb)
