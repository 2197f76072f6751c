"""What a platform's webhooks mean to BidDesk: the shared types each platform module fills in.

Each platform module exposes a `WEBHOOK` spec (app/platforms/__init__.py gathers them in
`WEBHOOKS`): how BidDesk authenticates its deliveries by default, which header carries a
delivery id, which header a signature would come in, the events to ask for, the setup steps
to show, and two pure functions:

- `parse(body, headers)` runs before the answer: the body (already decoded JSON) → a
  `WebhookEnvelope` (event, dedupe key, data), or `Unreadable(reason)` when it is not a
  delivery BidDesk can understand. It is cheap: no normalization.
- `read(envelope, account)` runs after the answer: → one typed effect (`NewOpportunity`,
  `SubmissionUpdate`, `LowBalance` or `Unused`). It may raise ValueError for a delivery
  whose content cannot be used (a task without a title…).

The receiver (app/ingest/webhooks.py) does transport, authentication, dedupe and batching,
and never looks at a platform's payload itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.domain import Opportunity, Platform, StatusUpdate

__all__ = [
    "LowBalance",
    "NewOpportunity",
    "SubmissionUpdate",
    "Unreadable",
    "Unused",
    "WebhookAuth",
    "WebhookEffect",
    "WebhookEnvelope",
    "WebhookSpec",
    "decode_body",
    "digest",
]


class WebhookAuth(StrEnum):
    """How a delivery proves it comes from the platform."""

    BASIC = "basic"  # HTTP Basic credentials BidDesk registered (GigRadar POST /webhooks)
    SIGNATURE = "signature"  # an HMAC of the body with a secret the user configured
    URL_TOKEN = "url-token"  # the unguessable token in the receiver URL the user pasted


class Unreadable(ValueError):
    """An authenticated delivery BidDesk cannot read: kept for inspection, answered 200."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebhookEnvelope:
    event: str
    dedupe_key: str  # unique per real delivery, stable across the platform's retries
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewOpportunity:
    opportunity: Opportunity
    partial: bool = False  # a summary: never overwrites what a poll already stored


@dataclass(frozen=True, slots=True)
class SubmissionUpdate:
    """A status for one of our submissions, and how to find it: by the opportunity's key,
    by the Upwork job it holds, and/or by a platform reference (key, value) in its refs."""

    update: StatusUpdate
    opportunity_key: str | None = None
    upwork_job: str | None = None
    ref: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class LowBalance:
    balance_cents: int | None
    threshold_cents: int | None


@dataclass(frozen=True, slots=True)
class Unused:
    reason: str


WebhookEffect = NewOpportunity | SubmissionUpdate | LowBalance | Unused


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    platform: Platform
    auth: WebhookAuth  # what authenticates deliveries out of the box (besides the URL token)
    events: tuple[str, ...]  # the events BidDesk uses
    parse: Callable[[Any, Mapping[str, str]], WebhookEnvelope]
    read: Callable[[WebhookEnvelope, str], WebhookEffect]
    steps: Callable[[str], tuple[str, ...]]  # the setup steps for a receiver URL
    delivery_header: str | None = None  # dedupe header, when the platform sends one
    signature_header: str | None = None  # where a signature would be, if the user set one


def decode_body(raw: bytes) -> Any:
    """Untrusted JSON → Python, or Unreadable with a one-sentence reason.

    `json.loads` raises ValueError on an integer over 4,300 digits (CPython's int limit) and
    RecursionError on very deep nesting; both are the sender's problem, not a server error.
    """
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"the body is not JSON ({exc.msg} at {exc.pos})") from None
    except RecursionError:
        raise Unreadable("the body's JSON is nested too deeply") from None
    except ValueError as exc:  # the int limit, and anything else the decoder refuses
        raise Unreadable(f"the body's JSON cannot be read: {str(exc)[:120]}") from None


def digest(value: object) -> str:
    """A short stable hash of JSON data, for a dedupe key when nothing else identifies it."""
    canonical = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha256(canonical).hexdigest()[:24]
