"""One inbox row per Upwork job, against the real sandbox (issue 16, item 1).

GigRadar makes one opportunity per scanner × job, and UpHunt reaches the same Upwork
job: here a job is matched by a second scanner after the first fetch and looked up
through UpHunt, and the inbox (the Qt-free index the window's table shows, and `biddesk
list --json`) holds one row for it listing its three sources with the best score. The
editor's route choice sends through UpHunt on UpHunt's copy; the duplicate guard then
refuses the GigRadar route, and the sandbox holds one application for the job.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from app.cli.commands.inbox import fetch_all
from app.domain import Opportunity, Platform, SubmissionState
from app.sandbox import Sandbox
from app.services.container import Services, open_services
from app.services.inbox_index import InboxIndex
from app.services.inbox_rows import CELL_TEXTS, Column
from app.services.submissions import DuplicateSubmission
from tests.helpers.cli import run
from tests.integration.conftest import ACCOUNTS
from tests.integration.test_end_to_end import SETTLE, request_for, uphunt_applications
from tests.store.factories import opportunity

pytestmark = pytest.mark.integration


def _cell(index: InboxIndex, key: str, column: Column) -> str:
    i = index.id_of(key)
    assert i is not None, key
    return CELL_TEXTS[column](index.records[i], index.states[i], index.starred[i], lambda: 0.0)


async def test_scanners_and_uphunt_on_one_job_make_one_row(
    live: Services,
    sandbox: Sandbox,
    raw: httpx.AsyncClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await fetch_all(live, ACCOUNTS[Platform.GIGRADAR], lambda _text: None)
    first = sorted(
        (o for o in live.store.opportunities.all() if o.platform is Platform.GIGRADAR),
        key=lambda o: (o.questions != (), o.key),
    )[0]
    cipher = first.upwork_job_id
    assert cipher is not None
    # A second scanner matches the same Upwork job after the first fetch.
    scanner = next(s for s in sandbox.gigradar.scanners if s != first.context["scanner_id"])
    added = sandbox.gigradar.add_opportunity(jobId=cipher, scannerId=scanner, score=0.99)
    result = await live.inbox.fetch(live.accounts.get(ACCOUNTS[Platform.GIGRADAR]))
    assert result.new == ()  # the same job: not a new row, not announced as a new match
    assert first.key in {o.key for o in result.changed}
    # The user pastes the job into UpHunt (what `biddesk submit URL --via uphunt` does).
    uphunt = live.accounts.get(ACCOUNTS[Platform.UPHUNT])
    stub = Opportunity(
        platform=Platform.UPHUNT, external_id=cipher, upwork_job_id=cipher, title="."
    )
    copy = await live.accounts.adapter(uphunt).get_opportunity(stub)
    await live.inbox.ingest([copy.model_copy(update={"account": uphunt.name})])

    stored = [o for o in live.store.opportunities.all() if o.upwork_job_id == cipher]
    assert len(stored) == 3  # every source kept: the send needs each one's ids
    # The inbox's index, loaded as the window loads it: one row per Upwork job.
    index = InboxIndex()
    index.load_rows(live.store.opportunities.iter_rows(), live.inbox.local_states())
    rows = list(live.store.opportunities.iter_rows())
    per_job = Counter(r.upwork_job_id for r in rows if r.upwork_job_id)
    assert per_job and max(per_job.values()) == 1
    # The sandbox's own jobs that several scanners matched at the start are one row too.
    assert len(rows) == len({o.job.ciphertext for o in sandbox.gigradar.opportunities.values()})
    assert index.total_count() == len(rows)
    assert _cell(index, first.key, Column.PLATFORM) == "GigRadar ×2 · UpHunt"
    assert _cell(index, first.key, Column.SCORE) == "99"  # the best source's score
    assert added.id in {s.external_id for s in live.inbox.job(first.key).sources}  # type: ignore[union-attr]

    # `biddesk list --json`: one entry per job, with its sources.
    code, out, err = run(
        ["--profile", str(tmp_path / "profile"), "list", "--json", "--limit", "0"], capsys
    )
    assert code == 0, err
    entries = json.loads(out)["opportunities"]
    assert max(Counter(e["job_key"] for e in entries).values()) == 1
    [entry] = [e for e in entries if e["upwork_job_id"] == cipher]
    assert entry["key"] == first.key and entry["match_score"] == 0.99
    assert sorted(s["platform"] for s in entry["sources"]) == ["gigradar", "gigradar", "uphunt"]
    assert {s["key"] for s in entry["sources"]} == {o.key for o in stored}

    # The editor sends with the row's key and the chosen route.
    job = live.inbox.job(first.key)
    assert job is not None
    sub = await live.submissions.submit(request_for(job, job_letter(), via=Platform.UPHUNT))
    assert (sub.platform, sub.opportunity_key) == (Platform.UPHUNT, f"uphunt:{cipher}")
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED
    with pytest.raises(DuplicateSubmission):
        await live.submissions.submit(request_for(job, job_letter(), via=Platform.GIGRADAR))
    assert len(await uphunt_applications(raw, sandbox, cipher)) == 1
    assert sandbox.gigradar.applications_for_job(cipher) == 0
    # The job's row shows the submission, whichever source it went through.
    assert live.inbox.local_states()[first.key] == "submitted"


def job_letter() -> str:
    return (
        "Hello, I have delivered several projects like this one and can start this week; "
        "a short call first, then a working version within days. [[sim:applied]]"
    )


async def test_list_shows_each_job_once_with_its_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a sandbox: the text table says who found each job; `--platform` keeps a
    job any of whose sources is on that platform."""
    profile = tmp_path / "profile"
    services = open_services(profile)
    try:
        cipher = "~01feedfacefeedface"
        gigradar = opportunity(1, external_id="gr-1", upwork_job_id=cipher, match_score=0.4)
        uphunt = opportunity(
            1, platform=Platform.UPHUNT, external_id=cipher, upwork_job_id=cipher, match_score=None
        )
        lone = opportunity(2, match_score=0.3)
        await services.inbox.ingest([gigradar, lone])
        await services.inbox.ingest([uphunt])
    finally:
        await services.aclose()

    code, out, err = run(["--profile", str(profile), "list"], capsys)
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("gigradar:")]
    assert len(lines) == 2  # two jobs, not three rows
    assert "GigRadar · UpHunt" in lines[0] and "GigRadar · UpHunt" not in lines[1]
    code, out, err = run(
        ["--profile", str(profile), "list", "--json", "--platform", "uphunt"], capsys
    )
    assert code == 0, err
    [entry] = json.loads(out)["opportunities"]
    assert (entry["key"], entry["job_key"]) == (gigradar.key, f"upwork:{cipher}")
    assert [s["key"] for s in entry["sources"]] == [gigradar.key, uphunt.key]
