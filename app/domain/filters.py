"""The inbox filter: a free-text query plus structured conditions, pure and fast.

Used by `biddesk list` and by the GUI's filter bar, which re-filters up to 100,000
opportunities on every (debounced) keystroke. Three things keep that cheap (STYLE.md §8):

- each opportunity's searchable text is folded once into a lowercase *haystack*
  (`haystack()`), so a text query is a few `term in haystack` substring tests;
- while the user types forward, each query usually narrows the previous one
  (`Query.narrows`, `FilterSpec.narrows`): then only the previous hits need testing again,
  not all the rows. A cold scan is bound by memory bandwidth (100,000 descriptions are
  about 130 MB of text), a narrowing keystroke by the size of the previous result;
- a query or a `FilterSpec` is compiled once into one flat Python function: the boolean
  expression is generated as source and compiled, so evaluating a row costs one call and
  no tree walk. The generated code holds only `repr()` literals of the user's terms and
  names bound by this module; user text is never evaluated as code.

Query syntax (`parse_query`): terms are ANDed (implicitly, or with `AND` / `+`); `OR` or
`|` separate alternatives; `NOT` or a leading `-` negate; `"…"` is an exact phrase;
parentheses group. Precedence is NOT > AND > OR. Operators are case-insensitive (`or` is
`OR`; quote a word to search for it literally: `"or"`). Matching is case-insensitive and
terms match as substrings, in any order. Nothing a user can type raises: an unbalanced
quote is dropped (the rest reads as plain terms), an unclosed parenthesis closes at the
end, a stray `)` and a dangling operator are ignored, and nesting deeper than
`MAX_DEPTH` is flattened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from app.domain.opportunity import JobKind, Opportunity, Platform, ensure_utc

__all__ = [
    "ARCHIVED",
    "MAX_COUNT",
    "MAX_DEPTH",
    "And",
    "FilterSpec",
    "Not",
    "Or",
    "Query",
    "QueryNode",
    "RowPredicate",
    "Term",
    "haystack",
    "parse_query",
    "proposals_within",
]

# `FIELD_SEPARATOR`, `fold_text`, `fold_field`, `query_source` and `compile_function` are shared
# with app/domain/filter_rows.py, which must build the same haystacks and predicates: keep
# their names and meaning, or change both modules together.

ARCHIVED = "archived"  # the local state name of an opportunity the user put away
MAX_COUNT = 1_000_000  # the largest count bound a filter takes (Connects, proposals, hires)
MAX_DEPTH = 16  # parenthesis nesting honoured; deeper groups are flattened into their parent

# Between the fields of a haystack. It counts as whitespace for str.split(), so no query
# term or phrase can contain it: a phrase never matches across two fields.
FIELD_SEPARATOR = "\x1f"

# Typographic characters folded to what a keyboard types, so "don't" finds "don’t".
# Applied only to non-ASCII text (str.isascii() is O(1)); chained replace() is ~10x
# faster than str.translate() here.
_TYPOGRAPHIC = (
    ("\u2019", "'"),
    ("\u2018", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u2013", "-"),
    ("\u2014", "-"),
    ("\u00a0", " "),
)


def _plain(text: str) -> str:
    if not text.isascii():
        for typographic, plain in _TYPOGRAPHIC:
            text = text.replace(typographic, plain)
    return text


def fold_text(text: str) -> str:
    """A term, phrase or name as compared: lowercase, plain punctuation, single spaces."""
    return " ".join(_plain(text.lower()).split())


def fold_field(text: str) -> str:
    """A haystack field: lowercase, plain punctuation, line breaks as spaces.

    Runs of spaces are kept: collapsing them costs ~10 µs per description, 1 s per
    100,000 opportunities, for the rare phrase that spans a double space.
    """
    text = _plain(text.lower())
    return text.replace("\n", " ").replace("\r", " ").replace("\t", " ")


def haystack(opportunity: Opportunity) -> str:
    """The lowercase text a query searches: title, description, skills, country, category.

    Compute it once per opportunity (when it is loaded or changes) and keep it beside it;
    it costs a few microseconds.
    """
    parts = (
        opportunity.title,
        opportunity.description,
        *opportunity.skills,
        opportunity.client.country or "",
        opportunity.category or "",
    )
    return FIELD_SEPARATOR.join(fold_field(part) for part in parts if part)


# -- the query tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word or an exact phrase, lowercase, whitespace collapsed; matches as a substring."""

    text: str

    def __str__(self) -> str:
        bare = (
            self.text
            and not _NEEDS_QUOTES.search(self.text)
            and self.text[0] not in "+-"
            and self.text not in _OPERATOR_WORDS
        )
        return self.text if bare else f'"{self.text}"'


