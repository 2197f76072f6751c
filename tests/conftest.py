"""Test setup shared by every test: isolated paths, an in-memory keyring, offscreen Qt,
errors that fail the test they happen in, and the hypothesis profiles.

Every app path is redirected to a temporary directory, so no test can read or write the
user's real profile, and the real OS keychain is never touched.

An ERROR record on any logger, an exception that reached an event loop's handler, or a task
that died with nobody looking fails the test (`_fail_on_unobserved_errors`, see
tests/helpers/logfail.py); a test where such an error is the point carries
`@pytest.mark.allow_error_log("why", logger=..., match=...)`.

Hypothesis runs the fast profile by default; `BIDDESK_HYPOTHESIS=thorough` runs ten
times the examples (tests/helpers/profiles.py). Neither has a deadline: on a busy machine
a slow example is not a bug.
"""

from __future__ import annotations

import os

# Qt must never try to open a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import gc
import itertools
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import keyring
import pytest

from app.store import Store
from tests.helpers import logfail, profiles
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.postgres import Clusters, pg_unavailable

profiles.register()
_ERROR_RECORDER = logfail.ErrorRecorder()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(_ERROR_RECORDER)
    # Garbage cycles are collected on the main thread only, between tests (`_collected`):
    # one holding a Qt object left by a GUI test must not be destroyed later on some
    # worker thread of another test, which crashes Qt (app/ui/collector.py says why).
    gc.disable()


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_ERROR_RECORDER)
    gc.enable()


def pytest_report_header(config: pytest.Config) -> str:
    return f"hypothesis profile: {profiles.active()} (set {profiles.ENV} to change)"


def _watched_loop() -> asyncio.AbstractEventLoop:
    return logfail.watch_loop(asyncio.new_event_loop())


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    # Every async test's loop reports its exceptions and its tasks' unretrieved failures
    # to the running test. tests/ui/conftest.py answers first for the GUI tests, with a
    # watched qasync loop.
    return {"asyncio": _watched_loop}


@pytest.fixture(autouse=True)
def _fail_on_unobserved_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if an error was logged or an async failure went unobserved.

    Named to sort first among the autouse fixtures, so it is set up before and torn down
    after every other function fixture: errors in their teardown count too.
    """
    allowed = logfail.allowances(request.node.iter_markers(logfail.MARKER))
    incidents = logfail.begin()
    try:
        yield
        logfail.sweep_tasks()
    finally:
        logfail.end(incidents)
    unexpected = logfail.judge(incidents.items(), allowed)
    if unexpected:
        pytest.fail(logfail.report(unexpected), pytrace=False)


_FULL_COLLECTION_EVERY = 25  # tests; the youngest generation is collected after each
_TESTS_ENDED = itertools.count(1)


@pytest.fixture(autouse=True)
def _collected() -> Iterator[None]:
    """Collect this test's garbage cycles on the main thread when it ends (with automatic
    collection off, everything the test allocated is still in the youngest generation)."""
    yield
    full = next(_TESTS_ENDED) % _FULL_COLLECTION_EVERY == 0
    gc.collect(2 if full else 0)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("biddesk-home")
    monkeypatch.setenv("BIDDESK_HOME", str(home))
    # Start-at-login writes an XDG autostart entry: never into the real ~/.config.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # The single-instance lock and socket (app/instance.py): not in the real runtime dir.
    run = home / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    # A team database in the developer's environment must not capture the tests' stores.
    monkeypatch.delenv("BIDDESK_DATABASE_URL", raising=False)
    # Notifications go to the desktop's service on the session bus: never the real one
    # (the tests that want a daemon start their own, tests/helpers/desktop_session.py).
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    for name in list(os.environ):
        if name.startswith("BIDDESK_API_KEY_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh profile's store (tests/store has its own, on its `profile` fixture)."""
    with Store.open(tmp_path / "profile") as opened:
        yield opened


@pytest.fixture(scope="session")
def pg_clusters() -> Iterator[Clusters]:
    """A throwaway PostgreSQL for the session (tests/helpers/postgres.py); skips, with
    the reason, only where PostgreSQL is not installed."""
    reason = pg_unavailable()
    if reason is not None:
        pytest.skip(reason)
    clusters = Clusters()
    yield clusters
    clusters.close()


@pytest.fixture
def pg_url(pg_clusters: Clusters) -> str:
    """A new, migrated, empty team database of this test's own."""
    return pg_clusters.fresh_url()
