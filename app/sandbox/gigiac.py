"""Gigiac REST API emulator (platform-apis.md §3, seed 002), worker side.

We are a bot that browses open tasks and proposes on them; a simulated commissioner
accepts (~30%) or rejects (~70%) each pending proposal after 20-120 s. List endpoints keep
the real API's inconsistent wrappings on purpose: `{"data": [...], "count"}`,
`{"tasks": [...]}`, `{"proposals": [...]}` and a bare array.
"""

from __future__ import annotations

import bisect
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from app.sandbox import corpus, outcomes
from app.sandbox.common import has_magic, iso_pg, json_response, read_json, seeded_uuid
from app.sandbox.data import make_task, task_budget_cents
from app.sandbox.platform import PlatformApi, SandboxContext, bearer_token, journal_arrival
from app.sandbox.ratelimit import MINUTE, RateDecision, Window

logger = logging.getLogger(__name__)

PLATFORM = "gigiac"
_GAP = {"platform": PLATFORM, "gap": True}  # one shared journal entry per draw (read only)
# Tasks kept that we neither proposed on nor posted: the newest 1,000 (~25 sandbox hours of
# arrivals, ~12 real minutes at speed 120); older ones are forgotten. Ours stay for good.
KEEP_TASKS = 1_000
TASK_STATUSES = ("open", "in_progress", "delivered", "completed", "cancelled")
LOW_BALANCE_THRESHOLD_CENTS = 500
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Proposal:
    id: str
    task_id: str
    proposer_id: str
    amount_cents: int
    cover_letter: str
    created_at: float
    estimated_hours: float | None = None
    status: str = "pending"
    updated_at: float = 0.0
    reason: str | None = None

    def wire(self) -> dict[str, Any]:
        amount = self.amount_cents / 100
        return {
            "id": self.id,
            "task_id": self.task_id,
            "proposer_id": self.proposer_id,
            "proposed_amount": int(amount) if self.amount_cents % 100 == 0 else amount,
            "cover_letter": self.cover_letter,
            "status": self.status,
            "estimated_hours": self.estimated_hours,
            "created_at": iso_pg(self.created_at),
            "updated_at": iso_pg(self.updated_at or self.created_at),
        }


