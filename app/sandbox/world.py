"""A kept sandbox world: what one seed's sandbox became, saved in the profile and rebuilt.

`biddesk --sandbox --profile DIR` keeps a profile across starts, so the sandbox it talks
to must keep its world too: the same jobs under the same ids, the applications and
proposals sent to them, the jobs that closed. Otherwise each start mints new ids for the
same jobs (one job, four inbox rows), a draft saved yesterday points at an opportunity the
sandbox no longer knows, and old jobs are announced as new.

The world is not stored object by object. The seed already decides everything the sandbox
invents; what differs from run to run is *when* it was built and what happened since. So
the file (`<state_dir>/world-<seed>.json`) holds:

- `epoch`: the wall time the world was first built. Every later start builds the initial
  jobs, tasks and scanners with the clock pinned at it, so ids and timestamps come out
  identical (a GigRadar opportunity id is an ObjectId whose first bytes are its time).
- `journal`: every arrival (a GigRadar opportunity, a Gigiac task, from the arrival chain
  or the control surface) with its time and overrides, and every draw of an arrival gap,
  in order. Replaying it, muted, consumes the arrival streams exactly as the first run did,
  so the arrived jobs come back with their ids and the next arrival is a new one.
- what the users' requests changed: GigRadar applications, UpHunt's queue and credits,
  Gigiac proposals, balance and task states, closed Upwork jobs, the agency's proposals,
  scanner settings. Pending steps are planned again: a scheduled application is sent, a
  queued apply finishes, a pending proposal is decided, a submitted proposal moves on.

Each start salts the runtime streams (proposal ids, queue ids, outcomes) with its start
number, so a restart never hands out an id it gave before. A file that does not fit (another
seed or world size, a newer version, unreadable, or one that fails to rebuild) is set aside
and a new world begins.
Webhook subscriptions are not kept: the app registers its receiver again on each start.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.sandbox.gigiac import Proposal
from app.sandbox.gigradar import Application
from app.sandbox.platform import Journal
from app.sandbox.uphunt import QueueItem

if TYPE_CHECKING:
    from app.sandbox.server import Sandbox, SandboxConfig

logger = logging.getLogger(__name__)

VERSION = 1


def world_path(state_dir: Path, seed: int) -> Path:
    return state_dir / f"world-{seed}.json"


def _shape(config: SandboxConfig) -> dict[str, Any]:
    """What must match for a saved world to be this sandbox's world."""
    return {
        "seed": config.seed,
        "initial_opportunities": config.initial_opportunities,
        "initial_tasks": config.initial_tasks,
    }


@dataclasses.dataclass
class KeptWorld:
    """The saved world as read at start, or a new one (`journal` empty, `starts` 0)."""

    path: Path
    epoch: float
    starts: int = 0
    journal: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def runtime_salt(self) -> str:
        return "" if self.starts == 0 else f":start{self.starts}"


def load(config: SandboxConfig, state_dir: Path, now: float) -> KeptWorld:
    """The world saved for this seed in `state_dir`, or a new world beginning `now`."""
    path = world_path(state_dir, config.seed)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return KeptWorld(path, epoch=now)
    except OSError as exc:
        logger.warning("the kept sandbox world %s cannot be read (%s); a new one begins", path, exc)
        return KeptWorld(path, epoch=now)
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("another version")
        if data.get("shape") != _shape(config):
            raise ValueError("another seed or world size")
        epoch = float(data["epoch"])
        journal = data.get("journal") or []
        state = data.get("state") or {}
        if not isinstance(journal, list) or not isinstance(state, dict):
            raise ValueError("damaged")
        return KeptWorld(path, epoch, int(data.get("starts", 0)) + 1, journal, state)
    except (ValueError, KeyError, TypeError) as exc:
        set_aside(path, now)
        logger.warning(
            "the kept sandbox world %s does not fit (%s); set aside, a new one begins", path, exc
        )
        return KeptWorld(path, epoch=now)


