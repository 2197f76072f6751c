"""`FilterSpec` over light per-row records, for filtering 100,000 inbox rows in Python.

`FilterSpec.compile` tests full `Opportunity` models, but the inbox never builds 100,000
of those (loading them takes seconds, STYLE.md §8): it keeps one small `FilterFields`
tuple per row beside the row's haystack, and filters with functions compiled here. They
mean EXACTLY what `FilterSpec.compile` means (tests/domain/test_filter_rows.py proves it
with hypothesis):

- `compile_fields(spec, now)` → `(fields, haystack, state) -> bool`, one row at a time;
- `compile_rows(spec, now)` → `(indexes, fields, haystacks, states) -> list[int]`, the
  same condition inlined into one list comprehension over parallel lists, so a keystroke
  costs no Python call per row.

Two representation choices keep the records small and the comparisons cheap:

- Money is whole cents (`int`), as the store keeps it; amounts reach the domain through
  `to_money`, which rounds to the cent, so comparing cents with the spec's `Decimal`
  bounds rounded inwards (a minimum up, a maximum down) is exact.
- Times are epoch seconds (`float`): exact to the microsecond for dates before ~2240.

An archived row is, to `FilterSpec`, a row whose local state is `ARCHIVED`
(`filter_state`): `compile_fields` folds `FilterFields.archived` into the state it is
given; `compile_rows` takes the states already folded, kept in a list by the caller.

Both accept, for the fields, a `FilterFields` or a plain tuple laid out like it (they read
it by position). A table of 100,000 rows should keep plain tuples: CPython's collector
stops tracking an exact tuple of atomic values, never a NamedTuple, so 100,000
NamedTuples make every full collection walk them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, NamedTuple, TypeAlias, cast

from app.domain.filters import (
    ARCHIVED,
    FIELD_SEPARATOR,  # shared: the row haystack must equal `haystack()`
    MAX_COUNT,
    FilterSpec,
    compile_function,
    fold_field,
    fold_text,
    query_source,
)
from app.domain.money import to_cents as money_cents
from app.domain.opportunity import (
    JobKind,
    Opportunity,
    ensure_utc,
    platform_bits,
    proposals_tier_range,
)

__all__ = [
    "ARCHIVED_FIELD",
    "FIELD_SEPARATOR",
    "PROPOSALS_UNBOUNDED",
    "SOURCES_FIELD",
    "Fields",
    "FieldsPredicate",
    "FilterFields",
    "RowsFilter",
    "compile_fields",
    "compile_rows",
    "fields_of",
    "filter_state",
    "fold_country",
    "fold_haystack",
    "haystack_of",
    "money_cents",
    "proposals_most",
]


class FilterFields(NamedTuple):
    """What `FilterSpec`'s structured conditions read of one opportunity, precomputed."""

    platform: str  # Platform value: "gigradar", "uphunt", "gigiac"
    kind: str  # JobKind value, as stated (not inferred)
    budget_cents: int | None
    hourly_min_cents: int | None
    hourly_max_cents: int | None
    spend_cents: int | None  # the client's total spend
    hire_rate: float | None
    payment_verified: bool | None
    country_folded: str | None  # `fold_country(client.country)`
    match_score: float | None
    posted_ts: float | None  # posted (or else detected) time, epoch seconds
    connects: int | None  # the Connects a proposal costs
    proposals_most: int | None  # `proposals_most(...)`: the most proposals so far
    hires: int | None  # the client's total hires
    avg_rate_cents: int | None  # the client's average hourly rate paid, cents
    sources: int  # the platforms of the job's sources, `platform_bits`
    archived: bool  # last: `ARCHIVED_FIELD`


