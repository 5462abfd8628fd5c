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
# # 2. The vector chain rule
#
# Feed the output of $\mathbf f:\mathbb R^n\to\mathbb R^m$ into $\mathbf g:\mathbb R^m\to\mathbb R^p$.
# The composition $\mathbf h = \mathbf g\circ\mathbf f$ has the Jacobian
#
# $$\mathbf J_{\mathbf h}(\mathbf x) = \mathbf J_{\mathbf g}\bigl(\mathbf f(\mathbf x)\bigr)\;\mathbf J_{\mathbf f}(\mathbf x).$$
#
# It is the scalar rule again, with a matrix product in place of an ordinary one: the outer
# Jacobian stands on the left and is read at $\mathbf f(\mathbf x)$, the point $\mathbf g$ actually
# receives; the inner one is read at $\mathbf x$.

# %% slideshow={"slide_type": "skip"}
# Run this first: numpy, chainviz, and the lesson helpers (shape, vec and fmt print, check
# says "right" or what is not right yet).
import numpy as np

import chainviz as cv
from chainviz.lesson import check, fmt, shape, vec

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Shapes that cancel
#
# $\mathbf J_{\mathbf f}$ is $m\times n$ and $\mathbf J_{\mathbf g}$ is $p\times m$, so
#
# $$(p\times m)\,(m\times n) = p\times n,$$
#
# which is the shape $\mathbf h:\mathbb R^n\to\mathbb R^p$ needs. The $m$ that disappears is the length
# of the vector passed from $\mathbf f$ to $\mathbf g$. The other order, $\mathbf J_{\mathbf f}\mathbf J_{\mathbf g}$,
# usually does not even fit, which is a handy way to remember which side the outer Jacobian goes on.
#
# Below: $\mathbf f:\mathbb R^3\to\mathbb R^4$ and $\mathbf g:\mathbb R^4\to\mathbb R^2$, two arbitrary smooth maps,
# every Jacobian by central differences.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A worked example: $\mathbf f(x) = (x, x^2)$, $g(\mathbf u) = u_1 + u_2$
#
# Straight away, $h(x) = x + x^2$ and $h'(x) = 1 + 2x$. Through the chain rule:
# $\mathbf f$ turns one number into two, so $\mathbf J_{\mathbf f} = \begin{pmatrix}1\\ 2x\end{pmatrix}$ is $2\times 1$;
# $g$ turns two numbers into one, so $\mathbf J_g = \begin{pmatrix}1 & 1\end{pmatrix}$ is $1\times 2$, the same at
# every point. Their product is $1\times 1$:
#
# $$\begin{pmatrix}1 & 1\end{pmatrix}\begin{pmatrix}1\\ 2x\end{pmatrix} = 1 + 2x.$$

# %% slideshow={"slide_type": "fragment"}
from chainviz.core.examples import J_f_composition, J_g_composition, dh_composition, f_composition

