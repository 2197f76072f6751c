"""The sandbox's own surface: start-up JSON line, `/_sandbox/` control endpoints, seeding."""

from __future__ import annotations

import asyncio
import io
import json
import re

import httpx
import pytest

from app.sandbox import Sandbox, SandboxConfig, SandboxInfo, run_sandbox
from tests.contract.util import eventually

pytestmark = pytest.mark.contract


def control(sandbox: Sandbox) -> str:
    return f"http://127.0.0.1:{sandbox.info.port}/_sandbox"


async def test_info_json_is_one_line_with_the_documented_layout(sandbox: Sandbox) -> None:
    info: SandboxInfo = sandbox.info
    line = info.to_json()
    assert "\n" not in line
    parsed = json.loads(line)
    assert set(parsed) == {"sandbox", "speed", "seed", "openai"}
    assert parsed["seed"] == 7
    assert parsed["speed"] == 1.0
    port = info.port
    assert parsed["sandbox"] == {
        "gigradar": {
            "base_url": f"http://127.0.0.1:{port}/gigradar/public-api/v1",
            "api_key": info.gigradar.api_key,
        },
        "uphunt": {"base_url": f"http://127.0.0.1:{port}/uphunt", "api_key": info.uphunt.api_key},
        "gigiac": {"base_url": f"http://127.0.0.1:{port}/gigiac", "api_key": info.gigiac.api_key},
    }
    assert re.fullmatch(r"gr_live_sandbox_[0-9a-f]{16}", info.gigradar.api_key)
    assert re.fullmatch(r"sk_uphunt_sandbox_[0-9a-f]{16}", info.uphunt.api_key)
    assert re.fullmatch(r"gig_sandbox_[0-9a-f]{16}", info.gigiac.api_key)
    assert info.openai is not None
    assert parsed["openai"] == {
        "base_url": f"http://127.0.0.1:{port}/openai/v1",
        "api_key": info.openai.api_key,
        "model": "biddesk-sandbox-writer",
    }
    assert re.fullmatch(r"sk-sandbox-[0-9a-f]{16}", info.openai.api_key)


async def test_run_sandbox_prints_the_line_and_stops_on_cancel() -> None:
    out = io.StringIO()
    task = asyncio.ensure_future(run_sandbox(SandboxConfig(seed=3, speed=60, arrivals=True), out))
    line = await eventually(lambda: _line(out), within=5)
    info = json.loads(line)
    async with httpx.AsyncClient() as client:
        gigiac = info["sandbox"]["gigiac"]
        r = await client.get(
            gigiac["base_url"] + "/api/tasks",
            headers={"Authorization": f"Bearer {gigiac['api_key']}"},
        )
        assert r.status_code == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _line(out: io.StringIO) -> str | None:
    text = out.getvalue()
    return text.strip() if text.endswith("\n") else None


def test_same_seed_same_world_different_seed_different_world() -> None:
    def world(seed: int) -> tuple[object, ...]:
        sandbox = Sandbox(SandboxConfig(seed=seed))
        opps = sorted(
            (o.scanner.id, o.job.ciphertext, o.job.title, o.job.data["description"], o.score)
            for o in sandbox.gigradar.opportunities.values()
        )
        tasks = sorted(
            (t["id"], t["title"], t.get("budget_cents")) for t in sandbox.gigiac.tasks.values()
        )
        return tuple(opps), tuple(tasks), tuple(sandbox.keys.values())

    assert world(11) == world(11)
    assert world(11) != world(12)