@dataclass(frozen=True, slots=True)
class Not:
    operand: QueryNode

    def __str__(self) -> str:
        return f"-{_group(self.operand)}"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[QueryNode, ...]

    def __str__(self) -> str:
        return " ".join(_group(node) for node in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[QueryNode, ...]

    def __str__(self) -> str:
        return " OR ".join(_group(node) for node in self.operands)


QueryNode: TypeAlias = Term | Not | And | Or


def _group(node: QueryNode) -> str:
    return f"({node})" if isinstance(node, And | Or) else str(node)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its tree (None when it matches everything) and compiled predicate."""

    text: str
    node: QueryNode | None
    predicate: Callable[[str], bool] = field(compare=False, repr=False)

    def matches(self, haystack: str) -> bool:
        """Whether a haystack (see `haystack()`) satisfies the query."""
        return self.predicate(haystack)

    @property
    def is_empty(self) -> bool:
        return self.node is None

    def narrows(self, previous: Query) -> bool:
        """Whether every haystack this query matches also matches `previous`.

        True when the user typed further ("pyth" -> "python", "python" -> "python -wp"), so
        only `previous`'s hits need testing. Conservative: False means "scan everything".
        """
        if previous.node is None:
            return True
        if self.node is None:
            return False
        mine = _conjuncts(self.node)
        return all(any(_implies(a, b) for a in mine) for b in _conjuncts(previous.node))

    def terms(self) -> tuple[str, ...]:
        """The terms whose presence counts (not under a NOT), for highlighting matches."""
        found: list[str] = []

        def walk(node: QueryNode, negated: bool) -> None:
            if isinstance(node, Term):
                if not negated and node.text not in found:
                    found.append(node.text)
            elif isinstance(node, Not):
                walk(node.operand, not negated)
            else:
                for operand in node.operands:
                    walk(operand, negated)

        if self.node is not None:
            walk(self.node, False)
        return tuple(found)

    def __str__(self) -> str:
        """The query in canonical syntax; parsing it again gives an equivalent query."""
        return "" if self.node is None else str(self.node)


def _conjuncts(node: QueryNode) -> tuple[QueryNode, ...]:
    return node.operands if isinstance(node, And) else (node,)


def _implies(a: QueryNode, b: QueryNode) -> bool:
    """A sound (incomplete) check that every haystack satisfying `a` satisfies `b`."""
    if a == b:
        return True
    if isinstance(a, Term) and isinstance(b, Term):
        return b.text in a.text  # "python" present => "pyth" present
    if isinstance(a, Not) and isinstance(b, Not):
        if isinstance(a.operand, Term) and isinstance(b.operand, Term):
            return a.operand.text in b.operand.text  # "wp" absent => "wpx" absent
        return False
    if isinstance(a, Or):
        return all(_implies(operand, b) for operand in a.operands)
    if isinstance(b, Or):
        return any(_implies(a, operand) for operand in b.operands)
    if isinstance(a, And):
        return any(_implies(operand, b) for operand in a.operands)
    return False


# -- tokens -----------------------------------------------------------------------------


class _Tok(Enum):
    WORD = "word"
    LPAREN = "("
    RPAREN = ")"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"


_Token: TypeAlias = tuple[_Tok, str]
_QUOTES = frozenset('"“”„')  # straight and typographic quotes (macOS substitutes them)
_WORD_STOP = frozenset("()|") | _QUOTES
_OPERATOR_WORDS = {"and": _Tok.AND, "or": _Tok.OR, "not": _Tok.NOT}
_NEXT_QUOTE = re.compile('["“”„]')
_NEEDS_QUOTES = re.compile(r'[\s()|"“”„]')


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            tokens.append((_Tok.LPAREN, c))
            i += 1
        elif c == ")":
            tokens.append((_Tok.RPAREN, c))
            i += 1
        elif c == "|":
            tokens.append((_Tok.OR, c))
            i += 1
        elif c in _QUOTES:
            closing = _NEXT_QUOTE.search(text, i + 1)
            if closing is None:
                i += 1  # an unbalanced quote: drop it, read the rest as plain terms
            else:
                tokens.append((_Tok.WORD, text[i + 1 : closing.start()]))
                i = closing.end()
        elif c in "+-":
            # A prefix ("-wordpress", "+python", '-"exact phrase"', "-(a OR b)") or a lone
            # operator ("a + b"); never inside a word ("c++", "full-stack").
            follows = text[i + 1] if i + 1 < n else " "
            if follows.isspace() or follows in ")|":
                if c == "+":
                    tokens.append((_Tok.AND, c))
            elif c == "-":
                tokens.append((_Tok.NOT, c))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _WORD_STOP:
                j += 1
            word = text[i:j]
            operator = _OPERATOR_WORDS.get(word.lower())
            tokens.append((operator, word) if operator else (_Tok.WORD, word))
            i = j
    return _balance(tokens)


def _balance(tokens: list[_Token]) -> list[_Token]:
    """Drop stray `)` and the parentheses of groups nested deeper than MAX_DEPTH."""
    kept: list[_Token] = []
    open_groups: list[bool] = []  # per open "(": whether it was kept
    depth = 0  # kept groups open
    for token in tokens:
        kind = token[0]
        if kind is _Tok.LPAREN:
            keep = depth < MAX_DEPTH
            open_groups.append(keep)
            if keep:
                kept.append(token)
                depth += 1
        elif kind is _Tok.RPAREN:
            if open_groups and open_groups.pop():
                kept.append(token)
                depth -= 1
        else:
            kept.append(token)
    return kept


# -- parsing ----------------------------------------------------------------------------


class _Parser:
    """Recursive descent; every rule consumes at least one token or stops at a boundary."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def parse(self) -> QueryNode | None:
        node = self.or_expr()
        # _balance() leaves no stray ")", so the top level consumes everything.
        return node

    def or_expr(self) -> QueryNode | None:
        alternatives = [self.and_expr()]
        while self.peek() is _Tok.OR:
            self.pos += 1
            alternatives.append(self.and_expr())
        return _combine(Or, [node for node in alternatives if node is not None])

    def and_expr(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while (kind := self.peek()) not in (None, _Tok.RPAREN, _Tok.OR):
            if kind is _Tok.AND:
                self.pos += 1
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        return _combine(And, parts)

    def unary(self) -> QueryNode | None:
        negate = False
        while self.peek() is _Tok.NOT:
            self.pos += 1
            negate = not negate
        if self.peek() in (None, _Tok.RPAREN, _Tok.OR, _Tok.AND):
            return None  # a dangling NOT: ignored
        node = self.primary()
        if node is None or not negate:
            return node
        return node.operand if isinstance(node, Not) else Not(node)

    def primary(self) -> QueryNode | None:
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if kind is _Tok.LPAREN:
            inner = self.or_expr()
            if self.peek() is _Tok.RPAREN:
                self.pos += 1
            return inner  # "()" is None: an empty group matches everything
        folded = fold_text(text)
        return Term(folded) if folded else None


def _combine(kind: type[And] | type[Or], parts: list[QueryNode]) -> QueryNode | None:
    """An And/Or of `parts`, flattened (a AND (b AND c) is one And), or the lone part."""
    flat: list[QueryNode] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, kind) else (part,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def parse_query(text: str) -> Query:
    """Parse what the user typed into a compiled `Query`. Never raises."""
    node = _Parser(_tokenize(text)).parse()
    return Query(text=text, node=node, predicate=_compile_query(node))


# -- compiling --------------------------------------------------------------------------


def _order(node: QueryNode) -> tuple[int, int]:
    """AND operands cheapest-to-reject first: a plain term (the longer, the rarer, so the
    likelier to fail at once), then groups, then negations (which rarely fail)."""
    if isinstance(node, Term):
        return (0, -len(node.text))
    return (2, 0) if isinstance(node, Not) else (1, 0)


def query_source(node: QueryNode, var: str) -> str:
    """Python source of a boolean expression over the haystack variable `var`."""
    if isinstance(node, Term):
        return f"{node.text!r} in {var}"
    if isinstance(node, Not):
        return f"not ({query_source(node.operand, var)})"
    if isinstance(node, And):
        return " and ".join(f"({query_source(n, var)})" for n in sorted(node.operands, key=_order))
    return " or ".join(f"({query_source(n, var)})" for n in node.operands)


def compile_function(params: str, body: str, names: dict[str, object]) -> object:
    namespace: dict[str, object] = {"__builtins__": {}, **names}
    return eval(compile(f"lambda {params}: {body}", "<filter>", "eval"), namespace)


def _compile_query(node: QueryNode | None) -> Callable[[str], bool]:
    if node is None:
        return _always
    return cast("Callable[[str], bool]", compile_function("h", query_source(node, "h"), {}))


def _always(_haystack: str) -> bool:
    return True


# -- the filter specification -----------------------------------------------------------

RowPredicate: TypeAlias = Callable[[Opportunity, str, str], bool]


def proposals_within(span: tuple[int, int | None] | None, most: int) -> bool:
    """Whether a job's proposals so far, (fewest, most) or None when unknown, are surely
    at most `most`: the upper end of the range is within it."""
    return span is not None and span[1] is not None and span[1] <= most


def _effective_kind(opportunity: Opportunity) -> JobKind:
    """The kind, or for an unknown kind the one its stated price implies."""
    if opportunity.kind is not JobKind.UNKNOWN:
        return opportunity.kind
    if opportunity.budget is not None:
        return JobKind.FIXED
    if opportunity.hourly_min is not None or opportunity.hourly_max is not None:
        return JobKind.HOURLY
    return JobKind.UNKNOWN


class FilterSpec(BaseModel):
    """What the inbox shows: a text query and structured conditions, all ANDed.

    An unset condition (None, an empty set) is skipped. A set condition fails on an
    opportunity that lacks the value it tests (no match score, no client country…), with
    two exceptions: `countries_exclude` passes an unknown country, and a price bound only
    concerns jobs of its kind — `budget_*` fixed-price jobs, `hourly_*` hourly ones — so a
    job of the other kind passes it (use `kinds` to drop it), while a job with no price at
    all fails it. An hourly job matches the hourly bounds when its rate range overlaps
    them; a job stating one end of the range is taken at that rate.

    Depth: `connects_max` keeps jobs whose proposal costs at most that many Connects, and
    jobs that state no Connects price (a Gigiac task costs none). `proposals_max` keeps
    jobs with at most that many proposals so far: an exact count, or a tier whose upper
    end is within it ("5 to 10" passes 10, not 7; "50+" passes none); unknown fails.
    `client_hires_min` and `client_avg_rate_min` (USD/h the client paid on average) fail
    on a client whose history the platform does not give.

    `states` selects by the local state the caller passes with each row (lowercase names:
    "new", "drafted", "submitted", "failed", `ARCHIVED`…). Archived rows are hidden unless
    `include_archived` is set or `states` names `ARCHIVED`; when `states` is set it alone
    decides.

    Saved filters are `to_json()` / `from_json()`; sets are written sorted, unset fields
    are left out, unknown fields are ignored on reading.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = ""
    platforms: frozenset[Platform] = frozenset()
    kinds: frozenset[JobKind] = frozenset()
    budget_min: Decimal | None = Field(default=None, ge=0)
    budget_max: Decimal | None = Field(default=None, ge=0)
    hourly_min: Decimal | None = Field(default=None, ge=0)
    hourly_max: Decimal | None = Field(default=None, ge=0)
    client_spend_min: Decimal | None = Field(default=None, ge=0)
    hire_rate_min: float | None = Field(default=None, ge=0.0, le=1.0)
    payment_verified: bool | None = None
    countries_include: frozenset[str] = frozenset()
    countries_exclude: frozenset[str] = frozenset()
    min_match_score: float | None = Field(default=None, ge=0.0, le=1.0)
    posted_within: timedelta | None = None
    # Depth: the Connects a proposal costs, the competition, the client's history.
    connects_max: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    proposals_max: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    client_hires_min: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    client_avg_rate_min: Decimal | None = Field(default=None, ge=0)
    # Local state names as the caller reports them ("new", "drafted", "submitted", …).
    states: frozenset[str] = frozenset()
    include_archived: bool = False

    @field_validator("countries_include", "countries_exclude", "states")
    @classmethod
    def _fold_names(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(folded for name in value if (folded := fold_text(name)))

    @field_validator("posted_within")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("posted_within must be a positive duration")
        return value

    @field_serializer(
        "platforms", "kinds", "countries_include", "countries_exclude", "states", when_used="json"
    )
    def _sorted(self, value: frozenset[str]) -> list[str]:
        return sorted(value)

    @property
    def query(self) -> Query:
        return parse_query(self.text)

    def narrows(self, previous: FilterSpec) -> bool:
        """Whether this spec's matches are a subset of `previous`'s: same structured
        conditions and a query that narrows the previous one (see `Query.narrows`)."""
        if self.model_dump(exclude={"text"}) != previous.model_dump(exclude={"text"}):
            return False
        return self.query.narrows(previous.query)

    def to_json(self) -> str:
        # Not `exclude_defaults`: with the sorting serializer pydantic compares the
        # serialized list to the default set and writes every empty set.
        unset = {
            name
            for name, info in type(self).model_fields.items()
            if getattr(self, name) == info.default
        }
        return self.model_dump_json(exclude=unset)

    @classmethod
    def from_json(cls, text: str | bytes) -> FilterSpec:
        return cls.model_validate_json(text)

    def compile(self, now: datetime) -> RowPredicate:
        """One function `(opportunity, its haystack, its local state) -> bool`.

        `now` anchors `posted_within` (this module never reads the clock). Conditions run
        cheapest first — state and enum membership, then numbers, then the text query —
        and unset ones are not in the function at all. For the GUI: compile once per
        filter change, not per row; `narrows()` tells when the previous hits suffice.
        """
        names: dict[str, object] = {}

        def bind(value: object) -> str:
            name = f"_{len(names)}"
            names[name] = value
            return name

        conditions: list[str] = []
        if self.states:
            conditions.append(f"s in {bind(self.states)}")
        elif not self.include_archived:
            conditions.append(f"s != {ARCHIVED!r}")
        if self.platforms:
            # Any source of the job: a GigRadar row also found by UpHunt is an UpHunt job.
            conditions.append(f"not o.source_platforms.isdisjoint({bind(self.platforms)})")
        if self.kinds:
            conditions.append(f"o.kind in {bind(self.kinds)}")
        if self.payment_verified is not None:
            conditions.append(f"o.client.payment_verified is {self.payment_verified!r}")
        if self.connects_max is not None:
            conditions.append(
                f"o.connects_price is None or o.connects_price <= {bind(self.connects_max)}"
            )
        if self.proposals_max is not None:
            conditions.append(
                f"{bind(proposals_within)}(o.competition.proposals_range, "
                f"{bind(self.proposals_max)})"
            )
        for attribute, bound in (
            ("o.match_score", self.min_match_score),
            ("o.client.hire_rate", self.hire_rate_min),
            ("o.client.total_spent", self.client_spend_min),
            ("o.client.total_hires", self.client_hires_min),
            ("o.client.avg_hourly_rate", self.client_avg_rate_min),
        ):
            if bound is not None:
                conditions.append(f"{attribute} is not None and {attribute} >= {bind(bound)}")
        if self.posted_within is not None:
            cutoff = ensure_utc(now) - self.posted_within
            conditions.append(f"(o.posted_at or o.detected_at) >= {bind(cutoff)}")
        if self.budget_min is not None or self.budget_max is not None:
            conditions.append(f"{bind(self._budget_check())}(o)")
        if self.hourly_min is not None or self.hourly_max is not None:
            conditions.append(f"{bind(self._hourly_check())}(o)")
        if self.countries_include:
            conditions.append(
                f"{bind(fold_text)}(o.client.country or '') in {bind(self.countries_include)}"
            )
        if self.countries_exclude:
            conditions.append(
                f"{bind(fold_text)}(o.client.country or '') not in {bind(self.countries_exclude)}"
            )
        query = self.query
        if query.node is not None:
            conditions.append(query_source(query.node, "h"))
        body = " and ".join(f"({c})" for c in conditions) or "True"
        return cast(RowPredicate, compile_function("o, h, s", body, names))

    def _budget_check(self) -> Callable[[Opportunity], bool]:
        low, high = self.budget_min, self.budget_max

        def check(opportunity: Opportunity) -> bool:
            if _effective_kind(opportunity) is JobKind.HOURLY:
                return True
            budget = opportunity.budget
            return (
                budget is not None
                and (low is None or budget >= low)
                and (high is None or budget <= high)
            )

        return check

    def _hourly_check(self) -> Callable[[Opportunity], bool]:
        low, high = self.hourly_min, self.hourly_max

        def check(opportunity: Opportunity) -> bool:
            if _effective_kind(opportunity) is JobKind.FIXED:
                return True
            lo = (
                opportunity.hourly_min
                if opportunity.hourly_min is not None
                else opportunity.hourly_max
            )
            hi = (
                opportunity.hourly_max
                if opportunity.hourly_max is not None
                else opportunity.hourly_min
            )
            if lo is None or hi is None:
                return False
            if lo > hi:
                lo, hi = hi, lo
            return (high is None or lo <= high) and (low is None or hi >= low)

        return check
