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
# # 3. A two-layer net, factor by factor
#
# $\mathbf x\in\mathbb R^3 \;\xrightarrow{\;\mathbf W_1\ (4\times 3)\;}\; \mathbf z_1
# \;\xrightarrow{\;\sigma\;}\; \mathbf a_1 \;\xrightarrow{\;\mathbf W_2\ (2\times 4)\;}\; \mathbf y\in\mathbb R^2$
#
# Every step is a map with a Jacobian, so the network's Jacobian $\partial\mathbf y/\partial\mathbf x$ is
# their product. We build it up in three stages: no activation, one activation, two.

# %% slideshow={"slide_type": "skip"}
# Run this first: numpy, chainviz, and the lesson helpers (show, vec and shape print numbers;
# check and check_quiz say "right" or what is not right yet).
import numpy as np

import chainviz as cv
from chainviz.lesson import check, check_quiz, shape, show, vec

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Reading the explorer
#
# * **Top row:** the factors in the order they are written, output side first, then `=` and their
#   product $J$ ($2\times 3$). Each panel names its matrix, its shape and the point it is read at.
# * **Colours:** red positive, blue negative, white zero, on one scale shared by all panels; the
#   number is printed in each cell.
# * **Edit:** type a number into a cell of the $W_1$, $W_2$ or $x$ grid and press Enter, or select
#   a cell and drag the *scrub* slider to sweep it; change the activation in its menu. Click any
#   cell of the figure to see how it is computed.
# * **Below the product:** the backward sweep ($\partial L/\partial\cdot$ rows, notebook 4) and, for
#   comparison, what forward mode carries.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two linear layers
#
# Take away the activation: $\mathbf a_1 = \mathbf W_1\mathbf x$, $\mathbf y = \mathbf W_2\mathbf a_1$.
# A linear map's Jacobian is its own matrix (each output is a fixed mix of the inputs), so
#
# $$\mathbf J = \mathbf W_2\,\mathbf W_1, \qquad (2\times 4)(4\times 3) = 2\times 3.$$
#
# It does not depend on $\mathbf x$ at all. Stacking a second linear layer adds weights but no new
# behaviour: whatever $\mathbf W_1$ and $\mathbf W_2$ are, the pair does exactly what the single matrix
# $\mathbf W_2\mathbf W_1$ does. Depth only pays off once something bends in between.

# %% slideshow={"slide_type": "fragment"}
linear = cv.examples.PRESETS["linear"]
W1, W2 = linear.net.weights
J = linear.net.jacobian(linear.x)
show("W2 · W1", W2 @ W1)
show("J      ", J)
elsewhere = np.array([-2.0, 0.3, 5.0])
print("same J at another x:", np.allclose(linear.net.jacobian(elsewhere), J))
print("the net is x ↦ (W2·W1) x:", np.allclose(linear.net(elsewhere), (W2 @ W1) @ elsewhere))
assert np.allclose(J, W2 @ W1) and np.allclose(linear.net.jacobian(elsewhere), J)

