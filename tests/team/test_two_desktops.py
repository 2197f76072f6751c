"""Two desktops, one team database, the sandbox: what the team sees and what it sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.team.conftest import Desktop, Watch, control

pytestmark = pytest.mark.integration

LETTER = (
    "Hello, I have delivered several projects like this one and can start this week. "
    "I will confirm the scope with you first and then ship in small reviewed steps. "
    "Best regards, Alex [[sim:sent]]"
)


def _fetched(desktop: Desktop) -> list[dict[str, Any]]:
    done = desktop.run("fetch")
    assert done.returncode == 0, done.stderr
    return list(desktop.json("list", "--json", "--limit", "0")["opportunities"])


def _gigiac_task(listing: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in listing if o["platform"] == "gigiac" and not o["questions"])


def _bid(job: dict[str, Any]) -> list[str]:
    return ["--bid", "900"] if job["kind"] == "fixed" else ["--bid", "60"]


def test_both_see_the_same_inbox(team: tuple[Desktop, Desktop]) -> None:
    alice, bob = team
    fetched = _fetched(alice)
    assert fetched
    seen = bob.json("list", "--json", "--limit", "0")["opportunities"]
    assert sorted(o["key"] for o in seen) == sorted(o["key"] for o in fetched)
    assert all(o["claimed_by"] is None for o in seen)


def test_both_send_at_once_and_exactly_one_proposal_reaches_the_platform(
    team: tuple[Desktop, Desktop], sandbox: dict[str, Any], tmp_path: Path
) -> None:
    alice, bob = team
    job = _gigiac_task(_fetched(alice))
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER, encoding="utf-8")
    before = control(sandbox, "/info")["state"]["gigiac_proposals"]
    argv = ("submit", job["key"], "--cover-letter-file", str(letter), *_bid(job), "--yes")
    procs = {desktop.name: desktop.start(*argv) for desktop in (alice, bob)}
    results = {name: (proc.wait(120), *proc.communicate()) for name, proc in procs.items()}
    winners = [name for name, (code, _out, _err) in results.items() if code == 0]
    assert len(winners) == 1, results
    [loser] = [name for name in results if name not in winners]
    _code, _out, err = results[loser]
    # The existing duplicate sentence, naming who sent it and when.
    assert "already" in err and f"by {winners[0]} at " in err, err
    assert "Traceback" not in err
    assert control(sandbox, "/info")["state"]["gigiac_proposals"] == before + 1
    # The history says who did what.
    [sub] = alice.json("status", "--no-refresh", "--json", job["key"])["submissions"]
    assert sub["state"] in ("submitting", "submitted")


def test_a_claim_by_one_is_seen_by_the_other_live(
    team: tuple[Desktop, Desktop], tmp_path: Path
) -> None:
    alice, bob = team
    job = _gigiac_task(_fetched(alice))
    watch = Watch(bob)
    try:
        done = alice.run("claim", job["key"])
        assert done.returncode == 0, done.stderr
        seen = watch.next(lambda line: line["event"] == "claim")
        assert (seen["opportunity"], seen["claimed_by"]) == (job["key"], "alice")
    finally:
        watch.stop()
    listed = {o["key"]: o for o in bob.json("list", "--json", "--limit", "0")["opportunities"]}
    assert listed[job["key"]]["claimed_by"] == "alice"
    # Bob cannot send over Alice's claim...
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER, encoding="utf-8")
    argv = ("submit", job["key"], "--cover-letter-file", str(letter), *_bid(job), "--yes")
    refused = bob.run(*argv)
    assert refused.returncode != 0
    assert "alice is writing the proposal" in refused.stderr
    assert "--take-over" in refused.stderr and "Traceback" not in refused.stderr
    # ...nor claim it without taking it over; taking over is the confirmation.
    assert bob.run("claim", job["key"]).returncode != 0
    assert bob.run("claim", job["key"], "--take-over").returncode == 0
    listed = {o["key"]: o for o in alice.json("list", "--json", "--limit", "0")["opportunities"]}
    assert listed[job["key"]]["claimed_by"] == "bob"
    assert bob.run("release", job["key"]).returncode == 0
    listed = {o["key"]: o for o in alice.json("list", "--json", "--limit", "0")["opportunities"]}
    assert listed[job["key"]]["claimed_by"] is None


def test_a_new_opportunity_reaches_the_other_desktop_live(
    team: tuple[Desktop, Desktop],
) -> None:
    alice, bob = team
    watch = Watch(bob)
    try:
        done = alice.run("fetch")
        assert done.returncode == 0, done.stderr
        seen = watch.next(
            lambda line: line["event"] == "change" and line["table"] == "opportunities"
        )
        assert seen["op"] == "insert" and seen["keys"]
    finally:
        watch.stop()
