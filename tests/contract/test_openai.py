"""The sandbox model, with raw HTTP written from the OpenAI API reference.

Chat completions (JSON and server-sent events), the models list, OpenAI's error shape,
its rate-limit headers, and the sandbox's faults on platform "openai".
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from tests.contract.conftest import StartSandbox

pytestmark = pytest.mark.contract

MODEL = "biddesk-sandbox-writer"
PROMPT = (
    "Write a cover letter for this job.\n\nJob title: Shopify theme fixes\nClient: Bloom & Co\n"
    "Job skills: Liquid, CSS, JavaScript\n\nAbout me:\nName: Priya Shah\n"
    "Matching skills: Liquid, CSS\nRelevant portfolio:\n- Florist storefront: a custom theme\n"
)


def model(sandbox: Sandbox) -> tuple[str, dict[str, str]]:
    endpoint = sandbox.info.openai
    assert endpoint is not None
    return endpoint.base_url, {"Authorization": f"Bearer {endpoint.api_key}"}


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You write cover letters."},
            {"role": "user", "content": PROMPT},
        ],
        **extra,
    }


def events(text: str) -> list[str]:
    """The `data:` payloads of an SSE body, checking the framing on the way."""
    assert text.endswith("\n\n")
    blocks = text[:-2].split("\n\n")
    assert all(block.startswith("data: ") for block in blocks)
    return [block[len("data: ") :] for block in blocks]


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def assert_openai_error(r: httpx.Response, status: int, kind: str, code: str | None) -> None:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] == kind
    assert error["code"] == code


async def test_non_streamed_completion(http: httpx.AsyncClient, fast_sandbox: Sandbox) -> None:
    base, headers = model(fast_sandbox)
    r = await http.post(f"{base}/chat/completions", headers=headers, json=body())
    assert r.status_code == 200
    assert r.headers["x-request-id"].startswith("req_")
    assert r.headers["x-ratelimit-limit-requests"] == "500"
    assert r.headers["x-ratelimit-remaining-requests"] == "499"
    data = r.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == MODEL
    assert isinstance(data["created"], int)
    (choice,) = data["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    letter = choice["message"]["content"]
    assert "Shopify theme fixes" in letter and "Bloom & Co" in letter
    assert "Liquid and CSS" in letter and "Florist storefront" in letter
    assert letter.rstrip().endswith("Priya Shah")
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    again = await http.post(f"{base}/chat/completions", headers=headers, json=body())
    assert again.json()["choices"][0]["message"]["content"] == letter  # deterministic


async def test_streamed_completion_follows_openais_event_format(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    base, headers = model(fast_sandbox)
    payload = body(stream=True, stream_options={"include_usage": True})
    r = await http.post(f"{base}/chat/completions", headers=headers, json=payload)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["x-request-id"].startswith("req_")
    assert r.headers["x-ratelimit-remaining-requests"] == "499"
    data = events(r.text)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    first, *content, last_choice, usage_chunk = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert all(c["choices"][0]["finish_reason"] is None for c in [first, *content])
    assert all(c["usage"] is None for c in [first, *content, last_choice])
    assert last_choice["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] > 0
    pieces = [c["choices"][0]["delta"]["content"] for c in content]
    assert len(pieces) > 20 and all(1 <= len(p.split()) <= 3 for p in pieces)
    plain = await http.post(f"{base}/chat/completions", headers=headers, json=body())
    assert "".join(pieces) == plain.json()["choices"][0]["message"]["content"]


async def test_stream_without_usage_has_no_usage_field(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    base, headers = model(fast_sandbox)
    r = await http.post(f"{base}/chat/completions", headers=headers, json=body(stream=True))
    chunks = [json.loads(d) for d in events(r.text)[:-1]]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_chunks_arrive_over_time_and_scale_with_speed(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(speed=5)
    base, headers = model(sandbox)
    started = time.perf_counter()
    times: list[float] = []
    async with http.stream(
        "POST", f"{base}/chat/completions", headers=headers, json=body(stream=True)
    ) as r:
        async for line in r.aiter_lines():
            if line.startswith("data: {"):
                times.append(time.perf_counter() - started)
    assert times[1] < 0.1  # the first piece comes quickly
    assert times[-1] > 5 * times[1]  # and the rest keep coming


async def test_max_tokens_cuts_the_letter_with_finish_reason_length(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    base, headers = model(fast_sandbox)
    r = await http.post(f"{base}/chat/completions", headers=headers, json=body(max_tokens=10))
    data = r.json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] <= 10


async def test_asked_to_continue_its_cut_answer_it_writes_the_rest(
    http: httpx.AsyncClient, fast_sandbox: Sandbox
) -> None:
    base, headers = model(fast_sandbox)
    whole = (await http.post(f"{base}/chat/completions", headers=headers, json=body())).json()
    letter = whole["choices"][0]["message"]["content"]
    cut = await http.post(f"{base}/chat/completions", headers=headers, json=body(max_tokens=40))
    start = cut.json()["choices"][0]["message"]["content"]
    assert start and letter.startswith(start) and len(start) < len(letter) // 2
    follow_up = body()
    follow_up["messages"] += [
        {"role": "assistant", "content": start},
        {"role": "user", "content": "Continue exactly where you stopped."},
    ]
    r = await http.post(f"{base}/chat/completions", headers=headers, json=follow_up)
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert start + choice["message"]["content"] == letter


async def test_models_list(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    base, headers = model(sandbox)
    r = await http.get(f"{base}/models", headers=headers)
    assert r.status_code == 200
    data = r.json()
    assert data["object"] == "list"
    assert [m["id"] for m in data["data"]] == [MODEL]
    assert data["data"][0]["object"] == "model"
    one = await http.get(f"{base}/models/{MODEL}", headers=headers)
    assert one.json()["id"] == MODEL
    missing = await http.get(f"{base}/models/gpt-4o", headers=headers)
    assert_openai_error(missing, 404, "invalid_request_error", "model_not_found")


@pytest.mark.parametrize(
    "auth", [None, "Bearer sk-not-the-key-000000", "Basic abc", "Bearer x"], ids=str
)
async def test_401_with_openais_error_shape(
    http: httpx.AsyncClient, sandbox: Sandbox, auth: str | None
) -> None:
    base, _ = model(sandbox)
    headers = {} if auth is None else {"Authorization": auth}
    r = await http.post(f"{base}/chat/completions", headers=headers, json=body())
    assert_openai_error(r, 401, "invalid_request_error", "invalid_api_key")
    assert "sk-not-the-key-000000" not in r.text  # a wrong key is echoed masked


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b"{not json", None),
        (b"", None),
        (b"[]", None),
        (json.dumps({"messages": []}).encode(), "model"),
        (json.dumps({"model": MODEL}).encode(), "messages"),
        (json.dumps({"model": MODEL, "messages": []}).encode(), "messages"),
        (
            json.dumps({"model": MODEL, "messages": [{"role": "wizard", "content": "x"}]}).encode(),
            "messages[0]",
        ),
        (
            json.dumps({"model": MODEL, "messages": [{"role": "user", "content": 5}]}).encode(),
            "messages[0]",
        ),
        (json.dumps(body(temperature=3)).encode(), "temperature"),
        (json.dumps(body(stream="yes")).encode(), "stream"),
        (json.dumps(body(max_tokens=0)).encode(), "max_tokens"),
        (json.dumps(body(stream_options={"include_usage": True})).encode(), "stream_options"),
    ],
)
async def test_400_on_a_malformed_body(
    http: httpx.AsyncClient, sandbox: Sandbox, raw: bytes, param: str | None
) -> None:
    base, headers = model(sandbox)
    headers = {**headers, "Content-Type": "application/json"}
    r = await http.post(f"{base}/chat/completions", headers=headers, content=raw)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


async def test_content_parts_are_accepted(http: httpx.AsyncClient, fast_sandbox: Sandbox) -> None:
    base, headers = model(fast_sandbox)
    payload = {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}],
    }
    r = await http.post(f"{base}/chat/completions", headers=headers, json=payload)
    assert "Bloom & Co" in r.json()["choices"][0]["message"]["content"]


async def test_unknown_model_and_unknown_path(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    base, headers = model(sandbox)
    r = await http.post(f"{base}/chat/completions", headers=headers, json=body(model="gpt-5"))
    assert_openai_error(r, 404, "invalid_request_error", "model_not_found")
    r = await http.post(f"{base}/completions/legacy", headers=headers, json=body())
    assert_openai_error(r, 404, "invalid_request_error", None)
    assert r.json()["error"]["message"] == "Invalid URL (POST /openai/v1/completions/legacy)"


async def test_rate_limit_with_retry_after(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(openai_requests_per_minute=2)
    base, headers = model(sandbox)
    for remaining in ("1", "0"):
        r = await http.get(f"{base}/models", headers=headers)
        assert r.headers["x-ratelimit-remaining-requests"] == remaining
    r = await http.get(f"{base}/models", headers=headers)
    assert_openai_error(r, 429, "requests", "rate_limit_exceeded")
    assert 1 <= int(r.headers["Retry-After"]) <= 60


async def test_injected_faults(http: httpx.AsyncClient, fast_sandbox: Sandbox) -> None:
    base, headers = model(fast_sandbox)
    url = f"{base}/chat/completions"
    fast_sandbox.faults.inject("429", platform="openai", retry_after=7)
    r = await http.post(url, headers=headers, json=body())
    assert_openai_error(r, 429, "requests", "rate_limit_exceeded")
    assert r.headers["Retry-After"] == "7"
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    fast_sandbox.faults.inject("500", platform="openai")
    r = await http.post(url, headers=headers, json=body())
    assert_openai_error(r, 500, "server_error", None)
    fast_sandbox.faults.inject("malformed", platform="openai")
    r = await http.post(url, headers=headers, json=body())
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    fast_sandbox.faults.inject("malformed", platform="openai")
    r = await http.post(url, headers=headers, json=body(stream=True))
    broken = [d for d in events(r.text) if d != "[DONE]"]
    assert sum(1 for d in broken if not _parses(d)) == 1
    fast_sandbox.faults.inject("reset", platform="openai")
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(url, headers=headers, json=body(stream=True))
    fast_sandbox.faults.inject("reset", platform="openai")
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(url, headers=headers, json=body())
    assert (await http.post(url, headers=headers, json=body())).status_code == 200


async def test_timeout_fault_holds_the_answer(
    http: httpx.AsyncClient, start_sandbox: StartSandbox
) -> None:
    sandbox = await start_sandbox(timeout_hold=5.0)
    base, headers = model(sandbox)
    sandbox.faults.inject("timeout", platform="openai", path_contains="/models")
    with pytest.raises(httpx.ReadTimeout):
        await http.get(f"{base}/models", headers=headers, timeout=0.3)


async def test_other_platforms_faults_do_not_touch_the_model(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, headers = model(sandbox)
    sandbox.faults.inject("500", platform="gigradar")
    assert (await http.get(f"{base}/models", headers=headers)).status_code == 200
