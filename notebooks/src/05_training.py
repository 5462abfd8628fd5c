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
# # 5. What the gradient is for: a step downhill
#
# Reverse mode gives $\partial L/\partial\mathbf W_\ell$ for every weight matrix in one backward sweep.
# Training uses exactly that: move every weight a little against its gradient,
#
# $$\mathbf W_\ell \;\leftarrow\; \mathbf W_\ell - \eta\,\frac{\partial L}{\partial \mathbf W_\ell}
# \qquad\text{for every layer } \ell \text{ at once,}$$
#
# with a small learning rate $\eta > 0$, and repeat. Each step needs the whole gradient, so each step
# needs one backward sweep: this is why the cheap order of the chain rule matters.

# %% slideshow={"slide_type": "skip"}
# Run this first: numpy, chainviz, and the lesson helpers.
import numpy as np

import chainviz as cv
from chainviz.lesson import check, check_choice, show

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where a weight's gradient comes from
#
# Layer $\ell$ computes $\mathbf z_\ell = \mathbf W_\ell\,\mathbf a_{\ell-1}$, so entry $[i, j]$ of
# $\mathbf W_\ell$ touches the loss only through $z_\ell[i]$, and with slope $a_{\ell-1}[j]$:
#
# $$\frac{\partial L}{\partial W_\ell[i,j]} = \frac{\partial L}{\partial z_\ell[i]}\; a_{\ell-1}[j],
# \qquad \frac{\partial L}{\partial \mathbf W_\ell} = \Bigl(\frac{\partial L}{\partial \mathbf z_\ell}\Bigr)^{\!\top}
# \mathbf a_{\ell-1}^{\top}.$$
#
# An outer product of the reverse-mode row reaching the layer and the layer's input. The explorer below
# shows the band $\partial L/\partial\mathbf W$ under each weight; hover a cell to see its two factors.

# %%
app = cv.ChainRuleExplorer(show_weight_grads=True)
app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Predict, then step
#
# For a small step the loss changes by about its gradient times the step. Moving every weight by
# $-\eta\,\partial L/\partial\mathbf W_\ell$ changes $L$ by
#
# $$\Delta L \;\approx\; \sum_\ell \Bigl\langle \frac{\partial L}{\partial \mathbf W_\ell},\,
# -\eta\frac{\partial L}{\partial \mathbf W_\ell}\Bigr\rangle \;=\; -\eta\,\sum_\ell
# \Bigl\lVert \frac{\partial L}{\partial \mathbf W_\ell}\Bigr\rVert^2,$$
#
# the sum of the squares of every entry of every gradient: the first-order prediction
# $L_{\text{new}} \approx L - \eta\,\lVert\nabla L\rVert^2$. It is never positive, so a small enough
# step always goes downhill (unless the gradient is zero).

# %% [markdown] slideshow={"slide_type": "fragment"}
# Open **Gradient descent** (next to the sweep's ▶), type a learning rate into **Learning rate η**, press
# Enter, then press **Step**.
# The line under the explorer gives the loss before and after the step and the first-order prediction;
# the chart under the panels keeps them, step by step. **Undo step** goes back exactly.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When the prediction fails
#
# The prediction is a tangent line: good for small steps, wrong for large ones. Watch the hollow
# markers (the predictions) part from the black line (the loss) as $\eta$ grows. The linear net of
# notebook 3, two linear layers, makes the point cleanly:

# %%
lin = cv.ChainRuleExplorer(cv.examples.PRESETS["linear"].net, cv.examples.PRESETS["linear"].x,
                           cv.examples.PRESETS["linear"].loss, show_forward=False)
lin.train(8, eta=0.05)
print("η = 0.05:", ", ".join(f"{h['loss']:.4f}" for h in lin.history))
lin

# %% [markdown] slideshow={"slide_type": "fragment"}
# Press **Reset training**, set $\eta = 1$ and press **Train** (▶): the explorer stops by itself after
# three steps that each made the loss larger, and says why.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A unit that never learns
#
# A ReLU unit whose $z$ is negative passes no gradient: $\mathrm{relu}'(z) = 0$ makes its entry of
# $\partial L/\partial\mathbf z_1$ zero, and so its whole row of $\partial L/\partial \mathbf W_1$ (an
# outer product with $\partial L/\partial\mathbf z_1$) is zero too. Gradient descent never moves that row
# of $\mathbf W_1$, so the unit's $z$ never changes either: a unit dead at this input stays dead.
#
# One hidden unit of the net below is dead. Which one, and so which rows of $\mathbf W_1$ never move,
# is exercise 3: work it out from the panels before you train this explorer.

