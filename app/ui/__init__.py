"""The Qt edge: widgets, models, the bridge and the GUI's composition root.

Nothing else in `app` imports Qt; the UI holds no business logic — a widget asks a
service (through the bridge) and renders what it gets.
"""
