"""ApiClient: error mapping, retries of idempotent requests only, AmbiguousSend, logging."""

from __future__ import annotations

import logging
import random

import httpx
import pytest

from app.domain import FailureReason
from app.platforms.errors import (
    AmbiguousSend,
    AuthError,
    Conflict,
    InsufficientFunds,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    PlatformError,
    RateLimited,
    ServerError,
    TransportError,
)
from app.platforms.http import ApiClient, ErrorStyle, RetryPolicy, Window
from tests.platforms.conftest import FakeTime, R, Wire

BASE = "http://api.test/v1"


def make_client(
    wire: Wire,
    fake_time: FakeTime,
    *,
    style: ErrorStyle | None = None,
    retry: RetryPolicy | None = None,
    speed: float = 1.0,
) -> ApiClient:
    limiter = fake_time.limiter(
        {"api": (Window("minute", 30, 60.0),)}, speed=speed, rng=random.Random(1)
    )
    return ApiClient(
        label="Test",
        base_url=BASE,
        headers={"X-API-Key": "gr_live_unit_secret_1"},
        limiter=limiter,
        style=style or ErrorStyle(request_id_header="X-Test-Request-Id", send_request_id=True),
        transport=wire.transport,
        retry=retry,
        secrets=("gr_live_unit_secret_1",),
    )


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (400, InvalidRequest, FailureReason.VALIDATION),
        (401, AuthError, FailureReason.SESSION),
        (402, InsufficientFunds, FailureReason.INSUFFICIENT_FUNDS),
        (403, AuthError, FailureReason.SESSION),
        (404, NotFound, FailureReason.JOB_UNAVAILABLE),
        (409, Conflict, FailureReason.DUPLICATE),
        (422, InvalidRequest, FailureReason.VALIDATION),
        (418, InvalidRequest, FailureReason.VALIDATION),
    ],
)
async def test_status_codes_map_to_typed_errors(
    fake_time: FakeTime, status: int, kind: type[PlatformError], reason: FailureReason
) -> None:
    wire = Wire("/v1").on(
        "GET",
        "/thing",
        R(
            status,
            {"message": "platform says no", "error": "CODE_X"},
            {"X-Test-Request-Id": "req-42"},
        ),
    )
    async with make_client(
        wire,
        fake_time,
        style=ErrorStyle(code_keys=("error",), request_id_header="X-Test-Request-Id"),
    ) as client:
        with pytest.raises(kind) as caught:
            await client.request("GET", "/thing", bucket="api")
    exc = caught.value
    assert type(exc) is kind
    assert exc.status == status
    assert exc.reason is reason
    assert exc.message == "Test: platform says no"
    assert exc.platform_code == "CODE_X"
    assert exc.request_id == "req-42"
    assert "req-42" in str(exc)
    assert f"HTTP {status}" in str(exc)
    assert len(wire.requests) == 1  # 4xx are definite: never retried


