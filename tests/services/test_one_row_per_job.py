"""One inbox row per Upwork job (issue 16), through the services: a second scanner's match
or UpHunt's copy of a known job updates the job's row and is never announced as new; the
send picks the source of the chosen route; the draft and the submissions of any source
belong to the job; the duplicate guard holds across sources."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain import Bid, BidKind, Draft, LocalState, Platform, StatusUpdate, SubmissionState
from app.domain.proposal import choose_account
from app.services.container import Services
from app.services.events import OpportunitiesAdded, OpportunitiesUpdated
from app.services.submissions import DuplicateSubmission, SubmitRequest, allowed_routes
from tests.services.conftest import LETTER, ScriptedAdapter, make_opportunity

CIPHER = "~01aaaabbbbccccdddd01"


def _scanner(ext: str, scanner: str, score: float | None, account: str = "gigradar-main"):  # type: ignore[no-untyped-def]
    return make_opportunity(
        ext=ext,
        account=account,
        match_score=score,
        context={"scanner_id": scanner, "scanner_name": scanner.title()},
    )


def _uphunt():  # type: ignore[no-untyped-def]
    return make_opportunity(Platform.UPHUNT, ext=CIPHER, match_score=None)


def _events(services: Services) -> dict[str, list]:  # type: ignore[type-arg]
    seen: dict[str, list] = {"added": [], "updated": []}  # type: ignore[type-arg]
    services.bus.subscribe(OpportunitiesAdded, lambda e: seen["added"].extend(e.opportunities))
    services.bus.subscribe(OpportunitiesUpdated, lambda e: seen["updated"].extend(e.opportunities))
    return seen


def _request(key: str, **kw) -> SubmitRequest:  # type: ignore[no-untyped-def]
    return SubmitRequest(
        opportunity_key=key,
        cover_letter=LETTER,
        bid=Bid(kind=BidKind.FIXED, amount=Decimal("1100")),
        **kw,
    )


def _sent(state: SubmissionState = SubmissionState.SUBMITTING):  # type: ignore[no-untyped-def]
    return lambda sub: StatusUpdate(state=state)


async def test_more_sources_of_a_known_job_update_its_row_and_are_not_new(
    services: Services,
) -> None:
    seen = _events(services)
    first = _scanner("gr-a", "react", 0.61)
    result = await services.inbox.ingest([first])
    assert [o.key for o in result.new] == [first.key]
    assert [o.key for o in seen["added"]] == [first.key]

    second, uphunt = _scanner("gr-b", "frontend", 0.92), _uphunt()
    result = await services.inbox.ingest([second, uphunt])
    assert result.new == () and result.seen == 2
    assert [o.key for o in seen["added"]] == [first.key]  # announced once, when first found
    [job] = seen["updated"]
    assert job.key == first.key  # the job's row, not a new one
    assert job.match_score == 0.92  # the best source's score
    assert [s.key for s in job.sources] == [first.key, second.key, uphunt.key]
    assert job.sources_label == "GigRadar ×2 · UpHunt"
    assert services.store.opportunities.count_jobs() == 1


async def test_a_job_two_scanners_find_in_one_poll_is_one_new_row(services: Services) -> None:
    seen = _events(services)
    a, b = _scanner("gr-a", "react", 0.5), _scanner("gr-b", "frontend", 0.7)
    gigiac = make_opportunity(Platform.GIGIAC, ext="task-1")
    result = await services.inbox.ingest([a, b, gigiac])
    assert [o.key for o in result.new] == [a.key, gigiac.key]
    assert [o.key for o in seen["added"]] == [a.key, gigiac.key]
    assert seen["added"][0].match_score == 0.7
    assert len(seen["added"][0].sources) == 2
    assert seen["added"][1].sources == ()  # a Gigiac task is a row of its own
    assert seen["updated"] == []


async def test_marks_draft_and_state_belong_to_the_job(services: Services) -> None:
    inbox, store = services.inbox, services.store
    first, second, uphunt = _scanner("gr-a", "react", 0.6), _scanner("gr-b", "x", 0.7), _uphunt()
    await inbox.ingest([first, second, uphunt])
    assert inbox.row_key(uphunt.key) == first.key
    assert inbox.state_of(second.key) is LocalState.NEW
    # A draft saved under another source's key (an older BidDesk, the CLI) is the job's.
    store.drafts.save(Draft(opportunity_key=uphunt.key, cover_letter="Hello"))
    draft = inbox.draft_for(first.key)
    assert draft is not None and draft.cover_letter == "Hello"
    assert inbox.state_of(first.key) is LocalState.DRAFTED
    assert inbox.local_states() == {first.key: LocalState.DRAFTED}
    # The newest draft of the job wins.
    store.drafts.save(Draft(opportunity_key=first.key, cover_letter="Newer"))
    assert inbox.draft_for(second.key).cover_letter == "Newer"  # type: ignore[union-attr]
    # Read or starred through one source: the job is.
    inbox.toggle_starred(second.key)
    flags = store.opportunities.flags(first.key)
    assert flags is not None and flags.starred


async def test_the_editor_s_read_of_a_job_is_row_key_job_draft_and_submissions(
    services: Services, adapters: dict[Platform, ScriptedAdapter]
) -> None:
    """`shown_job` reads the sources once: what it gives is what the four reads give,
    from any source's key."""
    inbox, store = services.inbox, services.store
    uphunt, first, second = _uphunt(), _scanner("gr-a", "react", 0.6), _scanner("gr-b", "x", 0.9)
    await inbox.ingest([uphunt])
    await inbox.ingest([first, second])
    store.drafts.save(Draft(opportunity_key=second.key, cover_letter="Hello"))
    adapters[Platform.GIGRADAR].submit_script.append(_sent())
    await services.submissions.submit(_request(uphunt.key, via=Platform.GIGRADAR))
    for key in (uphunt.key, first.key, second.key):
        shown = inbox.shown_job(key)
        assert shown is not None
        assert shown.key == inbox.row_key(key) == uphunt.key
        assert shown.job == inbox.job(key)
        assert shown.source_keys == [uphunt.key, first.key, second.key]
        assert inbox.newest_draft(shown.source_keys) == inbox.draft_for(key)
        assert inbox.submissions_of(shown.source_keys) == inbox.submissions_for(key)
        assert len(inbox.submissions_for(key)) == 1
    assert inbox.shown_job("gigradar:unknown") is None