async def test_control_info_and_events(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await http.get(f"{control(sandbox)}/info")
    body = r.json()
    assert body["sandbox"]["uphunt"]["api_key"] == sandbox.info.uphunt.api_key
    assert body["state"]["opportunities"] == 40
    assert body["state"]["gigiac_tasks"] == 30
    created = await http.post(
        f"{control(sandbox)}/opportunities", json={"title": "Rust developer for a trading engine"}
    )
    assert created.status_code == 201
    assert created.json()["title"] == "Rust developer for a trading engine"
    events = (await http.get(f"{control(sandbox)}/events?platform=gigradar")).json()
    assert events["events"][-1]["body"]["type"] == "GIGRADAR.OPPORTUNITY.CREATE"
    assert events["events"][-1]["body"]["data"]["id"] == created.json()["id"]
    assert (await http.get(f"{control(sandbox)}/events?after=-1")).status_code == 400


async def test_control_close_job_is_seen_by_gigradar_and_uphunt(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    opp = next(iter(sandbox.gigradar.opportunities.values()))
    r = await http.post(f"{control(sandbox)}/jobs/{opp.job.ciphertext}/close")
    assert r.status_code == 200
    assert r.json() == {
        "ciphertext": opp.job.ciphertext,
        "status": "closed",
    }
    gr = sandbox.info.gigradar
    polled = await http.get(
        f"{gr.base_url}/opportunities/{opp.id}?scannerId={opp.scanner.id}",
        headers={"X-API-Key": gr.api_key},
    )
    assert polled.json()["job"]["status"] == "closed"
    uh = sandbox.info.uphunt
    job = await http.get(
        f"{uh.base_url}/api/jobs/by-ciphertext",
        params={"cipher": opp.job.ciphertext},
        headers={"x-api-key": uh.api_key},
    )
    assert job.json()["jobDetailsResponse"]["data"]["jobPubDetails"]["status"] == "closed"
    assert (
        await http.post(f"{control(sandbox)}/jobs/~01000000000000000000/close")
    ).status_code == 404


async def test_control_tasks(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    created = await http.post(
        f"{control(sandbox)}/tasks", json={"location_type": "on_site", "budget_cents": 4200}
    )
    task = created.json()
    assert created.status_code == 201
    assert task["location_type"] == "on_site"
    assert task["budget_cents"] == 4200
    closed = await http.post(f"{control(sandbox)}/tasks/{task['id']}/close")
    assert closed.json() == {"id": task["id"], "status": "cancelled"}
    assert (await http.post(f"{control(sandbox)}/tasks/nope/close")).status_code == 404
    assert (await http.post(f"{control(sandbox)}/tasks", json={"colour": "red"})).status_code == 400


async def test_control_faults(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    gg = sandbox.info.gigiac
    headers = {"Authorization": f"Bearer {gg.api_key}"}
    r = await http.post(
        f"{control(sandbox)}/faults", json={"kind": "500", "platform": "gigiac", "count": 2}
    )
    assert r.status_code == 201
    assert len(r.json()["pending"]) == 1
    codes = [
        (await http.get(f"{gg.base_url}/api/tasks", headers=headers)).status_code for _ in range(3)
    ]
    assert codes == [500, 500, 200]
    r = await http.post(f"{control(sandbox)}/faults", json={"spec": "500=1"})
    assert r.json()["rates"] == {"500": 1.0}
    assert (await http.get(f"{gg.base_url}/api/tasks", headers=headers)).status_code == 500
    assert (await http.delete(f"{control(sandbox)}/faults")).json() == {"rates": {}, "pending": []}
    assert (await http.get(f"{gg.base_url}/api/tasks", headers=headers)).status_code == 200
    assert (
        await http.post(f"{control(sandbox)}/faults", json={"kind": "teapot"})
    ).status_code == 400
    assert (
        await http.post(f"{control(sandbox)}/faults", json={"spec": "500=9"})
    ).status_code == 400


async def test_unknown_platform_route_gets_the_platforms_404(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    gr = sandbox.info.gigradar
    r = await http.get(f"{gr.base_url}/nothing-here", headers={"X-API-Key": gr.api_key})
    assert r.status_code == 404
    assert r.json()["error"] == "NOT_FOUND"
    gg = sandbox.info.gigiac
    r = await http.delete(
        f"{gg.base_url}/api/tasks", headers={"Authorization": f"Bearer {gg.api_key}"}
    )
    assert r.status_code == 405
    assert r.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_a_client_leaving_mid_body_is_dropped_without_an_error(sandbox: Sandbox) -> None:
    """An app stopping in the middle of a request (its webhook registration, say) closes
    the connection before the body has arrived. The platform has no one to answer; the
    sandbox must not log that as an ERROR (the test setup fails a test on one), and it
    keeps serving."""
    base = sandbox.info.gigradar.base_url
    host, port = base.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + base.split("//", 1)[1].split("/", 1)[1] + "/webhooks"
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {sandbox.keys['gigradar']}\r\n"
        'Content-Length: 500\r\n\r\n{"url": "http://127.0.0.1:9/h'.encode()
    )
    await writer.drain()
    writer.close()  # gone before the other 470 bytes
    await writer.wait_closed()
    await reader.read()  # the server's side of it is over
    async with httpx.AsyncClient(timeout=5.0) as client:
        answered = await client.get(control(sandbox) + "/info")
    assert answered.status_code == 200
