"""Who may deliver: the URL's token, GigRadar's Basic credentials, an optional signature,
the old token-less URL, and rotation. Bodies follow only what the documents promise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.domain import Platform, SubmissionState
from app.ingest.hookkeys import HookCredentials, HookKeys
from app.ingest.webhooks import (
    WebhookProcessor,
    WebhookReceiver,
    auth_scheme,
    hook_path,
    is_hook_path,
    sign,
)
from app.platforms.webhook import WebhookAuth
from app.sandbox import Sandbox, SandboxConfig
from app.services.container import Services
from tests.ingest.test_webhooks import GR_AUTH, basic
from tests.store.factories import submission


@pytest.fixture
def keys(services: Services) -> HookKeys:
    """The real credential store over the test keyring (in memory)."""
    return HookKeys(services.secrets)


@pytest.fixture
async def receiver(services: Services, keys: HookKeys) -> AsyncIterator[WebhookReceiver]:
    processor = WebhookProcessor(services.store, services.inbox, services.submissions, services.bus)
    rx = WebhookReceiver(
        services.store, processor, services.accounts, keys.get, refresh=keys.refresh
    )
    await rx.start()
    yield rx
    await rx.stop()


@pytest.fixture
async def http(receiver: WebhookReceiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=receiver.base_url, timeout=5) as client:
        yield client


JSON = {"Content-Type": "application/json"}


def raw(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def uphunt_sub(services: Services, queue_id: str = "queue_7", job: str = "~01cc"):
    sub = submission(
        f"upwork:{job}",
        state=SubmissionState.SUBMITTING,
        platform=Platform.UPHUNT,
        opportunity_key=f"gigradar:opp-{queue_id}",
        account="uh",
        refs={"queue_id": queue_id},
    )
    services.store.submissions.insert(sub)
    return sub


async def test_an_unsigned_uphunt_failure_with_only_the_event_name_fails_the_submission(
    services: Services, keys: HookKeys, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    """What the UpHunt document promises: the event `application.failed` — no signature,
    no applicationStatus. The token in the URL is the credential."""
    creds, _ = keys.ensure("uh")
    assert creds.token and creds.secret is None
    sub = uphunt_sub(services)
    envelope = {
        "event": "application.failed",
        "data": {"queueId": "queue_7", "jobId": "~01cc", "errorMessage": "Upwork timed out"},
    }
    r = await http.post(
        hook_path(Platform.UPHUNT, "uh", creds.token),
        content=raw(envelope),
        headers={**JSON, "X-UpHunt-Delivery": "dlv-1"},
    )
    assert r.status_code == 200
    await receiver.wait_idle()
    done = services.store.submissions.get(sub.id)
    assert done is not None and done.state is SubmissionState.FAILED
    assert done.failure is not None and "Upwork timed out" in (done.failure.message or "")
    assert receiver.url_for(Platform.UPHUNT, "uh").endswith(f"/hooks/uphunt/uh/{creds.token}")


async def test_a_flat_uphunt_body_and_a_status_field_are_read_too(
    services: Services, keys: HookKeys, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    creds, _ = keys.ensure("uh")
    applied = uphunt_sub(services, "queue_a", "~01aa")
    ineligible = uphunt_sub(services, "queue_b", "~01bb")
    path = hook_path(Platform.UPHUNT, "uh", creds.token)
    flat = {"event": "application.applied", "queueId": "queue_a", "jobId": "~01aa"}
    status = {
        "event": "application.failed",
        "data": {"queueId": "queue_b", "status": "not_eligible"},
    }
    for body in (flat, status):
        assert (await http.post(path, content=raw(body), headers=JSON)).status_code == 200
    await receiver.wait_idle()
    assert services.store.submissions.get(applied.id).state is SubmissionState.SUBMITTED  # type: ignore[union-attr]
    failed = services.store.submissions.get(ineligible.id)
    assert failed is not None and failed.state is SubmissionState.FAILED
    assert failed.failure is not None and failed.failure.reason.value == "ineligible"


async def test_a_wrong_token_or_a_tokenless_url_is_refused(
    services: Services, keys: HookKeys, http: httpx.AsyncClient
) -> None:
    creds, _ = keys.ensure("gg")
    body = raw({"event": "credits.low_balance", "timestamp": "t", "data": {"balance_cents": 1}})
    for path in (
        hook_path(Platform.GIGIAC, "gg", "not-the-token"),
        hook_path(Platform.GIGIAC, "gg", (creds.token or "")[:-1]),
        hook_path(Platform.GIGIAC, "gg"),  # the old URL had no token and no secret here
    ):
        r = await http.post(path, content=body, headers=JSON)
        assert r.status_code == 401, path
        assert "Webhooks" in r.json()["error"]
    assert services.store.webhooks.recent() == []
    r = await http.post(hook_path(Platform.GIGIAC, "gg", creds.token), content=body, headers=JSON)
    assert r.status_code == 200


async def test_a_configured_secret_is_required_as_well_as_the_token(
    services: Services, keys: HookKeys, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    assert keys.set_secret("uh", "user-chosen-secret") is None
    creds = keys.get("uh")
    assert (
        creds is not None
        and creds.token
        and auth_scheme(Platform.UPHUNT, creds) is WebhookAuth.SIGNATURE
    )
    body = raw({"event": "application.applied", "data": {"queueId": "q", "jobId": "~01"}})
    path = hook_path(Platform.UPHUNT, "uh", creds.token)
    assert (await http.post(path, content=body, headers=JSON)).status_code == 401
    bad = {**JSON, "X-UpHunt-Signature": sign("another-secret", body)}
    assert (await http.post(path, content=body, headers=bad)).status_code == 401
    good = {**JSON, "X-UpHunt-Signature": sign("user-chosen-secret", body)}
    assert (await http.post(path, content=body, headers=good)).status_code == 200
    # Removing it: the token alone again.
    keys.set_secret("uh", "")
    other = raw({"event": "application.applied", "data": {"queueId": "q2", "jobId": "~02"}})
    assert (await http.post(path, content=other, headers=JSON)).status_code == 200
    assert auth_scheme(Platform.UPHUNT, keys.get("uh")) is WebhookAuth.URL_TOKEN


async def test_gigradar_accepts_basic_or_its_token_url(
    services: Services, keys: HookKeys, http: httpx.AsyncClient
) -> None:
    keys.merge("gr", username="biddesk-test", password="s3cret-pass")
    creds = keys.get("gr")
    assert creds is not None and auth_scheme(Platform.GIGRADAR, creds) is WebhookAuth.BASIC

    def envelope(n: int) -> bytes:
        return raw({"type": "GIGRADAR.PROPOSAL.UPDATE", "data": {"id": f"opp-{n}", "sent": None}})

    # What BidDesk registers (Basic), on the token-less URL of earlier versions and on the new.
    for n, path in enumerate(
        (hook_path(Platform.GIGRADAR, "gr"), hook_path(Platform.GIGRADAR, "gr", creds.token))
    ):
        r = await http.post(path, content=envelope(n), headers={**JSON, **GR_AUTH})
        assert r.status_code == 200, path
    # The URL pasted into GigRadar's settings page: no Basic credentials, the token is enough.
    r = await http.post(
        hook_path(Platform.GIGRADAR, "gr", creds.token), content=envelope(5), headers=JSON
    )
    assert r.status_code == 200
    # Neither: refused, and asked for Basic.
    r = await http.post(hook_path(Platform.GIGRADAR, "gr"), content=envelope(6), headers=JSON)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    wrong = {**JSON, "Authorization": basic("biddesk-test", "nope")}
    r = await http.post(hook_path(Platform.GIGRADAR, "gr"), content=envelope(7), headers=wrong)
    assert r.status_code == 401


async def test_rotation_invalidates_the_old_url_even_from_another_process(
    services: Services, keys: HookKeys, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    old, _ = keys.ensure("gg")
    # Another BidDesk process (the CLI) rotates through its own HookKeys on the same keyring.
    other = HookKeys(services.secrets)
    new, problem = other.rotate("gg")
    assert problem is None and new.token and new.token != old.token
    body = raw({"event": "credits.low_balance", "timestamp": "t", "data": {"balance_cents": 2}})
    # The running receiver re-reads the keyring when a token does not match (at most every
    # few seconds): the new URL works at once.
    keys._read_at.clear()
    r = await http.post(hook_path(Platform.GIGIAC, "gg", new.token), content=body, headers=JSON)
    assert r.status_code == 200
    r = await http.post(hook_path(Platform.GIGIAC, "gg", old.token), content=body, headers=JSON)
    assert r.status_code == 401


async def test_a_legacy_secret_keeps_the_old_signed_url_working_but_is_not_required(
    services: Services, http: httpx.AsyncClient, keys: HookKeys
) -> None:
    # Stored by an earlier BidDesk: a generated secret and no token.
    services.secrets.set(
        "webhook:gg", json.dumps({"username": None, "password": None, "secret": "old-gen"})
    )
    creds, _ = keys.ensure("gg")
    assert creds.secret is None and creds.legacy_secret == "old-gen" and creds.token
    body = raw({"event": "credits.low_balance", "timestamp": "1", "data": {"balance_cents": 3}})
    signed = {**JSON, "X-Gigiac-Signature": sign("old-gen", body)}
    assert (
        await http.post(hook_path(Platform.GIGIAC, "gg"), content=body, headers=signed)
    ).status_code == 200
    body2 = raw({"event": "credits.low_balance", "timestamp": "2", "data": {"balance_cents": 4}})
    assert (
        await http.post(hook_path(Platform.GIGIAC, "gg"), content=body2, headers=JSON)
    ).status_code == 401
    # The new URL needs no signature: the legacy secret is not a requirement there.
    r = await http.post(hook_path(Platform.GIGIAC, "gg", creds.token), content=body2, headers=JSON)
    assert r.status_code == 200


def test_credentials_live_in_the_keyring_and_never_in_a_repr(
    services: Services, keys: HookKeys
) -> None:
    creds, _ = keys.ensure("uh")
    assert creds.token is not None and len(creds.token) >= 32
    assert creds.token in services.secrets.get("webhook:uh")
    assert creds.token not in repr(creds)
    db = b"".join(p.read_bytes() for p in services.data_dir.glob("biddesk.sqlite3*"))
    assert creds.token.encode() not in db
    again = HookKeys(services.secrets).get("uh")
    assert again == creds


def test_receiver_paths_match_any_token_of_the_account() -> None:
    assert is_hook_path("/hooks/gigradar/gr", Platform.GIGRADAR, "gr")
    assert is_hook_path("/hooks/gigradar/gr/abc", Platform.GIGRADAR, "gr")
    assert not is_hook_path("/hooks/gigradar/gr2/abc", Platform.GIGRADAR, "gr")
    assert not is_hook_path("/hooks/gigradar/gr/abc/def", Platform.GIGRADAR, "gr")
    legacy = HookCredentials.from_json(json.dumps({"secret": "s"}))
    assert legacy.secret is None and legacy.legacy_secret == "s"
    kept = HookCredentials.from_json(HookCredentials(secret="s", token="t").to_json())
    assert kept.secret == "s" and kept.legacy_secret is None


async def test_strict_sandbox_envelopes_carry_nothing_proposed() -> None:
    world = Sandbox(SandboxConfig(seed=3, arrivals=False, initial_tasks=0, strict=True))
    world.add_task()
    created = world.events.since(0, type_="task.created")[-1]
    assert set(created.envelope(strict=True)["data"]) == {"task_id", "task_title"}
    assert set(created.envelope(strict=True)) == {"event", "timestamp", "data"}


def test_without_a_keyring_the_token_can_come_from_the_environment(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIDDESK_API_KEY_WEBHOOK_GG", json.dumps({"token": "t" * 32}))
    creds, problem = HookKeys(services.secrets).ensure("gg")
    assert problem is None and creds.token == "t" * 32


def test_a_sandbox_accounts_webhook_credentials_stay_in_this_run_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`biddesk --sandbox` on a desktop with no keyring: the sandbox's accounts have keys for
    this run only, so their webhook credentials are kept the same way, with no warning;
    a real account still gets the sentence about the keyring."""
    import keyring
    from keyring.backends import fail

    from app.services.secrets import SecretStore

    keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture puts its own back
    secrets = SecretStore()
    secrets.override("sandbox-gigiac", "sandbox-key")
    keys = HookKeys(secrets)
    with caplog.at_level("WARNING", logger="app.ingest.hookkeys"):
        creds, problem = keys.ensure("sandbox-gigiac")
        assert problem is None and creds.token
        assert HookCredentials.from_json(secrets.get("webhook:sandbox-gigiac")).token == creds.token
        assert not [r for r in caplog.records if r.name == "app.ingest.hookkeys"]
        _, problem = keys.ensure("work")  # a real account: the keyring's sentence
    assert problem is not None and "keyring" in problem.lower()
    assert [r for r in caplog.records if r.name == "app.ingest.hookkeys"]
