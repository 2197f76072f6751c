"""Webhooks end to end: the sandbox delivers to the real receiver over loopback.

Registration goes through the real GigRadar client against the sandbox; UpHunt's and
Gigiac's dashboards are set the way a user would (here through the sandbox's control
surface); the tunnel is "none" (loopback), or the cloudflared stand-in for re-registration.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.domain import Account, Outcome, Platform, SubmissionState
from app.ingest.poller import Poller
from app.ingest.realtime import Realtime, RealtimeConfig
from app.ingest.tunnel import TunnelState
from app.ingest.webhooks import HookCredentials, hook_path
from app.sandbox import Sandbox
from app.services.container import Services, open_services
from app.services.events import RealtimeStatus
from app.services.secrets import env_var_for
from tests.helpers.cli import run
from tests.helpers.wait import wait_for
from tests.ingest import fake_cloudflared
from tests.integration.conftest import SPEED, endpoint
from tests.integration.test_end_to_end import (
    LETTER,
    fetch_everything,
    gigiac_ready,
    pick,
    request_for,
)

pytestmark = pytest.mark.integration

SETTLE = 20.0


def dashboard(sandbox: Sandbox):
    async def hook(account: Account, url: str, creds: HookCredentials) -> None:
        # The URL carries the account's token; a secret only if one was configured.
        assert creds.token and url.endswith("/" + creds.token)
        sandbox.deliverer.set_dashboard(account.platform.value, url, creds.secret)

    return hook


@pytest.fixture
async def realtime(live: Services, sandbox: Sandbox) -> AsyncIterator[Realtime]:
    rt = Realtime.of(live, config=RealtimeConfig(enabled=True), dashboard_hook=dashboard(sandbox))
    await rt.start()
    await until(lambda: len(rt.status().healthy_accounts) >= 1)
    yield rt
    await rt.stop()


async def until(predicate: Callable[[], object], timeout: float = SETTLE) -> None:
    await wait_for(predicate, timeout)


async def test_gigradar_registration_replaces_what_biddesk_registered_before(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    hooks = list(sandbox.gigradar.webhooks.values())
    assert len(hooks) == 1
    hook = hooks[0]
    assert hook.url == realtime.receiver.url_for(Platform.GIGRADAR, "gr")
    assert sorted(hook.scopes) == ["GIGRADAR.OPPORTUNITY.CREATE", "GIGRADAR.PROPOSAL.UPDATE"]
    assert hook.username and hook.password
    # The credentials live in the keyring, never in the database.
    db_bytes = b"".join(p.read_bytes() for p in live.data_dir.glob("biddesk.sqlite3*"))
    assert hook.password.encode() not in db_bytes
    await realtime.register_all()  # the same URL in the same run: nothing to do
    assert list(sandbox.gigradar.webhooks.values()) == [hook]
    await realtime.register_all(force=True)
    again = list(sandbox.gigradar.webhooks.values())
    # Replaced, with the kept credentials: a webhook GigRadar could not delete (no
    # documented DELETE) would still authenticate rather than draw 401s.
    assert len(again) == 1 and again[0].id != hook.id
    assert (again[0].username, again[0].password) == (hook.username, hook.password)
    assert realtime.healthy("gr")
    assert realtime.status().registration_failures == ()
    setup = realtime.setup(live.accounts.get("uh"))
    assert setup.url == realtime.receiver.url_for(Platform.UPHUNT, "uh")
    assert any("application.applied" in step for step in setup.steps)


async def test_a_new_gigradar_opportunity_arrives_by_webhook(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    wire = sandbox.add_opportunity()
    await until(lambda: live.store.opportunities.get(f"gigradar:{wire['id']}") is not None)
    assert realtime.receiver.stats.accepted >= 1
    assert realtime.status().last_event == "GIGRADAR.OPPORTUNITY.CREATE"


async def test_gigradar_send_is_settled_by_the_proposal_webhook(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 2)
    # Tracking polls race the webhook (on a busy machine the poll often wins): make every
    # read of this opportunity fail, so only the webhook can settle the send.
    sandbox.faults.inject(
        "500",
        platform="gigradar",
        method="GET",
        path_contains=f"/opportunities/{opp.external_id}",
        count=1000,
    )
    sub = await live.submissions.submit(request_for(opp, LETTER + " [[sim:sent]]"))
    # No polling: only the webhook may settle it (else the poll sometimes wins the race).
    live.tasks.cancel(f"track:{sub.id}")
    await until(lambda: live.store.submissions.get(sub.id).state is SubmissionState.SUBMITTED)
    done = live.store.submissions.get(sub.id)
    assert any(h.via == "webhook" and h.state is SubmissionState.SUBMITTED for h in done.history)


async def test_uphunt_result_by_webhook_stops_the_polling(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 3)
    # The 5 s status polls race the webhook: make them fail, so the webhook settles it
    # every time and the test always sees the polling stop (not only when it won the race).
    sandbox.faults.inject(
        "500", platform="uphunt", method="GET", path_contains="/auto-apply-v2/status", count=1000
    )
    sub = await live.submissions.submit(
        request_for(opp, LETTER + " [[sim:applied]]", via=Platform.UPHUNT)
    )
    await until(lambda: live.store.submissions.get(sub.id).state is SubmissionState.SUBMITTED)
    done = live.store.submissions.get(sub.id)
    via = [h.via for h in done.history if h.state is SubmissionState.SUBMITTED]
    assert via == ["webhook"]
    await until(lambda: not live.tasks.running(f"track:{sub.id}"))  # polling stopped
    assert realtime.healthy("uh")


async def test_gigiac_decision_arrives_by_webhook(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    opp = gigiac_ready(await fetch_everything(live))
    sub = await live.submissions.submit(request_for(opp, LETTER + " [[sim:accept]]"))
    await until(lambda: live.store.submissions.get(sub.id).outcome is Outcome.ACCEPTED)
    assert any(h.via == "webhook" for h in live.store.submissions.get(sub.id).history)


async def test_duplicates_from_the_platform_are_stored_once(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    sandbox.deliverer.faults.update({"duplicate": 1.0})
    wires = [sandbox.add_opportunity() for _ in range(5)]
    await sandbox.deliverer.idle()
    await realtime.receiver.wait_idle()
    assert sandbox.deliverer.stats.duplicates >= 5
    created = [
        d for d in live.store.webhooks.recent(100) if d.event == "GIGRADAR.OPPORTUNITY.CREATE"
    ]
    assert len(created) == 5
    assert realtime.receiver.stats.duplicates >= 5
    assert all(live.store.opportunities.get(f"gigradar:{w['id']}") for w in wires)


async def test_stale_credentials_are_refused_and_retried_then_given_up(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    for hook in sandbox.gigradar.webhooks.values():
        hook.password = "an-old-password"
    wire = sandbox.add_opportunity()
    await until(lambda: sandbox.deliverer.stats.retried >= 1)
    assert realtime.receiver.stats.rejected[401] >= 1
    assert live.store.opportunities.get(f"gigradar:{wire['id']}") is None


async def test_corrupted_deliveries_are_kept_and_not_processed(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    sandbox.deliverer.faults.update({"corrupt": 1.0, "duplicate": 0.0})
    wire = sandbox.add_opportunity()
    await until(lambda: realtime.receiver.stats.unreadable >= 1)
    await sandbox.deliverer.idle()
    # Answered 200 (no retry storm), kept with its reason, never processed.
    assert sandbox.deliverer.stats.retried == 0
    assert any(d.unreadable_reason for d in live.store.webhooks.recent(50))
    assert live.store.webhooks.unreadable().count >= 1
    assert live.store.opportunities.get(f"gigradar:{wire['id']}") is None


async def test_polling_backfills_when_the_webhooks_stop(live: Services, sandbox: Sandbox) -> None:
    """Dropped deliveries: the poller, slowed down while webhooks were healthy, polls at
    once when the tunnel goes down and brings what the webhooks missed."""
    poller = Poller(live.accounts, live.inbox, live.tasks, live.bus)
    rt = Realtime.of(live, config=RealtimeConfig(enabled=True), poller=poller)
    poller.webhook_health = rt.healthy
    await rt.start()
    try:
        await until(lambda: rt.healthy("gr"))
        poller.start_account(live.accounts.get("gr"))
        await until(lambda: live.store.opportunities.count() > 0)
        dropped = sandbox.deliverer.stats.dropped
        sandbox.deliverer.faults.update({"drop": 1.0})
        wire = sandbox.add_opportunity()
        await until(lambda: sandbox.deliverer.stats.dropped > dropped)  # its webhook is lost
        assert live.store.opportunities.get(f"gigradar:{wire['id']}") is None
        assert rt.tunnel is not None
        await rt.tunnel.stop()  # the tunnel goes away: webhooks are no longer healthy
        await until(lambda: not rt.healthy("gr"))
        await until(lambda: live.store.opportunities.get(f"gigradar:{wire['id']}") is not None)
    finally:
        await rt.stop()


@pytest.fixture
def cloudflared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "cloudflared"
    binary.parent.mkdir()
    source = Path(fake_cloudflared.__file__).read_text(encoding="utf-8")
    binary.write_text(f"#!{sys.executable}\n" + source, encoding="utf-8")
    binary.chmod(0o755)
    state = tmp_path / "cf-state"
    state.mkdir()
    monkeypatch.setenv("FAKE_CLOUDFLARED_DIR", str(state))
    monkeypatch.setenv("FAKE_CLOUDFLARED_MODE", "die")
    monkeypatch.setenv("FAKE_CLOUDFLARED_LIFETIME", "0.6")
    return binary


async def test_each_new_tunnel_url_is_registered_and_the_old_one_removed(
    live: Services, sandbox: Sandbox, cloudflared: Path
) -> None:
    statuses: list[RealtimeStatus] = []
    live.bus.subscribe(RealtimeStatus, statuses.append)
    rt = Realtime.of(
        live,
        config=RealtimeConfig(enabled=True, tunnel=f"cloudflared:{cloudflared}"),
        restart_backoff=(0.05, 0.2),
    )
    await rt.start()
    try:

        def path() -> str:
            creds = rt.keys.get("gr")
            return hook_path(Platform.GIGRADAR, "gr", creds.token if creds else None)

        def registered() -> list[str]:
            return [h.url for h in sandbox.gigradar.webhooks.values()]

        await until(lambda: registered() == ["https://run-1.trycloudflare.com" + path()])
        await until(lambda: registered() == ["https://run-2.trycloudflare.com" + path()])
        assert any(s.state == TunnelState.RESTARTING.value for s in statuses)
    finally:
        await rt.stop()


async def test_remove_on_exit_deletes_the_registration(live: Services, sandbox: Sandbox) -> None:
    rt = Realtime.of(live, config=RealtimeConfig(enabled=True, remove_on_exit=True))
    await rt.start()
    await until(lambda: rt.healthy("gr"))
    assert len(sandbox.gigradar.webhooks) == 1
    await rt.stop()
    assert sandbox.gigradar.webhooks == {}


async def test_a_second_profile_sharing_the_team_keeps_its_own_webhook(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stale = what this BidDesk registered for this account, not every webhook the team
    has: another integration's subscription survives a registration."""
    services = open_services(tmp_path / "other")
    ep = endpoint(sandbox, Platform.GIGRADAR)
    monkeypatch.setenv(env_var_for("gr"), ep.api_key)
    services.accounts.add("gr", Platform.GIGRADAR, api_key=None, base_url=ep.base_url, speed=SPEED)
    client = services.accounts.adapter(services.accounts.get("gr"))
    other = await client.create_webhook("https://crm.example.com/hooks/gigradar")  # type: ignore[attr-defined]
    rt = Realtime.of(services, config=RealtimeConfig(enabled=True))
    await rt.start()
    try:
        await until(lambda: rt.healthy("gr"))
        assert other["id"] in sandbox.gigradar.webhooks
        assert len(sandbox.gigradar.webhooks) == 2
    finally:
        await rt.stop()
        await services.aclose()


