"""Preferences, Team: a person types a team database's URL and password, presses "Test
connection" and "Save", against a real throwaway PostgreSQL (tests/helpers/postgres.py;
skipped, with the reason, only where PostgreSQL is not installed).

The test and the save run in a worker thread off the qasync loop, as in the app; the
password goes to the (in-memory test) keyring, never to the profile folder."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget

from app.domain.opportunity import utcnow
from app.services.container import open_services
from app.services.secrets import SERVICE, SecretStore
from app.services.tasks import TaskManager
from app.services.team import member_name, password_entry
from app.services.team_setup import TeamSetup
from app.store import TEAM_FILE
from app.ui.controllers.team_page import TeamPageController
from app.ui.dialogs.preferences import PreferencesDialog, PreferenceValues
from app.ui.dialogs.preferences_team import TeamPage
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.postgres import Clusters, PgCluster, free_port, pg_unavailable
from tests.helpers.wait import wait_for

PASSWORD = "team-pw-41c7e2"


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Finished tasks and the thread executor leave cycles holding Qt objects: collect
    them here, on the GUI thread, not later on a worker."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def guarded() -> Iterator[PgCluster]:
    """A cluster that checks passwords (SCRAM), unlike the session's (trust)."""
    reason = pg_unavailable()
    if reason is not None:
        pytest.skip(reason)
    own = PgCluster(password=PASSWORD).init()
    own.start()
    yield own
    own.destroy()


class Page:
    def __init__(self, qtbot, profile: Path, running_url: str | None = None) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        self.profile = profile
        self.tasks = TaskManager()
        self.setup = TeamSetup(
            profile, SecretStore(), running_url=running_url, running_member=member_name(profile)
        )
        self.page = TeamPage()
        self.controller = TeamPageController(self.page, self.setup, self.tasks)
        qtbot.addWidget(self.page)
        self.page.show()
        qtbot.waitExposed(self.page)
        self.qtbot = qtbot

    def type(self, widget, text: str) -> None:
        widget.setFocus()
        widget.selectAll()
        self.qtbot.keyClicks(widget, text)

    async def press(self, button) -> str:
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert not button.isEnabled()  # the GUI answers at once; the work runs elsewhere
        await wait_for(button.isEnabled, 30, "the page reported back")
        return self.page.result_text()

    async def close(self) -> None:
        self.controller.stop()
        await self.tasks.shutdown(2.0)


@pytest.fixture
async def page(qtbot, tmp_path: Path) -> Page:
    opened = Page(qtbot, tmp_path / "profile")
    await wait_for(lambda: bool(opened.page.member.text()), 10, "the saved values loaded")
    yield opened
    await opened.close()


def one_sentence(text: str) -> bool:
    return "\n" not in text and text.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", text)


async def test_a_good_url_says_connected_with_the_server_version(page: Page, pg_url: str) -> None:
    page.type(page.page.url, pg_url)
    said = await page.press(page.page.test_button)
    where = pg_url.split("@", 1)[1]
    assert re.fullmatch(
        rf"Connected to PostgreSQL \d+(\.\d+)* at {re.escape(where)}: a BidDesk team database\.",
        said,
    ), said
    assert not (page.profile / TEAM_FILE).exists()  # testing saves nothing


async def test_an_empty_postgresql_is_not_a_biddesk_database_yet(
    page: Page, pg_clusters: Clusters
) -> None:
    page.type(page.page.url, pg_clusters.cluster.create_database())
    said = await page.press(page.page.test_button)
    assert "it is not a BidDesk database yet" in said and said.startswith("Connected"), said


async def test_a_closed_port_says_one_sentence(page: Page) -> None:
    port = free_port()  # bound and released: nothing listens there now
    page.type(page.page.url, f"postgresql://someone@127.0.0.1:{port}/biddesk")
    said = await page.press(page.page.test_button)
    assert said.startswith("Refused: nothing answers at 127.0.0.1:"), said
    assert f":{port}/biddesk" in said and one_sentence(said), said
    assert "Traceback" not in said and "psycopg" not in said


