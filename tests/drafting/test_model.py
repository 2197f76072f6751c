"""Model drafting: the real openai SDK against the sandbox model over loopback."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time
from decimal import Decimal

import pytest

from app.domain import Opportunity
from app.domain.drafting import FreelancerProfile, similarity
from app.domain.policy import check_cover_letter
from app.sandbox import Sandbox
from app.services.drafting import (
    DEFAULT_SYSTEM_PROMPT,
    Drafter,
    DraftingError,
    ModelSettings,
    estimate_cost,
)
from app.services.secrets import SecretStore, env_var_for
from app.store import Store
from tests.drafting.conftest import make_job

pytestmark = pytest.mark.integration


async def test_the_letter_streams_in_pieces_the_first_long_before_the_whole(
    drafter: Drafter, job: Opportunity
) -> None:
    await drafter.warm_up()  # the client's one-off set-up is not part of the stream
    started = time.perf_counter()
    arrivals: list[float] = []
    pieces: list[str] = []
    async with drafter.stream_draft(job) as stream:
        async for piece in stream:
            arrivals.append(time.perf_counter() - started)
            pieces.append(piece)
    assert len(pieces) > 20
    assert arrivals[0] < arrivals[-1] / 3
    result = stream.result
    letter = "".join(pieces)
    assert result.text == letter and drafter.last_result is result
    assert result.finish_reason == "stop"
    assert "Acme Corp" in letter and "Build a Django REST API" in letter
    assert "Alex" in letter  # the example profile signs it
    assert [i.code for i in check_cover_letter(letter, job.platform) if i.severity == "error"] == []
    # The sandbox model is free; usage comes from the last chunk.
    assert result.usage.prompt_tokens > 50 and result.usage.completion_tokens > 50
    assert result.usage.cost == Decimal(0)
    assert drafter.last_usage == result.usage


async def test_profile_portfolio_and_variants_reach_the_model(
    drafter: Drafter, job: Opportunity, profile: FreelancerProfile
) -> None:
    drafter.library.save_profile(profile)
    plain = (await drafter.draft(job, profile_name="dana reyes")).text
    assert "Warehouse API" in plain and plain.rstrip().endswith("Dana Reyes")
    shorter = (await drafter.draft(job, "Dana Reyes", variant="shorter")).text
    formal = (await drafter.draft(job, "Dana Reyes", variant="more formal")).text
    friendly = (await drafter.draft(job, "Dana Reyes", variant="friendlier")).text
    opening = (await drafter.draft(job, "Dana Reyes", variant="opening")).text
    assert len(shorter) < len(plain)
    assert formal.startswith("Dear Acme Corp,")
    assert friendly.startswith("Hi Acme Corp!")
    assert opening.split("\n\n")[1][:40] != plain.split("\n\n")[1][:40]
    with pytest.raises(DraftingError, match="no variant"):
        drafter.stream_draft(job, variant="louder")


async def test_two_jobs_get_letters_that_differ(drafter: Drafter, job: Opportunity) -> None:
    other = make_job(
        external_id="other",
        title="React dashboard for a clinic",
        skills=("React", "TypeScript"),
        client=job.client.model_copy(update={"name": "Northwind"}),
    )
    first = (await drafter.draft(job)).text
    second = (await drafter.draft(other)).text
    assert similarity(first, second) < 0.8
    assert (await drafter.draft(job)).text == first  # same prompt, same letter


async def test_cancelling_the_consumer_stops_the_stream_promptly(
    drafter: Drafter, job: Opportunity, sandbox: Sandbox
) -> None:
    got_some = asyncio.Event()
    pieces: list[str] = []

    async def consume() -> None:
        async with drafter.stream_draft(job) as stream:
            async for piece in stream:
                pieces.append(piece)
                got_some.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_some.wait(), 5)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - started < 0.5
    assert 0 < len(pieces) < 20
    assert drafter.last_result is not None and drafter.last_result.finish_reason is None
    gc.collect()  # an unclosed response would warn here, and warnings are errors
    # The client is still usable after a stop.
    assert (await drafter.draft(job)).finish_reason == "stop"


async def test_a_wrong_key_is_one_clear_sentence(
    drafter: Drafter,
    job: Opportunity,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(env_var_for("openai"), "sk-wrong-key-0123456789")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DraftingError) as caught:
        await drafter.draft(job)
    message = str(caught.value)
    assert "refused the API key (401)" in message
    assert "BIDDESK_API_KEY_OPENAI" in message
    assert "sk-wrong-key-0123456789" not in message
    assert "sk-wrong-key-0123456789" not in caplog.text


async def test_a_timeout_is_one_clear_sentence(
    drafter: Drafter, job: Opportunity, sandbox: Sandbox
) -> None:
    settings = drafter.model_settings()
    drafter.save_model_settings(
        ModelSettings(base_url=settings.base_url, model=settings.model, timeout=0.3)
    )
    sandbox.faults.inject("timeout", platform="openai")
    started = time.perf_counter()
    with pytest.raises(DraftingError, match=r"did not answer within 0\.3 s"):
        await drafter.draft(job)
    assert time.perf_counter() - started < 2.0


async def test_a_429_says_when_to_retry(
    drafter: Drafter, job: Opportunity, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("429", platform="openai", retry_after=20)
    with pytest.raises(DraftingError, match="rate limiting requests; try again in 20 s"):
        await drafter.draft(job)


async def test_the_model_servers_own_rate_limit_is_a_429_too(
    store: Store, job: Opportunity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.sandbox import SandboxConfig

    async with Sandbox(
        SandboxConfig(seed=2, speed=50, arrivals=False, openai_requests_per_minute=1)
    ) as sb:
        endpoint = sb.info.openai
        assert endpoint is not None
        monkeypatch.setenv(env_var_for("openai"), endpoint.api_key)
        drafter = Drafter(store, SecretStore())
        drafter.save_model_settings(ModelSettings(base_url=endpoint.base_url, model=endpoint.model))
        try:
            await drafter.draft(job)
            with pytest.raises(DraftingError, match=r"rate limiting requests; try again in \d+ s"):
                await drafter.draft(job)
        finally:
            await drafter.aclose()


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("500", r"answered with an error \(500\)"),
        ("reset", "connection to the model .* failed"),
        ("malformed", "could not read"),
    ],
)
async def test_other_faults_are_sentences_too(
    drafter: Drafter, job: Opportunity, sandbox: Sandbox, fault: str, expected: str
) -> None:
    sandbox.faults.inject(fault, platform="openai")
    with pytest.raises(DraftingError, match=expected):
        await drafter.draft(job)


async def test_nothing_listening_names_the_base_url(store: Store, job: Opportunity) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    drafter = Drafter(store, SecretStore())
    drafter.save_model_settings(
        ModelSettings(base_url=f"http://127.0.0.1:{port}/v1", model="llama3", timeout=2)
    )
    try:
        with pytest.raises(DraftingError) as caught:
            await drafter.draft(job)
    finally:
        await drafter.aclose()
    assert f"Nothing is answering at http://127.0.0.1:{port}/v1" in str(caught.value)
    assert "model server running" in str(caught.value)


async def test_a_hosted_model_without_a_key_says_how_to_add_one(
    store: Store, job: Opportunity
) -> None:
    drafter = Drafter(store, SecretStore())
    with pytest.raises(DraftingError, match=r"No API key for the model at https://api\.openai"):
        await drafter.draft(job)
    await drafter.aclose()


async def test_an_unknown_model_is_named(drafter: Drafter, job: Opportunity) -> None:
    settings = drafter.model_settings()
    drafter.save_model_settings(ModelSettings(base_url=settings.base_url, model="gpt-9-mega"))
    with pytest.raises(DraftingError, match="“gpt-9-mega” is not available"):
        await drafter.draft(job)


async def test_screening_answers_are_drafted_one_per_question(
    drafter: Drafter, job: Opportunity
) -> None:
    answers = await drafter.draft_answers(job)
    assert [a.question_id for a in answers] == ["q1", "q2"]
    assert answers[0].question == job.questions[0].text
    assert all(len(a.answer) > 40 for a in answers)
    assert answers[0].answer != answers[1].answer
    assert drafter.last_usage is not None and drafter.last_usage.completion_tokens > 0
    assert await drafter.draft_answers(job.model_copy(update={"questions": ()})) == []


def test_cost_estimates_use_the_price_table() -> None:
    hosted = ModelSettings(model="gpt-4o-mini")
    assert estimate_cost(hosted, 1_000_000, 1_000_000) == Decimal("0.75")
    assert estimate_cost(ModelSettings(model="mystery"), 10, 10) is None
    local = ModelSettings(base_url="http://localhost:11434/v1", model="llama3.1")
    assert estimate_cost(local, 10_000, 10_000) == Decimal(0)


def test_settings_are_stored_and_validated(store: Store) -> None:
    drafter = Drafter(store, SecretStore())
    assert drafter.model_settings().system_prompt == DEFAULT_SYSTEM_PROMPT
    drafter.save_model_settings(ModelSettings(model="gpt-4.1", temperature=0.2))
    assert Drafter(store, SecretStore()).model_settings().model == "gpt-4.1"
    with pytest.raises(DraftingError, match="temperature"):
        drafter.save_model_settings(ModelSettings(temperature=3))
    with pytest.raises(DraftingError, match="not an http"):
        drafter.save_model_settings(ModelSettings(base_url="ftp://x"))