async def test_a_missing_key_is_a_sentence_not_a_crash(
    live: Services, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(env_var_for("gr"))
    rt = Realtime.of(live, config=RealtimeConfig(enabled=True, remove_on_exit=True))
    await rt.start()
    try:
        await until(lambda: rt._register_task is not None and rt._register_task.done())
        setup = rt.setup(live.accounts.get("gr"))
        assert not rt.healthy("gr")
        assert setup.error is not None and "No API key" in setup.error
        assert sandbox.gigradar.webhooks == {}
        # The status says so (the status bar shows it), not "up" and all is well.
        [(account, reason)] = rt.status().registration_failures
        assert account == "gr" and "No API key" in reason
        assert rt.status().registering == ()
    finally:
        await rt.stop()  # removal on exit meets the same missing key: logged, not raised


async def test_a_configured_secret_is_checked_and_a_wrong_signature_refused(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    """The default sandbox signs when given a secret: BidDesk then requires it."""
    uh = live.accounts.get("uh")
    assert realtime.set_secret("uh", "agreed-secret") is None
    await realtime.register(uh)  # the dashboard (here the sandbox) gets the secret too
    assert sandbox.deliverer.dashboard["uphunt"].secret == "agreed-secret"
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 4)
    sub = await live.submissions.submit(
        request_for(opp, LETTER + " [[sim:applied]]", via=Platform.UPHUNT)
    )
    await until(lambda: live.store.submissions.get(sub.id).state is SubmissionState.SUBMITTED)
    # Now the platform signs with another secret: refused, retried, never applied.
    target = sandbox.deliverer.dashboard["uphunt"]
    sandbox.deliverer.dashboard["uphunt"] = replace(target, secret="someone-elses")
    before = realtime.receiver.stats.rejected[401]
    opp2 = pick(await fetch_everything(live), Platform.GIGRADAR, 5)
    sub2 = await live.submissions.submit(
        request_for(opp2, LETTER + " [[sim:applied]]", via=Platform.UPHUNT)
    )
    await until(lambda: realtime.receiver.stats.rejected[401] > before)
    assert not any(h.via == "webhook" for h in live.store.submissions.get(sub2.id).history)


async def test_rotation_invalidates_the_old_url_and_reregisters_gigradar(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    gg, gr = live.accounts.get("gg"), live.accounts.get("gr")
    old = realtime.url_for(gg)
    old_gr = realtime.url_for(gr)
    assert old and old_gr
    setup = await realtime.rotate(gg)
    assert setup.url and setup.url != old
    assert sandbox.deliverer.dashboard["gigiac"].url == setup.url  # pasted anew (sandbox)
    body = b'{"event": "credits.low_balance", "timestamp": "t", "data": {"balance_cents": 5}}'
    async with httpx.AsyncClient(timeout=5) as client:
        headers = {"Content-Type": "application/json"}
        assert (await client.post(old, content=body, headers=headers)).status_code == 401
        assert (await client.post(setup.url, content=body, headers=headers)).status_code == 200
    # GigRadar: registered again at once, at the new URL, the old registration removed.
    new_gr = await realtime.rotate(gr)
    assert new_gr.url and new_gr.url != old_gr
    await until(lambda: [h.url for h in sandbox.gigradar.webhooks.values()] == [new_gr.url])
    assert realtime.healthy("gr")


async def test_webhooks_status_lists_each_account_url_and_auth(
    live: Services, sandbox: Sandbox, realtime: Realtime, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["--profile", str(live.data_dir), "webhooks", "status", "--json"], capsys)
    assert code == 0
    status = json.loads(out)
    rows = {row["account"]: row for row in status["accounts"]}
    assert set(rows) == {"gr", "uh", "gg"}
    for name, platform in (
        ("gr", Platform.GIGRADAR),
        ("uh", Platform.UPHUNT),
        ("gg", Platform.GIGIAC),
    ):
        account = live.accounts.get(name)
        assert rows[name]["platform"] == platform.value
        # The URL as reachable now: tunnel "none", so the running receiver itself.
        assert rows[name]["url"] == realtime.url_for(account)
        assert rows[name]["url"].startswith(realtime.receiver.base_url + "/hooks/")
    assert rows["gr"]["auth"] == "basic"
    assert rows["uh"]["auth"] == rows["gg"]["auth"] == "url-token"
    assert {"config", "registered", "pending", "deliveries", "unreadable"} <= set(status)


async def test_cli_rotate_prints_the_new_url_and_the_old_one_stops_working(
    live: Services, sandbox: Sandbox, realtime: Realtime, capsys: pytest.CaptureFixture[str]
) -> None:
    gg = live.accounts.get("gg")
    old = realtime.url_for(gg)
    assert old
    code, out, _ = run(["--profile", str(live.data_dir), "webhooks", "rotate", "gg"], capsys)
    assert code == 0
    new = out.splitlines()[0]
    assert new.startswith(realtime.receiver.base_url + "/hooks/gigiac/gg/") and new != old
    assert "paste the new one" in out
    body = b'{"event": "credits.low_balance", "timestamp": "r", "data": {"balance_cents": 6}}'
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=5) as client:
        # The running receiver picks the rotated token up from the keyring.
        realtime.keys._read_at.clear()
        assert (await client.post(new, content=body, headers=headers)).status_code == 200