# %%
dead = cv.ChainRuleExplorer(cv.examples.PRESETS["dead_relu"].net, cv.examples.PRESETS["dead_relu"].x,
                            cv.examples.PRESETS["dead_relu"].loss, show_forward=False, eta=0.2)
dead

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **1.** Back at the first explorer of this notebook, with $\eta = 0.5$: predict the loss after one
# step, to first order. The cell below prints $L$ and the two gradients (their entries, not their
# squares); then check your number against the explorer's **Step**.

# %%
net_now, x_now, loss_now = app.net, app.x, app.loss  # the explorer as it is now
grads = net_now.weight_gradients(x_now, loss_now)
L_now = loss_now.value(net_now(x_now))
show("L", L_now)
show("∂L/∂W1", grads[0])
show("∂L/∂W2", grads[1])

# %% tags=["exercise"]
my_prediction = ...

# %% tags=["solution"]
my_prediction = L_now - 0.5 * sum(float(np.sum(G**2)) for G in grads)

# %% tags=["check"]
from chainviz.core.descent import gradient_step

step = gradient_step(net_now, x_now, loss_now, 0.5)  # the step the explorer takes, and its prediction
check(my_prediction, step.predicted, "my_prediction")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Now, in the first explorer's **Gradient descent**, type 0.5 into **Learning rate η**, press Enter
# and then **Step**. With the explorer as it opens, the prediction is about $-0.31$, while the loss
# after the step is about $0.0005$. A prediction below zero is impossible for this loss: it is half a
# sum of squares, never negative. A first-order prediction under the lowest value the loss can take
# is exactly the sign that $\eta$ is too large for the first-order picture: the tangent line has run
# far past the bottom of the valley, and the step lands wherever the curved loss takes it.

# %% [markdown] slideshow={"slide_type": "fragment"}
# **2.** For the linear net with $\eta = 1$, which is true? Set `my_answer` to `"a"`, `"b"` or `"c"`.
#
# * a. each step lowers the loss, just more slowly than predicted;
# * b. the first step already raises the loss, though the prediction says it falls;
# * c. the loss falls at first, then grows.

# %% tags=["exercise"]
my_answer = ...

# %% tags=["solution"]
my_answer = "b"

# %% tags=["check"]
trial = cv.ChainRuleExplorer(cv.examples.PRESETS["linear"].net, cv.examples.PRESETS["linear"].x,
                             cv.examples.PRESETS["linear"].loss)
trial.train(3, eta=1.0)
L = [h["loss"] for h in trial.history]
truth = "b" if L[1] > L[0] else ("c" if any(b > a for a, b in zip(L[1:], L[2:])) else "a")
check_choice(my_answer, truth, ("a", "b", "c"), "my_answer")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **3.** In the dead-ReLU net above, which rows of $\mathbf W_1$ can gradient descent never change at
# this input? Read the slope factor $\mathrm{diag}\bigl(\mathrm{relu}'(\mathbf z_1)\bigr)$ in that
# explorer (hover a cell for its value), and use
# $\partial L/\partial W_1[k,j] = \partial L/\partial z_1[k]\;x[j]$. Set `my_rows` to the list of the
# rows' indices, counted from 0. Answer before you press **Step** or **Train** there: after a step the
# explorer's note names the dead unit.

# %% tags=["exercise"]
my_rows = [...]

# %% tags=["solution"]
my_rows = [1]

# %% tags=["check"]
z1 = dead.net.forward(dead.x).zs[0]
check(my_rows, [k for k in range(z1.size) if z1[k] <= 0], "my_rows")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Now train the dead-ReLU explorer: press **Train**, stop it after a few steps, and compare
# $\mathbf W_1$ with how it started (**Reset training** brings that back). The other rows move; the dead
# unit's row is exactly as it was, and the note under the explorer names the unit after every step.
# Its $z$ never changes, so it never comes back to life at this input. The usual cures act before
# training: a different start for the weights, or an activation whose slope is not zero for $z < 0$
# (`"leaky_relu"`).

# %% [markdown]
# Back to the [index](00_index.ipynb).
