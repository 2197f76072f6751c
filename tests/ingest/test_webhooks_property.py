"""Random bodies and headers at every route: no 5xx, no crash, nothing stored unauthenticated.

One receiver serves every example (starting one per example would dominate the run); the
store is checked after each example against what an authenticated request may leave.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import Account, Platform
from app.ingest.webhooks import HookCredentials, WebhookProcessor, WebhookReceiver, sign
from app.services.container import open_services
from tests.helpers.profiles import examples

CREDS = {
    "gr": HookCredentials(username="u", password="p"),
    "uh": HookCredentials(secret="uh-secret"),
    "gg": HookCredentials(secret="gg-secret"),
}
ROUTES = [
    "/hooks/gigradar/gr",
    "/hooks/uphunt/uh",
    "/hooks/gigiac/gg",
    "/hooks/gigradar/uh",
    "/hooks/nowhere/gr",
    "/hooks/gigradar/",
    "/hooks/health",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["GIGRADAR.OPPORTUNITY.CREATE", "GIGRADAR.PROPOSAL.UPDATE", "x"])
        | st.text(max_size=10),
        "event": st.sampled_from(
            [
                "application.applied",
                "application.failed",
                "task.created",
                "proposal.accepted",
                "credits.low_balance",
            ]
        )
        | st.text(max_size=10),
        "data": st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "opportunityId",
                    "task_id",
                    "title",
                    "queueId",
                    "jobId",
                    "applicationStatus",
                    "proposal",
                    "job",
                    "sent",
                ]
            ),
            json_values,
            max_size=6,
        )
        | json_values,
        "timestamp": st.text(max_size=30),
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    envelopes.map(lambda e: json.dumps(e).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)
auth_kinds = st.sampled_from(["none", "good", "bad", "garbage"])
# Printable ASCII without edge whitespace: anything else the HTTP client itself refuses.
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
    str.strip
)


def auth_headers(route: str, kind: str, body: bytes, garbage: str) -> dict[str, str]:
    if kind == "none":
        return {}
    if kind == "garbage":
        return {
            "Authorization": garbage,
            "X-UpHunt-Signature": garbage,
            "X-Gigiac-Signature": garbage,
        }
    if "/gigradar/" in route:
        password = "p" if kind == "good" else "wrong"
        return {"Authorization": "Basic " + base64.b64encode(f"u:{password}".encode()).decode()}
    secret = ("uh-secret" if "/uphunt/" in route else "gg-secret") if kind == "good" else "nope"
    header = "X-UpHunt-Signature" if "/uphunt/" in route else "X-Gigiac-Signature"
    return {header: sign(secret, body)}


def test_random_requests_never_crash_or_store_unauthenticated(tmp_path: Path) -> None:
    services = open_services(tmp_path / "profile")
    for name, platform in (
        ("gr", Platform.GIGRADAR),
        ("uh", Platform.UPHUNT),
        ("gg", Platform.GIGIAC),
    ):
        services.store.accounts.add(
            Account(name=name, platform=platform, base_url="http://127.0.0.1:9")
        )
    loop = asyncio.new_event_loop()
    processor = WebhookProcessor(services.store, services.inbox, services.submissions, services.bus)
    receiver = WebhookReceiver(
        services.store, processor, services.accounts, CREDS.get, max_body=4096
    )
    loop.run_until_complete(receiver.start())
    client = httpx.AsyncClient(base_url=receiver.base_url, timeout=5)

    @settings(
        max_examples=examples(300),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        route=st.sampled_from(ROUTES),
        body=bodies,
        kind=auth_kinds,
        garbage=header_text,
        content_type=st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "",
                "application/vnd+json",
            ]
        ),
        extra=st.dictionaries(
            st.sampled_from(
                [
                    "X-UpHunt-Delivery",
                    "X-Gigiac-Delivery",
                    "X-GigRadar-Delivery",
                    "Content-Encoding",
                ]
            ),
            header_text,
            max_size=3,
        ),
    )
    def example(
        route: str, body: bytes, kind: str, garbage: str, content_type: str, extra: dict[str, str]
    ) -> None:
        headers = {**extra, **auth_headers(route, kind, body, garbage)}
        if content_type:
            headers["Content-Type"] = content_type
        before = len(services.store.webhooks.recent(10_000))
        opportunities = services.store.opportunities.count()

        async def send() -> httpx.Response:
            response = await client.post(route, content=body, headers=headers)
            await receiver.wait_idle()
            return response

        response = loop.run_until_complete(send())
        assert response.status_code < 500, (response.status_code, response.text)
        authenticated = response.status_code not in (401, 404, 405)
        if not authenticated or kind != "good":
            assert len(services.store.webhooks.recent(10_000)) == before
            assert services.store.opportunities.count() == opportunities

    try:
        example()
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(receiver.stop())
        loop.run_until_complete(services.aclose())
        loop.close()