# Positions in the tuple, for the generated code (`f[3]` is a C-level tuple index).
_PLATFORM, _KIND, _BUDGET, _HMIN, _HMAX, _SPEND, _HIRE, _VERIFIED, _COUNTRY, _SCORE, _POSTED = (
    range(11)
)
_CONNECTS, _PROPOSALS, _HIRES, _AVG_RATE, SOURCES_FIELD = range(11, 16)
ARCHIVED_FIELD = 16  # the position of `archived`, always the last
# `proposals_most` of a range with no upper end ("50+"): above any bound a filter takes.
PROPOSALS_UNBOUNDED = MAX_COUNT + 1

# Fields are a FilterFields or a plain tuple laid out like it (see the module docstring).
Fields: TypeAlias = tuple[Any, ...]
FieldsPredicate: TypeAlias = Callable[[Fields, str, str], bool]
RowsFilter: TypeAlias = Callable[
    [Iterable[int], Sequence[Fields], Sequence[str], Sequence[str]], list[int]
]

_FIXED, _HOURLY, _UNKNOWN = JobKind.FIXED.value, JobKind.HOURLY.value, JobKind.UNKNOWN.value


def fold_country(country: str | None) -> str | None:
    """A country as `FilterSpec` compares it (lowercase, single spaces); None if blank."""
    return (fold_text(country) or None) if country else None


def filter_state(state: str, archived: bool) -> str:
    """The local state `FilterSpec` sees: `ARCHIVED` for an archived row."""
    return ARCHIVED if archived else state


# Folds the non-empty searchable fields, joined by FIELD_SEPARATOR, into a haystack:
# the last step of `haystack_of`, for callers that join the fields themselves (the inbox
# model joins stored skills straight from their JSON text). An alias, not a wrapper: it
# runs 100,000 times at start-up.
fold_haystack: Callable[[str], str] = fold_field


def haystack_of(
    title: str,
    description: str,
    skills: Iterable[str],
    country: str | None,
    category: str | None,
) -> str:
    """`haystack()` from an opportunity's searchable values, without the model.

    Folds the joined text in one pass rather than part by part: lowercasing is
    per character except for the Greek final sigma, whose context stops at the field
    separator (a control character, neither cased nor case-ignorable), so the result
    is the same string.
    """
    parts = (title, description, *skills, country or "", category or "")
    return fold_field(FIELD_SEPARATOR.join(filter(None, parts)))


def proposals_most(proposals: object, tier: object) -> int | None:
    """The `proposals_most` filter field from a job's competition as stored (an exact
    count, or a tier label): the most proposals it may have so far, `PROPOSALS_UNBOUNDED`
    for an open-ended tier ("50+"), None when unknown."""
    if isinstance(proposals, int) and not isinstance(proposals, bool):
        return proposals
    if not isinstance(tier, str) or not tier:
        return None
    span = proposals_tier_range(tier)
    if span is None:
        return None
    return PROPOSALS_UNBOUNDED if span[1] is None else span[1]


def fields_of(opportunity: Opportunity, *, archived: bool = False) -> FilterFields:
    """The `FilterFields` of a full opportunity (one from the bridge, or in tests)."""
    client = opportunity.client
    posted = opportunity.posted_at or opportunity.detected_at
    return FilterFields(
        platform=opportunity.platform.value,
        kind=opportunity.kind.value,
        budget_cents=money_cents(opportunity.budget),
        hourly_min_cents=money_cents(opportunity.hourly_min),
        hourly_max_cents=money_cents(opportunity.hourly_max),
        spend_cents=money_cents(client.total_spent),
        hire_rate=client.hire_rate,
        payment_verified=client.payment_verified,
        country_folded=fold_country(client.country),
        match_score=opportunity.match_score,
        posted_ts=ensure_utc(posted).timestamp(),
        connects=opportunity.connects_price,
        proposals_most=proposals_most(
            opportunity.competition.proposals, opportunity.competition.proposals_tier
        ),
        hires=client.total_hires,
        avg_rate_cents=money_cents(client.avg_hourly_rate),
        sources=platform_bits(opportunity.source_platforms),
        archived=archived,
    )


# -- compiling ---------------------------------------------------------------------------


