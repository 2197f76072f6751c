"""The receiver under hostile or broken senders (issue 14): no 5xx for an authenticated
body whatever it holds, no connection held open by a trickling sender, a cap on open
connections, and a client leaving mid-body is not an error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.domain import Account, Platform
from app.ingest.webhooks import WebhookProcessor, WebhookReceiver, hook_path, sign
from app.services.container import Services, open_services
from tests.ingest.test_webhooks import CREDS, GR_AUTH

TIMEOUT = 1.0  # the receiver's header and body timeouts in these tests
DEADLINE = 20.0  # generous: a busy machine may be slow to notice, never this slow


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    svc = open_services(tmp_path / "profile")
    for name, platform in (("gr", Platform.GIGRADAR), ("uh", Platform.UPHUNT)):
        svc.store.accounts.add(Account(name=name, platform=platform, base_url="http://127.0.0.1:9"))
    yield svc
    await svc.aclose()


def make_receiver(services: Services, **options: float | int) -> WebhookReceiver:
    processor = WebhookProcessor(services.store, services.inbox, services.submissions, services.bus)
    return WebhookReceiver(
        services.store,
        processor,
        services.accounts,
        CREDS.get,
        header_timeout=TIMEOUT,
        body_timeout=TIMEOUT,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def receiver(services: Services) -> AsyncIterator[WebhookReceiver]:
    rx = make_receiver(services)
    await rx.start()
    yield rx
    await rx.stop()


def request_head(port: int, path: str, length: int, **headers: str) -> bytes:
    lines = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(length),
        **headers,
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in lines.items())
    return f"POST {path} HTTP/1.1\r\n{head}\r\n".encode()


async def send(port: int, path: str, body: bytes, **headers: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_head(port, path, len(body), **headers) + body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), DEADLINE)
    writer.close()
    status = int(answer.split()[1])
    return status, answer


async def test_a_5000_digit_integer_in_an_authenticated_body_is_200_and_kept(
    services: Services, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    huge = b'{"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": {"id": ' + b"9" * 5000 + b"}}"
    status, _ = await send(
        receiver.port,
        hook_path(Platform.GIGRADAR, "gr"),
        huge,
        Connection="close",
        **GR_AUTH,
    )
    assert status == 200
    # Signed and tokened (UpHunt with its secret), the same.
    uh = b'{"event": "application.applied", "data": {"queueId": ' + b"1" * 5000 + b"}}"
    status, _ = await send(
        receiver.port,
        hook_path(Platform.UPHUNT, "uh", CREDS["uh"].token),
        uh,
        Connection="close",
        **{"X-UpHunt-Signature": sign(CREDS["uh"].secret or "", uh)},
    )
    assert status == 200
    kept = services.store.webhooks.recent()
    assert len(kept) == 2 and all(d.unreadable_reason for d in kept)
    assert {bytes(d.raw) for d in kept} == {huge, uh}  # type: ignore[arg-type]
    assert services.store.webhooks.unreadable().count == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # too deep for the decoder
        b'{"type": "\xff\xfe"}',  # not UTF-8
        b"[1, 2, 3]",  # JSON, not an object
        b'{"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": {}}',  # no id: an unknown shape
    ],
)
async def test_other_unreadable_authenticated_bodies_are_200_and_kept(
    services: Services, receiver: WebhookReceiver, body: bytes
) -> None:
    status, _ = await send(
        receiver.port, hook_path(Platform.GIGRADAR, "gr"), body, Connection="close", **GR_AUTH
    )
    assert status == 200
    (kept,) = services.store.webhooks.recent()
    assert kept.unreadable_reason and bytes(kept.raw) == body  # type: ignore[arg-type]
    assert services.store.webhooks.pending() == []


async def test_a_trickling_body_is_cut_off_after_the_body_timeout(
    receiver: WebhookReceiver,
) -> None:
    """Slowloris: the headers at once, then one body byte every 0.2 s of a 1,000-byte body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(request_head(receiver.port, hook_path(Platform.GIGRADAR, "gr"), 1000, **GR_AUTH))
    await writer.drain()
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def trickle() -> None:
        try:
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.2)
        except (ConnectionError, OSError):
            return

    sender = asyncio.ensure_future(trickle())
    try:
        answer = await asyncio.wait_for(reader.read(), DEADLINE)  # until the server closes
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
    elapsed = loop.time() - started
    assert answer.startswith(b"HTTP/1.1 408")
    assert TIMEOUT * 0.9 <= elapsed < DEADLINE
    assert receiver.stats.rejected[408] == 1


