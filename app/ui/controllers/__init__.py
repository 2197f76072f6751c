"""Controllers: the window's use cases, between the panes and the services.

Each one owns the coroutines of its room (named tasks in the services' task manager, so
every one is cancelled at shutdown), talks to services and the bridge, and drives the
panes and dialogs it was handed through their public setters. The window only composes.
"""