def set_aside(path: Path, now: float) -> None:
    """Keep a world file that does not fit beside the new one, for a bug report."""
    with contextlib.suppress(OSError):
        path.replace(path.with_name(f"{path.stem}.{int(now)}.set-aside.json"))


def replay(sandbox: Sandbox, world: KeptWorld) -> None:
    """Rebuild the arrivals, then apply what the requests changed. Muted: nothing recorded."""
    clock, events = sandbox.clock, sandbox.events
    events.muted = True
    _hold_saved(sandbox, world.state)
    try:
        for entry in world.journal:
            platform = entry.get("platform")
            state: Any = sandbox.gigradar if platform == "gigradar" else sandbox.gigiac
            if platform not in ("gigradar", "gigiac"):
                continue
            if entry.get("gap"):
                state.next_gap()
                continue
            overrides = copy.deepcopy(entry.get("overrides") or {})
            with (
                clock.pinned(float(entry.get("at", world.epoch))),
                contextlib.suppress(KeyError, TypeError, ValueError),
            ):  # a request the first run refused is refused again, with the same draws
                if platform == "gigradar":
                    sandbox.gigradar.add_opportunity(**overrides)
                else:
                    sandbox.gigiac.add_task(**overrides)
        _restore(sandbox, world.state)
    finally:
        events.muted = False
        # Restored applications and proposals hold their opportunities and tasks now.
        sandbox.gigradar.pinned.clear()
        sandbox.gigiac.pinned.clear()


def _hold_saved(sandbox: Sandbox, state: dict[str, Any]) -> None:
    """What the saved state gives an application, a proposal or a queue item back to is
    held from the replay's start: the first run held it from the moment it was applied
    to, and only then could a later arrival have pushed it out of the window."""
    try:
        sandbox.gigradar.pinned.update(state.get("gigradar_applications") or {})
        saved_gigiac = state.get("gigiac") or {}
        for saved in saved_gigiac.get("proposals") or []:
            if isinstance(saved, dict) and isinstance(saved.get("task_id"), str):
                sandbox.gigiac.pinned.add(saved["task_id"])
        for saved in (state.get("uphunt") or {}).get("queue") or []:
            if isinstance(saved, dict) and isinstance(saved.get("job"), str):
                sandbox.universe.pin(saved["job"])
    except (AttributeError, TypeError):  # a damaged file: _restore will say so
        return


def snapshot(sandbox: Sandbox, world: KeptWorld) -> dict[str, Any]:
    """The JSON document `write` saves (built on the loop: plain copies, cheap)."""
    universe = sandbox.universe
    gigradar, uphunt, gigiac = sandbox.gigradar, sandbox.uphunt, sandbox.gigiac
    applications = {
        opp.id: {
            "application": dataclasses.asdict(opp.application),  # plain JSON values
            "created": opp.applications_created,
        }
        for opp in gigradar.opportunities.values()
        if opp.application is not None
    }
    queue = [
        {
            **{name: copy.deepcopy(getattr(item, name)) for name in _ITEM_FIELDS},
            "job": item.job.ciphertext,
        }
        for item in uphunt.items()
    ]
    proposals = [dataclasses.asdict(p) for p in gigiac.proposals.values()]
    state = {
        "closed_jobs": {
            cipher: job.closed_at for cipher, job in universe.jobs.items() if not job.is_open
        },
        "agency_proposals": dict(universe.agency_proposals),
        "scanners": {sid: s.auto_bidder for sid, s in gigradar.scanners.items()},
        "gigradar_applications": applications,
        "uphunt": {"credits": uphunt.credits, "reserved": uphunt.reserved, "queue": queue},
        "gigiac": {
            "balance_cents": gigiac.balance_cents,
            "reserved_cents": gigiac.reserved_cents,
            "lifetime_earned_cents": gigiac.lifetime_earned_cents,
            "tasks": {
                task_id: {k: task[k] for k in _TASK_FIELDS if k in task}
                for task_id, task in gigiac.tasks.items()
            },
            "proposals": proposals,
        },
    }
    return {
        "version": VERSION,
        "shape": _shape(sandbox.config),
        "epoch": world.epoch,
        "starts": world.starts,
        "saved_at": time.time(),
        # Spliced in by `encode` from the bytes the journal keeps (platform.Journal).
        "journal": sandbox.ctx.journal if sandbox.ctx.journal is not None else [],
        "state": state,
    }