async def test_trickling_headers_are_cut_off_after_the_header_timeout(
    receiver: WebhookReceiver,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def trickle() -> None:
        try:
            writer.write(b"POST /hooks/gigradar/gr HTTP/1.1\r\n")
            while True:
                writer.write(b"X-Slow: a\r\n")
                await writer.drain()
                await asyncio.sleep(0.2)
        except (ConnectionError, OSError):
            return

    sender = asyncio.ensure_future(trickle())
    try:
        answer = await asyncio.wait_for(reader.read(), DEADLINE)
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
    assert answer == b"" or b" 200 " not in answer
    assert TIMEOUT * 0.9 <= loop.time() - started < DEADLINE


async def test_a_client_leaving_mid_body_is_not_an_error(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(request_head(receiver.port, hook_path(Platform.GIGRADAR, "gr"), 5000, **GR_AUTH))
    writer.write(b'{"type": "GIGRADAR.')
    await writer.drain()
    await asyncio.sleep(0.1)  # let the handler start reading the body (not a timing assumption:
    writer.close()  # either way the disconnect must not be logged as an error)
    await writer.wait_closed()
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while receiver.stats.rejected[400] < 1:
        assert asyncio.get_running_loop().time() < deadline, "the disconnect was never noticed"
        await asyncio.sleep(0.02)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]


async def test_connections_over_the_cap_get_503(services: Services) -> None:
    rx = make_receiver(services, max_connections=2)
    await rx.start()
    held = []
    try:
        for _ in range(2):
            held.append(await asyncio.open_connection("127.0.0.1", rx.port))
        # The two held connections are registered once aiohttp's protocol is made for them.
        runner = rx._runner
        assert runner is not None and runner.server is not None
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while len(runner.server.connections) < 2:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        status, _ = await send(rx.port, "/hooks/health", b"")
        assert status == 503
    finally:
        for _, writer in held:
            writer.close()
        await rx.stop()


async def test_a_json_body_without_a_content_type_is_read(
    services: Services, receiver: WebhookReceiver
) -> None:
    body = b'{"type": "GIGRADAR.PROPOSAL.UPDATE", "data": {"id": "opp-x", "sent": null}}'
    head = (
        f"POST {hook_path(Platform.GIGRADAR, 'gr')} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {GR_AUTH['Authorization']}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    writer.write(head + body)
    answer = await asyncio.wait_for(reader.read(), DEADLINE)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200")
    (kept,) = services.store.webhooks.recent()
    assert kept.unreadable_reason is None and kept.event == "GIGRADAR.PROPOSAL.UPDATE"


@pytest.mark.parametrize(
    "data",
    [
        {"id": "opp-w1", "job": 5, "title": ["not", "text"], "score": "high"},
        {"id": "opp-w2", "job": {"budget": {"type": "x", "fixed": [1]}}, "published": 12},
        {"id": "opp-w3", "job": {"skills": "python", "client": 3}, "qualification": "yes"},
    ],
)
async def test_odd_but_parseable_payloads_are_answered_200_and_never_replayed(
    services: Services, receiver: WebhookReceiver, data: dict
) -> None:
    import json

    body = json.dumps({"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": data}).encode()
    status, _ = await send(
        receiver.port, hook_path(Platform.GIGRADAR, "gr"), body, Connection="close", **GR_AUTH
    )
    assert status == 200
    await receiver.wait_idle()
    assert services.store.webhooks.pending() == []  # applied or set aside, not left to replay
