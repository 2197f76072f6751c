"""A kept sandbox profile keeps its world (issue 16, item 2).

`biddesk --sandbox --profile DIR` keeps the profile, and the sandbox it starts keeps its
world in `DIR/sandbox/`: three starts on one profile leave one row per job (no job minted
again under a new id), no orphaned draft (a draft saved in the first run is sent in the
third), submissions of the first run still known to the platform, and `biddesk list
--json` shows one entry per job. Qt-free: the same Sandbox + open_services + provision +
fetch the window runs, stopped and started three times.

One row per Upwork job (item 1): the world's jobs that two scanners matched, and a job
also looked up through UpHunt, are one inbox row and one `list --json` entry each, listing
their sources; a draft saved under UpHunt's copy is the job's draft, and in the third run
it is sent through the GigRadar route on the GigRadar source.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.cli.commands.inbox import fetch_all
from app.domain import Draft, Opportunity, Platform, SubmissionState
from app.domain.bidding import default_bid
from app.platforms import SPECS
from app.sandbox import Sandbox, SandboxConfig
from app.sandbox.provision import provision
from app.services.container import Services, open_services
from app.services.events import OpportunitiesAdded
from app.services.submissions import SubmitRequest
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

SPEED = 600.0  # a sandbox minute per real 0.1 s: arrivals come within a second or two
SEED = 7  # the window's default seed
LETTER = (
    "Hello,\n\nI have done this kind of work many times and can start this week; a short "
    "call first, then a working version within days. [[sim:sent]]\n\nBest regards,\nAlex"
)


def _config(profile: Path) -> SandboxConfig:
    return SandboxConfig(
        seed=SEED,
        speed=SPEED,
        initial_opportunities=20,
        initial_tasks=10,
        state_dir=profile / "sandbox",  # what the window passes for a kept profile
        save_every=0.2,
    )


async def _wait_for(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    await wait_for(condition, timeout, message=f"timed out waiting for {what}")


def _rows(services: Services, platform: Platform) -> list[str]:
    return [o.external_id for o in services.store.opportunities.all() if o.platform is platform]


def _jobs(sandbox: Sandbox) -> set[str]:
    return {o.job.ciphertext for o in sandbox.gigradar.opportunities.values()}


def _assert_one_row_per_job(services: Services, sandbox: Sandbox, fetched: set[str]) -> None:
    """`fetched`: the world's jobs when the fetch began (at 600x, more arrive meanwhile)."""
    gigradar = _rows(services, Platform.GIGRADAR)
    # Every GigRadar row is an opportunity the sandbox knows now: none was minted again
    # under another id by an earlier start.
    assert set(gigradar) <= set(sandbox.gigradar.opportunities), "rows of a vanished world"
    per_scanner_job = Counter(
        (o.context.get("scanner_id"), o.upwork_job_id)
        for o in services.store.opportunities.all()
        if o.platform is Platform.GIGRADAR
    )
    assert max(per_scanner_job.values()) == 1, "one scanner's job twice in the inbox"
    gigiac = _rows(services, Platform.GIGIAC)
    assert set(gigiac) <= set(sandbox.gigiac.tasks)
    titles = Counter(
        (o.title, o.client.country, o.posted_at)
        for o in services.store.opportunities.all()
        if o.platform is Platform.GIGIAC
    )
    assert max(titles.values()) == 1, "one Gigiac task twice in the inbox"
    # The inbox as the window loads it: one row per Upwork job, whoever found it.
    rows = list(services.store.opportunities.iter_rows())
    per_job = Counter(r.upwork_job_id for r in rows if r.upwork_job_id)
    assert max(per_job.values()) == 1, "one Upwork job on two rows"
    # Every job the world had when the fetch began, and none it never had.
    assert fetched <= set(per_job) <= _jobs(sandbox)
    assert any(r.sources for r in rows), "the world's multi-scanner jobs list their sources"
    # No orphaned draft: every draft belongs to a row of the inbox.
    keys = {r.key for r in rows}
    for draft in services.store.drafts.all():
        assert services.inbox.row_key(draft.opportunity_key) in keys, draft.opportunity_key


