"""Webhooks in the window: the status bar, a delivery reaching the table, the settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.domain import Platform, utcnow
from app.ingest.realtime import SETTINGS_KEY, RealtimeConfig
from app.services.events import CreditsLow, RealtimeStatus
from app.ui.dialogs.webhooks import WebhooksDialog
from app.ui.status_bar import describe_webhooks
from tests.ui.test_window import running, until, visible_keys

pytestmark = pytest.mark.integration


def test_describe_webhooks_says_state_last_delivery_and_url() -> None:
    now = utcnow()
    status = RealtimeStatus(
        enabled=True,
        provider="cloudflared",
        state="up",
        public_url="https://run-1.trycloudflare.com",
        message="Tunnel up",
        last_delivery_at=now - timedelta(seconds=12),
        last_event="GIGRADAR.OPPORTUNITY.CREATE",
        deliveries=3,
        healthy_accounts=("gr",),
    )
    text, tip = describe_webhooks(status, now)
    assert text == "⇄ Webhooks: up · last 12 s ago"
    assert "https://run-1.trycloudflare.com" in tip and "gr" in tip
    down = RealtimeStatus(enabled=True, provider="cloudflared", state="restarting", message="x")
    assert describe_webhooks(down, now)[0].startswith("↻ Webhooks: restarting")


async def test_a_webhook_delivery_reaches_the_table_with_polling_paused(
    qtbot, tmp_path: Path
) -> None:
    async with running(tmp_path) as app:
        assert app.realtime is not None
        await until(lambda: app.realtime.healthy("sandbox-gigradar"))
        label = app.window.status.webhooks
        await until(lambda: label.isVisible() and "Webhooks: up" in label.text())
        app.poller.pause()  # only the webhook can bring it now
        wire = app.sandbox.add_opportunity(title="Webhook-only job: a Qt status bar")
        key = f"gigradar:{wire['id']}"
        await until(lambda: key in visible_keys(app))
        assert app.realtime.receiver.stats.accepted >= 1
        await until(lambda: "last" in label.text())
        # A low balance on Gigiac is a notice, not a dialog.
        app.services.bus.publish(CreditsLow("sandbox-gigiac", 120, 500))
        assert "$1.20" in app.window.status.currentMessage()


async def test_webhooks_dialog_shows_each_account_and_saves_and_restarts(
    qtbot, tmp_path: Path
) -> None:
    async with running(tmp_path) as app:
        await until(lambda: app.realtime is not None and app.realtime.healthy("sandbox-gigradar"))
        app.window.open_webhooks()
        dialog = app.window.webhooks.dialog
        assert isinstance(dialog, WebhooksDialog)
        await until(lambda: len(dialog.rows) == 3)
        gigradar = dialog.rows["sandbox-gigradar"]
        assert gigradar.url.text() == app.realtime.receiver.url_for(
            Platform.GIGRADAR, "sandbox-gigradar"
        )
        assert "registered with GigRadar" in gigradar.findChildren(type(dialog.state))[0].text()
        uphunt = dialog.rows["sandbox-uphunt"]
        token = app.realtime.keys.get("sandbox-uphunt").token
        assert token and uphunt.url.text().endswith(f"/hooks/uphunt/sandbox-uphunt/{token}")
        # Out of the box the URL's token authenticates: no secret to copy or paste.
        assert not hasattr(uphunt, "copy_secret")
        assert not any("secret" in s.lower() for s in uphunt.setup.steps)
        uphunt.copy_url.click()
        assert QApplication.clipboard().text() == uphunt.url.text()
        db = b"".join(p.read_bytes() for p in app.services.data_dir.glob("biddesk.sqlite3*"))
        assert token.encode() not in db
        # Rotate: a new URL at once, shown in the dialog.
        old_url = uphunt.url.text()
        uphunt.rotate.click()
        await until(lambda: dialog.rows["sandbox-uphunt"].url.text() != old_url)
        assert app.realtime.keys.get("sandbox-uphunt").token != token

        # A manual tunnel with a bad URL: a sentence, nothing saved.
        dialog.tunnel.setCurrentIndex(dialog.tunnel.findData("manual"))
        dialog.detail.setText("ftp://nowhere")
        dialog._save()
        assert dialog.error.isVisible() and dialog.error.text()
        assert app.services.store.settings.get(SETTINGS_KEY) is None

        # A fixed port and a good setting: saved, and the receiver restarts on it.
        old = app.realtime
        dialog.tunnel.setCurrentIndex(dialog.tunnel.findData("none"))
        dialog.enabled.setChecked(True)
        dialog.remove_on_exit.setChecked(True)
        dialog._save()
        saved = RealtimeConfig.from_settings(app.services.store.settings.get(SETTINGS_KEY))
        assert saved.enabled and saved.remove_on_exit and saved.tunnel == "none"
        await until(lambda: app.realtime is not None and app.realtime is not old)
        await until(lambda: app.realtime.healthy("sandbox-gigradar"))
        assert len(app.sandbox.gigradar.webhooks) == 1  # the old registration was replaced