_TASK_FIELDS = ("status", "updated_at", "assigned_to", "proposal_count")
_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(QueueItem) if f.name != "job")


_JOURNAL_MARK = "\x00journal\x00"


def encode(document: dict[str, Any]) -> bytes:
    """The file's bytes (on the loop: see `write`); the journal goes in already encoded."""
    journal = document.get("journal")
    if not isinstance(journal, Journal):
        return json.dumps(document, separators=(",", ":"), default=str).encode()
    # "journal" comes before "state" (the only place a client's text could appear), so the
    # first occurrence of the mark is the journal's.
    text = json.dumps({**document, "journal": _JOURNAL_MARK}, separators=(",", ":"), default=str)
    return text.encode().replace(json.dumps(_JOURNAL_MARK).encode(), journal.encoded(), 1)


def write(path: Path, data: bytes) -> None:
    """Atomically (a crash leaves the previous file or the new one, never half of one).

    Callers run this in a thread with bytes encoded beforehand: writing bytes allocates
    next to nothing, so the cyclic GC does not run in that thread (where it would destroy
    the window's Qt objects off their thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def _restore(sandbox: Sandbox, state: dict[str, Any]) -> None:
    universe = sandbox.universe
    for cipher, closed_at in (state.get("closed_jobs") or {}).items():
        job = universe.jobs.get(cipher)
        if job is not None:
            job.data["status"] = "closed"
            job.closed_at = closed_at
    universe.agency_proposals.update(state.get("agency_proposals") or {})

    gigradar = sandbox.gigradar
    for scanner_id, auto_bidder in (state.get("scanners") or {}).items():
        if scanner_id in gigradar.scanners:
            gigradar.scanners[scanner_id].auto_bidder = bool(auto_bidder)
    fields = {f.name for f in dataclasses.fields(Application)}
    for opp_id, saved in (state.get("gigradar_applications") or {}).items():
        opp = gigradar.opportunities.get(opp_id)
        if opp is None:
            continue
        app = Application(**{k: v for k, v in saved["application"].items() if k in fields})
        gigradar.restore(opp, app, int(saved.get("created", 1)))

    uphunt = sandbox.uphunt
    saved_uphunt = state.get("uphunt") or {}
    for saved_item in saved_uphunt.get("queue") or []:
        job = universe.jobs.get(saved_item.get("job"))
        if job is None:
            continue
        uphunt.restore(
            QueueItem(job=job, **{k: v for k, v in saved_item.items() if k in _ITEM_FIELDS})
        )
    uphunt.credits = int(saved_uphunt.get("credits", uphunt.credits))
    uphunt.reserved = int(saved_uphunt.get("reserved", uphunt.reserved))

    gigiac = sandbox.gigiac
    saved_gigiac = state.get("gigiac") or {}
    gigiac.balance_cents = int(saved_gigiac.get("balance_cents", gigiac.balance_cents))
    gigiac.reserved_cents = int(saved_gigiac.get("reserved_cents", gigiac.reserved_cents))
    gigiac.lifetime_earned_cents = int(
        saved_gigiac.get("lifetime_earned_cents", gigiac.lifetime_earned_cents)
    )
    for task_id, changed in (saved_gigiac.get("tasks") or {}).items():
        task = gigiac.tasks.get(task_id)
        if task is not None:
            task.update({k: v for k, v in changed.items() if k in _TASK_FIELDS})
    proposal_fields = {f.name for f in dataclasses.fields(Proposal)}
    for saved_proposal in saved_gigiac.get("proposals") or []:
        gigiac.restore(
            Proposal(**{k: v for k, v in saved_proposal.items() if k in proposal_fields})
        )
