"""The inbox's per-row records: how a stored or arriving opportunity becomes one row.

Qt-free, so it is built on a worker thread and tested with plain pytest. The records are
what `InboxIndex` (app/services/inbox_index.py) turns into its numpy columns and text
bitmaps, a slice at a time, and what its page cache keeps for the rows on screen:

- a display record (`RowRecord`), read by position (`R_*`), holding a shared client
  record (`ClientRecord`, `C_*`);
- the lowercase haystack the text query searches (`filter_rows.haystack_of`);
- the filter fields, plain tuples laid out like `FilterFields`.

`prepare_rows` builds them from the store's `OpportunityRow`s at start-up (no pydantic
models; client JSON parsed once per distinct client), `records_of` from an `Opportunity`
arriving later. The columns of the inbox table (`Column`), what each shows
(`CELL_TEXTS`, `row_tooltip`) and how each sorts (`SORT_KEYS`, `sorted_order`) are here
too: the Qt model only hands them to the view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeAlias

from pydantic_core import from_json

from app.domain.filter_rows import (
    FIELD_SEPARATOR,
    Fields,
    fold_country,
    fold_haystack,
    haystack_of,
    money_cents,
    proposals_most,
)
from app.domain.filters import ARCHIVED
from app.domain.formatting import (
    age_text,
    client_facts_text,
    client_tooltip_text,
    money_text,
    rate_text,
    skills_joined,
    skills_json,
)
from app.domain.opportunity import (
    ClientInfo,
    Opportunity,
    Platform,
    label_platforms,
    platform_bits,
)
from app.services.inbox import LOCAL_STATES
from app.store.opportunities import OpportunityRow as OpportunityRow  # the UI's row type

__all__ = [
    "CELL_TEXTS",
    "SORT_KEYS",
    "ClientRecord",
    "Column",
    "PreparedRows",
    "RowRecord",
    "budget_text",
    "client_text",
    "prepare_rows",
    "records_of",
    "row_tooltip",
    "sorted_order",
]


class Column(IntEnum):
    SCORE = 0
    PLATFORM = 1
    TITLE = 2
    KIND = 3
    BUDGET = 4
    CLIENT = 5
    SKILLS = 6
    POSTED = 7
    CONNECTS = 8
    STATE = 9


COLUMNS: Final = len(Column)

# Workflow order, for sorting by state.
_STATE_RANK = {state: rank for rank, state in enumerate(LOCAL_STATES)}
_PLATFORM_LABEL = {platform.value: platform.label for platform in Platform}
_PLATFORM_BITS = {platform.value: platform_bits((platform,)) for platform in Platform}


class _SourceBits(dict[str, int]):
    """A light row's `sources` line ("GigRadar ×2 · UpHunt") -> `platform_bits` of the
    platforms it names: the few distinct lines are parsed once per load."""

    def __missing__(self, label: str) -> int:
        bits = self[label] = platform_bits(label_platforms(label))
        return bits


_KIND_LABEL = {"fixed": "Fixed", "hourly": "Hourly", "unknown": "—"}
_STATE_LABEL = {state: state.capitalize() for state in LOCAL_STATES}

_SEP = FIELD_SEPARATOR
# `prepare_rows` writes the separator into an f-string literal, for speed.
assert _SEP == "\x1f"


# Per-row records are plain tuples read by position, not NamedTuples: CPython's
# collector stops tracking an exact tuple of atomic values, never a NamedTuple, and
# 300,000 tracked records would make every full collection walk them (~0.3 s here: a
# visible stall, at any moment). See also filter_rows' module docstring.

# A client, shared by the rows of its jobs: what the table shows and filters of it.
ClientRecord: TypeAlias = tuple[
    str | None,  # name
    str | None,  # country
    str | None,  # country, folded for filtering
    int | None,  # total spend, cents
    float | None,  # hire rate
    bool | None,  # payment verified
    float | None,  # rating
    int | None,  # reviews
    int | None,  # total hires
    int | None,  # average hourly rate paid, cents
]
C_NAME: Final = 0
C_COUNTRY: Final = 1
C_FOLDED: Final = 2
C_SPEND: Final = 3
C_HIRE: Final = 4
C_VERIFIED: Final = 5
C_RATING: Final = 6
C_REVIEWS: Final = 7
C_HIRES: Final = 8
C_AVG_RATE: Final = 9

# One opportunity as displayed; a change replaces the tuple.
RowRecord: TypeAlias = tuple[
    str,  # platform label: "GigRadar"
    str,  # title
    str,  # kind: the JobKind value
    int | None,  # budget, cents
    int | None,  # hourly minimum, cents
    int | None,  # hourly maximum, cents
    str,  # skills as stored: '["React","Node.js"]'
    ClientRecord,
    float | None,  # match score
    int | None,  # connects
    float,  # posted (or else detected), epoch seconds
]
R_PLATFORM: Final = 0
R_TITLE: Final = 1
R_KIND: Final = 2
R_BUDGET: Final = 3
R_HMIN: Final = 4
R_HMAX: Final = 5
R_SKILLS: Final = 6
R_CLIENT: Final = 7
R_SCORE: Final = 8
R_CONNECTS: Final = 9
R_POSTED: Final = 10

_EMPTY_CLIENT: ClientRecord = (None, None, None, None, None, None, None, None, None, None)


def _cents_of(value: object) -> int | None:
    """Stored client money ("1250.00", a Decimal's exact text) as integer cents."""
    if value is None:
        return None
    if isinstance(value, str) and value[-3:-2] == ".":
        digits = value[:-3] + value[-2:]
        if digits.isdecimal():  # the usual shape: no Decimal needed
            return int(digits)
    try:
        return money_cents(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


_CLIENT_KEYS = ("name", "country", "total_spent", "hire_rate", "payment_verified", "rating")
_DEPTH_KEYS = ("reviews", "total_hires", "avg_hourly_rate")
_client_values = itemgetter(*_CLIENT_KEYS, *_DEPTH_KEYS)
_NO_CLIENT = dict.fromkeys((*_CLIENT_KEYS, *_DEPTH_KEYS))


class _Clients:
    """Parses stored client JSON once per distinct text (a client posts many jobs)."""

    def __init__(self) -> None:
        self._by_json: dict[str, ClientRecord] = {"{}": _EMPTY_CLIENT}
        self._folded: dict[str | None, str | None] = {None: None}

    def get(self, text: str) -> ClientRecord:
        client = self._by_json.get(text)
        if client is None:
            client = self._by_json[text] = self._parse(text)
        return client

    def _parse(self, text: str) -> ClientRecord:
        name, country, spent, hire_rate, verified, rating, reviews, hires, avg_rate = (
            _client_values({**_NO_CLIENT, **from_json(text)})
        )
        folded = self._folded.get(country)
        if folded is None and country is not None:
            folded = self._folded[country] = fold_country(country)
        return (
            name,
            country,
            folded,
            _cents_of(spent),
            hire_rate,
            verified,
            rating,
            reviews,
            hires,
            _cents_of(avg_rate),
        )


class _Competitions:
    """The `proposals_most` filter field of stored competition JSON, once per distinct
    text (few distinct values: tiers and small counts)."""

    def __init__(self) -> None:
        self._by_json: dict[str, int | None] = {"{}": None}

    def get(self, text: str) -> int | None:
        try:
            return self._by_json[text]
        except KeyError:
            data = from_json(text)
            value = self._by_json[text] = proposals_most(
                data.get("proposals"), data.get("proposals_tier")
            )
            return value


def _client_of(info: ClientInfo) -> ClientRecord:
    return (
        info.name,
        info.country,
        fold_country(info.country),
        money_cents(info.total_spent),
        info.hire_rate,
        info.payment_verified,
        info.rating,
        info.reviews,
        info.total_hires,
        money_cents(info.avg_hourly_rate),
    )


def _timestamp(text: str) -> float:
    """ISO text from the store (always UTC, "+00:00") as epoch seconds."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # written by hand: naive times are UTC, as in the domain
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def records_of(opportunity: Opportunity) -> tuple[RowRecord, str, Fields]:
    """The display record, haystack and filter fields of a full opportunity."""
    client = _client_of(opportunity.client)
    posted = (opportunity.posted_at or opportunity.detected_at).timestamp()
    budget = money_cents(opportunity.budget)
    hourly_min = money_cents(opportunity.hourly_min)
    hourly_max = money_cents(opportunity.hourly_max)
    platform = opportunity.platform.value
    row: RowRecord = (
        opportunity.sources_label,  # "GigRadar ×2 · UpHunt": one row per job
        opportunity.title,
        opportunity.kind.value,
        budget,
        hourly_min,
        hourly_max,
        skills_json(opportunity.skills),
        client,
        opportunity.match_score,
        opportunity.connects_price,
        posted,
    )
    hay = haystack_of(
        opportunity.title,
        opportunity.description,
        opportunity.skills,
        client[C_COUNTRY],
        opportunity.category,
    )
    fields = (
        platform,
        opportunity.kind.value,
        budget,
        hourly_min,
        hourly_max,
        client[C_SPEND],
        client[C_HIRE],
        client[C_VERIFIED],
        client[C_FOLDED],
        opportunity.match_score,
        posted,
        opportunity.connects_price,
        proposals_most(opportunity.competition.proposals, opportunity.competition.proposals_tier),
        client[C_HIRES],
        client[C_AVG_RATE],
        platform_bits(opportunity.source_platforms),
        False,
    )
    return row, hay, fields


# -- display text ------------------------------------------------------------------------


def _is_hourly(row: RowRecord) -> bool:
    has_rate = row[R_HMIN] is not None or row[R_HMAX] is not None
    if row[R_KIND] == "hourly":
        return has_rate
    return has_rate and row[R_BUDGET] is None


def _rate_range(row: RowRecord) -> tuple[int, int]:
    low, high = row[R_HMIN], row[R_HMAX]
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None
    assert high is not None
    return (low, high) if low <= high else (high, low)


def budget_text(row: RowRecord) -> str:
    """The BUDGET cell: "$1,200" for a fixed price, "$40–70/h" or "$40/h" for a rate."""
    if _is_hourly(row):
        return rate_text(*_rate_range(row))
    budget = row[R_BUDGET]
    return money_text(budget) if budget else "—"  # a zero is not stated (app/domain/bidding.py)


def _budget_sort(row: RowRecord) -> int | None:
    """The amount the BUDGET column shows, in cents (the upper rate of an hourly job)."""
    if _is_hourly(row):
        return _rate_range(row)[1]
    return row[R_BUDGET]


def client_text(client: ClientRecord) -> str:
    """The CLIENT cell: "United States · $12k · 85% · ✓" (spend, hire rate, verified)."""
    return client_facts_text(client[C_COUNTRY], client[C_SPEND], client[C_HIRE], client[C_VERIFIED])


def _client_tooltip(client: ClientRecord) -> str:
    return client_tooltip_text(
        client[C_NAME],
        client[C_COUNTRY],
        client[C_SPEND],
        client[C_HIRE],
        client[C_VERIFIED],
        client[C_RATING],
        client[C_REVIEWS],
    )


def _skills_text(row: RowRecord) -> str:
    return skills_joined(row[R_SKILLS], ", ")


def _score_text(row: RowRecord) -> str:
    score = row[R_SCORE]
    return "" if score is None else f"{score * 100:.0f}"


def _connects_text(row: RowRecord) -> str:
    connects = row[R_CONNECTS]
    return "" if connects is None else str(connects)


def state_label(state: str) -> str:
    return _STATE_LABEL.get(state) or state.capitalize()


# One per column: (record, local state, starred, clock) -> the cell's text. Only the age
# reads the clock, so painting a row asks it once.
CellText = Callable[[RowRecord, str, bool, Callable[[], float]], str]
CELL_TEXTS: tuple[CellText, ...] = (
    lambda row, _state, _starred, _clock: _score_text(row),
    lambda row, _state, _starred, _clock: row[R_PLATFORM],
    lambda row, _state, starred, _clock: f"★ {row[R_TITLE]}" if starred else row[R_TITLE],
    lambda row, _state, _starred, _clock: _KIND_LABEL.get(row[R_KIND], row[R_KIND]),
    lambda row, _state, _starred, _clock: budget_text(row),
    lambda row, _state, _starred, _clock: client_text(row[R_CLIENT]),
    lambda row, _state, _starred, _clock: _skills_text(row),
    lambda row, _state, _starred, clock: age_text(clock() - row[R_POSTED]),
    lambda row, _state, _starred, _clock: _connects_text(row),
    lambda _row, state, _starred, _clock: state_label(state),
)


def row_tooltip(row: RowRecord) -> str:
    """Title, platform and budget, every client fact, the skills: one line each."""
    lines = [
        row[R_TITLE],
        f"{row[R_PLATFORM]} · {budget_text(row)}",
        _client_tooltip(row[R_CLIENT]),
    ]
    skills = _skills_text(row)
    if skills:
        lines.append(f"Skills: {skills}")
    return "\n".join(lines)


# -- sorting -----------------------------------------------------------------------------

SortKey = Callable[[RowRecord, str], Any]  # (row, local state) -> sort value or None


def _casefold_or_none(text: str) -> str | None:
    return text.casefold() if text else None


SORT_KEYS: tuple[SortKey, ...] = (
    lambda row, _state: row[R_SCORE],
    lambda row, _state: row[R_PLATFORM].casefold(),
    lambda row, _state: row[R_TITLE].casefold(),
    lambda row, _state: row[R_KIND],
    lambda row, _state: _budget_sort(row),
    lambda row, _state: row[R_CLIENT][C_SPEND],
    lambda row, _state: _casefold_or_none(_skills_text(row)),
    lambda row, _state: row[R_POSTED],
    lambda row, _state: row[R_CONNECTS],
    lambda _row, state: _STATE_RANK.get(state, len(_STATE_RANK)),
)


def sorted_order(keys: Sequence[Any], indexes: list[int], descending: bool) -> list[int]:
    """`indexes` (in arrival order) sorted by `keys`; stable, None last either way."""
    present = [i for i in indexes if keys[i] is not None]
    missing = [i for i in indexes if keys[i] is None]
    # A stable sort, reversed or not, keeps equal keys in arrival order.
    present.sort(key=keys.__getitem__, reverse=descending)
    return present + missing


# -- building the records from the store --------------------------------------------------


class PreparedRows(NamedTuple):
    """The index's per-row lists, built from stored rows by `prepare_rows`."""

    keys: list[str]
    rows: list[RowRecord]
    haystacks: list[str]
    fields: list[Fields]  # plain tuples laid out like FilterFields
    states: list[str]
    filter_states: list[str]
    workflow: list[str | None]
    read: list[bool]
    starred: list[bool]
    # A sort computed here (`prepare_rows(..., sort)`): its keys and the sorted order.
    sort: tuple[int | None, bool] | None = None
    sort_keys: list[Any] | None = None
    order: list[int] | None = None


def prepare_rows(
    rows: Iterable[OpportunityRow],
    states: Mapping[str, str],
    sort: tuple[int | None, bool] | None = None,
) -> PreparedRows:
    """Build the index's records from stored rows: pure Python, no Qt.

    The inbox index runs it per slice of a few thousand rows on its loading thread
    (`inbox_index.build_index`); the page cache on a page of rows. `rows` is read once.
    """
    prepared = PreparedRows([], [], [], [], [], [], [], [], [])
    keys, records, hays, fields, local, fstate, workflow, read_flags, starred_flags = prepared[:9]
    clients = _Clients()
    client_of = clients.get
    proposals_of = _Competitions().get
    labels = _PLATFORM_LABEL
    own_bits, source_bits = _PLATFORM_BITS, _SourceBits()
    get_state = states.get
    fold, join, timestamp = fold_haystack, _SEP.join, _timestamp
    # No pause of the garbage collector here (unlike the store's bulk loads): the records
    # are exact tuples of atomic values, which the young-generation collections stop
    # tracking at once. Pausing would only defer one long collection of all of them to
    # a random later moment: a stall of 0.1-0.3 s (of the GUI loop, even when this runs
    # on a worker thread: the collector holds the GIL).
    for row in rows:
        (
            key,
            platform,
            _external_id,
            _account,
            _upwork_job_id,
            title,
            description,
            _url,
            kind,
            budget,
            hourly_min,
            hourly_max,
            skills_text,
            category,
            client_json,
            score,
            connects,
            posted_at,
            detected_at,
            _deadline,
            _status,
            _first_seen_at,
            _updated_at,
            read_at,
            starred,
            archived,
            competition_json,
            sources,
        ) = row
        client = client_of(client_json)
        country = client[C_COUNTRY]
        posted = timestamp(posted_at or detected_at)
        # Skills as the haystack joins them; the store's compact JSON is split by hand
        # when that is exact (see `formatting.compact_inner`), parsed otherwise.
        if skills_text == "[]":
            skills = ""
        elif (
            skills_text.startswith('["')
            and "\\" not in skills_text
            and '""' not in skills_text
            and '"' not in (skills := skills_text[2:-2].replace('","', _SEP))
        ):
            pass
        else:
            skills = skills_joined(skills_text, _SEP)
        # The same string as filters.haystack(): the non-empty fields, joined, folded.
        if title and description and skills and country and category:
            joined = f"{title}\x1f{description}\x1f{skills}\x1f{country}\x1f{category}"
        else:
            joined = join(filter(None, (title, description, skills, country, category)))
        hays.append(fold(joined))
        records.append(
            (
                sources or labels.get(platform, platform),  # a job's several sources
                title,
                kind,
                budget,
                hourly_min,
                hourly_max,
                skills_text,
                client,
                score,
                connects,
                posted,
            )
        )
        archived = bool(archived)
        fields.append(
            (
                platform,
                kind,
                budget,
                hourly_min,
                hourly_max,
                client[C_SPEND],
                client[C_HIRE],
                client[C_VERIFIED],
                client[C_FOLDED],
                score,
                posted,
                connects,
                proposals_of(competition_json),
                client[C_HIRES],
                client[C_AVG_RATE],
                own_bits.get(platform, 0) if sources is None else source_bits[sources],
                archived,
            )
        )
        flow = get_state(key)
        is_read = read_at is not None
        state = flow or ("read" if is_read else "new")
        keys.append(key)
        workflow.append(flow)
        local.append(state)
        fstate.append(ARCHIVED if archived else state)
        read_flags.append(is_read)
        starred_flags.append(bool(starred))
    column, descending = sort if sort is not None else (None, False)
    if column is None:
        return prepared
    key_of = SORT_KEYS[column]
    sort_keys = [key_of(row, state) for row, state in zip(records, local, strict=True)]
    order = sorted_order(sort_keys, list(range(len(keys))), descending)
    return prepared._replace(sort=sort, sort_keys=sort_keys, order=order)
