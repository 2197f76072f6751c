"""The documents-only sandbox (`strict=True`): only what the three documents describe.

Every call below is written from the seed documents; what they do not list must answer
404 in strict mode, and keep working in the default sandbox.
"""

from __future__ import annotations

import httpx
import pytest

from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox

# (method, path under the GigRadar base) the seed does not document.
GIGRADAR_UNDOCUMENTED = [
    ("GET", "/scanners"),
    ("GET", "/teams"),
    ("GET", "/opportunities"),
    ("GET", "/webhooks"),
    ("GET", "/webhooks/507f1f77bcf86cd799439011"),
    ("DELETE", "/webhooks/507f1f77bcf86cd799439011"),
    ("PATCH", "/webhooks/507f1f77bcf86cd799439011"),
]


def _gr(sb: Sandbox) -> tuple[str, dict[str, str]]:
    return sb.info.gigradar.base_url, {"X-API-Key": sb.info.gigradar.api_key}


async def _first_opportunity(sb: Sandbox) -> tuple[str, str]:
    opp = next(iter(sb.gigradar.opportunities.values()))
    return opp.id, opp.scanner.id


@pytest.mark.parametrize(("method", "path"), GIGRADAR_UNDOCUMENTED)
async def test_strict_gigradar_undocumented_calls_answer_404(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, method: str, path: str
) -> None:
    strict = await start_sandbox(strict=True)
    base, headers = _gr(strict)
    response = await http.request(method, base + path, headers=headers, json={})
    assert response.status_code == 404, response.text
    # The same call is served by the full sandbox (the [P] proposals of platform-apis.md).
    full = await start_sandbox()
    base, headers = _gr(full)
    response = await http.request(method, base + path, headers=headers, json={})
    assert response.status_code != 405
    if method == "GET" and "/webhooks/" not in path:
        assert response.status_code == 200


async def test_strict_gigradar_documented_calls_work(
    start_sandbox: StartSandbox, http: httpx.AsyncClient
) -> None:
    sb = await start_sandbox(strict=True)
    base, headers = _gr(sb)
    opp_id, scanner_id = await _first_opportunity(sb)
    got = await http.get(
        f"{base}/opportunities/{opp_id}", params={"scannerId": scanner_id}, headers=headers
    )
    assert got.status_code == 200
    assert got.headers.get("X-GigRadar-Request-Id")  # documented: quote it to support
    hook = await http.post(
        f"{base}/webhooks",
        headers=headers,
        json={
            "url": "https://example.invalid/hook",
            "scopes": ["GIGRADAR.OPPORTUNITY.CREATE"],
            "auth": {"username": "u", "password": "p"},
        },
    )
    assert hook.status_code == 201, hook.text
    assert sb.gigradar.webhook_posts == 1
    job = sb.gigradar.opportunities[opp_id].job
    created = await http.post(
        f"{base}/opportunities/{opp_id}/application",
        params={"scannerId": scanner_id},
        headers=headers,
        json={
            "coverLetter": "I am interested in this position.",
            "bid": None,
            "questions": [{"question": q["question"], "answer": "Yes."} for q in job.questions],
            "scheduledAt": None,
        },
    )
    assert created.status_code == 201, created.text
    scheduled = await http.patch(
        f"{base}/opportunities/{opp_id}/application/schedule",
        params={"scannerId": scanner_id},
        headers=headers,
        json={"scheduledAt": "2030-01-01T00:00:00Z"},
    )
    assert scheduled.status_code == 200, scheduled.text


async def test_strict_429_has_no_proposed_retry_after(
    start_sandbox: StartSandbox, http: httpx.AsyncClient
) -> None:
    """GigRadar and Gigiac document the 429, not its Retry-After; UpHunt documents both."""
    for strict, expected in ((True, None), (False, "7")):
        sb = await start_sandbox(strict=strict)
        for platform in ("gigradar", "gigiac", "uphunt"):
            sb.faults.inject("429", platform=platform, retry_after=7)
        base, headers = _gr(sb)
        opp_id, scanner_id = await _first_opportunity(sb)
        gr = await http.get(
            f"{base}/opportunities/{opp_id}", params={"scannerId": scanner_id}, headers=headers
        )
        gg = await http.get(
            f"{sb.info.gigiac.base_url}/api/tasks",
            headers={"Authorization": f"Bearer {sb.info.gigiac.api_key}"},
        )
        uh = await http.get(
            f"{sb.info.uphunt.base_url}/api/auto-apply-v2/freelancers",
            headers={"x-api-key": sb.info.uphunt.api_key},
        )
        assert (gr.status_code, gg.status_code, uh.status_code) == (429, 429, 429)
        assert gr.headers.get("Retry-After") == expected
        assert gg.headers.get("Retry-After") == expected
        assert uh.headers.get("Retry-After") == "7"


async def test_strict_gigiac_proposals_take_mine_or_task_id(
    start_sandbox: StartSandbox, http: httpx.AsyncClient
) -> None:
    sb = await start_sandbox(strict=True)
    url = f"{sb.info.gigiac.base_url}/api/proposals"
    headers = {"Authorization": f"Bearer {sb.info.gigiac.api_key}"}
    mine = await http.get(url, params={"mine": "true"}, headers=headers)
    assert mine.status_code == 200
    both = await http.get(url, params={"mine": "true", "task_id": "x"}, headers=headers)
    assert both.status_code == 400


async def test_strict_uphunt_and_gigiac_paths_are_all_documented(
    start_sandbox: StartSandbox,
) -> None:
    """Every UpHunt and Gigiac route the sandbox serves is in their documents."""
    full = await start_sandbox()
    strict = await start_sandbox(strict=True)

    def paths(sb: Sandbox) -> set[str]:
        return {
            r.path
            for api in sb._apis
            if api.name in ("uphunt", "gigiac")
            for r in api.served_routes()
        }

    assert paths(full) == paths(strict)
    assert strict.info.as_dict()["strict"] is True
