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
# # 4. Reverse mode: the chain rule from the loss backwards
#
# Training needs the gradient of one number, the loss $L$, with respect to everything before it.
# The chain rule writes that gradient as a product of Jacobians. A product can be evaluated from
# either end with the same result, but at very different cost; backpropagation is the cheap end.

# %% slideshow={"slide_type": "skip"}
# Run this first: numpy, chainviz, and the lesson helpers (show, vec and shape print numbers;
# check and check_quiz say "right" or what is not right yet).
import numpy as np

import chainviz as cv
from chainviz.lesson import check, check_quiz, shape, show, vec

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One product, two orders
#
# For the net of notebook 3 with a loss after it,
#
# $$\frac{\partial L}{\partial\mathbf x} = \underbrace{\frac{\partial L}{\partial\mathbf y}}_{1\times 2}\,
# \underbrace{\mathbf W_2}_{2\times 4}\,\underbrace{\mathrm{diag}\bigl(\sigma'(\mathbf z_1)\bigr)}_{4\times 4}\,
# \underbrace{\mathbf W_1}_{4\times 3}.$$
#
# Because $L$ is a single number, the leftmost factor is a **row**.
#
# * **Reverse mode** starts at the left: row times matrix is again a row, one layer wide. It never
#   holds more than a row.
# * **Forward mode** starts at the right, with $\mathbf W_1$, and multiplies on the left: it carries
#   $\partial(\text{stage})/\partial\mathbf x$, a matrix with one column per input, all the way up.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step through the backward sweep
#
# In the explorer, press **▶** to play the sweep from $\partial L/\partial\mathbf y$, or move one
# multiplication at a time with **◀ ▶** or the *backward step* slider: each new row appears under
# the factor just applied, and rows not yet computed stay blank. Below the rows, forward mode's
# carried matrices show what the other order would have to hold at the same stages.

# %% slideshow={"slide_type": "slide"}
sweep_app = cv.ChainRuleExplorer()
sweep_app

# %% slideshow={"slide_type": "fragment"}
# the same from code: 0 shows only ∂L/∂y, 1 after W2, 2 after diag(σ'(z1)), None the whole sweep
sweep_app.set_step(1)

# %% [markdown] slideshow={"slide_type": "notes"}
# Step 2 is the one to linger on: multiplying a row by a diagonal matrix just scales each entry by
# that unit's slope, $d$ multiplications, not $d^2$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The section's example at scale
#
# Input $n = 10^6$, ten hidden layers of width $10^3$, a scalar loss. Between two hidden layers forward
# mode carries a $10^3\times 10^6$ matrix, a billion numbers, where reverse mode carries a row of a
# thousand: a factor of a million.
#
# An honest count adds two things. Reverse mode's **last** row is $\partial L/\partial\mathbf x$ itself,
# as long as the input, so its peak is $10^6$ numbers and the peak ratio is $1000$, not a million.
# And reverse mode's final step, the row times $\mathbf W_1$, costs one multiply-add per weight of the
# first layer, $10^9$ of them, so its total is about $10^9$ against forward mode's $9\times 10^{12}$:
# some 8930 times less arithmetic.
# Still the difference between training and not.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try other sizes
#
# The explorer predicts what each mode carries after every stage and what it costs; change $n$, the
# depth or the width, or type the widths. The section's example is far too big to run, so to time
# real sweeps press **Small net (measurable)** first, then **Measure**.

# %% slideshow={"slide_type": "slide"}
scale_app = cv.demos.scale_demo()
scale_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measured: time against $n$
#
# A real sigmoid net with three hidden layers of 100 units, both sweeps started from the same forward
# pass. Both grow with $n$ (reverse mode's last product, with $\mathbf W_1$, is $100\times n$), but forward
# mode grows far faster because every one of its steps carries $n$ columns. Timings depend on the
# machine; the shape of the curves does not.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On the big screen
#
# Stopped before the first multiplication: press ▶, or step with ◀ ▶, and narrate each row.

# %% jupyter={"source_hidden": true}
deck_app = cv.ChainRuleExplorer(presentation=True)
deck_app.set_step(0)
deck_app

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **1.** The net of this notebook at a new input and with a new target. The explorer hides two rows
# of its backward sweep, and every panel that would give them away. Start from
# $\partial L/\partial\mathbf y$, which the scratch cell prints:
# $\partial L/\partial\mathbf a_1 = \partial L/\partial\mathbf y\;\mathbf W_2$, and $\partial L/\partial\mathbf z_1$ is that row
# times $\mathrm{diag}\bigl(\sigma'(\mathbf z_1)\bigr)$. Type them into the grids and press **Check**, or set
# `my_dL_da1` and `my_dL_dz1` (numpy is fine) and run the check cell. A row appears once all its
# entries are right (within ±0.01); *Show answer* reveals it anyway.

# %%
quiz_app = cv.ChainRuleExplorer(ex.net, [-0.5, 1.0, 0.5], cv.MSE([1.0, 0.0]), quiz=["dL/da1", "dL/dz1"])
quiz_app

# %%
# scratch: the numbers of the net above; σ'(z1) = σ(z1)(1 − σ(z1))
W1, W2 = quiz_app.net.weights
trace = quiz_app.net.forward(quiz_app.x)
slopes = trace.slopes[0]  # σ'(z1), one per hidden unit
dL_dy = quiz_app.loss.grad(trace.output)
show("∂L/∂y", dL_dy)

# %% tags=["exercise"]
my_dL_da1 = [..., ..., ..., ...]
my_dL_dz1 = [..., ..., ..., ...]

# %% tags=["solution"]
my_dL_da1 = dL_dy @ W2
my_dL_dz1 = my_dL_da1 * slopes

# %% tags=["check"]
check_quiz(quiz_app, "dL/da1", my_dL_da1)
check_quiz(quiz_app, "dL/dz1", my_dL_dz1)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **2.** A digit classifier with widths $[784, 128, 64, 10]$ (input, two hidden layers, ten outputs)
# and a scalar loss. What is the most numbers each mode holds at once while computing
# $\partial L/\partial\mathbf x$?

# %% tags=["exercise"]
my_peaks = {"forward": ..., "reverse": ...}

# %% tags=["solution"]
my_peaks = {"forward": 128 * 784, "reverse": 784}

# %% tags=["check"]
digits = cv.mode_cost([784, 128, 64, 10])  # what chainviz counts for these widths
check(my_peaks, {"forward": digits.forward_peak, "reverse": digits.reverse_peak}, "my_peaks")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **3.** For the same net, list the lengths of the rows reverse mode holds, in the order it computes
# them: $\partial L/\partial\mathbf y$, $\partial L/\partial\mathbf a_2$, $\partial L/\partial\mathbf a_1$,
# $\partial L/\partial\mathbf x$.

# %% tags=["exercise"]
my_rows = [..., ..., ..., ...]

# %% tags=["solution"]
my_rows = [10, 64, 128, 784]

# %% tags=["check"]
check(my_rows, digits.reverse_carried, "my_rows")

# %% [markdown]
# Next: [5. What the gradient is for](05_training.ipynb) · [index](00_index.ipynb)