for x1 in (-1.0, 0.5, 2.0):
    xv = np.array([x1])
    Jf = J_f_composition(xv)  # 2×1
    Jg = J_g_composition(f_composition(xv))  # 1×2, at u = f(x)
    product = Jg @ Jf  # 1×1
    print(f"x = {x1:4.1f}:  J_g = {vec(Jg, 1)}  J_f = {vec(Jf, 1)}ᵀ  J_g·J_f = {fmt(product[0, 0], 1):>4}"
          f"   1 + 2x = {fmt(dh_composition(x1), 1):>4}")
    assert product.shape == (1, 1) and np.isclose(product[0, 0], dh_composition(x1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Live
#
# Drag $x$: the two factors, their product and a direct numerical check of $h$ update together.
# Only $\mathbf J_{\mathbf f}$ changes, because $\mathbf J_g$ is the same everywhere.

# %%
composition_app = cv.demos.composition_demo()
composition_app


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Your own functions
#
# `cv.CompositionExplorer(f, g, x0)` takes any two Python functions. Here $\mathbf f$ turns polar
# coordinates $(r, \theta)$ into a point of the plane and $g$ is its squared length, so
# $h(r, \theta) = r^2$ and $\mathbf J_h = (2r,\; 0)$. Both factors depend on $\theta$, yet the
# $\theta$ column of their product is always zero: turning a point does not change its length.

# %%
def polar(v):
    r, theta = v
    return np.array([r * np.cos(theta), r * np.sin(theta)])


def squared_length(u):
    return np.array([u[0] ** 2 + u[1] ** 2])


cv.CompositionExplorer(polar, squared_length, [2.0, 0.7], names=["r", "θ"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Longer chains
#
# Nothing stops at two. For $\mathbf f_3\circ\mathbf f_2\circ\mathbf f_1$ the rule applies twice:
# $\mathbf J = \mathbf J_3\,\mathbf J_2\,\mathbf J_1$, each factor read at the point its function sees.
# A neural network is exactly such a chain, and [notebook 3](03_two_layer_net.ipynb) multiplies
# one out factor by factor.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace each `...` with your answer and run the check cell under it: it prints **right**, or
# **not yet** naming the answer and the entries that are off (counted from 0, as in numpy).
#
# **1.** $\mathbf f:\mathbb R^5\to\mathbb R^3$ and $\mathbf g:\mathbb R^3\to\mathbb R^4$. Give the shapes
# (rows, columns) of $\mathbf J_{\mathbf f}$, $\mathbf J_{\mathbf g}$ and $\mathbf J_{\mathbf g\circ\mathbf f}$.

# %% tags=["exercise"]
my_shapes = {"J_f": (..., ...), "J_g": (..., ...), "J_h": (..., ...)}

# %% tags=["solution"]
my_shapes = {"J_f": (3, 5), "J_g": (4, 3), "J_h": (4, 5)}


# %% tags=["check"]
# Two maps of those sizes (what they compute does not matter), differenced numerically.
def f5to3(x):
    return np.full(3, x.sum())


def g3to4(u):
    return np.full(4, u.sum())


x5 = np.ones(5)
truth = {"J_f": cv.numerical_jacobian(f5to3, x5).shape,
         "J_g": cv.numerical_jacobian(g3to4, f5to3(x5)).shape,
         "J_h": cv.numerical_jacobian(lambda v: g3to4(f5to3(v)), x5).shape}
check(my_shapes, truth, "my_shapes")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **2.** Keep $\mathbf f(x) = (x, x^2)$ but take $g(\mathbf u) = u_1 u_2$. At $x = 2$: what is
# $\mathbf J_g(\mathbf f(2))$ (a $1\times 2$ row), and what is $h'(2)$? Then check the second against
# $h(x) = x\cdot x^2 = x^3$ by hand.

# %% tags=["exercise"]
my_J_g = [[..., ...]]
my_h_slope = ...

# %% tags=["solution"]
my_J_g = [[4, 2]]
my_h_slope = 12


# %% tags=["check"]
def g_product(u):
    return np.array([u[0] * u[1]])


check(my_J_g, cv.numerical_jacobian(g_product, f_composition([2.0])), "my_J_g")  # read at f(2)
check(my_h_slope, cv.numerical_jacobian(lambda v: g_product(f_composition(v)), [2.0]), "my_h_slope")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **3.** $\mathbf f(x_1, x_2) = (x_1 + x_2,\; x_1 - x_2)$ and $g(\mathbf u) = u_1 u_2$. Use the chain rule to
# find the $1\times 2$ Jacobian of $h = g\circ\mathbf f$ at $(3, 1)$.

# %% tags=["exercise"]
my_J_h = [[..., ...]]

# %% tags=["solution"]
my_J_h = [[6, -2]]


# %% tags=["check"]
def h(x):
    return np.array([(x[0] + x[1]) * (x[0] - x[1])])


check(my_J_h, cv.numerical_jacobian(h, [3.0, 1.0]), "my_J_h")  # central differences of h

# %% [markdown]
# Next: [3. A two-layer net](03_two_layer_net.ipynb) · [index](00_index.ipynb)
