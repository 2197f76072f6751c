"""A letter the model cut at its token limit is flagged, and Continue appends the rest
(the real openai SDK against the sandbox model, which honours `max_tokens`)."""

from __future__ import annotations

import pytest

from app.domain import Opportunity
from app.services.drafting import Drafter, DraftingError, ModelSettings

pytestmark = pytest.mark.integration


def _limit(drafter: Drafter, max_tokens: int) -> None:
    settings = drafter.model_settings()
    drafter.save_model_settings(
        ModelSettings(
            base_url=settings.base_url,
            model=settings.model,
            timeout=settings.timeout,
            max_tokens=max_tokens,
        )
    )


async def _read(stream_cm: object) -> tuple[str, bool]:
    async with stream_cm as stream:  # type: ignore[attr-defined]
        text = "".join([piece async for piece in stream])
    return text, stream.result.cut_off


async def test_a_cut_letter_is_flagged_and_continuing_appends_exactly_the_rest(
    drafter: Drafter, job: Opportunity
) -> None:
    whole = await drafter.draft(job)
    assert whole.finish_reason == "stop" and not whole.cut_off

    _limit(drafter, 60)
    start, cut = await _read(drafter.stream_draft(job))
    assert cut and drafter.last_result is not None
    assert drafter.last_result.finish_reason == "length"
    assert whole.text.startswith(start) and len(start) < len(whole.text) // 2

    # Continue, at the same limit, until the model says it is done: each part is the rest.
    letter, rounds = start, 0
    while cut:
        rounds += 1
        assert rounds < 40
        more, cut = await _read(drafter.stream_continuation(job, letter))
        assert more
        letter += more
    assert rounds > 1
    assert letter == whole.text


async def test_continuing_an_edited_letter_still_appends(
    drafter: Drafter, job: Opportunity
) -> None:
    _limit(drafter, 60)
    start, cut = await _read(drafter.stream_draft(job))
    assert cut
    edited = start + " (and a word of mine)"
    _limit(drafter, 800)
    more, cut = await _read(drafter.stream_continuation(job, edited))
    assert more.strip() and not cut


async def test_there_is_nothing_to_continue_without_a_letter(
    drafter: Drafter, job: Opportunity
) -> None:
    with pytest.raises(DraftingError, match="no letter to continue"):
        drafter.stream_continuation(job, "  ")
