"""One runtime for the window and `biddesk serve`: polling, webhooks, tracking, notifications."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from app.ingest.realtime import RealtimeConfig
from app.ingest.runtime import Runtime
from app.sandbox import Sandbox, SandboxConfig
from app.sandbox.provision import provision
from app.services.container import Services, open_services
from app.services.notifications import Notification
from tests.helpers.memkeyring import MemoryKeyring

pytestmark = pytest.mark.integration


@asynccontextmanager
async def sandboxed(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Services]]:
    async with Sandbox(SandboxConfig(seed=5, speed=60.0, arrivals=False)) as sandbox:
        services = open_services(tmp_path / "p")
        try:
            provision(sandbox.info, services, speed=60.0)
            yield sandbox, services
        finally:
            await services.aclose()


def _on(port: int = 0) -> Callable[[RealtimeConfig], RealtimeConfig]:
    return lambda saved: replace(saved, enabled=True, port=port, tunnel="none")


async def test_start_and_stop_in_order(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    shown: list[Notification] = []
    async with sandboxed(tmp_path) as (_, services):
        runtime = Runtime(
            services,
            adjust_config=_on(),
            webhooks_required=True,
            wait_for_registration=True,
            resume_in_background=False,
            notify=shown.append,
        )
        assert runtime.notifications is not None
        await runtime.start()
        realtime = runtime.realtime
        assert realtime is not None and runtime.realtime_error is None
        assert realtime.receiver.base_url.startswith("http://127.0.0.1:")
        assert runtime.poller.webhook_health == realtime.healthy
        assert runtime.config is not None and runtime.config.enabled
        # Every account was polled (UpHunt has no feed), and start waited for registration.
        assert set(runtime.polling) == {"sandbox-gigradar", "sandbox-gigiac"}
        assert {s.account for s in runtime.registered} == {
            "sandbox-gigradar",
            "sandbox-uphunt",
            "sandbox-gigiac",
        }
        await runtime.stop()
        assert runtime.realtime is None and runtime.poller.webhook_health is None


async def test_webhooks_off_means_polling_only(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async with sandboxed(tmp_path) as (_, services):
        runtime = Runtime(services)  # the saved settings: webhooks off
        await runtime.start()
        # The heap's free pages are handed back for as long as the session runs (heap.py).
        assert services.tasks.running("heap:trim")
        assert runtime.realtime is None and runtime.realtime_error is None
        assert runtime.poller.webhook_health is None
        assert runtime.polling
        await runtime.stop()


async def test_a_receiver_that_cannot_start(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        async with sandboxed(tmp_path) as (_, services):
            # serve: an error, and nothing polls.
            serve = Runtime(
                services,
                adjust_config=_on(busy),
                webhooks_required=True,
                resume_in_background=False,
            )
            with pytest.raises(OSError, match=r"(?i)in use"):
                await serve.start()
            assert serve.polling == []
            # The window: a reason to show, and polling goes on.
            port = [busy]
            window = Runtime(services, adjust_config=lambda saved: _on(port[0])(saved))
            await window.start()
            assert window.realtime is None
            assert isinstance(window.realtime_error, OSError)
            assert window.polling
            # The settings changed (any free port): a restart brings the receiver up.
            port[0] = 0
            restarted = await window.restart_realtime()
            assert restarted is not None and restarted is window.realtime
            assert window.realtime_error is None
            await window.stop()