async def _uphunt_copy(services: Services, opp: Opportunity) -> Opportunity:
    """The job looked up through UpHunt, as `biddesk submit URL --via uphunt` stores it."""
    account = services.accounts.choose(Platform.UPHUNT, None)
    cipher = opp.upwork_job_id
    assert cipher is not None
    stub = Opportunity(
        platform=Platform.UPHUNT, external_id=cipher, upwork_job_id=cipher, title="."
    )
    copy = await services.accounts.adapter(account).get_opportunity(stub)
    copy = copy.model_copy(update={"account": account.name})
    result = await services.inbox.ingest([copy])
    assert result.new == (), "a job the inbox holds is not a new row"
    return copy


async def _run(profile: Path, number: int, memo: dict[str, str], known: set[str]) -> None:
    async with Sandbox(_config(profile)) as sandbox:
        services = open_services(profile)
        announced: list[str] = []
        services.bus.subscribe(
            OpportunitiesAdded, lambda e: announced.extend(o.key for o in e.opportunities)
        )
        try:
            provision(sandbox.info, services, speed=SPEED)
            fetched = _jobs(sandbox)
            await fetch_all(services, None, lambda _text: None)
            _assert_one_row_per_job(services, sandbox, fetched)
            # What an earlier run had in the inbox is not announced as new again.
            assert not known & set(announced), "an old job announced as new"
            if number == 1:
                # Arrivals after the world began, so the journal is tested too.
                initial = set(sandbox.gigradar.opportunities)
                await _wait_for(
                    lambda: len(sandbox.gigradar.opportunities) > len(initial) + 3, "arrivals"
                )
                await fetch_all(services, None, lambda _text: None)
                opps = sorted(
                    (
                        o
                        for o in services.store.opportunities.all()
                        if o.platform is Platform.GIGRADAR and not o.questions
                    ),
                    key=lambda o: o.detected_at,
                )
                arrived = next(o for o in reversed(opps) if o.external_id not in initial)
                first = next(o for o in opps if o.external_id in initial)
                sent = next(
                    o
                    for o in opps
                    if o.external_id in initial
                    and o.dedupe_key not in (first.dedupe_key, arrived.dedupe_key)
                )
                for key, opp in (("draft_old", first), ("draft_arrived", arrived)):
                    services.store.drafts.save(Draft(opportunity_key=opp.key, cover_letter=LETTER))
                    memo[key] = opp.key
                # A job the user also looked up through UpHunt, drafted on UpHunt's copy.
                pasted = next(
                    o
                    for o in opps
                    if o.external_id in initial
                    and o.dedupe_key not in (first.dedupe_key, arrived.dedupe_key, sent.dedupe_key)
                )
                copy = await _uphunt_copy(services, pasted)
                services.store.drafts.save(Draft(opportunity_key=copy.key, cover_letter=LETTER))
                memo["draft_pasted"] = copy.key
                assert services.inbox.row_key(copy.key) == services.inbox.row_key(pasted.key)
                sub = await services.submissions.submit(
                    SubmitRequest(
                        opportunity_key=sent.key,
                        cover_letter=LETTER,
                        bid=default_bid(sent, SPECS[Platform.GIGRADAR].bids),
                        confirm_warnings=True,
                        confirm_auto_bidder=True,
                    )
                )
                sub = await services.submissions.wait_settled(sub.id, timeout=60)
                assert sub.state is SubmissionState.SUBMITTED, sub
                memo["submission"] = sub.id
                memo["rows_after_1"] = str(services.store.opportunities.count_jobs())
            else:
                # The first run's submission is still known to the platform: not failed.
                sub = await services.submissions.reconcile(memo["submission"])
                assert sub.state is SubmissionState.SUBMITTED, sub
                assert sub.failure is None
            if number == 3:
                for key in ("draft_old", "draft_arrived"):
                    draft = services.store.drafts.get(memo[key])
                    assert draft is not None
                    opp = services.submissions.opportunity(draft.opportunity_key)
                    sub = await services.submissions.submit(
                        SubmitRequest(
                            opportunity_key=draft.opportunity_key,
                            cover_letter=draft.cover_letter,
                            bid=default_bid(opp, SPECS[Platform.GIGRADAR].bids),
                            confirm_warnings=True,
                            confirm_auto_bidder=True,
                        )
                    )
                    sub = await services.submissions.wait_settled(sub.id, timeout=60)
                    assert sub.state is SubmissionState.SUBMITTED, (key, sub)
                # The draft on UpHunt's copy is the job's: opened from the job's row and
                # sent through the GigRadar route, it goes on the GigRadar source.
                row = services.inbox.row_key(memo["draft_pasted"])
                draft = services.inbox.draft_for(row)
                job = services.inbox.job(row)
                assert draft is not None and job is not None
                assert {s.platform for s in job.sources} == {Platform.GIGRADAR, Platform.UPHUNT}
                sub = await services.submissions.submit(
                    SubmitRequest(
                        opportunity_key=row,
                        cover_letter=draft.cover_letter,
                        bid=default_bid(job, SPECS[Platform.GIGRADAR].bids),
                        via=Platform.GIGRADAR,
                        confirm_warnings=True,
                        confirm_auto_bidder=True,
                    )
                )
                assert sub.platform is Platform.GIGRADAR
                assert sub.opportunity_key.startswith("gigradar:")
                sub = await services.submissions.wait_settled(sub.id, timeout=60)
                assert sub.state is SubmissionState.SUBMITTED, sub
                assert services.inbox.state_of(memo["draft_pasted"]).value == "submitted"
            known.update(o.key for o in services.store.opportunities.all())
        finally:
            await services.aclose()


