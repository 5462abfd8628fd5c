"""Widgets: state and events. They call the core for numbers and the views for traces."""
