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

# %% [markdown]
# # The vector chain rule, live
#
# Four explorers of the chain rule for vector functions. Change any number and every matrix that
# depends on it is recomputed at once. The lessons that explain them are the notebooks in the
# same folder, starting at `00_index.ipynb`.

# %% [markdown]
# ## A two-layer network, factor by factor
#
# The network's Jacobian is the product of its factors, written output side first: the weight
# matrices and the diagonal matrices of activation slopes. Type a number into a cell of $W_1$,
# $W_2$ or $x$ and press Enter; the factors, their product $J$ and the backward sweep of
# $\partial L/\partial(\cdot)$ rows follow. Click any cell of the figure to see how it is computed.

# %% jupyter={"source_hidden": true}
import chainviz as cv

cv.ChainRuleExplorer()

# %% [markdown]
# ## One Jacobian: $\mathbf f(x_1, x_2) = (x_1^2 + x_2,\; x_1 x_2)$
#
# One row per output, one column per input: $\begin{pmatrix} 2x_1 & 1\\ x_2 & x_1\end{pmatrix}$, which is
# $\begin{pmatrix} 2 & 1\\ 2 & 1\end{pmatrix}$ at $(1, 2)$. Move the point, and nudge it by
# $\Delta\mathbf x$ to compare $\mathbf J\,\Delta\mathbf x$ with the true change of $\mathbf f$.

# %% jupyter={"source_hidden": true}
cv.demos.jacobian_demo()

# %% [markdown]
# ## Two Jacobians multiplied: $\mathbf f(x) = (x, x^2)$, $g(\mathbf u) = u_1 + u_2$
#
# $\mathbf J_g(\mathbf f(x))\,\mathbf J_{\mathbf f}(x)$ is a $1\times 2$ row times a $2\times 1$ column: the
# $1\times 1$ slope $1 + 2x$ of $h(x) = x + x^2$.

# %% jupyter={"source_hidden": true}
cv.demos.composition_demo()

# %% [markdown]
# ## Forward or reverse mode: what each one carries
#
# The section's example: $10^6$ inputs, ten hidden layers of $10^3$ units and a scalar loss.
# Forward mode carries a matrix with a column per input through every layer; reverse mode
# carries one row per layer. Change the widths to see how the cost of each grows.

# %% jupyter={"source_hidden": true}
cv.demos.scale_demo()
