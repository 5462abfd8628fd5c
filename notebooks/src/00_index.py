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
# # chainviz: the chain rule you can see
#
# Five short notebooks, meant to be read in order. Each one computes a few things by hand,
# checks them with numbers, and then hands you a live widget to poke at. Each ends with
# two or three exercises that tell you "right" or "not yet" when you run the check cell.
#
# 1. [Jacobians](01_jacobians.ipynb): from one slope to a table of slopes, and what that table predicts.
# 2. [The vector chain rule](02_vector_chain_rule.ipynb): composing two maps multiplies their Jacobians, and the shapes tell you the order.
# 3. [A two-layer net, factor by factor](03_two_layer_net.ipynb): weight matrices and diagonal slope matrices, multiplied into the network's Jacobian.
# 4. [Reverse mode](04_reverse_mode.ipynb): why backpropagation starts at the loss, and what that saves at scale.
# 5. [What the gradient is for](05_training.ipynb): a gradient-descent step, predicted to first order, and when the prediction fails.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## How to use them
#
# * Run the cells from the top (**Shift+Enter**, or *Run → Run All Cells*). The first code cell of
#   each notebook loads `chainviz`; nothing needs the internet.
# * The widgets react to dragging, typing a number and pressing **Enter**, and clicking a cell of
#   a figure. A red message under a widget explains an edit it could not accept; the last good
#   state stays on screen.
# * Notebooks 3 and 4 are also slide decks: open one, select its first cell and press
#   **Toggle Deck** in the notebook toolbar. The widgets stay live on the slides.
# * Exercises: fill in the `...` of an answer cell and run the check cell under it. It prints
#   **right**, or **not yet** with the answer and the entries that are off. An explorer in
#   exercise mode hides the panels it asks for until every entry you typed is right; its
#   *Show answer* button reveals one anyway (and says that it was shown, not solved).
# * The explorers alone, as an app with no code: in a terminal at the repository's root, after
#   the README's install command, run `.venv/bin/voila notebooks/explorer_app.ipynb`.
#
# The lessons' text and code live in `notebooks/src/*.py` (plain text, one `# %%` per cell);
# `python tools/make_notebooks.py` writes these notebooks from them.
