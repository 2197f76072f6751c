"""Secrets never reach exception text or log lines produced by app/platforms."""

from __future__ import annotations

import logging
import sys

import httpx
import pytest

from app.domain import Account, Platform
from app.platforms import create_adapter
from app.platforms.errors import AuthError, PlatformError, TransportError
from app.platforms.gigradar import GigRadarClient
from app.platforms.http import (
    RedactingFilter,
    RetryPolicy,
    install_redaction,
    redact,
    register_secret,
)
from tests.platforms.conftest import FakeTime, R, Wire


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key gr_live_4f9a8b7c6d5e", "gr_live_4f9a8b7c6d5e"),
        ("sk_uphunt_ABCdef123456 rejected", "sk_uphunt_ABCdef123456"),
        ("token=gig_9x8y7z6w5v4u", "gig_9x8y7z6w5v4u"),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("{'x-api-key': 'plainkey-123'}", "plainkey-123"),
        ("X-API-Key: someOtherKey99", "someOtherKey99"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ],
)
def test_redact_masks_known_key_shapes(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "***" in masked


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "GigRadar: 3 scanners (team Acme) — gig_id and bearer of news"
    assert redact(text) == text


def test_registered_secrets_are_masked_even_without_a_known_shape() -> None:
    register_secret("opaque-Key-0001")
    register_secret("")  # ignored
    register_secret("ab")  # too short to mask safely
    assert redact("the key opaque-Key-0001 leaked") == "the key *** leaked"
    assert redact("ab cd") == "ab cd"


def test_filter_masks_message_args_and_exception_text() -> None:
    register_secret("filter-secret-42")
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "calling with %s", ("filter-secret-42",), None
    )
    try:
        raise RuntimeError("boom filter-secret-42")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    text = logging.Formatter().format(record)
    assert "filter-secret-42" not in text
    assert "calling with ***" in text
    assert "boom ***" in text


def test_install_redaction_is_idempotent() -> None:
    handler = logging.NullHandler()
    install_redaction(handler)
    install_redaction(handler)
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1


def _assert_clean(exc: BaseException, key: str, caplog: pytest.LogCaptureFixture) -> None:
    assert key not in str(exc)
    assert key not in repr(exc)
    if isinstance(exc, PlatformError):
        assert key not in exc.message
        assert key not in (exc.to_failure().message or "")
    assert key not in caplog.text


# The test logs an error itself, with a traceback, to prove the redaction filter cleans it.
@pytest.mark.allow_error_log("the test logs a failure on purpose", logger="app.platforms.http")
@pytest.mark.parametrize(
    ("platform", "key", "base"),
    [
        (Platform.GIGRADAR, "gr_live_TOPSECRET000111", "http://t/gigradar/public-api/v1"),
        (Platform.UPHUNT, "sk_uphunt_TOPSECRET000222", "http://t/uphunt"),
        (Platform.GIGIAC, "gig_TOPSECRET000333", "http://t/gigiac"),
    ],
)
async def test_keys_never_leak_through_errors_or_logs(
    platform: Platform,
    key: str,
    base: str,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def echo_key(request: httpx.Request) -> httpx.Response:
        # A careless server that echoes the key back in its error.
        sent = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        body = {"message": f"invalid key {sent}", "error": f"bad key {sent}", "code": sent}
        return httpx.Response(401, json=body, request=request)

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out sending {request.headers}", request=request)

    account = Account(name="acct", platform=platform, base_url=base)
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return echo_key(request) if calls["n"] == 1 else broken(request)

    adapter = create_adapter(
        account,
        key,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    )
    try:
        with pytest.raises(AuthError) as auth:
            await adapter.check_connection()
        _assert_clean(auth.value, key, caplog)
        with pytest.raises(TransportError) as transport:
            await adapter.check_connection()
        _assert_clean(transport.value, key, caplog)
        # A traceback of the chained httpx error (whose text carries the headers) too.
        logging.getLogger("app.platforms.http").error(
            "failed: %r", transport.value, exc_info=transport.value
        )
        assert "Traceback" in caplog.text
        logging.getLogger("app.platforms.http").debug("headers were %s", {"x-api-key": key})
        _assert_clean(transport.value, key, caplog)
    finally:
        await adapter.aclose()
    assert calls["n"] >= 2
    assert key[-6:] not in caplog.text


async def test_webhook_password_is_registered_as_a_secret(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wire = Wire("/v1").on("POST", "/webhooks", R(500, {"message": "boom"}))
    account = Account(name="gr", platform=Platform.GIGRADAR, base_url="http://t/v1")
    async with GigRadarClient(
        account, "gr_live_x1y2z3", transport=wire.transport, limiter=fake_time.limiter({})
    ) as client:
        with pytest.raises(PlatformError):
            await client.create_webhook(
                "https://hook.example/gr", username="u", password="hunter2-webhook-pw"
            )
    logging.getLogger("app.platforms.gigradar").warning("pw hunter2-webhook-pw")
    assert "hunter2-webhook-pw" not in caplog.text
