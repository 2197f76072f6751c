"""The two bid rules every front end shares: what a job's budget reads as, and what BidDesk
bids when the user names no amount.

Both used to live three times (the editor, the CLI with its demo, the model's prompt) with
three behaviours; they live here once. A route's own part of the rule (which bid kinds it
accepts, what to bid when the job's terms say nothing) comes from its `PlatformSpec`
(app/platforms/spec.py) as a `BidRule`.

Platforms send a zero for "not stated" (money.py): a zero budget or rate is read as absent,
never shown as "$0" nor bid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import format_money
from app.domain.opportunity import JobKind, Opportunity
from app.domain.submission import Bid, BidKind

__all__ = ["BidRule", "budget_stated", "budget_text", "default_bid", "stated"]


@dataclass(frozen=True, slots=True)
class BidRule:
    """A route's part of the default-bid rule.

    `kinds`: the bid kinds the route accepts, in the order the editor offers them.
    `fallback`: the kind bid when the job's own terms do not fit the route (a job of unknown
    kind, or a kind the route does not take): the route's default terms where it has them
    (GigRadar's scanner terms, UpHunt's profile), else a fixed amount (Gigiac).
    """

    kinds: tuple[BidKind, ...]
    fallback: BidKind

    def __post_init__(self) -> None:
        if not self.kinds or self.fallback not in self.kinds:
            raise ValueError("a bid rule's fallback must be one of its kinds")

    @property
    def fixed_only(self) -> bool:
        return self.kinds == (BidKind.FIXED,)


def stated(amount: Decimal | None) -> Decimal | None:
    """An amount the client actually stated: None for a missing or zero one."""
    return amount if amount else None


def _is_hourly(opp: Opportunity) -> bool:
    if opp.kind is JobKind.HOURLY:
        return True
    # A job of unknown kind that states a rate and no total reads as hourly.
    return opp.kind is JobKind.UNKNOWN and bool(stated(opp.hourly_min) or stated(opp.hourly_max))


def budget_stated(opp: Opportunity) -> bool:
    """Whether the job states a budget or a rate at all."""
    if _is_hourly(opp):
        return bool(stated(opp.hourly_min) or stated(opp.hourly_max))
    return stated(opp.budget) is not None


def budget_text(opp: Opportunity, *, unstated: str | None = None) -> str:
    """The budget as a reader says it: "$1,200 fixed", "$1,200" (kind unknown), "$40–70/h",
    "From $40/h", "Up to $70/h".

    A job that states none reads "Hourly, no stated rate", "Fixed price, no stated budget" or
    "No stated budget", or `unstated` when given (a table cell's "—", a template's "").
    """
    if _is_hourly(opp):
        low, high = stated(opp.hourly_min), stated(opp.hourly_max)
        if low and high and low > high:
            low, high = high, low
        if low and high and low != high:
            return f"{format_money(low)}–{format_money(high).removeprefix('$')}/h"
        if low and high:
            return format_money(low, per_hour=True)
        if low:
            return f"From {format_money(low, per_hour=True)}"
        if high:
            return f"Up to {format_money(high, per_hour=True)}"
        return "Hourly, no stated rate" if unstated is None else unstated
    budget = stated(opp.budget)
    if budget is not None:
        suffix = " fixed" if opp.kind is JobKind.FIXED else ""
        return format_money(budget) + suffix
    if unstated is not None:
        return unstated
    return "Fixed price, no stated budget" if opp.kind is JobKind.FIXED else "No stated budget"


def default_bid(opp: Opportunity, rule: BidRule, kind: BidKind | None = None) -> Bid:
    """The bid BidDesk proposes when the user names no amount, for a route with `rule`.

    The job's own kind when the route takes it (or `kind`, when the user chose one): a
    fixed-price bid is the client's stated budget, visibly, or no amount when none is
    stated (the user must name one: the policy says so before anything is sent); an hourly
    bid carries no amount, so the platform bids the profile's rate. A job of unknown kind
    gets the route's fallback (its default terms; on a fixed-only route, the budget).
    """
    if kind is None or kind not in rule.kinds:
        kind = {JobKind.FIXED: BidKind.FIXED, JobKind.HOURLY: BidKind.HOURLY}.get(opp.kind)
    if kind is None or kind not in rule.kinds:
        kind = rule.fallback
    if kind is BidKind.FIXED:
        return Bid(kind=BidKind.FIXED, amount=stated(opp.budget))
    return Bid(kind=kind)