def test_three_starts_on_one_profile_keep_one_world(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    memo: dict[str, str] = {}
    known: set[str] = set()
    for number in (1, 2, 3):
        asyncio.run(_run(profile, number, memo, known))
    assert (profile / "sandbox" / f"world-{SEED}.json").is_file()

    env = {**os.environ, "BIDDESK_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "app", "--profile", str(profile), "list", "--json", "--limit", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["opportunities"]
    keys = Counter(entry["key"] for entry in entries)
    assert max(keys.values()) == 1
    # One entry per job, each source listed once across all entries.
    assert max(Counter(entry["job_key"] for entry in entries).values()) == 1
    sources = Counter(s["key"] for entry in entries for s in entry["sources"])
    assert max(sources.values()) == 1
    assert memo["draft_pasted"] in sources
    # One GigRadar entry per opportunity the kept world holds (a job two scanners matched
    # is two opportunities), one Gigiac entry per task: nothing minted again.
    world = Sandbox(_config(profile))  # rebuilt from the file, not started
    per_job = Counter(o.job.ciphertext for o in world.gigradar.opportunities.values())
    listed = Counter(e["upwork_job_id"] for e in entries if e["platform"] == "gigradar")
    assert all(n <= per_job[job] for job, n in listed.items()), listed
    tasks = [e["key"].split(":", 1)[1] for e in entries if e["platform"] == "gigiac"]
    assert set(tasks) <= set(world.gigiac.tasks)
    # The world grew by its arrivals, never by copies of what the first run had.
    assert len(entries) >= int(memo["rows_after_1"])


def test_three_window_starts_on_one_profile_leave_one_row_per_job(tmp_path: Path) -> None:
    """The real thing: `biddesk --sandbox --profile DIR` three times, each fetching for a
    few seconds while jobs arrive, then every row is a job of the one kept world."""
    profile = tmp_path / "profile"
    env = {**os.environ, "BIDDESK_HOME": str(tmp_path / "home")}
    seen: set[str] = set()
    for number in (1, 2, 3):
        shot = tmp_path / f"run{number}.png"
        result = subprocess.run(
            [
                *(sys.executable, "-m", "app", "--sandbox", "--profile", str(profile)),
                *("--screenshot", str(shot), "--quit-after", "4"),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        listed = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "--profile",
                str(profile),
                "list",
                "--json",
                "--limit",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert listed.returncode == 0, listed.stderr
        entries = json.loads(listed.stdout)["opportunities"]
        keys = [entry["key"] for entry in entries]
        assert len(keys) == len(set(keys))
        jobs = [entry["job_key"] for entry in entries]
        assert len(jobs) == len(set(jobs)), f"run {number}: one job on two rows"
        assert seen <= set(keys)
        seen = set(keys)
        # The window's world, rebuilt from the profile (not started): every row is in it.
        world = Sandbox(SandboxConfig(seed=SEED, state_dir=profile / "sandbox"))
        known = {f"gigradar:{i}" for i in world.gigradar.opportunities}
        known |= {f"gigiac:{i}" for i in world.gigiac.tasks}
        stray = set(keys) - known
        assert not stray, f"run {number}: {len(stray)} rows of jobs minted again"
        assert world.world is not None and world.world.starts == number
        assert any(k.startswith("gigradar:") for k in keys)
