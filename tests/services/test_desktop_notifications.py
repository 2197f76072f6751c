"""Notifications through the desktop's own service, against a real daemon (dunst) on a
private session bus: shown, kept in its history, held while do not disturb is on, and a
click on one names its job. Without a service, `notify` says so and the tray falls back.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.desktop_notifications import DesktopNotifications, session_bus_address
from tests.helpers.desktop_session import DesktopSession, desktop_session
from tests.helpers.wait import wait_for


@pytest.fixture
def session(tmp_path: Path) -> Iterator[DesktopSession]:
    with desktop_session(tmp_path) as running:
        yield running


async def _dunstctl(session: DesktopSession, *args: str) -> str:
    return await asyncio.to_thread(session.dunstctl, *args)


async def test_a_notification_reaches_the_daemon_its_history_and_a_click_names_the_job(
    session: DesktopSession,
) -> None:
    clicks: list[tuple[str, str | None]] = []
    desktop = DesktopNotifications(
        lambda key, token: clicks.append((key, token)), address=session.address
    )
    try:
        assert await desktop.notify(
            "New match: React remote", "Dashboard for a <b>café</b> & bar\nGigiac", "gigiac:42"
        )
        assert desktop.server is not None and desktop.server.startswith("dunst")
        assert await asyncio.to_thread(session.count, "displayed") == 1

        # Clicked (its default action, what a click on the popup does): BidDesk hears
        # which job, and the daemon files the notification in its history.
        await _dunstctl(session, "action", "0")
        await wait_for(lambda: clicks, message="ActionInvoked reached BidDesk")
        assert clicks[0][0] == "gigiac:42"
        await _dunstctl(session, "close-all")
        history = await asyncio.to_thread(session.history)
        assert len(history) == 1
        entry = history[0]
        assert entry["appname"] == "BidDesk"
        assert entry["summary"] == "New match: React remote"
        # Shown as typed: dunst here reads no markup, so nothing was escaped for it.
        assert entry["body"] == "Dashboard for a <b>café</b> & bar\nGigiac"
    finally:
        await desktop.aclose()


async def test_do_not_disturb_holds_the_notification_until_it_ends(
    session: DesktopSession,
) -> None:
    desktop = DesktopNotifications(lambda key, token: None, address=session.address)
    try:
        await _dunstctl(session, "set-paused", "true")
        assert await desktop.notify("Proposal sent", "A job\nGigiac, main", "gigiac:7")
        # The daemon took it (no fallback) and holds it: nothing pops up.
        await wait_for(lambda: session.count("waiting") == 1)
        assert session.count("displayed") == 0
        await _dunstctl(session, "set-paused", "false")
        await wait_for(lambda: session.count("displayed") == 1)
    finally:
        await desktop.aclose()


async def test_a_click_on_another_apps_notification_opens_nothing(session: DesktopSession) -> None:
    clicks: list[str] = []
    theirs: list[str] = []
    desktop = DesktopNotifications(lambda key, token: clicks.append(key), address=session.address)
    other = DesktopNotifications(
        lambda key, token: theirs.append(key), address=session.address, app_name="Other"
    )
    try:
        assert await other.notify("Elsewhere", "not BidDesk's", "x:1")
        assert await desktop.notify("Proposal sent", "mine", "gigiac:1")
        await _dunstctl(session, "action", "0")  # the oldest popup: the other app's
        await wait_for(lambda: theirs)
        await _dunstctl(session, "close")  # the user closes it
        assert await asyncio.to_thread(session.count, "displayed") == 1
        await _dunstctl(session, "action", "0")  # now BidDesk's
        await wait_for(lambda: clicks)
        assert clicks == ["gigiac:1"] and theirs == ["x:1"]
    finally:
        await desktop.aclose()
        await other.aclose()


async def test_without_a_notification_service_notify_says_so(tmp_path: Path) -> None:
    with desktop_session(tmp_path, daemon=False) as bare:
        desktop = DesktopNotifications(lambda key, token: None, address=bare.address)
        try:
            assert not await desktop.available()
            assert not await desktop.notify("New match: X", "A job", "gigiac:1")
        finally:
            await desktop.aclose()


async def test_without_a_session_bus_notify_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "no-bus"
    desktop = DesktopNotifications(lambda key, token: None, address=f"unix:path={missing}")
    try:
        assert not await desktop.notify("New match: X", "A job", "gigiac:1")
    finally:
        await desktop.aclose()


def test_the_session_bus_is_the_environments_or_systemds_socket(tmp_path: Path) -> None:
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) == "unix:path=/x"
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    (tmp_path / "bus").touch()
    assert (
        session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) == f"unix:path={tmp_path / 'bus'}"
    )
    assert session_bus_address({}) is None


async def test_a_daemon_that_reads_markup_shows_the_text_as_typed(tmp_path: Path) -> None:
    with desktop_session(tmp_path, markup=True) as session:
        desktop = DesktopNotifications(lambda key, token: None, address=session.address)
        try:
            assert await desktop.notify("Proposal sent", "Fix <b>my</b> site & more", "k:1")
            await _dunstctl(session, "close-all")
            (entry,) = await asyncio.to_thread(session.history)
            # Escaped on the way, so the markup parser gives back the typed text (sent
            # raw, "<b>my</b>" would be eaten as bold and a lone "&" break the markup).
            assert "<b>" not in entry["body"]
            assert html.unescape(entry["body"]) == "Fix <b>my</b> site & more"
        finally:
            await desktop.aclose()


def test_the_activation_token_of_a_click_comes_with_its_job() -> None:
    from dbus_fast import Message

    from app.services.desktop_notifications import INTERFACE, PATH

    clicks: list[tuple[str, str | None]] = []
    desktop = DesktopNotifications(lambda key, token: clicks.append((key, token)))
    desktop._keys[7] = "gigiac:7"
    signal = Message.new_signal
    desktop._on_message(signal(PATH, INTERFACE, "ActivationToken", "us", [7, "tok-1"]))
    desktop._on_message(signal(PATH, INTERFACE, "ActionInvoked", "us", [7, "default"]))
    desktop._on_message(signal(PATH, INTERFACE, "ActionInvoked", "us", [8, "default"]))
    assert clicks == [("gigiac:7", "tok-1")]