def _at_least(bound: Decimal) -> int:
    """The smallest whole number of cents that is >= `bound` dollars."""
    return int(bound.scaleb(2).to_integral_value(rounding=ROUND_CEILING))


def _at_most(bound: Decimal) -> int:
    """The largest whole number of cents that is <= `bound` dollars."""
    return int(bound.scaleb(2).to_integral_value(rounding=ROUND_FLOOR))


def _is_hourly(f: Fields) -> bool:
    """`filters._effective_kind(o) is HOURLY`: stated, or implied by an hourly rate alone."""
    kind = f[_KIND]
    if kind != _UNKNOWN:
        return bool(kind == _HOURLY)
    return f[_BUDGET] is None and (f[_HMIN] is not None or f[_HMAX] is not None)


def _is_fixed(f: Fields) -> bool:
    """`filters._effective_kind(o) is FIXED`: stated, or implied by a budget."""
    kind = f[_KIND]
    if kind != _UNKNOWN:
        return bool(kind == _FIXED)
    return f[_BUDGET] is not None


def _budget_check(low: Decimal | None, high: Decimal | None) -> Callable[[Fields], bool]:
    low_cents = None if low is None else _at_least(low)
    high_cents = None if high is None else _at_most(high)

    def check(f: Fields) -> bool:
        if _is_hourly(f):
            return True
        budget: int | None = f[_BUDGET]
        return (
            budget is not None
            and (low_cents is None or budget >= low_cents)
            and (high_cents is None or budget <= high_cents)
        )

    return check


def _hourly_check(low: Decimal | None, high: Decimal | None) -> Callable[[Fields], bool]:
    low_cents = None if low is None else _at_least(low)
    high_cents = None if high is None else _at_most(high)

    def check(f: Fields) -> bool:
        if _is_fixed(f):
            return True
        minimum: int | None = f[_HMIN]
        maximum: int | None = f[_HMAX]
        lo = minimum if minimum is not None else maximum
        hi = maximum if maximum is not None else minimum
        if lo is None or hi is None:
            return False
        if lo > hi:
            lo, hi = hi, lo
        return (high_cents is None or lo <= high_cents) and (low_cents is None or hi >= low_cents)

    return check


class _Source(NamedTuple):
    """A spec as one boolean expression over `f` (fields), `h` (haystack), `s` (state)."""

    body: str
    names: dict[str, object]
    uses_fields: bool
    uses_haystack: bool
    uses_state: bool


