"""Competition and client depth on a job: the full sandbox serves what Upwork shows
(proposals tier, interviewing, invites sent, member since) beside the documented fields;
the documents-only sandbox serves the documented ones alone, and the app reads both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.platforms import gigradar, uphunt
from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox
from tests.contract.test_uphunt import auth, base, ciphers
from tests.contract.util import is_iso

pytestmark = pytest.mark.contract

TIERS = {"Less than 5", "5 to 10", "10 to 15", "15 to 20", "20 to 50", "50+"}


async def _gigradar_payloads(sb: Sandbox, http: httpx.AsyncClient) -> list[dict[str, Any]]:
    info = sb.info.gigradar
    payloads = []
    for opp in list(sb.gigradar.opportunities.values())[:12]:
        got = await http.get(
            f"{info.base_url}/opportunities/{opp.id}",
            params={"scannerId": opp.scanner.id},
            headers={"X-API-Key": info.api_key},
        )
        assert got.status_code == 200, got.text
        payloads.append(got.json())
    return payloads


async def test_the_full_sandbox_serves_competition_and_client_depth(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    payloads = await _gigradar_payloads(sandbox, http)
    for payload in payloads:
        job = payload["job"]
        assert job["proposalsTier"] in TIERS
        activity = job["clientActivity"]
        for name in ("totalInvitedToInterview", "invitationsSent", "totalHired"):
            assert isinstance(activity[name], int) and activity[name] >= 0
        assert is_iso(job["client"]["company"]["contractDate"])
        opp = gigradar.normalize_opportunity(payload)
        assert opp.competition.proposals_tier == job["proposalsTier"]
        assert opp.competition.interviewing == activity["totalInvitedToInterview"]
        assert opp.competition.invites_sent == activity["invitationsSent"]
        assert opp.client.member_since is not None
        assert opp.connects_price == job["connectsPrice"]
        assert opp.client.jobs_posted == job["client"]["stats"]["jobsPostedCount"]
    # Realistic: not every job alike, and clients with a history have an average rate.
    assert len({p["job"]["proposalsTier"] for p in payloads}) > 1
    rated = [gigradar.normalize_opportunity(p).client.avg_hourly_rate for p in payloads]
    assert any(rate is not None and rate > 0 for rate in rated)


async def test_the_documents_only_sandbox_serves_documented_depth_alone(
    start_sandbox: StartSandbox, http: httpx.AsyncClient
) -> None:
    strict = await start_sandbox(strict=True)
    for payload in await _gigradar_payloads(strict, http):
        job = payload["job"]
        assert "proposalsTier" not in job and "clientActivity" not in job
        assert "contractDate" not in job["client"]["company"]
        opp = gigradar.normalize_opportunity(payload)
        assert not opp.competition.known  # unknown, not zero
        assert opp.client.member_since is None
        # What the documents give stays: Connects and the client's stats.
        assert opp.connects_price == job["connectsPrice"]
        assert opp.client.total_hires == job["client"]["stats"]["totalHires"]


@pytest.mark.parametrize("strict", [False, True])
async def test_uphunt_job_details_follow_the_same_rule(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, strict: bool
) -> None:
    sb = await start_sandbox(strict=strict)
    [cipher] = ciphers(sb, 1)
    r = await http.get(f"{base(sb)}/api/jobs/by-ciphertext?cipher={cipher}", headers=auth(sb))
    assert r.status_code == 200, r.text
    opp = uphunt.normalize_job(r.json())
    assert opp.connects_price is not None
    assert opp.competition.known is not strict
    assert (opp.client.member_since is None) is strict


@pytest.mark.parametrize("strict", [False, True])
async def test_gigiac_proposal_counts_only_beyond_the_documents(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, strict: bool
) -> None:
    from app.platforms import gigiac
    from tests.contract import test_gigiac as gg

    sb = await start_sandbox(strict=strict)
    listing = await http.get(f"{gg.base(sb)}/api/tasks", headers=gg.auth(sb))
    tasks = listing.json()["data"]
    assert tasks
    first = tasks[0]["id"]
    one = (await http.get(f"{gg.base(sb)}/api/tasks/{first}", headers=gg.auth(sb))).json()
    for task in [*tasks, one["data"]]:
        assert ("proposal_count" in task) is not strict
        assert "max_proposals" in task  # documented: served either way
        opp = gigiac.normalize_task(task)
        assert (opp.competition.proposals is None) is strict
