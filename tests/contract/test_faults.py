"""Fault injection: where each kind strikes relative to the handler's side effect.

500/429 strike before the handler (nothing happened), timeout/reset/malformed after it (the
application or proposal exists even though the client saw no good answer).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from app.sandbox import FaultInjector, Sandbox
from tests.contract.conftest import StartSandbox
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.contract


def gr(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    return sandbox.info.gigradar.base_url, {"X-API-Key": sandbox.info.gigradar.api_key}


def uh(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    return sandbox.info.uphunt.base_url, {"x-api-key": sandbox.info.uphunt.api_key}


def gg(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    return sandbox.info.gigiac.base_url, {"Authorization": f"Bearer {sandbox.info.gigiac.api_key}"}


def first_free_opportunity(sandbox: Sandbox) -> tuple[str, str]:
    opp = next(o for o in sandbox.gigradar.opportunities.values() if not o.job.questions)
    return opp.id, opp.scanner.id


def application_body() -> dict[str, Any]:
    return {
        "coverLetter": "I am interested in this position.",
        "bid": None,
        "questions": [],
        "scheduledAt": None,
    }


async def test_500_happens_before_the_handler(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    base, headers = gr(sandbox)
    opp_id, scanner_id = first_free_opportunity(sandbox)
    url = f"{base}/opportunities/{opp_id}/application?scannerId={scanner_id}"
    sandbox.faults.inject("500", platform="gigradar", method="POST", path_contains="/application")
    r = await http.post(url, headers=headers, json=application_body())
    assert r.status_code == 500
    body = r.json()
    assert body["statusCode"] == 500
    assert body["error"] == "INTERNAL"
    assert body["requestId"] == r.headers["X-GigRadar-Request-Id"]
    assert sandbox.gigradar.opportunities[opp_id].application is None  # no side effect
    assert (await http.post(url, headers=headers, json=application_body())).status_code == 201


async def test_429_fault_carries_retry_after_and_rate_headers(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, headers = gg(sandbox)
    task = next(t for t in sandbox.gigiac.tasks.values() if t["location_type"] == "remote")
    sandbox.faults.inject("429", platform="gigiac", method="POST", retry_after=7)
    body = {"task_id": task["id"], "cover_letter": "Hi", "proposed_amount": 20}
    r = await http.post(f"{base}/api/proposals", headers=headers, json=body)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Limit" in r.headers
    assert int(r.headers["X-RateLimit-Reset"]) >= int(time.time()) + 6
    assert r.json()["code"] == "RATE_LIMITED"
    assert not sandbox.gigiac.proposals
    base, headers = gr(sandbox)
    sandbox.faults.inject("429", platform="gigradar")
    r = await http.get(f"{base}/scanners", headers=headers)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert "X-RateLimit-Reset-Day" in r.headers


async def test_timeout_runs_the_handler_then_holds(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(timeout_hold=5.0)
    base, headers = uh(sandbox)
    cipher = next(iter(sandbox.gigradar.opportunities.values())).job.ciphertext
    sandbox.faults.inject("timeout", platform="uphunt", path_contains="/apply")
    with pytest.raises(httpx.ReadTimeout):
        await http.post(
            f"{base}/api/auto-apply-v2/apply",
            headers=headers,
            json={"jobId": cipher, "coverLetter": "Hello"},
            timeout=0.5,
        )
    # The application exists: reconcile by jobId instead of re-sending.
    r = await http.get(
        f"{base}/api/auto-apply-v2/status", headers=headers, params={"jobId": cipher}
    )
    assert r.status_code == 200
    assert r.json()["applicationStatus"] == "processing"
    assert sandbox.uphunt.reserved == 1
    again = await http.post(
        f"{base}/api/auto-apply-v2/apply",
        headers=headers,
        json={"jobId": cipher, "coverLetter": "Hello"},
    )
    assert again.status_code == 409


async def test_stop_releases_a_held_answer_quickly(start_sandbox: StartSandbox) -> None:
    sandbox = await start_sandbox(timeout_hold=30.0)
    base, headers = gr(sandbox)
    sandbox.faults.inject("timeout", platform="gigradar")
    async with httpx.AsyncClient(timeout=10.0) as client:
        import asyncio

        pending = asyncio.ensure_future(client.get(f"{base}/scanners", headers=headers))
        await wait_for(lambda: not sandbox.faults.pending)  # the request took the fault
        started = time.monotonic()
        await sandbox.stop()
        assert time.monotonic() - started < 3.0
        with pytest.raises(httpx.TransportError):
            await pending


async def test_reset_runs_the_handler_then_drops_the_connection(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, headers = gg(sandbox)
    task = next(t for t in sandbox.gigiac.tasks.values() if t["location_type"] == "remote")
    sandbox.faults.inject("reset", platform="gigiac", method="POST", path_contains="/api/proposals")
    body = {"task_id": task["id"], "cover_letter": "Hi", "proposed_amount": 20}
    with pytest.raises(httpx.TransportError):
        await http.post(f"{base}/api/proposals", headers=headers, json=body)
    r = await http.get(f"{base}/api/proposals?mine=true&task_id={task['id']}", headers=headers)
    assert [p["task_id"] for p in r.json()["proposals"]] == [task["id"]]


async def test_malformed_runs_the_handler_and_truncates_the_body(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, headers = gr(sandbox)
    opp_id, scanner_id = first_free_opportunity(sandbox)
    url = f"{base}/opportunities/{opp_id}/application?scannerId={scanner_id}"
    sandbox.faults.inject("malformed", platform="gigradar", method="POST")
    r = await http.post(url, headers=headers, json=application_body())
    assert r.status_code == 201
    assert r.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert sandbox.gigradar.opportunities[opp_id].application is not None
    sandbox.faults.inject("malformed", platform="uphunt")
    base, headers = uh(sandbox)
    r = await http.get(f"{base}/api/auto-apply-v2/freelancers", headers=headers)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


async def test_one_shot_faults_match_and_count_down(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, headers = gg(sandbox)
    sandbox.faults.inject(
        "500", platform="gigiac", method="GET", path_contains="/api/tasks", count=2
    )
    assert (await http.get(f"{base}/api/credits/balance", headers=headers)).status_code == 200
    codes = [(await http.get(f"{base}/api/tasks", headers=headers)).status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert sandbox.faults.pending == []


async def test_random_faults_from_a_spec(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(faults="500=1.0")
    for base, headers in (gr(sandbox), uh(sandbox), gg(sandbox)):
        path = {
            "gigradar": "/scanners",
            "uphunt": "/api/auto-apply-v2/freelancers",
            "gigiac": "/api/tasks",
        }
        name = "gigradar" if "gigradar" in base else "uphunt" if "uphunt" in base else "gigiac"
        assert (await http.get(base + path[name], headers=headers)).status_code == 500
    info = await http.get(f"http://127.0.0.1:{sandbox.info.port}/_sandbox/info")
    assert info.status_code == 200  # the control surface never faults
    sandbox.faults.clear()
    base, headers = gr(sandbox)
    assert (await http.get(f"{base}/scanners", headers=headers)).status_code == 200


def test_fault_spec_parsing_and_rates() -> None:
    injector = FaultInjector("429=0.05, 500=0.02,timeout=0.01,reset=0.01,malformed=0.01", seed=3)
    assert injector.rates == {
        "429": 0.05,
        "500": 0.02,
        "timeout": 0.01,
        "reset": 0.01,
        "malformed": 0.01,
    }
    picks = [injector.pick("gigiac", "GET", "/gigiac/api/tasks") for _ in range(20_000)]
    share = sum(p is not None for p in picks) / len(picks)
    assert 0.08 < share < 0.12
    for bad in ("teapot=0.1", "500", "500=2", "500=0.7,429=0.7", "500=x"):
        with pytest.raises(ValueError):  # noqa: PT011 - each message differs
            FaultInjector(bad)
    with pytest.raises(ValueError, match="count"):
        injector.inject("500", count=0)
    with pytest.raises(ValueError, match="platform"):
        injector.inject("500", platform="upwork")
