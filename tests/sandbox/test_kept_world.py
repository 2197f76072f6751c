"""A kept sandbox world (`SandboxConfig.state_dir`, app/sandbox/world.py): the same jobs
under the same ids on every start, whatever the time, with what the requests changed."""

from __future__ import annotations

import json
import time
import types
from pathlib import Path

import pytest

from app.sandbox import Sandbox, SandboxConfig
from app.sandbox import clock as clock_module
from tests.helpers.wait import wait_for

SPEED = 3000.0  # arrivals every ~20 ms (GigRadar) and ~30 ms (Gigiac)


def _config(state_dir: Path | None, **overrides: object) -> SandboxConfig:
    values: dict[str, object] = {
        "seed": 5,
        "speed": SPEED,
        "initial_opportunities": 12,
        "initial_tasks": 8,
        "state_dir": state_dir,
    }
    values.update(overrides)
    return SandboxConfig(**values)  # type: ignore[arg-type]


def _later(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    """Starts from here on see a wall clock `days` later (ObjectIds carry their time)."""
    shift = days * 86_400
    fake = types.SimpleNamespace(monotonic=time.monotonic, time=lambda: time.time() + shift)
    monkeypatch.setattr(clock_module, "time", fake)


async def _wait_for(condition, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    await wait_for(condition, timeout, message=f"timed out waiting for {what}")


def _ids(sandbox: Sandbox) -> dict[str, set[str]]:
    return {
        "opportunities": set(sandbox.gigradar.opportunities),
        "jobs": set(sandbox.universe.jobs),
        "tasks": set(sandbox.gigiac.tasks),
        "scanners": set(sandbox.gigradar.scanners),
    }


async def test_a_kept_world_comes_back_with_its_ids_and_what_was_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "sandbox"
    async with Sandbox(_config(state_dir)) as first:
        await _wait_for(
            lambda: len(first.gigradar.opportunities) > 14 and len(first.gigiac.tasks) > 10,
            "arrivals on both platforms",
        )
        first.advance()
        before = _ids(first)
        opps = sorted(first.gigradar.opportunities.values(), key=lambda o: o.sort_key)
        applied = opps[0]
        first.gigradar.create_application(applied, "A letter [[sim:sent]]", None, [], None)
        task = next(iter(first.gigiac.tasks.values()))
        proposal = first.gigiac.propose(task, 5000, "A letter", None)
        job = opps[1].job
        item = first.uphunt.enqueue(
            job,
            profile_id=first.uphunt.default_profile_id,
            cover_letter="A letter",
            proposal={},
            auto_fill=False,
            question_answers=[],
        )
        first.close_job(opps[2].job.ciphertext)
        arrivals_recorded = first.events.last_seq
    assert arrivals_recorded > 0

    _later(monkeypatch, 1.5)
    second = Sandbox(_config(state_dir))
    assert second.events.last_seq == 0  # the replay announced nothing again
    after = _ids(second)
    for name, ids in before.items():
        assert after[name] == ids, name
    restored = second.gigradar.opportunities[applied.id]
    assert restored.application is not None
    assert restored.application.cover_letter == "A letter [[sim:sent]]"
    assert second.gigiac.proposals[proposal.id].task_id == task["id"]
    assert second.uphunt.queue[item.queue_id].job.ciphertext == job.ciphertext
    assert not second.universe.jobs[opps[2].job.ciphertext].is_open
    # A new start hands out new runtime ids: no proposal id of the first run comes back.
    fresh = second.gigiac.propose(second.gigiac.tasks[task["id"]], 5000, "Again", None)
    assert fresh.id != proposal.id


async def test_arrivals_continue_after_the_kept_ones(tmp_path: Path) -> None:
    state_dir = tmp_path / "sandbox"
    async with Sandbox(_config(state_dir)) as first:
        await _wait_for(lambda: len(first.gigradar.opportunities) > 13, "an arrival")
    kept = set(first.gigradar.opportunities)
    async with Sandbox(_config(state_dir)) as second:
        assert set(second.gigradar.opportunities) == kept
        await _wait_for(lambda: len(second.gigradar.opportunities) > len(kept), "a new arrival")
        new = set(second.gigradar.opportunities) - kept
        new_jobs = {second.gigradar.opportunities[i].job.ciphertext for i in new}
        old_jobs = {first.gigradar.opportunities[i].job.ciphertext for i in kept}
        assert new_jobs - old_jobs, "a new arrival is a new job, not one already shown"


def test_without_a_kept_world_two_days_mint_other_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the world is kept: a fresh world's ObjectIds carry the start time."""
    first = set(Sandbox(_config(None)).gigradar.opportunities)
    _later(monkeypatch, 2)
    assert set(Sandbox(_config(None)).gigradar.opportunities).isdisjoint(first)


@pytest.mark.parametrize(
    "content", ["{not json", json.dumps({"version": 99}), json.dumps(["a list"])]
)
def test_a_file_that_does_not_fit_is_set_aside(tmp_path: Path, content: str) -> None:
    state_dir = tmp_path / "sandbox"
    state_dir.mkdir()
    (state_dir / "world-5.json").write_text(content)
    sandbox = Sandbox(_config(state_dir))
    assert sandbox.world is not None and sandbox.world.starts == 0
    assert len(sandbox.gigradar.opportunities) == 12
    assert not (state_dir / "world-5.json").exists()
    assert [p.read_text() for p in state_dir.glob("world-5.*.set-aside.json")] == [content]


async def test_another_world_size_begins_a_new_world(tmp_path: Path) -> None:
    state_dir = tmp_path / "sandbox"
    async with Sandbox(_config(state_dir, arrivals=False)):
        pass
    bigger = Sandbox(_config(state_dir, arrivals=False, initial_opportunities=15))
    assert bigger.world is not None and bigger.world.starts == 0
    assert len(bigger.gigradar.opportunities) == 15


async def test_the_world_is_saved_while_it_runs(tmp_path: Path) -> None:
    """A killed window loses at most the last few seconds of the world, not all of it."""
    state_dir = tmp_path / "sandbox"
    path = state_dir / "world-5.json"
    async with Sandbox(_config(state_dir, save_every=0.05)) as sandbox:
        assert path.is_file()  # from the start: the epoch is kept
        await _wait_for(lambda: len(sandbox.gigradar.opportunities) > 13, "an arrival")
        count = len(sandbox.gigradar.opportunities)
        await _wait_for(
            lambda: (
                sum(1 for e in json.loads(path.read_text())["journal"] if "at" in e) >= count - 12
            ),
            "the arrival saved",
        )


async def test_pending_steps_go_on_after_a_restart(tmp_path: Path) -> None:
    """A scheduled application is sent, and an ACTIVE proposal reaches its outcome, in the
    next start: the lifecycle does not freeze where the last run stopped."""
    state_dir = tmp_path / "sandbox"
    config = _config(state_dir, arrivals=False)
    async with Sandbox(config) as first:
        early, late = sorted(first.gigradar.opportunities.values(), key=lambda o: o.sort_key)[:2]
        wall = first.clock.wall()
        cover = "A letter [[sim:sent]] [[sim:outcome:OFFER_WON]]"
        first.gigradar.create_application(early, cover, None, [], wall)

        def active() -> bool:
            first.advance()
            app = early.application
            return app is not None and (app.proposal or {}).get("status") == "ACTIVE"

        await _wait_for(active, "the proposal to become ACTIVE")
        # Due in a moment: still waiting when this run stops.
        due = first.clock.wall() + 0.2
        first.gigradar.create_application(late, "[[sim:sent]]", None, [], due)
    assert late.application is not None and late.application.sent is None

    async with Sandbox(config) as second:
        early2 = second.gigradar.opportunities[early.id]
        late2 = second.gigradar.opportunities[late.id]
        assert late2.application is not None and late2.application.scheduled_at == due

        def won() -> bool:
            second.advance()
            app = early2.application
            return app is not None and (app.proposal or {}).get("status") == "OFFER_WON"

        await _wait_for(won, "the outcome planned again")
        await _wait_for(lambda: late2.application.sent is not None, "the send planned again")  # type: ignore[union-attr]


@pytest.mark.allow_error_log(
    "the damaged file is the point", logger="app.sandbox.server", match="could not be rebuilt"
)
async def test_a_file_that_reads_but_does_not_rebuild_starts_a_new_world(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_dir = tmp_path / "sandbox"
    async with Sandbox(_config(state_dir, arrivals=False)):
        pass
    path = state_dir / "world-5.json"
    document = json.loads(path.read_text())
    document["state"]["closed_jobs"] = ["not", "a", "mapping"]
    path.write_text(json.dumps(document))
    sandbox = Sandbox(_config(state_dir, arrivals=False))
    assert sandbox.world is not None and sandbox.world.starts == 0
    assert len(sandbox.gigradar.opportunities) == 12
    assert "could not be rebuilt" in caplog.text
    assert list(state_dir.glob("world-5.*.set-aside.json"))
    async with sandbox:  # and it serves
        assert sandbox.info.port > 0


async def test_a_kept_world_that_let_go_of_old_arrivals_comes_back_the_same(
    tmp_path: Path,
) -> None:
    """The replay forgets exactly what the first run forgot (the opportunities and tasks that
    left the window unapplied-to) and keeps what a request held: same ids, same state."""
    state_dir = tmp_path / "sandbox"
    config = _config(state_dir, keep_opportunities=15, keep_tasks=10)
    async with Sandbox(config) as first:
        await _wait_for(
            lambda: len(first.gigradar.opportunities) >= 14 and len(first.gigiac.tasks) >= 9,
            "arrivals on both platforms",
        )
        first.advance()
        opps = sorted(first.gigradar.opportunities.values(), key=lambda o: o.sort_key)
        applied, queued = opps[-1], opps[-2]
        first.gigradar.create_application(applied, "A letter", None, [], None)
        first.uphunt.enqueue(
            queued.job,
            profile_id=first.uphunt.default_profile_id,
            cover_letter="A letter",
            proposal={},
            auto_fill=False,
            question_answers=[],
        )
        task = first.gigiac.newest_tasks()[0]
        proposal = first.gigiac.propose(task, 5000, "A letter", None)
        seq = first.events.last_seq
        # Well past the window: everything seen above has left it by now.
        await _wait_for(lambda: first.events.last_seq > seq + 60, "sixty more arrivals")
        first.advance()
        before = _ids(first)
    assert applied.id in before["opportunities"] and len(before["opportunities"]) <= 16
    assert queued.id not in before["opportunities"]
    assert queued.job.ciphertext in before["jobs"]  # UpHunt holds its job
    assert task["id"] in before["tasks"] and len(before["tasks"]) <= 11

    second = Sandbox(config)
    after = _ids(second)
    for name, ids in before.items():
        assert after[name] == ids, name
    assert second.gigradar.opportunities[applied.id].application is not None
    assert second.gigiac.proposals[proposal.id].task_id == task["id"]
