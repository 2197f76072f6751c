"""Dialogs: they collect input and show results, and emit intents; the window acts.

None of them blocks: they are shown with `open()` or `show()` and report through signals
and `finished` (STYLE.md §6) — never `exec()`.
"""