async def test_a_wrong_password_says_so_and_saving_it_writes_nothing(
    page: Page, guarded: PgCluster, memory_keyring: MemoryKeyring
) -> None:
    url = guarded.create_database()
    page.type(page.page.url, url)
    page.type(page.page.password, "not-the-password")
    said = await page.press(page.page.test_button)
    assert said.startswith("Wrong password:") and one_sentence(said), said
    assert "not-the-password" not in said

    said = await page.press(page.page.save_button)
    assert said.startswith("Not saved. Wrong password:"), said
    assert not (page.profile / TEAM_FILE).exists()
    assert memory_keyring.get_password(SERVICE, password_entry(url)) is None

    page.type(page.page.password, PASSWORD)
    said = await page.press(page.page.test_button)
    assert said.startswith("Connected to PostgreSQL"), said


@pytest.mark.parametrize("password_in", ["field", "url"])
async def test_saving_keeps_the_url_without_password_and_the_password_in_the_keyring(
    page: Page, guarded: PgCluster, memory_keyring: MemoryKeyring, password_in: str
) -> None:
    url = guarded.create_database()
    if password_in == "url":
        user, rest = url.split("@", 1)
        page.type(page.page.url, f"{user}:{PASSWORD}@{rest}")
    else:
        page.type(page.page.url, url)
        page.type(page.page.password, PASSWORD)
    page.type(page.page.member, "Ada Lovelace")

    said = await page.press(page.page.save_button)
    assert said.startswith("Saved: the team database at 127.0.0.1:"), said
    assert "as Ada Lovelace" in said and "Restart BidDesk" in said, said
    assert PASSWORD not in said

    saved = (page.profile / TEAM_FILE).read_text(encoding="utf-8")
    assert saved.strip() == url and PASSWORD not in saved
    assert (page.profile / TEAM_FILE).stat().st_mode & 0o077 == 0
    assert memory_keyring.get_password(SERVICE, password_entry(url)) == PASSWORD
    assert PASSWORD not in "".join(p.read_text(errors="replace") for p in page.profile.iterdir())

    # The next start uses it, as after `biddesk team join`: the team database, the name.
    services = open_services(page.profile)
    try:
        assert services.store.backend == "postgresql"
        assert services.team.member == "Ada Lovelace"
        services.team.heartbeat()
        members = services.store.members.seen_since(utcnow() - timedelta(minutes=5))
        assert [m.name for m in members] == ["Ada Lovelace"]
    finally:
        services.store.close()


async def test_the_page_opens_with_what_the_profile_saved(
    qtbot, tmp_path: Path, pg_url: str, memory_keyring: MemoryKeyring
) -> None:
    profile = tmp_path / "joined"
    first = Page(qtbot, profile)
    await wait_for(lambda: bool(first.page.member.text()), 10)
    first.type(first.page.url, pg_url)
    first.type(first.page.password, PASSWORD)
    assert (await first.press(first.page.save_button)).startswith("Saved:")
    await first.close()

    again = Page(qtbot, profile, running_url=pg_url)  # this run already uses it
    await wait_for(lambda: again.page.url.text() == pg_url, 10, "the saved URL shown")
    assert again.page.password.text() == ""  # never shown again
    assert "keyring" in again.page.password.placeholderText()
    said = await again.press(again.page.save_button)  # the stored password serves
    assert said.startswith("Saved: this profile already uses the team database"), said
    await again.close()


def test_preferences_shows_the_team_page_in_its_own_tab(qtbot) -> None:
    from app.services.notifications import NotificationRules

    team = TeamPage()
    dialog = PreferencesDialog(
        PreferenceValues((), NotificationRules(), True, False), tray=True, team=team
    )
    qtbot.addWidget(dialog)
    tabs = dialog.findChild(QTabWidget, "preferencesTabs")
    assert tabs is not None
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["General", "Team"]
    tabs.setCurrentIndex(1)
    assert tabs.currentWidget() is team


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://someone:s3cr3t-77@[::1/biddesk",  # libpq quotes what it cannot parse
        "postgresql://someone:s3cr3t-77@127.0.0.1:notaport/biddesk",
    ],
)
async def test_a_malformed_url_says_so_without_repeating_its_password(page: Page, url: str) -> None:
    page.type(page.page.url, url)
    said = await page.press(page.page.test_button)  # the page does not stay busy
    assert said.startswith("The team database URL"), said
    assert "s3cr3t-77" not in said and one_sentence(said), said
    said = await page.press(page.page.save_button)
    assert said.startswith("Not saved.") and "s3cr3t-77" not in said, said
    assert not (page.profile / TEAM_FILE).exists()
