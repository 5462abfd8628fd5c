"""The numpy core: networks, their Jacobian factors, both sweeps, losses, costs.

Plain functions and small frozen dataclasses over numpy arrays; no plotly, no
ipywidgets. Everything a view shows is computed here, once per state.
"""