async def test_the_route_choice_sends_on_that_routes_source(
    services: Services, adapters: dict[Platform, ScriptedAdapter]
) -> None:
    """The editor sends with the job row's key and the chosen route: the GigRadar route
    goes on a GigRadar opportunity (its id and scanner), UpHunt on UpHunt's copy."""
    uphunt, first = _uphunt(), _scanner("gr-a", "react", 0.6)
    await services.inbox.ingest([uphunt])  # pasted first: UpHunt's copy is the job's row
    await services.inbox.ingest([first])
    job = services.inbox.job(first.key)
    assert job is not None and job.key == uphunt.key
    assert allowed_routes(job) == (Platform.GIGRADAR, Platform.UPHUNT)
    # The GigRadar account preselected is the one whose scanner found the job.
    assert choose_account(Platform.GIGRADAR, ["other", "gigradar-main"], job) == "gigradar-main"

    adapters[Platform.GIGRADAR].submit_script.append(_sent())
    sub = await services.submissions.submit(_request(job.key, via=Platform.GIGRADAR))
    assert (sub.platform, sub.opportunity_key) == (Platform.GIGRADAR, first.key)
    assert adapters[Platform.UPHUNT].calls == []
    # The job's submission, whichever source's key asks; its row says so.
    assert [s.id for s in services.inbox.submissions_for(uphunt.key)] == [sub.id]
    assert services.inbox.local_states() == {uphunt.key: LocalState.SUBMITTING}
    # The duplicate guard still holds: one proposal per job, on any route.
    with pytest.raises(DuplicateSubmission):
        await services.submissions.submit(_request(job.key, via=Platform.UPHUNT))
    with pytest.raises(DuplicateSubmission):
        await services.submissions.submit(_request(first.key))
    assert adapters[Platform.UPHUNT].calls == []


async def test_uphunt_route_uses_uphunts_copy_and_gigradar_picks_the_opened_scanner(
    services: Services, adapters: dict[Platform, ScriptedAdapter]
) -> None:
    first, second, uphunt = _scanner("gr-a", "react", 0.6), _scanner("gr-b", "x", 0.9), _uphunt()
    await services.inbox.ingest([first, second, uphunt])
    pick = services.submissions.source_for
    assert pick(first, Platform.UPHUNT).key == uphunt.key
    assert pick(first, Platform.GIGRADAR).key == first.key  # the one opened
    assert pick(uphunt, Platform.GIGRADAR).key == second.key  # else the best match
    other = _scanner("gr-c", "y", 0.1, account="gigradar-team")
    await services.inbox.ingest([other])
    assert pick(first, Platform.GIGRADAR, "gigradar-team").key == other.key

    adapters[Platform.UPHUNT].submit_script.append(_sent())
    sub = await services.submissions.submit(_request(first.key, via=Platform.UPHUNT))
    assert (sub.platform, sub.opportunity_key) == (Platform.UPHUNT, uphunt.key)