class GigiacState:
    """Open tasks, our bot's proposals and credit balance."""

    def __init__(
        self,
        ctx: SandboxContext,
        data_rng: random.Random,
        *,
        initial: int = 30,
        keep: int = KEEP_TASKS,
    ) -> None:
        self.ctx = ctx
        self.keep = keep
        # Tasks a kept world will give a proposal back to (world.py), held while its
        # journal is replayed, as the first run held them.
        self.pinned: set[str] = set()
        self.rng = random.Random(f"gigiac-runtime:{ctx.seed}{ctx.runtime_salt}")
        self.arrival_rng = random.Random(f"gigiac-arrivals:{ctx.seed}")
        self.me: dict[str, Any] = {
            "id": seeded_uuid(data_rng),
            "name": "BidDesk Sandbox Bot",
            "is_bot": True,
        }
        self.tasks: dict[str, dict[str, Any]] = {}
        self._order: list[tuple[str, str]] = []  # ascending (created_at, id)
        self.proposals: dict[str, Proposal] = {}
        self._mine_by_task: dict[str, list[Proposal]] = {}
        self.balance_cents = 2500
        self.reserved_cents = 0
        self.lifetime_earned_cents = 0
        now = ctx.clock.wall()
        templates = list(corpus.GIGIAC_TASKS)
        data_rng.shuffle(templates)
        for index in range(initial):
            template = templates[index % len(templates)]
            self._add(make_task(data_rng, now, template=template))

    def _add(self, task: dict[str, Any]) -> None:
        self.tasks[task["id"]] = task
        bisect.insort(self._order, (task["created_at"], task["id"]))
        self._let_go()

    def held(self, task_id: str) -> bool:
        """Whether a task stays past the window: we proposed on it, or posted it."""
        return (
            task_id in self._mine_by_task
            or task_id in self.pinned
            or self.tasks[task_id].get("poster_id") == self.me["id"]
        )

    def _let_go(self) -> None:
        """Forget the tasks older than the newest `keep` that we neither proposed on nor
        posted: a commissioner deletes or lets a task lapse (platform-apis.md §3.7,
        `DELETE /api/tasks/{id}`), and its reads answer 404. Depends only on each task's
        place in the order and on our proposals, so a kept world's replay forgets the same."""
        order = self._order
        outside = len(order) - self.keep
        if outside <= 0:
            return
        gone = [key for key in order[:outside] if not self.held(key[1])]
        for key in gone:
            del order[bisect.bisect_left(order, key)]
            del self.tasks[key[1]]

    # -- tasks ---------------------------------------------------------------------------

    def add_task(self, **overrides: Any) -> dict[str, Any]:
        """A task posted now; any task field may be overridden (e.g. location_type)."""
        now = self.ctx.clock.wall()
        self.ctx.journal_entry(journal_arrival(PLATFORM, now, overrides))
        task = make_task(self.arrival_rng, now, age=(0.0, 0.0))
        task_id = overrides.pop("id", None)
        if task_id is not None:
            task["id"] = str(task_id)
        unknown = set(overrides) - set(task) - {"budget_amount", "budget_cents", "location"}
        if unknown:
            raise TypeError(f"unknown task overrides: {', '.join(sorted(unknown))}")
        task.update(overrides)
        if task["location_type"] == "on_site" and "location" not in task:
            city, zip_code = corpus.GIGIAC_CITIES[0]
            task["location"] = {"city": city, "zip": zip_code}
        self._add(task)
        self.ctx.events.record(
            PLATFORM,
            "task.created",
            {
                "task_id": task["id"],
                "title": task["title"],
                "category": task["category"],
                "budget_cents": task_budget_cents(task),
                "budget_type": task["budget_type"],
                "match_score": task["match_score"],
                "deadline": task["deadline"],
            },
        )
        return task

    def schedule_arrival(self) -> None:
        gap = self.next_gap()
        self.ctx.scheduler.call_later(self.ctx.clock.real(gap), self._arrive)

    def next_gap(self) -> float:
        """Sandbox seconds to the next task (journalled: it draws on arrivals)."""
        self.ctx.journal_entry(_GAP)
        return self.arrival_rng.expovariate(1 / 90.0)

    def _arrive(self) -> None:
        self.add_task()
        self.schedule_arrival()

    def close_task(self, task_id: str) -> None:
        task = self.tasks[task_id]
        if task["status"] != "open":
            return
        task["status"] = "cancelled"
        task["updated_at"] = iso_pg(self.ctx.clock.wall())
        for proposal in self._mine_by_task.get(task_id, []):
            if proposal.status == "pending":
                self._decide(proposal, accept=False, reason="The task was cancelled.")

    def newest_tasks(self) -> list[dict[str, Any]]:
        return [self.tasks[task_id] for _, task_id in reversed(self._order)]

    def matches_search(self, task_id: str, needle: str) -> bool:
        # Built per search, not kept per task: searches are rare, tasks arrive all day.
        task = self.tasks[task_id]
        haystack = f"{task['title']}\n{task['description']}".lower()
        return all(term in haystack for term in needle.lower().split())

    def proposed_on(self, task_id: str) -> bool:
        return any(p.status != "withdrawn" for p in self._mine_by_task.get(task_id, []))

    # -- proposals -----------------------------------------------------------------------

    def propose(
        self, task: dict[str, Any], amount_cents: int, cover: str, hours: float | None
    ) -> Proposal:
        now = self.ctx.clock.wall()
        proposal = Proposal(
            id=seeded_uuid(self.rng),
            task_id=task["id"],
            proposer_id=self.me["id"],
            amount_cents=amount_cents,
            cover_letter=cover,
            created_at=now,
            estimated_hours=hours,
            updated_at=now,
        )
        self.proposals[proposal.id] = proposal
        self._mine_by_task.setdefault(task["id"], []).append(proposal)
        task["proposal_count"] = int(task.get("proposal_count", 0)) + 1
        self.plan(proposal)
        return proposal

    def restore(self, proposal: Proposal) -> None:
        """A proposal a kept world saved (world.py); a pending one is decided again."""
        self.proposals[proposal.id] = proposal
        self._mine_by_task.setdefault(proposal.task_id, []).append(proposal)
        if proposal.status == "pending":
            self.plan(proposal)

    def plan(self, proposal: Proposal) -> None:
        """The commissioner decides a pending proposal after 20-120 sandbox seconds."""
        cover = proposal.cover_letter
        if has_magic(cover, "accept"):
            accept = True
        elif has_magic(cover, "reject"):
            accept = False
        else:
            # Faster proposals win more often (outcomes.py); ~30% at an hour or two.
            chance = 0.3 * outcomes.speed_factor(self._minutes_since_posted(proposal))
            accept = self.rng.random() < min(0.6, chance)
        delay = self.ctx.clock.real(self.rng.uniform(20, 120))
        self.ctx.scheduler.call_later(delay, lambda: self._commissioner(proposal, accept))

    def _minutes_since_posted(self, proposal: Proposal) -> float | None:
        created = self.tasks.get(proposal.task_id, {}).get("created_at")
        if not isinstance(created, str):
            return None
        try:
            posted = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
        return max(0.0, (proposal.created_at - posted) / 60.0)

    def _commissioner(self, proposal: Proposal, accept: bool) -> None:
        if proposal.status != "pending":
            return
        task = self.tasks.get(proposal.task_id)
        if task is None or task["status"] != "open":
            self._decide(proposal, accept=False, reason="The task is no longer open.")
            return
        if accept:
            self._decide(proposal, accept=True)
            return
        reason = self.rng.choice(corpus.GIGIAC_REJECT_REASONS)
        if "accepted another" in reason:
            # Someone else won the task: it leaves the open pool.
            task["status"] = "in_progress"
            task["assigned_to"] = seeded_uuid(self.rng)
            task["updated_at"] = iso_pg(self.ctx.clock.wall())
        self._decide(proposal, accept=False, reason=reason)

    def _decide(self, proposal: Proposal, *, accept: bool, reason: str | None = None) -> None:
        now = self.ctx.clock.wall()
        proposal.status = "accepted" if accept else "rejected"
        proposal.updated_at = now
        proposal.reason = reason
        task = self.tasks.get(proposal.task_id, {})
        if accept:
            # Every other proposal on the task (none of them ours) is rejected with it.
            task["status"] = "in_progress"
            task["assigned_to"] = self.me["id"]
            task["updated_at"] = iso_pg(now)
        data: dict[str, Any] = {
            "proposal_id": proposal.id,
            "task_id": proposal.task_id,
            "task_title": task.get("title"),
            "proposed_amount": proposal.wire()["proposed_amount"],
        }
        if not accept:
            data["reason"] = reason
        logger.debug("gigiac: proposal %s %s", proposal.id, proposal.status)
        self.ctx.events.record(PLATFORM, f"proposal.{proposal.status}", data)

    def withdraw(self, proposal: Proposal) -> None:
        proposal.status = "withdrawn"
        proposal.updated_at = self.ctx.clock.wall()
        task = self.tasks.get(proposal.task_id)
        if task is not None:
            task["proposal_count"] = max(0, int(task.get("proposal_count", 1)) - 1)

    def mine(self, task_id: str | None = None) -> list[Proposal]:
        if task_id is not None:
            return list(self._mine_by_task.get(task_id, []))
        return list(self.proposals.values())

    def set_balance(self, cents: int) -> None:
        """Change the credit balance; crossing below the threshold records a low-balance event."""
        before = self.balance_cents
        self.balance_cents = cents
        if cents < LOW_BALANCE_THRESHOLD_CENTS <= before:
            self.ctx.events.record(
                PLATFORM,
                "credits.low_balance",
                {"balance_cents": cents, "threshold_cents": LOW_BALANCE_THRESHOLD_CENTS},
            )


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _amount_cents(value: Any) -> int | None:
    """Cents from a number or numeric string; None when absent/invalid/non-positive."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return int((amount * 100).to_integral_value())


class GigiacApi(PlatformApi):
    name = PLATFORM
    prefix = "/gigiac"
    documents_retry_after = False  # §3.4: a 429 and "back off"; Retry-After is `[P]`

    def __init__(
        self,
        ctx: SandboxContext,
        api_key: str,
        state: GigiacState,
        *,
        reads_per_minute: int,
        writes_per_minute: int,
    ) -> None:
        super().__init__(ctx, api_key)
        self.state = state
        self.reads_per_minute = reads_per_minute
        self.writes_per_minute = writes_per_minute

    def routes(self) -> list[web.RouteDef]:
        p = self.prefix
        return [
            web.get(p + "/.well-known/gigiac.json", self.manifest, name="gigiac-manifest"),
            web.get(p + "/api/tasks", self.list_tasks, name="gigiac-tasks"),
            web.get(p + "/api/tasks/matched", self.matched, name="gigiac-matched"),
            web.get(p + "/api/tasks/recommended", self.recommended, name="gigiac-recommended"),
            web.get(p + "/api/tasks/{task_id}", self.get_task, name="gigiac-task"),
            web.get(p + "/api/tasks/{task_id}/detail", self.task_detail, name="gigiac-task-detail"),
            web.get(p + "/api/proposals", self.list_proposals, name="gigiac-proposals"),
            web.post(p + "/api/proposals", self.create_proposal, name="gigiac-propose"),
            web.patch(p + "/api/proposals", self.patch_proposal, name="gigiac-proposal-patch"),
            web.post(
                p + "/api/proposals/{proposal_id}/withdraw", self.withdraw, name="gigiac-withdraw"
            ),
            web.get(p + "/api/credits/balance", self.balance, name="gigiac-balance"),
            web.get(p + "/api/bots/me/accepted-tasks", self.accepted_tasks, name="gigiac-accepted"),
        ]

    # -- pipeline hooks ------------------------------------------------------------------

    def auth_exempt(self, request: web.Request) -> bool:
        return request.path == self.prefix + "/.well-known/gigiac.json"

    def authenticate(self, request: web.Request) -> str | None:
        token = bearer_token(request)
        return token if token and token == self.api_key else None

    def unauthorized(self, request: web.Request) -> web.Response:
        if "Authorization" not in request.headers:
            return self.error(request, 401, "UNAUTHORIZED", "Missing Authorization: Bearer header")
        return self.error(request, 401, "UNAUTHORIZED", "Invalid API key")

    def _window(self, key: str, method: str) -> Window:
        if method in _WRITE_METHODS:
            return self.ctx.limiter.window(key, "gigiac:write", self.writes_per_minute, MINUTE)
        return self.ctx.limiter.window(key, "gigiac:read", self.reads_per_minute, MINUTE)

    def rate_windows(self, request: web.Request, key: str) -> tuple[Window, ...]:
        return (self._window(key, request.method),)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        window = decision.windows[0]
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": str(decision.reset_unix(window)),
        }

    def injected_rate_headers(
        self, request: web.Request, key: str | None, retry_after: int
    ) -> dict[str, str]:
        window = self._window(key or self.api_key, request.method)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(self.ctx.clock.wall()) + retry_after),
        }

    def error(
        self, request: web.Request, status: int, code: str, message: str, **extra: Any
    ) -> web.Response:
        if code == "ERROR":
            code = "INTERNAL" if status >= 500 else "BAD_REQUEST"
        return json_response({"error": message, "message": message, "code": code, **extra}, status)

    def _bad(self, request: web.Request, message: str) -> web.Response:
        return self.error(request, 400, "VALIDATION_ERROR", message)

    # -- discovery -----------------------------------------------------------------------

    async def manifest(self, request: web.Request) -> web.Response:
        base = self.ctx.base_urls.get(PLATFORM) or f"{request.scheme}://{request.host}{self.prefix}"
        endpoints = [
            ("GET", "/api/tasks", "List open tasks (status, category, search, limit, offset)"),
            ("GET", "/api/tasks/matched", "Tasks matched to your skill profile"),
            ("GET", "/api/tasks/recommended", "Tasks ranked for you"),
            ("GET", "/api/tasks/{id}", "One task"),
            ("GET", "/api/tasks/{id}/detail", "Task with your proposals, deliverables, ratings"),
            ("GET", "/api/proposals", "Your proposals (mine=true, task_id)"),
            (
                "POST",
                "/api/proposals",
                "Submit a proposal (task_id, cover_letter, proposed_amount)",
            ),
            ("PATCH", "/api/proposals", "Reject a proposal on your task"),
            ("POST", "/api/proposals/{id}/withdraw", "Withdraw your pending proposal"),
            ("GET", "/api/credits/balance", "Credit balance"),
            ("GET", "/api/bots/me/accepted-tasks", "Tasks where your proposal was accepted"),
        ]
        return json_response(
            {
                "name": "Gigiac",
                "version": "1",
                "base_url": base,
                "auth": {"type": "bearer", "header": "Authorization", "key_prefix": "gig_"},
                "rate_limits": {
                    "read_per_minute": self.reads_per_minute,
                    "write_per_minute": self.writes_per_minute,
                },
                "docs": "https://gigiac.com/docs/api",
                "capabilities": [
                    "tasks.browse",
                    "tasks.post",
                    "proposals.submit",
                    "deliverables.submit",
                    "credits",
                    "block_tasks",
                    "webhooks",
                ],
                "endpoints": [
                    {"method": m, "path": path, "description": d} for m, path, d in endpoints
                ],
                "webhook_events": [
                    "task.created",
                    "proposal.accepted",
                    "proposal.rejected",
                    "deliverable.accepted",
                    "deliverable.revision_requested",
                    "deliverable.submitted",
                    "credits.low_balance",
                ],
            }
        )

    @staticmethod
    def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
        text = request.query.get(name)
        if text is None or text == "":
            return default
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"{name} must be an integer between {low} and {high}")
        return int(text)

    async def list_tasks(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = self._int_param(request, "limit", 20, 1, 100)
            offset = self._int_param(request, "offset", 0, 0, 1_000_000)
        except ValueError as exc:
            return self._bad(request, str(exc))
        status = query.get("status", "open")
        if status not in (*TASK_STATUSES, "all"):
            return self._bad(request, f"status must be one of {', '.join(TASK_STATUSES)} or all")
        category = query.get("category") or None
        search = (query.get("search") or "").strip()
        budget_min = query.get("budget_min")
        min_cents = 0
        if budget_min:
            cents = _amount_cents(budget_min)
            if cents is None:
                return self._bad(request, "budget_min must be a positive number of dollars")
            min_cents = cents
        mine = query.get("mine") == "true"
        state = self.state
        matched: list[dict[str, Any]] = []
        for task in state.newest_tasks():
            if mine and task["poster_id"] != state.me["id"]:
                continue
            if status != "all" and task["status"] != status:
                continue
            if category is not None and task["category"] != category:
                continue
            if min_cents and task_budget_cents(task) < min_cents:
                continue
            if search and not state.matches_search(task["id"], search):
                continue
            matched.append(task)
        return json_response(
            {
                "data": [self._served(t) for t in matched[offset : offset + limit]],
                "count": len(matched),
                "limit": limit,
                "offset": offset,
            }
        )

    async def matched(self, request: web.Request) -> web.Response:
        try:
            limit = self._int_param(request, "limit", 20, 1, 100)
        except ValueError as exc:
            return self._bad(request, str(exc))
        state = self.state
        tasks = [
            t
            for t in state.tasks.values()
            if t["status"] == "open" and not state.proposed_on(t["id"])
        ]
        tasks.sort(key=lambda t: (-t["match_score"], t["id"]))
        return json_response({"tasks": [self._served(t) for t in tasks[:limit]]})

    async def recommended(self, request: web.Request) -> web.Response:
        try:
            limit = self._int_param(request, "limit", 20, 1, 100)
        except ValueError as exc:
            return self._bad(request, str(exc))
        open_tasks = [t for t in self.state.tasks.values() if t["status"] == "open"]

        def rank(task: dict[str, Any]) -> float:
            # Match quality first, nudged by budget fit and by how crowded the task is.
            budget_fit = min(1.0, task_budget_cents(task) / 15_000)
            crowding = int(task.get("proposal_count", 0)) / max(
                1, int(task.get("max_proposals", 1))
            )
            return float(task["match_score"]) * 0.7 + budget_fit * 0.2 + (1 - crowding) * 0.1

        open_tasks.sort(key=lambda t: (-rank(t), t["id"]))
        # A bare array, as the real endpoint does.
        return json_response([self._served(t) for t in open_tasks[:limit]])

    def _served(self, task: dict[str, Any]) -> dict[str, Any]:
        """A task as served: whole, or in documents-only mode without `proposal_count`
        (the documents give `max_proposals` only; clients use the count when present)."""
        if not self.ctx.strict or "proposal_count" not in task:
            return task
        return {k: v for k, v in task.items() if k != "proposal_count"}

    def _task_or_404(self, request: web.Request) -> dict[str, Any] | web.Response:
        task = self.state.tasks.get(request.match_info["task_id"])
        if task is None:
            return self.error(request, 404, "NOT_FOUND", "Task not found")
        return task

    async def get_task(self, request: web.Request) -> web.Response:
        found = self._task_or_404(request)
        if isinstance(found, web.Response):
            return found
        return json_response({"data": self._served(found)})

    async def task_detail(self, request: web.Request) -> web.Response:
        found = self._task_or_404(request)
        if isinstance(found, web.Response):
            return found
        proposals = [p.wire() for p in self.state.mine(found["id"])]
        return json_response(
            {"task": self._served(found), "proposals": proposals, "deliverables": [], "ratings": []}
        )

    # -- proposals -----------------------------------------------------------------------

    async def list_proposals(self, request: web.Request) -> web.Response:
        query = request.query
        task_id = query.get("task_id") or None
        if self.ctx.strict and task_id is not None and query.get("mine") == "true":
            # The document offers `mine=true` OR `task_id` (proposals on your own task).
            return self._bad(request, "Use mine=true for your proposals, or task_id alone")
        if query.get("mine") == "true":
            items = self.state.mine(task_id)
            items.sort(key=lambda p: p.created_at, reverse=True)
            return json_response({"proposals": [p.wire() for p in items]})
        if task_id is None:
            return self._bad(request, "Pass mine=true, or task_id for proposals on your own task")
        task = self.state.tasks.get(task_id)
        if task is None:
            return self.error(request, 404, "NOT_FOUND", "Task not found")
        return self.error(
            request, 403, "FORBIDDEN", "Only the task's commissioner can list its proposals"
        )

    async def create_proposal(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict):
            return self._bad(request, "Request body must be a JSON object")
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            return self._bad(request, "task_id is required")
        cover = body.get("cover_letter")
        if not isinstance(cover, str) or not cover.strip():
            return self._bad(request, "cover_letter is required")
        raw_amount = next(
            (
                body[k]
                for k in ("proposed_amount", "amount", "bid_amount")
                if body.get(k) is not None
            ),
            None,
        )
        cents = _amount_cents(raw_amount)
        if cents is None:
            return self._bad(request, "proposed_amount must be a positive number (dollars)")
        hours = body.get("estimated_hours")
        if hours is not None and (
            isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0
        ):
            return self._bad(request, "estimated_hours must be a positive number")
        state = self.state
        task = state.tasks.get(task_id)
        if task is None:
            return self.error(request, 404, "NOT_FOUND", "Task not found")
        if has_magic(cover, "STRIPE_CONNECT_REQUIRED"):
            return self.error(
                request,
                403,
                "STRIPE_CONNECT_REQUIRED",
                "Complete Stripe Connect onboarding before submitting proposals",
            )
        if task["status"] != "open":
            return self.error(request, 409, "TASK_NOT_OPEN", f"Task is {task['status']}, not open")
        if state.proposed_on(task_id):
            return self.error(
                request,
                409,
                "ALREADY_PROPOSED",
                "You have already submitted a proposal for this task",
            )
        if task.get("proposal_count", 0) >= task.get("max_proposals", 10**9):
            return self.error(
                request, 409, "TASK_NOT_OPEN", "Task has reached its maximum number of proposals"
            )
        if task.get("location_type") == "on_site":
            return self.error(
                request,
                409,
                "LOCATION_REQUIRED",
                "This task is on-site; set your operator location (location_zip) first",
            )
        if has_magic(cover, "INSUFFICIENT_CREDITS"):
            return self.error(
                request,
                402,
                "INSUFFICIENT_CREDITS",
                f"Insufficient credit balance. Required: {_dollars(cents)}, "
                f"Available: {_dollars(min(state.balance_cents, max(0, cents - 1)))}",
            )
        proposal = state.propose(task, cents, cover, None if hours is None else float(hours))
        return json_response({"data": proposal.wire()}, 201)

    async def patch_proposal(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict) or not isinstance(body.get("proposal_id"), str):
            return self._bad(request, "proposal_id is required")
        if body.get("action") not in ("reject", "accept"):
            return self._bad(request, "action must be 'reject' (or 'accept' on a credit task)")
        proposal = self.state.proposals.get(body["proposal_id"])
        if proposal is None:
            return self.error(request, 404, "NOT_FOUND", "Proposal not found")
        # Our bot only works; it does not commission the tasks it proposes on.
        return self.error(
            request, 403, "FORBIDDEN", "Only the task's commissioner can accept or reject proposals"
        )

    async def withdraw(self, request: web.Request) -> web.Response:
        proposal = self.state.proposals.get(request.match_info["proposal_id"])
        if proposal is None:
            return self.error(request, 404, "NOT_FOUND", "Proposal not found")
        if proposal.status == "withdrawn":
            return json_response({"data": proposal.wire()})  # idempotent
        if proposal.status != "pending":
            return self.error(
                request, 409, "PROPOSAL_NOT_PENDING", f"Proposal is {proposal.status}, not pending"
            )
        task = self.state.tasks.get(proposal.task_id)
        if task is None or task["status"] != "open":
            return self.error(request, 409, "TASK_NOT_OPEN", "Task is no longer open")
        self.state.withdraw(proposal)
        return json_response({"data": proposal.wire()})

    # -- account -------------------------------------------------------------------------

    async def balance(self, request: web.Request) -> web.Response:
        state = self.state
        available = state.balance_cents - state.reserved_cents
        return json_response(
            {
                "balance_cents": state.balance_cents,
                "available_cents": available,
                "reserved_cents": state.reserved_cents,
                "total_cents": state.balance_cents,
                "earnings_balance_cents": state.lifetime_earned_cents,
                "lifetime_earned_cents": state.lifetime_earned_cents,
                "lifetime_withdrawn_cents": 0,
                "auto_refill_enabled": False,
            }
        )

    async def accepted_tasks(self, request: web.Request) -> web.Response:
        items = []
        for proposal in self.state.proposals.values():
            if proposal.status != "accepted":
                continue
            task = self.state.tasks.get(proposal.task_id)
            if task is None:
                continue
            items.append(
                {
                    **task,
                    "proposal_id": proposal.id,
                    "proposed_amount": proposal.wire()["proposed_amount"],
                    "accepted_at": iso_pg(proposal.updated_at),
                    "proposal": proposal.wire(),
                }
            )
        return json_response({"data": items, "count": len(items)})