async def test_auth_errors_are_not_retryable(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/thing", R(401, {"message": "bad key"}))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(AuthError) as caught:
            await client.request("GET", "/thing", bucket="api")
    assert caught.value.retryable is False
    assert caught.value.to_failure().reason is FailureReason.SESSION


async def test_error_message_falls_back_to_body_text_then_reason(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/text", R(400, raw=b"plain words")).on("GET", "/empty", R(400))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(InvalidRequest, match="plain words"):
            await client.request("GET", "/text", bucket="api")
        with pytest.raises(InvalidRequest, match="Bad Request"):
            await client.request("GET", "/empty", bucket="api")


async def test_request_id_falls_back_to_the_body(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(400, {"message": "no", "requestId": "body-id"}))
    style = ErrorStyle()  # no request-id header configured
    async with make_client(wire, fake_time, style=style) as client:
        with pytest.raises(InvalidRequest) as caught:
            await client.request("GET", "/x", bucket="api")
    assert caught.value.request_id == "body-id"


async def test_ok_answers_are_parsed(fake_time: FakeTime) -> None:
    wire = (
        Wire("/v1")
        .on("GET", "/json", R(200, {"a": 1}, {"X-Test-Request-Id": "rid"}))
        .on("DELETE", "/gone", R(204))
    )
    async with make_client(wire, fake_time) as client:
        response = await client.request("GET", "/json", bucket="api", params={"q": None, "b": True})
        empty = await client.request("DELETE", "/gone", bucket="api", idempotent=True)
    assert response.data == {"a": 1}
    assert response.request_id == "rid"
    assert empty.data is None
    assert empty.status == 204
    sent = wire.requests[0]
    assert dict(sent.url.params) == {"b": "true"}
    assert sent.headers["X-API-Key"] == "gr_live_unit_secret_1"
    assert sent.headers["X-Test-Request-Id"]  # our own id goes out for support reports


async def test_invalid_json_on_2xx_is_malformed_and_not_retried(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(200, raw=b"{not json"))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(MalformedResponse):
            await client.request("GET", "/x", bucket="api")
    assert len(wire.requests) == 1


@pytest.mark.parametrize(
    ("failure", "maybe_sent"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.RemoteProtocolError, True),
        (httpx.ReadError, True),
        (httpx.WriteError, True),
    ],
)
async def test_transport_errors_say_whether_the_request_may_have_left(
    fake_time: FakeTime, failure: type[httpx.TransportError], maybe_sent: bool
) -> None:
    wire = Wire("/v1").on("GET", "/x", failure)
    async with make_client(wire, fake_time, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError) as caught:
            await client.request("GET", "/x", bucket="api")
    assert caught.value.maybe_sent is maybe_sent
    assert isinstance(caught.value.__cause__, failure)
    assert caught.value.reason is FailureReason.TRANSIENT


async def test_get_is_retried_with_growing_backoff(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on(
        "GET", "/x", R(500, {"message": "boom"}), R(503), httpx.ReadTimeout, R(200, {"ok": True})
    )
    async with make_client(wire, fake_time) as client:
        response = await client.request("GET", "/x", bucket="api")
    assert response.data == {"ok": True}
    assert len(wire.requests) == 4
    assert len(fake_time.sleeps) == 3
    first, second, third = fake_time.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert 1.0 <= third <= 2.0


async def test_get_gives_up_after_max_attempts(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(502, {"message": "bad gateway"}))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(ServerError, match="bad gateway"):
            await client.request("GET", "/x", bucket="api")
    assert len(wire.requests) == 4


async def test_backoff_is_divided_by_speed(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(500), R(200, {}))
    async with make_client(wire, fake_time, speed=100.0) as client:
        await client.request("GET", "/x", bucket="api")
    assert fake_time.sleeps
    assert fake_time.sleeps[0] <= 0.005


async def test_get_honours_retry_after_on_429(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on(
        "GET", "/x", R(429, {"message": "slow down"}, {"Retry-After": "2"}), R(200, {"ok": 1})
    )
    async with make_client(wire, fake_time) as client:
        started = fake_time.now
        response = await client.request("GET", "/x", bucket="api")
    assert response.data == {"ok": 1}
    assert fake_time.now - started == pytest.approx(2.0)


async def test_a_long_retry_after_is_surfaced_not_waited(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(429, {"message": "daily cap"}, {"Retry-After": "3600"}))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(RateLimited) as caught:
            await client.request("GET", "/x", bucket="api")
        assert caught.value.retry_after == 3600.0
        assert caught.value.retryable
        assert len(wire.requests) == 1
        # The bucket stays blocked: the next call fails fast without a request.
        with pytest.raises(RateLimited):
            await client.request("GET", "/x", bucket="api")
    assert len(wire.requests) == 1


async def test_server_retry_after_on_503_is_respected(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(503, None, {"Retry-After": "20"}), R(200, {}))
    async with make_client(wire, fake_time) as client:
        await client.request("GET", "/x", bucket="api")
    assert fake_time.sleeps == [pytest.approx(20.0)]


@pytest.mark.parametrize(
    "reply",
    [
        R(500, {"message": "oops"}),
        R(503),
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.WriteError,
        R(201, raw=b"<html>"),
    ],
)
async def test_a_create_is_sent_once_and_an_unknown_outcome_is_ambiguous(
    fake_time: FakeTime, reply: R | type[httpx.TransportError]
) -> None:
    wire = Wire("/v1").on("POST", "/things", reply)
    async with make_client(wire, fake_time) as client:
        with pytest.raises(AmbiguousSend) as caught:
            await client.request("POST", "/things", bucket="api", json={"a": 1})
    assert len(wire.requests) == 1
    assert fake_time.sleeps == []
    assert isinstance(caught.value.__cause__, ServerError | TransportError | MalformedResponse)
    # No platform id came back: ours is shown, labelled as the client request id.
    assert caught.value.request_id is None
    assert caught.value.client_request_id
    assert "client request id" in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (httpx.ConnectError, TransportError),
        (R(400, {"message": "bad"}), InvalidRequest),
        (R(409, {"message": "exists"}), Conflict),
    ],
)
async def test_a_create_refused_for_sure_is_not_ambiguous(
    fake_time: FakeTime, reply: R | type[httpx.TransportError], kind: type[PlatformError]
) -> None:
    wire = Wire("/v1").on("POST", "/things", reply)
    async with make_client(wire, fake_time) as client:
        with pytest.raises(kind) as caught:
            await client.request("POST", "/things", bucket="api", json={})
    assert not isinstance(caught.value, AmbiguousSend)
    assert len(wire.requests) == 1
    if isinstance(caught.value, TransportError):
        assert caught.value.maybe_sent is False


async def test_explicitly_idempotent_delete_is_retried(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("DELETE", "/things/1", httpx.ReadTimeout, R(204))
    async with make_client(wire, fake_time) as client:
        await client.request("DELETE", "/things/1", bucket="api", idempotent=True)
    assert len(wire.requests) == 2


async def test_local_budget_exhaustion_fails_fast(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on("GET", "/x", R(200, {}))
    async with make_client(wire, fake_time, retry=RetryPolicy(max_wait=10.0)) as client:
        for _ in range(30):
            await client.request("GET", "/x", bucket="api")
        with pytest.raises(RateLimited) as caught:
            await client.request("GET", "/x", bucket="api")
    assert caught.value.status is None
    assert caught.value.retry_after == pytest.approx(60.0, abs=0.1)
    assert len(wire.requests) == 30


async def test_every_request_is_logged_at_debug_with_its_request_id(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="app.platforms")
    wire = Wire("/v1").on("GET", "/x", R(200, {}, {"X-Test-Request-Id": "rid-777"}))
    async with make_client(wire, fake_time) as client:
        await client.request("GET", "/x", bucket="api")
    lines = [r.getMessage() for r in caplog.records if r.name == "app.platforms.http"]
    assert any("GET /x -> 200" in line and "rid-777" in line for line in lines)


async def test_refine_hook_can_change_the_error(fake_time: FakeTime) -> None:
    def refine(exc: PlatformError, body: object) -> PlatformError:
        assert body == {"code": "SPECIAL"}
        return InsufficientFunds("refined", status=exc.status)

    wire = Wire("/v1").on("GET", "/x", R(400, {"code": "SPECIAL"}))
    async with make_client(wire, fake_time, style=ErrorStyle(refine=refine)) as client:
        with pytest.raises(InsufficientFunds, match="refined"):
            await client.request("GET", "/x", bucket="api")


async def test_a_create_refused_with_429_is_sent_again_after_retry_after(
    fake_time: FakeTime,
) -> None:
    """A 429 means the platform did nothing: the create goes again once Retry-After ends."""
    slow = R(429, {"message": "slow"}, {"Retry-After": "2"})
    wire = Wire("/v1").on("POST", "/things", slow, R(201, {"id": "t1"}))
    async with make_client(wire, fake_time) as client:
        started = fake_time.now
        response = await client.request("POST", "/things", bucket="api", json={})
    assert response.data == {"id": "t1"}
    assert len(wire.requests) == 2
    assert fake_time.now - started == pytest.approx(2.0, abs=0.1)


async def test_a_create_refused_with_429_gives_up_after_three_tries(fake_time: FakeTime) -> None:
    slow = R(429, {"message": "slow"}, {"Retry-After": "1"})
    wire = Wire("/v1").on("POST", "/things", slow, slow, slow, slow, R(201, {}))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(RateLimited) as caught:
            await client.request("POST", "/things", bucket="api", json={})
    assert len(wire.requests) == 3
    assert caught.value.retryable
    assert "3 times in a row; nothing was sent" in caught.value.message
    assert caught.value.to_failure().reason.value == "rate_limited"


async def test_a_create_is_not_retried_past_the_window(fake_time: FakeTime) -> None:
    """Retry-After beyond two minutes of the first try: surfaced at once, not waited."""
    wire = Wire("/v1").on("POST", "/things", R(429, {}, {"Retry-After": "600"}), R(201, {}))
    async with make_client(wire, fake_time) as client:
        with pytest.raises(RateLimited):
            await client.request("POST", "/things", bucket="api", json={})
    assert len(wire.requests) == 1


async def test_the_request_id_is_only_the_one_the_platform_sent(fake_time: FakeTime) -> None:
    wire = Wire("/v1").on(
        "GET",
        "/x",
        R(400, {"message": "bad"}, {"X-Test-Request-Id": "srv-1"}),
        R(400, {"message": "bad"}),
    )
    async with make_client(wire, fake_time) as client:
        with pytest.raises(InvalidRequest) as first:
            await client.request("GET", "/x", bucket="api")
        with pytest.raises(InvalidRequest) as second:
            await client.request("GET", "/x", bucket="api")
    assert first.value.request_id == "srv-1"
    assert "request id srv-1" in str(first.value)
    assert second.value.request_id is None
    sent = wire.requests[1].headers["X-Test-Request-Id"]
    assert second.value.client_request_id == sent
    assert f"client request id {sent}" in str(second.value)


@pytest.mark.parametrize(
    ("base", "suffixes", "expected", "noted"),
    [
        (
            "https://uphunt.io/api/auto-apply-v2",
            ("/api/auto-apply-v2", "/api"),
            "https://uphunt.io",
            True,
        ),
        (
            "https://uphunt.io/api/auto-apply-v2/",
            ("/api/auto-apply-v2",),
            "https://uphunt.io",
            True,
        ),
        ("https://uphunt.io", ("/api/auto-apply-v2", "/api"), "https://uphunt.io", False),
        ("https://gigiac.com/api", ("/api",), "https://gigiac.com", True),
        ("http://127.0.0.1:9/uphunt/api", ("/api",), "http://127.0.0.1:9/uphunt", True),
    ],
)
def test_a_base_url_repeating_the_api_path_is_normalized(
    base: str, suffixes: tuple[str, ...], expected: str, noted: bool
) -> None:
    from app.platforms.http import normalize_base_url

    fixed, note = normalize_base_url("UpHunt", base, suffixes)
    assert fixed == expected
    assert (note is not None) == noted
    if note:
        assert expected in note and note.endswith(".")
