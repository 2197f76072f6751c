"""GigRadar Public API contract: seed 000 and platform-apis.md §1, checked over raw HTTP.

Requests copy the seed's curl examples (`X-API-Key`, `?scannerId=`, the application body
with `coverLetter`, `bid`, `questions`, `scheduledAt`) against the sandbox base URL.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox
from tests.contract.util import (
    CIPHERTEXT,
    NUMERIC,
    OBJECT_ID,
    UUID,
    eventually,
    is_iso,
    is_number,
    iso_seconds,
)
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.contract

RATE_HEADERS = (
    "X-RateLimit-Limit-Minute",
    "X-RateLimit-Remaining-Minute",
    "X-RateLimit-Limit-Day",
    "X-RateLimit-Remaining-Day",
    "X-RateLimit-Reset-Minute",
    "X-RateLimit-Reset-Day",
)


def base(sandbox: Sandbox) -> str:
    return sandbox.info.gigradar.base_url


def auth(sandbox: Sandbox) -> dict[str, str]:
    return {"X-API-Key": sandbox.info.gigradar.api_key, "Content-Type": "application/json"}


def now_iso(offset: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.%f")[
        :-3
    ] + "Z"


async def all_opportunities(http: httpx.AsyncClient, sandbox: Sandbox) -> list[dict[str, Any]]:
    r = await http.get(f"{base(sandbox)}/opportunities?limit=100", headers=auth(sandbox))
    assert r.status_code == 200
    return list(r.json()["items"])


async def pick(
    http: httpx.AsyncClient, sandbox: Sandbox, *, questions: bool = False, skip: int = 0
) -> dict[str, Any]:
    """An opportunity without an application, with or without screening questions."""
    found = [
        o
        for o in await all_opportunities(http, sandbox)
        if o["application"] is None and bool(o["job"]["questions"]) == questions
    ]
    return found[skip]


def app_url(sandbox: Sandbox, opp: dict[str, Any], suffix: str = "/application") -> str:
    return f"{base(sandbox)}/opportunities/{opp['id']}{suffix}?scannerId={opp['scannerId']}"


def opp_url(sandbox: Sandbox, opp: dict[str, Any]) -> str:
    return f"{base(sandbox)}/opportunities/{opp['id']}?scannerId={opp['scannerId']}"


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["statusCode"] == status
    assert body["error"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["requestId"] == r.headers["X-GigRadar-Request-Id"]
    return dict(body)


# -- auth, request id, rate limits ---------------------------------------------------------


async def test_good_key_is_accepted(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(
        f"{base(sandbox)}/scanners", headers={"X-API-Key": sandbox.info.gigradar.api_key}
    )
    assert r.status_code == 200
    assert sandbox.info.gigradar.api_key.startswith("gr_live_")


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "gr_live_not_a_real_key"}])
async def test_missing_or_wrong_key_is_401_with_error_body(
    http: httpx.AsyncClient, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    r = await http.get(f"{base(sandbox)}/scanners", headers=headers)
    assert_error(r, 401, "UNAUTHORIZED")


async def test_bearer_auth_is_not_gigradars_scheme(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    # platform-apis.md §1.2: a third-party script's `Authorization: Bearer` is not the API.
    key = sandbox.info.gigradar.api_key
    r = await http.get(f"{base(sandbox)}/scanners", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401


async def test_request_id_is_generated_or_echoed(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
    assert UUID.match(r.headers["X-GigRadar-Request-Id"])
    mine = {**auth(sandbox), "X-GigRadar-Request-Id": "support-ticket-42"}
    r = await http.get(f"{base(sandbox)}/scanners", headers=mine)
    assert r.headers["X-GigRadar-Request-Id"] == "support-ticket-42"
    r = await http.get(f"{base(sandbox)}/opportunities/{'0' * 24}?scannerId=x", headers=mine)
    assert assert_error(r, 404, "NOT_FOUND")["requestId"] == "support-ticket-42"


async def test_rate_limit_headers_present_and_decreasing(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    seen = []
    for _ in range(3):
        r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
        assert all(h in r.headers for h in RATE_HEADERS), r.headers
        seen.append(r.headers)
    assert [int(h["X-RateLimit-Limit-Minute"]) for h in seen] == [30, 30, 30]
    assert [int(h["X-RateLimit-Limit-Day"]) for h in seen] == [1000, 1000, 1000]
    assert [int(h["X-RateLimit-Remaining-Minute"]) for h in seen] == [29, 28, 27]
    assert [int(h["X-RateLimit-Remaining-Day"]) for h in seen] == [999, 998, 997]
    now = time.time()
    reset_minute = int(seen[-1]["X-RateLimit-Reset-Minute"])
    reset_day = int(seen[-1]["X-RateLimit-Reset-Day"])
    assert now < reset_minute <= now + 61
    assert now + 86_000 < reset_day <= now + 86_401


async def test_429_with_retry_after_past_the_minute_budget(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(gigradar_per_minute=3)
    for _ in range(3):
        assert (
            await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
        ).status_code == 200
    r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
    assert_error(r, 429, "RATE_LIMITED")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert "X-GigRadar-Request-Id" in r.headers


async def test_429_past_the_day_budget_waits_for_the_day(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(gigradar_per_day=2)
    for _ in range(2):
        assert (
            await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
        ).status_code == 200
    r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) > 86_000
    assert r.headers["X-RateLimit-Remaining-Day"] == "0"


async def test_minute_window_is_compressed_by_speed(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(speed=60, gigradar_per_minute=2)  # a "minute" = 1 s
    for _ in range(2):
        assert (
            await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
        ).status_code == 200
    r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert int(r.headers["X-RateLimit-Reset-Minute"]) <= time.time() + 2
    await eventually(
        lambda: _status_is(http, f"{base(sandbox)}/scanners", auth(sandbox), 200), within=3
    )


async def _status_is(http: httpx.AsyncClient, url: str, headers: dict[str, str], code: int) -> bool:
    return (await http.get(url, headers=headers)).status_code == code


# -- scanners ------------------------------------------------------------------------------


async def test_scanner_list_and_item(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/scanners", headers=auth(sandbox))
    body = r.json()
    assert set(body) == {"items", "nextCursor", "total"}
    assert body["nextCursor"] is None
    assert body["total"] == len(body["items"]) == 3
    for position, scanner in enumerate(body["items"], start=1):
        assert OBJECT_ID.match(scanner["id"])
        assert isinstance(scanner["name"], str)
        assert scanner["name"]
        assert isinstance(scanner["query"], dict)
        assert scanner["query"]["q"]
        assert scanner["autoBidder"] == {"enabled": False}
        assert scanner["position"] == position
        assert isinstance(scanner["avgMonthlyMatches"], int)
        assert is_iso(scanner["lastScan"])
    one = body["items"][1]
    r = await http.get(f"{base(sandbox)}/scanners/{one['id']}", headers=auth(sandbox))
    assert r.status_code == 200
    assert r.json() == one
    r = await http.get(f"{base(sandbox)}/scanners/{'f' * 24}", headers=auth(sandbox))
    assert_error(r, 404, "NOT_FOUND")


# -- opportunities -------------------------------------------------------------------------


def assert_job_shape(job: dict[str, Any]) -> None:
    assert CIPHERTEXT.match(job["ciphertext"])
    assert isinstance(job["title"], str)
    assert isinstance(job["description"], str)
    assert job["description"].count("\n\n") >= 2  # multi-paragraph
    assert is_iso(job["createdOn"])
    assert is_iso(job["publishTime"])
    assert job["duration"] in (
        "Less than 1 month",
        "1 to 3 months",
        "3 to 6 months",
        "More than 6 months",
    )
    assert job["experienceLevel"] in ("Entry", "Intermediate", "Expert")
    assert job["connectsPrice"] in (2, 4, 6, 8, 12, 16)
    assert isinstance(job["categoryName"], str)
    assert isinstance(job["subCategoryName"], str)
    assert 3 <= len(job["skills"]) <= 8
    assert all(set(s) == {"name", "uid"} and NUMERIC.match(s["uid"]) for s in job["skills"])
    assert all(
        isinstance(q["question"], str) and isinstance(q["position"], int) for q in job["questions"]
    )
    budget = job["budget"]
    assert budget["type"] in (1, 2)
    if budget["type"] == 1:
        assert is_number(budget["fixed"])
        assert 50 <= budget["fixed"] <= 15_000
    elif budget["hourlyMin"] is not None:
        assert 10 <= budget["hourlyMin"] <= budget["hourlyMax"] <= 150
    client = job["client"]
    assert isinstance(client["paymentVerified"], bool)
    assert set(client["location"]) == {"country", "city", "timezone"}
    stats = client["stats"]
    assert 0 <= stats["feedbackScore"] <= 5
    assert 0 <= stats["hireRate"] <= 1
    assert 0 <= stats["totalSpent"] <= 500_000
    for name in ("totalHires", "totalHiresActive", "jobsPostedCount"):
        assert isinstance(stats[name], int)
    assert is_number(stats["averageHourlyRatePaid"])
    assert set(client["company"]) >= {"industry", "size", "isEnterprise"}
    assert job["status"] in ("open", "closed")


async def test_opportunity_list_shape_and_order(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/opportunities", headers=auth(sandbox))
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"items", "nextCursor", "total"}
    assert body["total"] == 40
    assert len(body["items"]) == 40
    assert body["nextCursor"] is None
    detected = [iso_seconds(o["detected"]) for o in body["items"]]
    assert detected == sorted(detected, reverse=True)
    for opp in body["items"]:
        assert OBJECT_ID.match(opp["id"])
        assert OBJECT_ID.match(opp["scannerId"])
        assert OBJECT_ID.match(opp["teamId"])
        assert isinstance(opp["teamName"], str)
        assert opp["jobId"] == opp["job"]["ciphertext"]
        assert NUMERIC.match(opp["jobUid"])
        assert 18 <= len(opp["jobUid"]) <= 19
        assert opp["title"] == opp["job"]["title"]
        assert is_iso(opp["published"])
        assert is_iso(opp["detected"])
        assert 0 <= opp["score"] <= 100
        assert isinstance(opp["qualification"]["qualified"], bool)
        assert isinstance(opp["qualification"]["reasoning"], str)
        assert opp["irrelevant"] is False
        assert opp["application"] is None
        assert_job_shape(opp["job"])


async def test_opportunity_pages_with_an_opaque_cursor(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    seen: list[str] = []
    url = f"{base(sandbox)}/opportunities?limit=15"
    while url:
        body = (await http.get(url, headers=auth(sandbox))).json()
        assert body["total"] == 40
        seen += [o["id"] for o in body["items"]]
        cursor = body["nextCursor"]
        url = f"{base(sandbox)}/opportunities?limit=15&cursor={cursor}" if cursor else ""
    assert len(seen) == len(set(seen)) == 40


@pytest.mark.parametrize(
    "query",
    [
        "limit=101",
        "limit=0",
        "limit=ten",
        "cursor=%%%",
        "state=sent-ish",
        "from=yesterday",
        "hasApplication=maybe",
    ],
)
async def test_opportunity_list_rejects_bad_queries(
    http: httpx.AsyncClient, sandbox: Sandbox, query: str
) -> None:
    r = await http.get(f"{base(sandbox)}/opportunities?{query}", headers=auth(sandbox))
    assert_error(r, 400, "VALIDATION_ERROR")


async def test_opportunity_list_filters(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    everything = await all_opportunities(http, sandbox)
    scanner = everything[0]["scannerId"]
    r = await http.get(f"{base(sandbox)}/opportunities?scannerId={scanner}", headers=auth(sandbox))
    body = r.json()
    assert body["items"]
    assert all(o["scannerId"] == scanner for o in body["items"])
    assert body["total"] == sum(1 for o in everything if o["scannerId"] == scanner)
    target = everything[3]
    r = await http.post(app_url(sandbox, target), headers=auth(sandbox), json=answers_for(target))
    assert r.status_code == 201
    r = await http.get(f"{base(sandbox)}/opportunities?hasApplication=true", headers=auth(sandbox))
    assert [o["id"] for o in r.json()["items"]] == [target["id"]]
    r = await http.get(f"{base(sandbox)}/opportunities?state=unscheduled", headers=auth(sandbox))
    assert [o["id"] for o in r.json()["items"]] == [target["id"]]
    r = await http.get(f"{base(sandbox)}/opportunities?hasApplication=false", headers=auth(sandbox))
    assert r.json()["total"] == 39
    middle = iso_seconds(everything[20]["detected"])
    since = datetime.fromtimestamp(middle, UTC).isoformat()
    r = await http.get(
        f"{base(sandbox)}/opportunities", headers=auth(sandbox), params={"from": since}
    )
    assert all(iso_seconds(o["detected"]) >= middle for o in r.json()["items"])
    assert r.json()["total"] == sum(1 for o in everything if iso_seconds(o["detected"]) >= middle)


async def test_get_opportunity_needs_its_scanner(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    opp = (await all_opportunities(http, sandbox))[0]
    r = await http.get(opp_url(sandbox, opp), headers=auth(sandbox))
    assert r.status_code == 200
    assert r.json()["id"] == opp["id"]
    r = await http.get(f"{base(sandbox)}/opportunities/{opp['id']}", headers=auth(sandbox))
    assert_error(r, 400, "VALIDATION_ERROR")
    other = next(s for s in sandbox.gigradar.scanners if s != opp["scannerId"])
    r = await http.get(
        f"{base(sandbox)}/opportunities/{opp['id']}?scannerId={other}", headers=auth(sandbox)
    )
    assert_error(r, 404, "NOT_FOUND")


# -- applications --------------------------------------------------------------------------


def answers_for(
    opp: dict[str, Any], cover: str = "I am interested in this position."
) -> dict[str, Any]:
    return {
        "coverLetter": cover,
        "bid": {"type": "hourly", "amount": None},
        "questions": [
            {"question": q["question"], "answer": "Yes, in production for three years."}
            for q in opp["job"]["questions"]
        ],
        "scheduledAt": None,
    }


async def test_create_application_with_the_seed_body(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    opp = await pick(http, sandbox)
    body = {
        "coverLetter": "I am interested in this position.",
        "bid": {"type": "hourly", "amount": None},
        "questions": [],
        "scheduledAt": None,
    }
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), content=json.dumps(body))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["id"] == opp["id"]
    assert created["job"]["ciphertext"] == opp["jobId"]
    app = created["application"]
    assert app["coverLetter"] == "I am interested in this position."
    assert app["bid"] == {"type": "hourly", "amount": None}
    assert app["questions"] == []
    assert app["scheduledAt"] is None
    assert app["sent"] is None
    assert app["proposalId"] is None
    assert app["error"] is False
    assert app["errorCode"] is None
    assert app["errorMessage"] is None
    assert all(h in r.headers for h in RATE_HEADERS)
    # Polling (seed step 5) shows the same stored application.
    polled = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()
    assert polled["application"] == app


async def test_second_application_is_409(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    opp = await pick(http, sandbox)
    assert (
        await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=answers_for(opp))
    ).status_code == 201
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=answers_for(opp))
    assert_error(r, 409, "APPLICATION_EXISTS")
    assert sandbox.gigradar.opportunities[opp["id"]].applications_created == 1


@pytest.mark.parametrize(
    "change",
    [
        {"coverLetter": None},
        {"coverLetter": "   "},
        {"coverLetter": "x" * 5001},
        {"bid": {"type": "fixed", "amount": None}},
        {"bid": {"type": "weekly", "amount": 10}},
        {"bid": {"type": "hourly", "amount": "40"}},
        {"bid": "hourly"},
        {"questions": "none"},
        {"scheduledAt": "tomorrow at noon"},
        {"scheduledAt": 1730000000},
    ],
)
async def test_invalid_application_is_400_and_creates_nothing(
    http: httpx.AsyncClient, sandbox: Sandbox, change: dict[str, Any]
) -> None:
    opp = await pick(http, sandbox)
    body = {**answers_for(opp), **change}
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert sandbox.gigradar.opportunities[opp["id"]].application is None


async def test_non_json_body_is_400(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    opp = await pick(http, sandbox)
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), content=b"coverLetter=hi")
    assert_error(r, 400, "VALIDATION_ERROR")


async def test_fixed_bid_with_amount_and_5000_char_letter(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    opp = await pick(http, sandbox)
    body = {**answers_for(opp, "y" * 5000), "bid": {"type": "fixed", "amount": 1200}}
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    assert r.status_code == 201
    assert r.json()["application"]["bid"] == {"type": "fixed", "amount": 1200}


async def test_screening_questions_must_be_answered(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    opp = await pick(http, sandbox, questions=True)
    unanswered = {**answers_for(opp), "questions": []}
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=unanswered)
    assert_error(r, 400, "VALIDATION_ERROR")
    blank = answers_for(opp)
    blank["questions"][-1]["answer"] = ""
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=blank)
    assert_error(r, 400, "VALIDATION_ERROR")
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=answers_for(opp))
    assert r.status_code == 201
    stored = r.json()["application"]["questions"]
    assert [q["question"] for q in stored] == [q["question"] for q in opp["job"]["questions"]]


async def test_unknown_opportunity_is_404(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    scanner = next(iter(sandbox.gigradar.scanners))
    url = f"{base(sandbox)}/opportunities/{'a' * 24}/application?scannerId={scanner}"
    r = await http.post(url, headers=auth(sandbox), json={"coverLetter": "Hello"})
    assert_error(r, 404, "NOT_FOUND")


# -- scheduledAt and the send lifecycle -----------------------------------------------------


async def test_null_scheduled_at_means_unscheduled_never_sent(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    opp = await pick(http, sandbox)
    r = await http.post(
        app_url(sandbox, opp), headers=auth(sandbox), json=answers_for(opp, "[[sim:sent]] Hi")
    )
    assert r.status_code == 201
    # Three times the longest send latency, on the sandbox's own clock; the read below
    # brings the sandbox up to date before it answers.
    await sandbox_time_passes(sandbox, 180)
    app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
    assert app["scheduledAt"] is None
    assert app["sent"] is None
    assert app["error"] is False


async def test_scheduled_now_is_sent_with_a_proposal_id(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    opp = await pick(http, sandbox)
    scheduled = now_iso()
    body = {**answers_for(opp, "[[sim:sent]] Hello, I built this twice."), "scheduledAt": scheduled}
    r = await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    assert r.status_code == 201
    assert iso_seconds(r.json()["application"]["scheduledAt"]) == pytest.approx(
        iso_seconds(scheduled), abs=0.01
    )

    async def sent() -> dict[str, Any] | None:
        app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
        return app if app["sent"] else None

    app = await eventually(sent)
    assert NUMERIC.match(app["proposalId"])
    assert len(app["proposalId"]) == 19
    assert iso_seconds(app["sent"]) >= iso_seconds(scheduled)
    assert app["error"] is False
    assert app["proposal"]["status"] == "SUBMITTED"
    assert app["proposal"]["statusCode"] == 2
    assert app["proposal"]["connectsExpended"] == opp["job"]["connectsPrice"]


async def test_future_schedule_waits_for_its_time(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    opp = await pick(http, sandbox)
    scheduled = now_iso(3.0)  # absolute wall time: not compressed by speed
    body = {**answers_for(opp, "[[sim:sent]] Hi"), "scheduledAt": scheduled}
    assert (
        await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    ).status_code == 201
    # Past the longest send latency (60 sandbox seconds), well before its time: a send
    # that ignored scheduledAt would show now.
    await sandbox_time_passes(sandbox, 90)
    r = await http.get(f"{base(sandbox)}/opportunities?state=scheduled", headers=auth(sandbox))
    assert time.time() < iso_seconds(scheduled), "the machine is too slow to tell"
    assert [o["id"] for o in r.json()["items"]] == [opp["id"]]

    async def sent() -> str | None:
        app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
        return app["sent"]

    assert iso_seconds(await eventually(sent)) >= iso_seconds(scheduled)


async def test_patch_schedule_sends_an_unscheduled_application(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    opp = await pick(http, sandbox)
    url = app_url(sandbox, opp, "/application/schedule")
    r = await http.patch(url, headers=auth(sandbox), json={"scheduledAt": now_iso()})
    assert_error(r, 404, "NOT_FOUND")  # no application yet
    await http.post(
        app_url(sandbox, opp), headers=auth(sandbox), json=answers_for(opp, "[[sim:sent]] Hi")
    )
    r = await http.patch(url, headers=auth(sandbox), json={})
    assert_error(r, 400, "VALIDATION_ERROR")
    r = await http.patch(url, headers=auth(sandbox), json={"scheduledAt": "soon"})
    assert_error(r, 400, "VALIDATION_ERROR")
    r = await http.patch(url, headers=auth(sandbox), json={"scheduledAt": now_iso()})
    assert r.status_code == 200
    assert r.json()["application"]["scheduledAt"] is not None

    async def sent() -> bool:
        app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
        return bool(app["sent"])

    await eventually(sent)
    r = await http.patch(url, headers=auth(sandbox), json={"scheduledAt": now_iso()})
    assert_error(r, 409, "APPLICATION_EXISTS")


async def test_patch_schedule_null_unschedules(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    opp = await pick(http, sandbox)
    body = {**answers_for(opp), "scheduledAt": now_iso(3600)}
    await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    r = await http.patch(
        app_url(sandbox, opp, "/application/schedule"),
        headers=auth(sandbox),
        json={"scheduledAt": None},
    )
    assert r.status_code == 200
    assert r.json()["application"]["scheduledAt"] is None


async def _send_and_wait(
    http: httpx.AsyncClient, sandbox: Sandbox, opp: dict[str, Any], cover: str
) -> dict[str, Any]:
    body = {**answers_for(opp, cover), "scheduledAt": now_iso()}
    assert (
        await http.post(app_url(sandbox, opp), headers=auth(sandbox), json=body)
    ).status_code == 201

    async def done() -> dict[str, Any] | None:
        app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
        return app if app["sent"] or app["error"] else None

    return dict(await eventually(done))


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (9012, "ProposalAlreadySent"),
        (234, "OutsideScheduledHours"),
        (2006, "ContractorLocationMismatchPreferred"),
        (2020, "JobInterviewRequired"),
    ],
)
async def test_forced_send_errors(
    http: httpx.AsyncClient, fast_sandbox: Sandbox, code: int, name: str
) -> None:
    opp = await pick(http, fast_sandbox)
    app = await _send_and_wait(http, fast_sandbox, opp, f"Hello [[sim:error:{code}]]")
    assert app["error"] is True
    assert app["sent"] is None
    assert app["proposalId"] is None
    assert app["errorCode"] == code
    assert name in app["errorMessage"]
    r = await http.get(
        f"{base(fast_sandbox)}/opportunities?state=error", headers=auth(fast_sandbox)
    )
    assert [o["id"] for o in r.json()["items"]] == [opp["id"]]


async def test_retryable_234_can_be_rescheduled_others_cannot(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    retryable = await pick(http, sandbox)
    app = await _send_and_wait(http, sandbox, retryable, "Hi [[sim:error:234]]")
    assert app["errorCode"] == 234
    url = app_url(sandbox, retryable, "/application/schedule")
    r = await http.patch(url, headers=auth(sandbox), json={"scheduledAt": now_iso(3600)})
    assert r.status_code == 200
    cleared = r.json()["application"]
    assert cleared["error"] is False
    assert cleared["errorCode"] is None
    assert cleared["errorMessage"] is None
    final = await pick(http, sandbox)
    await _send_and_wait(http, sandbox, final, "Hi [[sim:error:2006]]")
    r = await http.patch(
        app_url(sandbox, final, "/application/schedule"),
        headers=auth(sandbox),
        json={"scheduledAt": now_iso()},
    )
    assert_error(r, 409, "APPLICATION_EXISTS")


async def test_closed_job_fails_the_send(http: httpx.AsyncClient, fast_sandbox: Sandbox) -> None:
    opp = await pick(http, fast_sandbox)
    fast_sandbox.close_job(opp["jobId"])
    app = await _send_and_wait(http, fast_sandbox, opp, "[[sim:sent]] Hi")  # closed wins
    assert app["error"] is True
    assert app["errorCode"] == "JOB_CLOSED"
    polled = (await http.get(opp_url(fast_sandbox, opp), headers=auth(fast_sandbox))).json()
    assert polled["job"]["status"] == "closed"


async def test_proposal_status_evolves_to_forced_outcome(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(speed=6000)
    opp = await pick(http, sandbox)
    await _send_and_wait(http, sandbox, opp, "[[sim:sent]] [[sim:outcome:OFFER_WON]] Hi")

    async def won() -> dict[str, Any] | None:
        app = (await http.get(opp_url(sandbox, opp), headers=auth(sandbox))).json()["application"]
        return app["proposal"] if app["proposal"]["status"] == "OFFER_WON" else None

    proposal = await eventually(won)
    assert proposal["statusCode"] == 9
    assert proposal["replied"] is True
    assert is_iso(proposal["updatedAt"])
    statuses = [
        e.data["proposal"]["status"]
        for e in sandbox.events.since(0, type_="GIGRADAR.PROPOSAL.UPDATE")
        if e.data["id"] == opp["id"]
    ]
    assert statuses == ["SUBMITTED", "ACTIVE", "OFFER_WON"]


async def test_job_closing_moves_a_sent_proposal_to_job_closed(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    opp = await pick(http, fast_sandbox)
    await _send_and_wait(http, fast_sandbox, opp, "[[sim:sent]] [[sim:outcome:SUBMITTED]] Hi")
    fast_sandbox.close_job(opp["jobId"])
    app = (await http.get(opp_url(fast_sandbox, opp), headers=auth(fast_sandbox))).json()[
        "application"
    ]
    assert app["proposal"]["status"] == "JOB_CLOSED"
    assert app["proposal"]["statusCode"] == 8


# -- webhooks ------------------------------------------------------------------------------


async def test_webhook_subscription_crud_with_the_seed_body(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    seed_body = """{
"url": "https://your-server.com/webhooks/gigradar",
"scopes": ["GIGRADAR.OPPORTUNITY.CREATE"],
"auth": {
"username": "webhook_user",
"password": "secure_password_123"
}
}"""
    r = await http.post(f"{base(sandbox)}/webhooks", headers=auth(sandbox), content=seed_body)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert "secure_password_123" not in r.text
    assert OBJECT_ID.match(hook["id"])
    assert hook["url"] == "https://your-server.com/webhooks/gigradar"
    assert hook["scopes"] == ["GIGRADAR.OPPORTUNITY.CREATE"]
    assert hook["enabled"] is True
    assert hook["hasAuth"] is True
    assert is_iso(hook["createdAt"])
    listed = await http.get(f"{base(sandbox)}/webhooks", headers=auth(sandbox))
    assert [h["id"] for h in listed.json()["items"]] == [hook["id"]]
    assert "secure_password_123" not in listed.text
    one = await http.get(f"{base(sandbox)}/webhooks/{hook['id']}", headers=auth(sandbox))
    assert one.status_code == 200
    assert one.json()["id"] == hook["id"]
    assert sandbox.gigradar.webhooks[hook["id"]].password == "secure_password_123"
    gone = await http.delete(f"{base(sandbox)}/webhooks/{hook['id']}", headers=auth(sandbox))
    assert gone.status_code == 204
    r = await http.get(f"{base(sandbox)}/webhooks/{hook['id']}", headers=auth(sandbox))
    assert_error(r, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "http://127.0.0.1:9999/hook", "scopes": ["GIGRADAR.PROPOSAL.UPDATE"]}, 201),
        ({"url": "http://example.com/hook", "scopes": ["GIGRADAR.PROPOSAL.UPDATE"]}, 400),
        ({"url": "https://example.com/hook", "scopes": ["GIGRADAR.SOMETHING"]}, 400),
        ({"url": "https://example.com/hook", "scopes": []}, 400),
        ({"scopes": ["GIGRADAR.OPPORTUNITY.CREATE"]}, 400),
        (
            {
                "url": "https://example.com/h",
                "scopes": ["GIGRADAR.OPPORTUNITY.CREATE"],
                "auth": {"username": "u"},
            },
            400,
        ),
    ],
)
async def test_webhook_validation(
    http: httpx.AsyncClient, sandbox: Sandbox, body: dict[str, Any], status: int
) -> None:
    r = await http.post(f"{base(sandbox)}/webhooks", headers=auth(sandbox), json=body)
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["hasAuth"] is False


async def test_events_are_recorded_for_future_webhooks(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    created = sandbox.add_opportunity()
    event = sandbox.events.since(0, type_="GIGRADAR.OPPORTUNITY.CREATE")[-1]
    envelope = event.envelope()
    assert envelope["type"] == "GIGRADAR.OPPORTUNITY.CREATE"
    for field in ("id", "scannerId", "scannerName", "teamId", "teamName", "jobId", "job"):
        assert envelope["data"][field] == created[field]
    r = await http.get(opp_url(sandbox, created), headers=auth(sandbox))
    assert r.status_code == 200
    await _send_and_wait(http, sandbox, created, "[[sim:sent]] [[sim:outcome:SUBMITTED]] Hi")
    update = sandbox.events.since(0, type_="GIGRADAR.PROPOSAL.UPDATE")[-1].envelope()
    data = update["data"]
    assert update["type"] == "GIGRADAR.PROPOSAL.UPDATE"
    assert data["opportunityId"] == created["id"]
    assert data["teamName"]
    assert NUMERIC.match(data["proposalId"])
    assert data["error"] is False
    assert data["proposal"]["status"] == "SUBMITTED"
    assert data["job"]["ciphertext"] == created["jobId"]


async def test_new_opportunities_arrive_over_time(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(speed=3000, arrivals=True)  # one per ~20 ms

    async def grew() -> bool:
        r = await http.get(f"{base(sandbox)}/opportunities?limit=1", headers=auth(sandbox))
        return bool(r.json()["total"] >= 45)

    await eventually(grew, within=5)
    assert sandbox.events.since(0, type_="GIGRADAR.OPPORTUNITY.CREATE")


async def sandbox_time_passes(sandbox: Sandbox, sim_seconds: float) -> None:
    """Until `sim_seconds` of the sandbox's time (its clock, compressed by its speed) have
    passed: the sandbox's state is a function of that clock, so this is its condition."""
    clock = sandbox.clock
    target = clock.monotonic() + clock.real(sim_seconds)
    await wait_for(lambda: clock.monotonic() >= target)