def _spec_source(spec: FilterSpec, now: datetime, state: str) -> _Source:
    """The conditions of `FilterSpec.compile`, in its order, over the fields tuple.

    `state` is the expression for the state `FilterSpec` sees (`s`, or one that folds the
    archived flag in). Unset conditions are not in the expression at all.
    """
    names: dict[str, object] = {}

    def bind(value: object) -> str:
        name = f"_{len(names)}"
        names[name] = value
        return name

    state_conditions: list[str] = []
    conditions: list[str] = []
    if spec.states:
        state_conditions.append(f"{state} in {bind(spec.states)}")
    elif not spec.include_archived:
        state_conditions.append(f"{state} != {ARCHIVED!r}")
    if spec.platforms:
        # Any source of the job (a GigRadar row also found by UpHunt is an UpHunt job).
        bits = bind(platform_bits(spec.platforms))
        conditions.append(f"(f[{SOURCES_FIELD}] & {bits}) != 0")
    if spec.kinds:
        kinds = frozenset(kind.value for kind in spec.kinds)
        conditions.append(f"f[{_KIND}] in {bind(kinds)}")
    if spec.payment_verified is not None:
        conditions.append(f"f[{_VERIFIED}] is {spec.payment_verified!r}")
    for position, bound in (
        (_SCORE, spec.min_match_score),
        (_HIRE, spec.hire_rate_min),
    ):
        if bound is not None:
            conditions.append(f"f[{position}] is not None and f[{position}] >= {bind(bound)}")
    if spec.client_spend_min is not None:
        minimum = bind(_at_least(spec.client_spend_min))
        conditions.append(f"f[{_SPEND}] is not None and f[{_SPEND}] >= {minimum}")
    if spec.connects_max is not None:
        most = bind(spec.connects_max)
        conditions.append(f"f[{_CONNECTS}] is None or f[{_CONNECTS}] <= {most}")
    if spec.proposals_max is not None:
        most = bind(spec.proposals_max)
        conditions.append(f"f[{_PROPOSALS}] is not None and f[{_PROPOSALS}] <= {most}")
    if spec.client_hires_min is not None:
        least = bind(spec.client_hires_min)
        conditions.append(f"f[{_HIRES}] is not None and f[{_HIRES}] >= {least}")
    if spec.client_avg_rate_min is not None:
        least = bind(_at_least(spec.client_avg_rate_min))
        conditions.append(f"f[{_AVG_RATE}] is not None and f[{_AVG_RATE}] >= {least}")
    if spec.posted_within is not None:
        cutoff = (ensure_utc(now) - spec.posted_within).timestamp()
        conditions.append(f"f[{_POSTED}] is not None and f[{_POSTED}] >= {bind(cutoff)}")
    if spec.budget_min is not None or spec.budget_max is not None:
        conditions.append(f"{bind(_budget_check(spec.budget_min, spec.budget_max))}(f)")
    if spec.hourly_min is not None or spec.hourly_max is not None:
        conditions.append(f"{bind(_hourly_check(spec.hourly_min, spec.hourly_max))}(f)")
    if spec.countries_include:
        conditions.append(f"f[{_COUNTRY}] in {bind(spec.countries_include)}")
    if spec.countries_exclude:
        conditions.append(f"f[{_COUNTRY}] not in {bind(spec.countries_exclude)}")
    query = spec.query
    text = [] if query.node is None else [query_source(query.node, "h")]
    every = state_conditions + conditions + text
    return _Source(
        body=" and ".join(f"({c})" for c in every) or "True",
        names=names,
        uses_fields=bool(conditions) or (bool(state_conditions) and "f[" in state),
        uses_haystack=bool(text),
        uses_state=bool(state_conditions),
    )


def compile_fields(spec: FilterSpec, now: datetime) -> FieldsPredicate:
    """One function `(fields, haystack, local state) -> bool`, meaning what
    `spec.compile(now)` means for the opportunity those fields were taken from
    (`fields_of`).

    `fields.archived` makes the state `ARCHIVED`, whatever `state` says.
    """
    source = _spec_source(spec, now, f"({ARCHIVED!r} if f[{ARCHIVED_FIELD}] else s)")
    return cast(FieldsPredicate, compile_function("f, h, s", source.body, source.names))


def compile_rows(spec: FilterSpec, now: datetime) -> RowsFilter:
    """One function `(indexes, fields, haystacks, states) -> [the indexes that pass]`.

    `fields[i]`, `haystacks[i]` and `states[i]` describe row `i`; `states` are as
    `FilterSpec` sees them (`filter_state`: archived rows are `ARCHIVED`). The order of
    `indexes` is kept, so filtering an already sorted list needs no sort.
    """
    source = _spec_source(spec, now, "s")
    if source.body == "True":
        return _keep_all
    bindings = "".join(
        clause
        for used, clause in (
            (source.uses_fields, " for f in (F[i],)"),
            (source.uses_haystack, " for h in (H[i],)"),
            (source.uses_state, " for s in (S[i],)"),
        )
        if used
    )
    # `for x in (value,)` is compiled as a plain assignment (CPython >= 3.9).
    body = f"[i for i in R{bindings} if {source.body}]"
    return cast(RowsFilter, compile_function("R, F, H, S", body, source.names))


def _keep_all(
    indexes: Iterable[int],
    _fields: Sequence[Fields],
    _haystacks: Sequence[str],
    _states: Sequence[str],
) -> list[int]:
    return list(indexes)
