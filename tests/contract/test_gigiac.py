"""Gigiac REST contract: seed 002 and platform-apis.md §3, checked over raw HTTP.

Covers Bearer auth, the read/write budgets, the error body with `code`, the three list
wrappings, budget fields in both forms, proposal creation with every amount alias and each
documented conflict, withdrawal, the simulated commissioner, credits and the manifest.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox
from tests.contract.util import UUID, eventually, is_iso, is_number

pytestmark = pytest.mark.contract


def base(sandbox: Sandbox) -> str:
    return sandbox.info.gigiac.base_url


def auth(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.info.gigiac.api_key}"}


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["error"]  # truthy: the seed's `true` and the skill's string both read so
    return dict(body)


async def open_tasks(http: httpx.AsyncClient, sandbox: Sandbox) -> list[dict[str, Any]]:
    r = await http.get(f"{base(sandbox)}/api/tasks?limit=100", headers=auth(sandbox))
    return list(r.json()["data"])


async def remote_tasks(http: httpx.AsyncClient, sandbox: Sandbox) -> list[dict[str, Any]]:
    return [t for t in await open_tasks(http, sandbox) if t["location_type"] == "remote"]


async def propose(
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    task_id: str,
    cover: str = "I can do this today.",
    **amount: Any,
) -> httpx.Response:
    body = {"task_id": task_id, "cover_letter": cover, **(amount or {"proposed_amount": 45})}
    return await http.post(f"{base(sandbox)}/api/proposals", headers=auth(sandbox), json=body)


# -- auth, manifest, rate limits -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer gig_wrong"}, {"Authorization": "gig_sandbox_no_scheme"}],
)
async def test_bad_or_missing_bearer_is_401(
    http: httpx.AsyncClient, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    r = await http.get(f"{base(sandbox)}/api/tasks", headers=headers)
    assert_error(r, 401, "UNAUTHORIZED")


async def test_manifest_is_public_and_points_at_the_sandbox(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await http.get(f"{base(sandbox)}/.well-known/gigiac.json")
    assert r.status_code == 200
    manifest = r.json()
    assert manifest["base_url"] == base(sandbox)
    assert manifest["auth"] == {"type": "bearer", "header": "Authorization", "key_prefix": "gig_"}
    assert manifest["rate_limits"] == {"read_per_minute": 120, "write_per_minute": 30}
    routes = {(e["method"], e["path"]) for e in manifest["endpoints"]}
    assert {
        ("GET", "/api/tasks"),
        ("POST", "/api/proposals"),
        ("GET", "/api/tasks/matched"),
    } <= routes
    assert "proposal.accepted" in manifest["webhook_events"]
    assert sandbox.info.gigiac.api_key.startswith("gig_")


async def test_read_and_write_budgets_are_separate(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(gigiac_writes_per_minute=2)
    reads = []
    for _ in range(3):
        r = await http.get(f"{base(sandbox)}/api/credits/balance", headers=auth(sandbox))
        assert r.headers["X-RateLimit-Limit"] == "120"
        reads.append(int(r.headers["X-RateLimit-Remaining"]))
        assert time.time() < int(r.headers["X-RateLimit-Reset"]) <= time.time() + 61
    assert reads == [119, 118, 117]
    tasks = await remote_tasks(http, sandbox)
    for task in tasks[:2]:
        r = await propose(http, sandbox, task["id"])
        assert r.status_code == 201
        assert r.headers["X-RateLimit-Limit"] == "2"
    r = await propose(http, sandbox, tasks[2]["id"])
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert not sandbox.gigiac.proposed_on(tasks[2]["id"])
    assert (await http.get(f"{base(sandbox)}/api/tasks", headers=auth(sandbox))).status_code == 200


# -- list wrappings and task shape ---------------------------------------------------------


def assert_task(task: dict[str, Any]) -> None:
    assert UUID.match(task["id"])
    assert isinstance(task["title"], str)
    assert len(task["title"]) <= 200
    assert isinstance(task["description"], str)
    assert len(task["description"]) <= 5000
    assert re.match(r"^[a-z-]+$", task["category"])
    assert task["budget_type"] in ("fixed", "hourly")
    assert task["payment_method"] in ("credits", "card")
    assert task["status"] in ("open", "in_progress", "delivered", "completed", "cancelled")
    assert is_iso(task["created_at"])
    assert is_iso(task["deadline"])
    assert all(isinstance(s, str) for s in task["required_skills"])
    assert isinstance(task["max_proposals"], int)
    assert task["location_type"] in ("remote", "on_site")
    assert 0 <= task["match_score"] <= 1
    assert UUID.match(task["poster_id"])
    assert isinstance(task["poster_name"], str)
    assert isinstance(task["poster_is_bot"], bool)
    assert "budget_amount" in task or "budget_cents" in task
    if "budget_amount" in task:
        assert re.match(r"^\d+\.\d{2}$", task["budget_amount"])
    if "budget_cents" in task:
        assert isinstance(task["budget_cents"], int)
        assert task["budget_cents"] >= 1000


async def test_task_list_is_data_count_limit_offset(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await http.get(f"{base(sandbox)}/api/tasks", headers=auth(sandbox))
    body = r.json()
    assert set(body) == {"data", "count", "limit", "offset"}
    assert body["count"] == 30
    assert body["limit"] == 20
    assert body["offset"] == 0
    assert len(body["data"]) == 20
    for task in body["data"]:
        assert_task(task)
        assert task["status"] == "open"
    page2 = (
        await http.get(f"{base(sandbox)}/api/tasks?limit=20&offset=20", headers=auth(sandbox))
    ).json()
    ids = [t["id"] for t in body["data"]] + [t["id"] for t in page2["data"]]
    assert len(ids) == len(set(ids)) == 30


async def test_budgets_come_in_both_forms(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    tasks = await open_tasks(http, sandbox)
    only_amount = [t for t in tasks if "budget_amount" in t and "budget_cents" not in t]
    only_cents = [t for t in tasks if "budget_cents" in t and "budget_amount" not in t]
    both = [t for t in tasks if "budget_amount" in t and "budget_cents" in t]
    assert only_amount
    assert only_cents
    assert both
    for task in both:
        assert round(float(task["budget_amount"]) * 100) == task["budget_cents"]
    assert any(t["location_type"] == "on_site" for t in tasks)


async def test_task_filters(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    tasks = await open_tasks(http, sandbox)
    category = tasks[0]["category"]
    r = await http.get(
        f"{base(sandbox)}/api/tasks",
        headers=auth(sandbox),
        params={"category": category, "limit": 100},
    )
    assert r.json()["count"] == sum(t["category"] == category for t in tasks)
    assert all(t["category"] == category for t in r.json()["data"])
    word = tasks[0]["title"].split()[1]
    r = await http.get(f"{base(sandbox)}/api/tasks", headers=auth(sandbox), params={"search": word})
    assert tasks[0]["id"] in [t["id"] for t in r.json()["data"]]
    for bad in ({"limit": "many"}, {"status": "sleeping"}, {"budget_min": "lots"}):
        r = await http.get(f"{base(sandbox)}/api/tasks", headers=auth(sandbox), params=bad)
        assert_error(r, 400, "VALIDATION_ERROR")


async def test_matched_is_tasks_wrapped_best_first_without_proposed(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await http.get(f"{base(sandbox)}/api/tasks/matched?limit=50", headers=auth(sandbox))
    body = r.json()
    assert set(body) == {"tasks"}
    scores = [t["match_score"] for t in body["tasks"]]
    assert scores == sorted(scores, reverse=True)
    best = next(t for t in body["tasks"] if t["location_type"] == "remote")
    assert (await propose(http, sandbox, best["id"])).status_code == 201
    r = await http.get(f"{base(sandbox)}/api/tasks/matched?limit=50", headers=auth(sandbox))
    assert best["id"] not in [t["id"] for t in r.json()["tasks"]]
    default = (await http.get(f"{base(sandbox)}/api/tasks/matched", headers=auth(sandbox))).json()
    assert len(default["tasks"]) == 20


async def test_recommended_is_a_bare_array(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/api/tasks/recommended", headers=auth(sandbox))
    body = r.json()
    assert isinstance(body, list)
    assert body
    for task in body:
        assert_task(task)


async def test_single_task_and_detail(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    task = (await remote_tasks(http, sandbox))[0]
    r = await http.get(f"{base(sandbox)}/api/tasks/{task['id']}", headers=auth(sandbox))
    assert r.json() == {"data": task}
    created = (await propose(http, sandbox, task["id"])).json()["data"]
    r = await http.get(f"{base(sandbox)}/api/tasks/{task['id']}/detail", headers=auth(sandbox))
    detail = r.json()
    assert set(detail) == {"task", "proposals", "deliverables", "ratings"}
    assert detail["task"]["id"] == task["id"]
    assert [p["id"] for p in detail["proposals"]] == [created["id"]]
    assert detail["deliverables"] == []
    assert detail["ratings"] == []
    missing = await http.get(
        f"{base(sandbox)}/api/tasks/00000000-0000-4000-8000-000000000000", headers=auth(sandbox)
    )
    assert_error(missing, 404, "NOT_FOUND")


# -- proposals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ({"proposed_amount": 45}, 45),
        ({"proposed_amount": 45.5}, 45.5),
        ({"amount": "20.00"}, 20),
        ({"bid_amount": 30}, 30),
        ({"proposed_amount": "12.75"}, 12.75),
    ],
)
async def test_create_proposal_with_each_amount_alias(
    http: httpx.AsyncClient, sandbox: Sandbox, amount: dict[str, Any], expected: float
) -> None:
    task = (await remote_tasks(http, sandbox))[0]
    r = await propose(http, sandbox, task["id"], **amount)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"data"}
    proposal = body["data"]
    assert UUID.match(proposal["id"])
    assert proposal["task_id"] == task["id"]
    assert proposal["proposer_id"] == sandbox.gigiac.me["id"]
    assert is_number(proposal["proposed_amount"])
    assert proposal["proposed_amount"] == expected
    assert proposal["cover_letter"] == "I can do this today."
    assert proposal["status"] == "pending"
    assert is_iso(proposal["created_at"])
    listed = await http.get(f"{base(sandbox)}/api/proposals?mine=true", headers=auth(sandbox))
    assert listed.json() == {"proposals": [proposal]}
    by_task = await http.get(
        f"{base(sandbox)}/api/proposals?mine=true&task_id={task['id']}", headers=auth(sandbox)
    )
    assert [p["id"] for p in by_task.json()["proposals"]] == [proposal["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"cover_letter": "Hi", "proposed_amount": 10},
        {"task_id": "TASK", "proposed_amount": 10},
        {"task_id": "TASK", "cover_letter": " ", "proposed_amount": 10},
        {"task_id": "TASK", "cover_letter": "Hi"},
        {"task_id": "TASK", "cover_letter": "Hi", "proposed_amount": "ten"},
        {"task_id": "TASK", "cover_letter": "Hi", "proposed_amount": -5},
        {"task_id": "TASK", "cover_letter": "Hi", "proposed_amount": True},
    ],
)
async def test_invalid_proposal_is_400(
    http: httpx.AsyncClient, sandbox: Sandbox, body: dict[str, Any]
) -> None:
    task = (await remote_tasks(http, sandbox))[0]
    if body.get("task_id") == "TASK":
        body = {**body, "task_id": task["id"]}
    r = await http.post(f"{base(sandbox)}/api/proposals", headers=auth(sandbox), json=body)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert not sandbox.gigiac.proposals


async def test_proposal_conflicts(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    first, second = (await remote_tasks(http, sandbox))[:2]
    r = await propose(http, sandbox, "00000000-0000-4000-8000-000000000000")
    assert_error(r, 404, "NOT_FOUND")
    assert (await propose(http, sandbox, first["id"])).status_code == 201
    assert_error(await propose(http, sandbox, first["id"]), 409, "ALREADY_PROPOSED")
    sandbox.close_task(second["id"])
    assert_error(await propose(http, sandbox, second["id"]), 409, "TASK_NOT_OPEN")
    on_site = sandbox.add_task(location_type="on_site")
    assert_error(await propose(http, sandbox, on_site["id"]), 409, "LOCATION_REQUIRED")


async def test_forced_403_and_402(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    task = (await remote_tasks(http, sandbox))[0]
    r = await propose(http, sandbox, task["id"], "Hi [[sim:STRIPE_CONNECT_REQUIRED]]")
    assert_error(r, 403, "STRIPE_CONNECT_REQUIRED")
    r = await propose(
        http, sandbox, task["id"], "Hi [[sim:INSUFFICIENT_CREDITS]]", proposed_amount=45
    )
    body = assert_error(r, 402, "INSUFFICIENT_CREDITS")
    # The seed's example: "Insufficient credit balance. Required: $45.00, Available: $12.50"
    assert re.fullmatch(
        r"Insufficient credit balance\. Required: \$45\.00, Available: \$[\d,]+\.\d{2}",
        body["message"],
    )
    assert not sandbox.gigiac.proposals


async def test_withdraw_is_idempotent_and_pending_only(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    first, second = (await remote_tasks(http, sandbox))[:2]
    pending = (await propose(http, sandbox, first["id"], "Hi [[sim:reject]]")).json()["data"]
    url = f"{base(sandbox)}/api/proposals/{pending['id']}/withdraw"
    for _ in range(2):
        r = await http.post(url, headers=auth(sandbox))
        assert r.status_code == 200
        assert r.json()["data"]["status"] == "withdrawn"
    accepted = (await propose(http, sandbox, second["id"], "Hi [[sim:accept]]")).json()["data"]

    async def is_accepted() -> bool:
        r = await http.get(
            f"{base(sandbox)}/api/proposals?mine=true&task_id={second['id']}", headers=auth(sandbox)
        )
        return bool(r.json()["proposals"][0]["status"] == "accepted")

    await eventually(is_accepted)
    r = await http.post(
        f"{base(sandbox)}/api/proposals/{accepted['id']}/withdraw", headers=auth(sandbox)
    )
    assert_error(r, 409, "PROPOSAL_NOT_PENDING")
    r = await http.post(f"{base(sandbox)}/api/proposals/nope/withdraw", headers=auth(sandbox))
    assert_error(r, 404, "NOT_FOUND")


async def test_patch_reject_is_the_commissioners(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    task = (await remote_tasks(http, sandbox))[0]
    mine = (await propose(http, sandbox, task["id"])).json()["data"]
    url = f"{base(sandbox)}/api/proposals"
    r = await http.patch(
        url, headers=auth(sandbox), json={"proposal_id": mine["id"], "action": "reject"}
    )
    assert_error(r, 403, "FORBIDDEN")
    r = await http.patch(
        url, headers=auth(sandbox), json={"proposal_id": mine["id"], "action": "ignore"}
    )
    assert_error(r, 400, "VALIDATION_ERROR")
    r = await http.patch(
        url, headers=auth(sandbox), json={"proposal_id": "nope", "action": "reject"}
    )
    assert_error(r, 404, "NOT_FOUND")


async def test_commissioner_accepts_and_rejects(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    sandbox = fast_sandbox
    win, lose = (await remote_tasks(http, sandbox))[:2]
    accepted = (
        await propose(http, sandbox, win["id"], "Ready now [[sim:accept]]", proposed_amount=45)
    ).json()["data"]
    rejected = (await propose(http, sandbox, lose["id"], "Ready now [[sim:reject]]")).json()["data"]

    async def decided() -> dict[str, str] | None:
        r = await http.get(f"{base(sandbox)}/api/proposals?mine=true", headers=auth(sandbox))
        statuses = {p["id"]: p["status"] for p in r.json()["proposals"]}
        return statuses if "pending" not in statuses.values() else None

    statuses = await eventually(decided)
    assert statuses == {accepted["id"]: "accepted", rejected["id"]: "rejected"}
    task = (await http.get(f"{base(sandbox)}/api/tasks/{win['id']}", headers=auth(sandbox))).json()[
        "data"
    ]
    assert task["status"] == "in_progress"
    r = await http.get(f"{base(sandbox)}/api/bots/me/accepted-tasks", headers=auth(sandbox))
    items = r.json()["data"]
    assert [t["id"] for t in items] == [win["id"]]
    assert items[0]["proposal_id"] == accepted["id"]
    events = {e.type: e.envelope() for e in sandbox.events.since(0, platform="gigiac")}
    event = events["proposal.accepted"]
    assert is_iso(event["timestamp"])
    assert event["data"] == {
        "proposal_id": accepted["id"],
        "task_id": win["id"],
        "task_title": win["title"],
        "proposed_amount": 45,
    }
    assert events["proposal.rejected"]["data"]["proposal_id"] == rejected["id"]


async def test_proposals_listing_needs_a_scope(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/api/proposals", headers=auth(sandbox))
    assert_error(r, 400, "VALIDATION_ERROR")
    task = (await open_tasks(http, sandbox))[0]
    r = await http.get(f"{base(sandbox)}/api/proposals?task_id={task['id']}", headers=auth(sandbox))
    assert_error(r, 403, "FORBIDDEN")


# -- credits, events -----------------------------------------------------------------------


async def test_balance_is_the_union_shape(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{base(sandbox)}/api/credits/balance", headers=auth(sandbox))
    body = r.json()
    for name in (
        "balance_cents",
        "available_cents",
        "reserved_cents",
        "total_cents",
        "earnings_balance_cents",
        "lifetime_earned_cents",
        "lifetime_withdrawn_cents",
    ):
        assert isinstance(body[name], int)
    assert body["auto_refill_enabled"] is False
    assert body["available_cents"] == body["balance_cents"] - body["reserved_cents"]


async def test_task_created_and_low_balance_events(sandbox: Sandbox) -> None:
    task = sandbox.add_task(title="Proofread a 2-page cover letter", budget_cents=1500)
    envelope = sandbox.events.since(0, type_="task.created")[-1].envelope()
    assert envelope["event"] == "task.created"
    assert is_iso(envelope["timestamp"])
    assert envelope["data"]["task_id"] == task["id"]
    assert envelope["data"]["budget_cents"] == 1500
    sandbox.gigiac.set_balance(300)
    low = sandbox.events.since(0, type_="credits.low_balance")[-1].envelope()
    assert low["data"] == {"balance_cents": 300, "threshold_cents": 500}


async def test_new_tasks_arrive_over_time(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(speed=5000, arrivals=True)

    async def grew() -> bool:
        r = await http.get(f"{base(sandbox)}/api/tasks?limit=1", headers=auth(sandbox))
        return bool(r.json()["count"] >= 33)

    await eventually(grew, within=5)
