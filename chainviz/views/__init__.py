"""Views: pure functions from core results (numpy arrays) to plotly trace and layout dicts.

Nothing here holds state or imports ipywidgets; the same functions drive the
live FigureWidget and the static (no-kernel) export.
"""
