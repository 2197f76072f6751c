"""Qt item models for the GUI: row order and filtering computed in Python (STYLE.md §8)."""
