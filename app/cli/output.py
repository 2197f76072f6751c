"""What commands print: plain lines, warnings on stderr, JSON, and the short forms of
money, times and titles."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.domain import Opportunity, Submission
from app.domain.bidding import budget_text


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    """A sentence for the user that is not the command's output: warnings, reasons."""
    print(f"biddesk: {text}", file=sys.stderr, flush=True)


def _json_out(payload: object) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False, default=str), flush=True)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "—"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _short(opp_key: str) -> str:
    platform, _, ext = opp_key.partition(":")
    return f"{platform}:{ext[:10]}" if len(ext) > 10 else opp_key


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _budget(opp: Opportunity) -> str:
    return budget_text(opp, unstated="—")


def opportunity_json(opp: Opportunity, state: str) -> dict[str, Any]:
    return {
        "key": opp.key,
        "platform": opp.platform.value,
        "account": opp.account or None,
        "upwork_job_id": opp.upwork_job_id,
        "title": opp.title,
        "url": opp.url,
        "kind": opp.kind.value,
        "budget": _money(opp.budget),
        "hourly_min": _money(opp.hourly_min),
        "hourly_max": _money(opp.hourly_max),
        "skills": list(opp.skills),
        "client": {
            "country": opp.client.country,
            "payment_verified": opp.client.payment_verified,
            "total_spent": _money(opp.client.total_spent),
            "hire_rate": opp.client.hire_rate,
            "rating": opp.client.rating,
            "total_hires": opp.client.total_hires,
            "jobs_posted": opp.client.jobs_posted,
            "avg_hourly_rate": _money(opp.client.avg_hourly_rate),
            "member_since": _iso(opp.client.member_since),
        },
        # None where the platform did not report it (never 0 for unknown).
        "competition": {
            "proposals": opp.competition.proposals,
            "proposals_tier": opp.competition.proposals_tier,
            "interviewing": opp.competition.interviewing,
            "invites_sent": opp.competition.invites_sent,
        },
        "questions": [q.text for q in opp.questions],
        "match_score": opp.match_score,
        "connects_price": opp.connects_price,
        "posted_at": _iso(opp.posted_at),
        "detected_at": _iso(opp.detected_at),
        "status": opp.status.value,
        "state": state,
    }


def submission_json(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "opportunity_key": sub.opportunity_key,
        "platform": sub.platform.value,
        "account": sub.account,
        "state": sub.state.value,
        "outcome": sub.outcome.value,
        "failure": None
        if sub.failure is None
        else {
            "reason": sub.failure.reason.value,
            "retryable": sub.failure.retryable,
            "message": sub.failure.describe(),
            "platform_code": sub.failure.platform_code,
        },
        "platform_status": sub.platform_status,
        "refs": dict(sub.refs),
        "bid": {
            "kind": sub.bid.kind.value,
            "amount": _money(sub.bid.amount),
        },
        "attempts": sub.attempts,
        "created_at": _iso(sub.created_at),
        "updated_at": _iso(sub.updated_at),
        "submitted_at": _iso(sub.submitted_at),
        "history": [
            {
                "at": _iso(h.at),
                "state": h.state.value,
                "outcome": h.outcome.value,
                "via": h.via,
                "detail": h.detail,
            }
            for h in sub.history
        ],
    }


def _describe_submission(sub: Submission) -> str:
    text = f"{sub.state.value}"
    if sub.state.value == "submitted" and sub.outcome.value != "none":
        text += f", {sub.outcome.value}"
    if sub.failure is not None:
        text += f" — {sub.failure.describe()}"
        if sub.failure.retryable:
            text += f" Retry with `biddesk retry {sub.id[:8]}`."
    return text