# %% slideshow={"slide_type": "slide"}
linear_app = cv.ChainRuleExplorer(linear.net, linear.x, linear.loss)  # the preset above, live
linear_app

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask the room before touching anything: if $x$ changes, which panels change? (Only the values and
# the loss rows; $J$ stays put.) Then double one entry of $W_1$ and watch a whole column of $J$ move.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Add an activation
#
# Now $\mathbf z_1 = \mathbf W_1\mathbf x$ and $\mathbf a_1 = \sigma(\mathbf z_1)$, one unit at a time. Since
# $a_{1,i}$ depends only on $z_{1,i}$, the Jacobian of this step has zeros off the diagonal and the
# slopes $\sigma'(z_{1,i})$ on it: $\mathrm{diag}\bigl(\sigma'(\mathbf z_1)\bigr)$. Storing it takes one
# vector; multiplying by it just rescales.
#
# $$\mathbf J = \mathbf W_2\;\mathrm{diag}\bigl(\sigma'(\mathbf z_1)\bigr)\;\mathbf W_1$$
#
# The diagonal factor scales row $k$ of $\mathbf W_1$ by the slope of hidden unit $k$, and those slopes
# depend on $\mathbf x$: now moving the input changes the Jacobian.

# %% slideshow={"slide_type": "fragment"}
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

# %% slideshow={"slide_type": "slide"}
sigmoid_app = cv.ChainRuleExplorer(sig.net, sig.x, sig.loss)  # the preset above, live
sigmoid_app

# %% [markdown]
# Things to try: type 4 into the first cell of the $x$ grid (Enter), then −4, and watch the slope
# factor fade as $\mathbf z_1$ moves away from 0; switch the activation to `relu` and see the slopes
# become 0 or 1, which keeps or drops whole rows of $W_1$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A second activation
#
# Put an activation after the second layer as well and one more diagonal factor joins, on the left:
#
# $$\mathbf J = \mathrm{diag}\bigl(\sigma'(\mathbf z_2)\bigr)\,\mathbf W_2\,\mathrm{diag}\bigl(\sigma'(\mathbf z_1)\bigr)\,\mathbf W_1,
# \qquad (2\times 2)(2\times 4)(4\times 4)(4\times 3) = 2\times 3.$$
#
# Deeper nets repeat the pattern: weight matrix, slope matrix, weight matrix, slope matrix, and
# the chain rule multiplies them all. (This preset also swaps the loss for softmax cross-entropy;
# the factors do not care which loss follows.)

# %% slideshow={"slide_type": "fragment"}
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

# %% slideshow={"slide_type": "slide"}
two_app = cv.ChainRuleExplorer(two.net, two.x, two.loss)  # the preset above, live
two_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When slopes vanish
#
# A slope factor can switch paths off.
#
# * **Dead ReLU.** If $z_{1,k} < 0$ then $\mathrm{relu}'(z_{1,k}) = 0$: row $k$ of the slope factor is zero,
#   so nothing reaches $\mathbf x$ through hidden unit $k$, and its row of $\partial L/\partial\mathbf W_1$
#   is zero too. That unit learns nothing from this input.
# * **Saturated sigmoid.** $\sigma'$ is at most ¼ (at $z = 0$) and nearly 0 once $|z|$ is large. With big
#   weights $z_1$ lands out there, and the paths through those units all but vanish.
#
# The explorer starts on the dead ReLU; pick **A saturated sigmoid** from its *Preset* menu to compare.

# %% slideshow={"slide_type": "fragment"}
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

# %% slideshow={"slide_type": "slide"}
vanishing_app = cv.ChainRuleExplorer(dead.net, dead.x, dead.loss)  # the preset above, live
vanishing_app

# %% [markdown] slideshow={"slide_type": "notes"}
# Tick *show ∂L/∂W1, ∂L/∂W2* to see the zero row. For the dead unit, ask: which single weight would
# you change to bring it back to life? (Any weight in row 1 of $W_1$ that makes $z_{1,1}$ positive.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On the big screen
#
# Presentation mode: larger type, the grids beside the figure. The colour scale stays put while you
# edit, and a note says so when a value leaves it.

# %% jupyter={"source_hidden": true}
cv.ChainRuleExplorer(presentation=True)

# %% [markdown] slideshow={"slide_type": "notes"}
# With the colour scale fixed, a colour means the same number on every slide and after every edit.
# Click a cell of $W_1$ and drag the scrub slider; arrow keys on a focused slider move the slider,
# not the deck.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **1.** The ReLU net of the section, $\mathbf J = \mathbf W_2\,\mathrm{diag}\bigl(\mathrm{relu}'(\mathbf z_1)\bigr)\,\mathbf W_1$,
# at an input you have not seen yet. The explorer below hides the slope diagonal $D_1$ and the
# product $J$, and every panel that would give them away. The scratch cell prints $\mathbf z_1$; work
# out $D_1$ and then $J$, type them into the grids and press **Check**, or put them in `my_D1` and
# `my_J` and run the check cell, which types them in for you. A panel appears once all its entries
# are right (within ±0.01); *Show answer* reveals it anyway.

# %%
relu = cv.examples.PRESETS["relu"]
quiz_app = cv.ChainRuleExplorer(relu.net, [0.5, 1.0, -0.8], relu.loss, quiz=["D1", "J"])
quiz_app

# %%
# scratch: W1 (4×3), W2 (2×4) and x of the net above, and z1 = W1·x, the step before D1
W1, W2 = quiz_app.net.weights
x = quiz_app.x
z1 = W1 @ x
show("z1", z1)

# %% tags=["exercise"]
my_D1 = [..., ..., ..., ...]  # relu'(z1), one slope per hidden unit
my_J = ...  # 2×3, a list of two rows (or a numpy expression)

# %% tags=["solution"]
my_D1 = (z1 > 0).astype(float)
my_J = W2 @ np.diag(my_D1) @ W1

# %% tags=["check"]
check_quiz(quiz_app, "D1", my_D1)
check_quiz(quiz_app, "J", my_J)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **2.** Swap the sigmoid of *Add an activation* for $\tanh$, whose slope is
# $\tanh'(z) = 1 - \tanh^2(z)$, and keep its $\mathbf W_1$ and $\mathbf x$. What are the four slopes on the
# diagonal of the new slope factor? (`sig.net.forward(sig.x).zs[0]` gives that $\mathbf z_1$ again.)

# %% tags=["exercise"]
my_tanh_slopes = [..., ..., ..., ...]

# %% tags=["solution"]
my_tanh_slopes = 1 - np.tanh(sig.net.forward(sig.x).zs[0]) ** 2

# %% tags=["check"]
with_tanh = cv.two_layer(*sig.net.weights, activation="tanh")
check(my_tanh_slopes, with_tanh.forward(sig.x).slopes[0], "my_tanh_slopes")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **3.** Three linear layers with no activations: $\mathbf W_1$ ($4\times 3$), $\mathbf W_2$ ($5\times 4$),
# $\mathbf W_3$ ($2\times 5$) below. Which single matrix $M$ does the whole net apply to $\mathbf x$?
# Write it with numpy.

# %%
rng = np.random.default_rng(3)
V1, V2, V3 = rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), rng.normal(size=(2, 5))

# %% tags=["exercise"]
my_M = ...

# %% tags=["solution"]
my_M = V3 @ V2 @ V1

# %% tags=["check"]
three = cv.Net([V1, V2, V3], "identity")
check(my_M, three.jacobian(np.zeros(3)), "my_M")  # the product of the three layers' Jacobians

# %% [markdown]
# Next: [4. Reverse mode](04_reverse_mode.ipynb) · [index](00_index.ipynb)
