"""Panes: the large parts of the main window, each composed of small widgets."""
