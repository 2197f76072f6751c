"""Reusable widgets: they know nothing of the app, only of the models they are given."""
