"""Widgets of the TUI; each saves through `saving.py` and shows views from `overview.py`."""
