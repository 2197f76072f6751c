"""UpHunt auto-apply contract: seed 001 and platform-apis.md §2, checked over raw HTTP.

Covers `x-api-key` auth, per-endpoint rate limits, `/apply` validation order and credit
reservation, the three jobId forms, the status/applied-jobs/freelancers shapes, the data
endpoints, and the worker reaching each terminal state.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox
from tests.contract.util import CIPHERTEXT, UUID, eventually, is_iso

pytestmark = pytest.mark.contract

TERMINAL = (
    "applied",
    "failed",
    "not_available",
    "not_eligible",
    "not_enough_connects",
    "logged_out",
)


def base(sandbox: Sandbox) -> str:
    return sandbox.info.uphunt.base_url


def auth(sandbox: Sandbox) -> dict[str, str]:
    return {"x-api-key": sandbox.info.uphunt.api_key}


def ciphers(sandbox: Sandbox, count: int, *, skip: int = 0) -> list[str]:
    """Ciphertexts of jobs GigRadar also matched (every one of them is scraped by UpHunt)."""
    seen: list[str] = []
    for opp in sandbox.gigradar.opportunities.values():
        if opp.job.ciphertext not in seen:
            seen.append(opp.job.ciphertext)
    return seen[skip : skip + count]


async def apply(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    job_id: str,
    cover: str = "Hi, I can help.",
    **extra: Any,
) -> httpx.Response:
    body = {"jobId": job_id, "coverLetter": cover, **extra}
    return await http.post(
        f"{base(sandbox)}/api/auto-apply-v2/apply", headers=auth(sandbox), json=body
    )


async def status(http: httpx.AsyncClient, sandbox: Sandbox, **params: str) -> httpx.Response:
    return await http.get(
        f"{base(sandbox)}/api/auto-apply-v2/status", headers=auth(sandbox), params=params
    )


async def terminal(http: httpx.AsyncClient, sandbox: Sandbox, queue_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        body = (await status(http, sandbox, queueId=queue_id)).json()
        return body if body["applicationStatus"] != "processing" else None

    return dict(await eventually(done))


# -- auth and rate limits ------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "sk_uphunt_wrong"}])
async def test_missing_or_wrong_key_is_401(
    http: httpx.AsyncClient, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    r = await http.get(f"{base(sandbox)}/api/auto-apply-v2/freelancers", headers=headers)
    assert r.status_code == 401
    assert isinstance(r.json()["error"], str)
    assert r.json()["error"]
    r = await http.get(f"{base(sandbox)}/api/jobs/by-ciphertext?cipher=~01", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"


async def test_good_key_and_rate_headers_decrease(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    assert sandbox.info.uphunt.api_key.startswith("sk_uphunt_")
    remaining = []
    for _ in range(3):
        r = await http.get(f"{base(sandbox)}/api/auto-apply-v2/freelancers", headers=auth(sandbox))
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit"] == "30"  # freelancers: 30/min (§2.4)
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
        assert time.time() < int(r.headers["X-RateLimit-Reset"]) <= time.time() + 61
    assert remaining == [29, 28, 27]
    r = await status(http, sandbox, queueId="queue_nope")
    assert r.headers["X-RateLimit-Limit"] == "300"  # budgets are per endpoint


async def test_429_after_the_endpoint_budget(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(uphunt_limits={"status": 2, "by-ciphertext": 1})
    for _ in range(2):
        assert (await status(http, sandbox, queueId="queue_x")).status_code == 404
    r = await status(http, sandbox, queueId="queue_x")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert "Rate limit" in r.json()["error"]
    # The other endpoints keep their own budgets.
    assert (
        await http.get(f"{base(sandbox)}/api/auto-apply-v2/freelancers", headers=auth(sandbox))
    ).status_code == 200
    url = f"{base(sandbox)}/api/jobs/by-ciphertext?cipher={ciphers(sandbox, 1)[0]}"
    assert (await http.get(url, headers=auth(sandbox))).status_code == 200
    r = await http.get(url, headers=auth(sandbox))
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "rate_limit_exceeded"
    assert body["limit"] == 1
    assert body["used"] > body["limit"]
    assert is_iso(body["resetsAt"])


# -- apply ---------------------------------------------------------------------------------


async def test_apply_success_shape_and_credit_reservation(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    cipher = ciphers(sandbox, 1)[0]
    r = await apply(
        http,
        sandbox,
        cipher,
        proposal={"hourlyRate": 65, "timeline": "1 to 3 months", "boostBids": 2},
        autoFillOtherQuestions=True,
        questionAnswers=[{"question": "Why you?", "answer": "Shipped it twice."}],
    )
    assert r.status_code in (200, 201, 202), r.text
    body = r.json()
    assert body["success"] is True
    assert body["queueId"].startswith("queue_")
    assert body["jobId"] == cipher
    assert UUID.match(body["processedJobId"])
    assert body["applicationStatus"] == "processing"
    assert body["creditsRemaining"] == 49  # 50 at start, one reserved
    assert sandbox.uphunt.reserved == 1
    assert sandbox.uphunt.credits == 50
    assert r.headers["X-RateLimit-Limit"] == "60"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"coverLetter": "Hi"}, 400),
        ({"jobId": "", "coverLetter": "Hi"}, 400),
        ({"jobId": "JOB"}, 400),
        ({"jobId": "JOB", "coverLetter": ""}, 400),
        ({"jobId": "JOB", "coverLetter": "Hi", "proposal": {"timeline": "Two weeks"}}, 422),
        ({"jobId": "JOB", "coverLetter": "Hi", "proposal": {"hourlyRate": "fifty"}}, 400),
        ({"jobId": "JOB", "coverLetter": "Hi", "profileId": "no-such-profile"}, 422),
        ({"jobId": "~01ffffffffffffffffff", "coverLetter": "Hi"}, 404),
        ({"jobId": "https://www.upwork.com/jobs/~01eeeeeeeeeeeeeeeeee", "coverLetter": "Hi"}, 404),
        ({"jobId": "3f0e7c1a-9a0b-4c1d-8e2f-000000000000", "coverLetter": "Hi"}, 404),
    ],
)
async def test_apply_errors_touch_no_credit(
    http: httpx.AsyncClient, sandbox: Sandbox, body: dict[str, Any], code: int
) -> None:
    if body.get("jobId") == "JOB":
        body = {**body, "jobId": ciphers(sandbox, 1)[0]}
    r = await http.post(
        f"{base(sandbox)}/api/auto-apply-v2/apply", headers=auth(sandbox), json=body
    )
    assert r.status_code == code, r.text
    assert isinstance(r.json()["error"], str)
    assert r.json()["error"]
    assert sandbox.uphunt.credits_remaining == 50
    assert not sandbox.uphunt.queue


async def test_job_id_forms_resolve_to_one_job(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cipher = ciphers(sandbox, 1)[0]
    job = sandbox.universe.jobs[cipher]
    slug = job.title.replace(" ", "-").replace("/", "-")
    forms = [
        f"https://www.upwork.com/jobs/{cipher}",
        f"https://www.upwork.com/freelance-jobs/apply/{slug}_{cipher}/",
        cipher,
        job.processed_id,
    ]
    r = await apply(http, sandbox, forms[0])
    assert r.status_code == 200
    assert r.json()["jobId"] == cipher
    queue_id = r.json()["queueId"]
    for form in forms[1:]:
        again = await apply(http, sandbox, form)
        assert again.status_code == 409, form
        assert again.json()["queueId"] == queue_id
    for form in (cipher, job.processed_id):
        polled = await status(http, sandbox, jobId=form)
        assert polled.status_code == 200
        assert polled.json()["queueId"] == queue_id


async def test_402_when_credits_run_out(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.uphunt.credits = 1
    first, second = ciphers(sandbox, 2)
    assert (await apply(http, sandbox, first)).json()["creditsRemaining"] == 0
    r = await apply(http, sandbox, second)
    assert r.status_code == 402
    assert r.json() == {
        "error": "Insufficient auto-apply credits",
        "creditsRemaining": 0,
        "needsCredits": True,
    }


async def test_legacy_external_apply_with_application_options(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    body = {
        "jobId": ciphers(sandbox, 1)[0],
        "coverLetter": "Hello",
        "applicationOptions": {"timeline": "More than 6 months"},
    }
    r = await http.post(
        f"{base(sandbox)}/api/auto-apply/external", headers=auth(sandbox), json=body
    )
    assert r.status_code == 200
    assert r.json()["queueId"].startswith("queue_")


# -- status and lifecycle ------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"queueId": "queue_a", "jobId": "~01aaaaaaaaaaaaaaaaaa"}])
async def test_status_needs_exactly_one_key(
    http: httpx.AsyncClient, sandbox: Sandbox, params: dict[str, str]
) -> None:
    r = await status(http, sandbox, **params)
    assert r.status_code == 400
    assert r.json()["error"]


async def test_status_unknown_is_404(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    assert (await status(http, sandbox, queueId="queue_unknown")).status_code == 404
    assert (await status(http, sandbox, jobId=ciphers(sandbox, 1)[0])).status_code == 404


async def test_applied_lifecycle_deducts_one_credit(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    r = await apply(http, sandbox, ciphers(sandbox, 1)[0], "[[sim:applied]] Hello")
    queue_id = r.json()["queueId"]
    first = (await status(http, sandbox, queueId=queue_id)).json()
    assert set(first) >= {
        "jobId",
        "processedJobId",
        "applicationStatus",
        "applicationStatusMessage",
        "queueId",
        "appliedAt",
        "processedAt",
        "errorMessage",
    }
    assert first["applicationStatus"] == "processing"
    assert first["appliedAt"] is None
    done = await terminal(http, sandbox, queue_id)
    assert done["applicationStatus"] == "applied"
    assert done["applicationStatusMessage"] == "Successfully applied via auto-apply"
    assert isinstance(done["appliedAt"], int)
    assert done["appliedAt"] > 1_600_000_000_000
    assert isinstance(done["processedAt"], int)
    assert done["processedAt"] <= done["appliedAt"]
    assert done["errorMessage"] is None
    assert sandbox.uphunt.credits == 49
    assert sandbox.uphunt.reserved == 0
    again = await apply(http, sandbox, done["jobId"])
    assert again.status_code == 409
    assert "already" in again.json()["error"].lower()
    event = sandbox.events.since(0, platform="uphunt")[-1].envelope()
    assert event["event"] == "application.applied"
    assert event["data"]["queueId"] == queue_id
    assert event["deliveryId"].startswith("dlv_")
    assert event["data"]["creditsRemaining"] == 49


@pytest.mark.parametrize("state", TERMINAL[1:])
async def test_forced_failures_refund_the_credit(
    http: httpx.AsyncClient, fast_sandbox: Sandbox, state: str
) -> None:
    sandbox = fast_sandbox
    r = await apply(http, sandbox, ciphers(sandbox, 1)[0], f"Hello [[sim:{state}]]")
    done = await terminal(http, sandbox, r.json()["queueId"])
    assert done["applicationStatus"] == state
    assert isinstance(done["errorMessage"], str)
    assert done["errorMessage"]
    assert done["appliedAt"] is None
    assert isinstance(done["processedAt"], int)
    assert sandbox.uphunt.credits_remaining == 50
    event = sandbox.events.since(0, platform="uphunt")[-1].envelope()
    assert event["event"] == "application.failed"
    assert event["data"]["applicationStatus"] == state
    # Only processing/applied block a new attempt (§2.7).
    assert (await apply(http, sandbox, done["jobId"], "[[sim:applied]] retry")).status_code == 200


async def test_closed_job_ends_not_available(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    cipher = ciphers(fast_sandbox, 1)[0]
    r = await apply(http, fast_sandbox, cipher, "[[sim:applied]] Hi")
    fast_sandbox.close_job(cipher)
    done = await terminal(http, fast_sandbox, r.json()["queueId"])
    assert done["applicationStatus"] == "not_available"


async def test_many_applications_reach_terminal_states(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    queue_ids = [(await apply(http, sandbox, c)).json()["queueId"] for c in ciphers(sandbox, 12)]
    finals = await asyncio.gather(*(terminal(http, sandbox, q) for q in queue_ids))
    assert all(f["applicationStatus"] in TERMINAL for f in finals)
    applied = sum(f["applicationStatus"] == "applied" for f in finals)
    assert sandbox.uphunt.credits == 50 - applied
    assert sandbox.uphunt.reserved == 0


async def test_applied_jobs_list(http: httpx.AsyncClient, fast_sandbox: Sandbox) -> None:
    sandbox = fast_sandbox
    first, second, third = ciphers(sandbox, 3)
    ids = [
        (await apply(http, sandbox, first, "[[sim:applied]] a")).json()["queueId"],
        (await apply(http, sandbox, second, "[[sim:not_eligible]] b")).json()["queueId"],
        (await apply(http, sandbox, third, "[[sim:applied]] c")).json()["queueId"],
    ]
    for queue_id in ids:
        await terminal(http, sandbox, queue_id)
    url = f"{base(sandbox)}/api/auto-apply-v2/applied-jobs"
    body = (await http.get(url, headers=auth(sandbox), params={"limit": 2, "offset": 0})).json()
    assert body["total"] == 3
    assert body["limit"] == 2
    assert body["offset"] == 0
    assert [j["queueId"] for j in body["jobs"]] == [ids[2], ids[1]]  # newest first
    job = body["jobs"][0]
    assert job["jobId"] == third
    assert isinstance(job["title"], str)
    assert job["coverLetter"] == "[[sim:applied]] c"
    body = (await http.get(url, headers=auth(sandbox), params={"status": "applied"})).json()
    assert body["total"] == 2
    assert {j["applicationStatus"] for j in body["jobs"]} == {"applied"}
    assert (await http.get(url, headers=auth(sandbox), params={"status": "won"})).status_code == 400
    assert (await http.get(url, headers=auth(sandbox), params={"limit": "x"})).status_code == 400


# -- freelancers and data endpoints --------------------------------------------------------


async def test_freelancers_and_legacy_alias(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/api/auto-apply-v2/freelancers", headers=auth(sandbox))
    body = r.json()
    assert len(body["freelancers"]) == 3
    profile_ids = []
    for person in body["freelancers"]:
        assert {
            "id",
            "name",
            "title",
            "hourlyRate",
            "currency",
            "isBusinessDeveloper",
            "profiles",
        } <= set(person)
        kinds = [p["type"] for p in person["profiles"]]
        assert kinds[0] == "default"
        assert set(kinds) <= {"default", "specialized"}
        for profile in person["profiles"]:
            assert isinstance(profile["hourlyRate"], int | float)
            assert profile["title"]
            profile_ids.append(profile["profileId"])
    assert len(profile_ids) == len(set(profile_ids))
    assert body["defaultProfileId"] in profile_ids
    legacy = await http.get(
        f"{base(sandbox)}/api/auto-apply/external/freelancers", headers=auth(sandbox)
    )
    assert legacy.json() == body
    specialized = body["freelancers"][1]["profiles"][1]["profileId"]
    applied = await apply(http, sandbox, ciphers(sandbox, 1)[0], profileId=specialized)
    assert applied.status_code == 200


async def test_job_by_ciphertext(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cipher = ciphers(sandbox, 1)[0]
    r = await http.get(
        f"{base(sandbox)}/api/jobs/by-ciphertext?cipher={cipher}", headers=auth(sandbox)
    )
    assert r.status_code == 200
    body = r.json()
    assert body["ciphertext"] == cipher
    assert isinstance(body["lastSyncedAt"], int)
    pub = body["jobDetailsResponse"]["data"]["jobPubDetails"]
    gigradar_job = next(
        o.job.data for o in sandbox.gigradar.opportunities.values() if o.job.ciphertext == cipher
    )
    assert {k: v for k, v in pub.items() if k != "buyer"} == gigradar_job  # the same Job shape
    company = body["authJobDetailsResponse"]["data"]["jobAuthDetails"]["buyer"]["info"]["company"]
    assert company["companyId"] == pub["buyer"]["company"]["companyId"]
    missing = await http.get(
        f"{base(sandbox)}/api/jobs/by-ciphertext?cipher=~01000000000000000000",
        headers=auth(sandbox),
    )
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    sandbox.close_job(cipher)
    r = await http.get(
        f"{base(sandbox)}/api/jobs/by-ciphertext?cipher={cipher}", headers=auth(sandbox)
    )
    assert r.json()["jobDetailsResponse"]["data"]["jobPubDetails"]["status"] == "closed"


async def test_uphunt_scrapes_more_than_gigradar(sandbox: Sandbox) -> None:
    gigradar_jobs = {o.job.ciphertext for o in sandbox.gigradar.opportunities.values()}
    assert len(sandbox.universe.jobs) >= len(gigradar_jobs) + 20
    assert all(CIPHERTEXT.match(c) for c in sandbox.universe.jobs)


async def test_client_jobs(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cipher = ciphers(sandbox, 1)[0]
    job = await http.get(
        f"{base(sandbox)}/api/jobs/by-ciphertext?cipher={cipher}", headers=auth(sandbox)
    )
    company_id = job.json()["authJobDetailsResponse"]["data"]["jobAuthDetails"]["buyer"]["info"][
        "company"
    ]["companyId"]
    r = await http.get(f"{base(sandbox)}/api/clients/{company_id}/jobs", headers=auth(sandbox))
    assert r.status_code == 200
    body = r.json()
    assert body["companyId"] == company_id
    assert isinstance(body["lastSyncedAt"], int)
    buyer = body["buyer"]
    assert buyer["company"]["companyId"] == company_id
    assert is_iso(buyer["company"]["contractDate"])
    assert len(buyer["location"]["country"]) == 3  # ISO-3 on the data endpoints
    assert 0 <= buyer["stats"]["score"] <= 5
    assert "amount" in buyer["stats"]["totalCharges"]
    assert buyer["phoneVerificationStatus"]["status"] in ("VERIFIED", "NOT_VERIFIED")
    assert cipher in body["archivedCiphers"]
    assert any(
        j["ciphertext"] == cipher and j["type"] in ("FIXED", "HOURLY") for j in body["openJobs"]
    )
    assert isinstance(body["workHistory"], list)
    missing = await http.get(f"{base(sandbox)}/api/clients/123/jobs", headers=auth(sandbox))
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


async def test_generate_proposal(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    url = f"{base(sandbox)}/api/auto-apply-v2/generate-proposal"
    r = await http.post(
        url, headers=auth(sandbox), json={"jobId": ciphers(sandbox, 1)[0], "reasoningEffort": "low"}
    )
    assert r.status_code == 200
    assert len(r.json()["proposal"]) > 80
    r = await http.post(
        url, headers=auth(sandbox), json={"jobTitle": "Fix my app", "jobDescription": "It crashes"}
    )
    assert r.status_code == 200
    r = await http.post(url, headers=auth(sandbox), json={})
    assert r.status_code == 400
