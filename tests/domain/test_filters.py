"""The inbox filter: query parsing and matching, structured conditions, saved filters."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.filters import (
    ARCHIVED,
    MAX_DEPTH,
    And,
    FilterSpec,
    Not,
    Or,
    Query,
    QueryNode,
    Term,
    haystack,
    parse_query,
)
from app.domain.opportunity import ClientInfo, JobKind, Opportunity, Platform
from tests.helpers.profiles import examples

HYPOTHESIS = settings(database=None, deadline=None, max_examples=examples(300))
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def t(text: str) -> Term:
    return Term(text)


def node(text: str) -> QueryNode | None:
    return parse_query(text).node


def evaluate(tree: QueryNode | None, hay: str) -> bool:
    """The reference meaning of a query tree, independent of the compiled predicate."""
    if tree is None:
        return True
    if isinstance(tree, Term):
        return tree.text in hay
    if isinstance(tree, Not):
        return not evaluate(tree.operand, hay)
    if isinstance(tree, And):
        return all(evaluate(operand, hay) for operand in tree.operands)
    return any(evaluate(operand, hay) for operand in tree.operands)


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python", t("python")),
        ("Python", t("python")),
        ("python django", And((t("python"), t("django")))),
        ("python AND django", And((t("python"), t("django")))),
        ("python and django", And((t("python"), t("django")))),
        ("python + django", And((t("python"), t("django")))),
        ("+python +django", And((t("python"), t("django")))),
        ("python OR django", Or((t("python"), t("django")))),
        ("python or django", Or((t("python"), t("django")))),
        ("python | django", Or((t("python"), t("django")))),
        ("python|django", Or((t("python"), t("django")))),
        ("NOT wordpress", Not(t("wordpress"))),
        ("not wordpress", Not(t("wordpress"))),
        ("-wordpress", Not(t("wordpress"))),
        ("python -wordpress", And((t("python"), Not(t("wordpress"))))),
        ('"machine learning"', t("machine learning")),
        ('"Machine   Learning"', t("machine learning")),
        ("“machine learning”", t("machine learning")),
        ('-"full stack"', Not(t("full stack"))),
        ('"and" "or" "not"', And((t("and"), t("or"), t("not")))),
        ("(python)", t("python")),
        ("(python OR django) api", And((Or((t("python"), t("django"))), t("api")))),
        ("-(php OR wordpress)", Not(Or((t("php"), t("wordpress"))))),
        ("NOT NOT python", t("python")),
        ("--python", t("python")),
        ("c++ c# node.js full-stack", And((t("c++"), t("c#"), t("node.js"), t("full-stack")))),
        ("a AND (b AND c)", And((t("a"), t("b"), t("c")))),
        ("a OR (b OR c)", Or((t("a"), t("b"), t("c")))),
    ],
)
def test_operators(text: str, expected: QueryNode) -> None:
    assert node(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NOT > AND > OR
        ("a OR b c", Or((t("a"), And((t("b"), t("c")))))),
        ("a b OR c", Or((And((t("a"), t("b"))), t("c")))),
        ("NOT a b", And((Not(t("a")), t("b")))),
        ("a OR NOT b", Or((t("a"), Not(t("b"))))),
        ("-a OR b c", Or((Not(t("a")), And((t("b"), t("c")))))),
        ("a AND b OR c AND d", Or((And((t("a"), t("b"))), And((t("c"), t("d")))))),
        ("a (b OR c)", And((t("a"), Or((t("b"), t("c")))))),
        ("NOT (a b) OR c", Or((Not(And((t("a"), t("b")))), t("c")))),
    ],
)
def test_precedence(text: str, expected: QueryNode) -> None:
    assert node(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ('"', None),
        ('""', None),
        ("()", None),
        ("(", None),
        (")", None),
        ("OR", None),
        ("AND", None),
        ("NOT", None),
        ("-", None),
        ("+", None),
        ("|", None),
        ("or and not", None),
        ('"unclosed phrase', And((t("unclosed"), t("phrase")))),  # quote dropped
        ('python "machine learn', And((t("python"), t("machine"), t("learn")))),
        ('"a b" "c', And((t("a b"), t("c")))),
        ("(python OR django", Or((t("python"), t("django")))),  # closed at the end
        ("((a", t("a")),
        ("a)) b", And((t("a"), t("b")))),  # stray ")" ignored
        (")a(", t("a")),
        ("python OR", t("python")),  # typing in progress
        ("OR python", t("python")),
        ("python NOT", t("python")),
        ("python -", t("python")),
        ("python AND", t("python")),
        ("a OR OR b", Or((t("a"), t("b")))),
        ("a NOT AND b", And((t("a"), t("b")))),
        ("a - b", And((t("a"), t("b")))),
    ],
)
def test_user_typing_degrades_gracefully(text: str, expected: QueryNode | None) -> None:
    assert node(text) == expected


def test_deep_nesting_is_flattened_not_fatal() -> None:
    deep = "(" * 5000 + "a OR b" + ")" * 5000
    assert node(deep) == Or((t("a"), t("b")))
    alternating = "".join("(x OR -" for _ in range(200)) + "y" + ")" * 200
    query = parse_query(alternating)  # past MAX_DEPTH the grouping is lost, not the query
    for hay in ("", "x", "y", "x y"):
        assert query.matches(hay) is evaluate(query.node, hay)


def or_levels(tree: QueryNode | None) -> int:
    """Levels of `Or(b, And(c, <next level>))`, as `(b OR c (b OR c (…)))` parses."""
    levels = 0
    while isinstance(tree, Or) and isinstance(tree.operands[-1], And):
        levels += 1
        tree = tree.operands[-1].operands[-1]
    return levels + isinstance(tree, Or)


@pytest.mark.parametrize(
    ("groups", "levels"),
    [(1, 1), (MAX_DEPTH - 1, MAX_DEPTH - 1), (MAX_DEPTH, MAX_DEPTH), (MAX_DEPTH + 5, MAX_DEPTH)],
)
def test_groups_up_to_max_depth_are_kept(groups: int, levels: int) -> None:
    text = "(b OR c " * groups + "d" + ")" * groups
    assert or_levels(node(text)) == levels


@HYPOTHESIS
@given(st.text())
def test_any_text_parses_and_matches_without_error(text: str) -> None:
    query = parse_query(text)
    for hay in ("", text.lower(), "python django api"):
        assert query.matches(hay) is evaluate(query.node, hay)


QUERY_ALPHABET = st.sampled_from([*'abc ()|-+"', "OR ", "AND ", "NOT ", " or "])
HAYSTACKS = st.text(alphabet="abc ", max_size=12)


@HYPOTHESIS
@given(st.lists(QUERY_ALPHABET, max_size=25).map("".join), st.lists(HAYSTACKS, max_size=8))
def test_compiled_predicate_agrees_with_the_tree(text: str, hays: list[str]) -> None:
    query = parse_query(text)
    for hay in hays:
        assert query.matches(hay) is evaluate(query.node, hay)


@HYPOTHESIS
@given(st.lists(QUERY_ALPHABET, max_size=25).map("".join), st.lists(HAYSTACKS, max_size=8))
def test_canonical_text_parses_to_an_equivalent_query(text: str, hays: list[str]) -> None:
    query = parse_query(text)
    again = parse_query(str(query))
    assert str(again) == str(query)
    for hay in hays:
        assert again.matches(hay) is query.matches(hay)


# -- matching -------------------------------------------------------------------------------

HAY = "senior python developer\x1fbuild a django rest api for a fintech startup\x1fpython"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python", True),
        ("PYTHON", True),
        ("pyth", True),  # terms are substrings
        ("django python", True),  # in any order
        ("api django senior", True),
        ("python ruby", False),
        ("python OR ruby", True),
        ("ruby OR golang", False),
        ("-ruby", True),
        ("-django", False),
        ("python -django", False),
        ("(ruby OR django) -php", True),
        ('"rest api"', True),
        ('"api rest"', False),  # a phrase keeps its order
        ('"python django"', False),  # nor does it span two fields
        ('"developer build"', False),
        ("", True),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert parse_query(text).matches(HAY) is expected


def test_empty_query_matches_everything() -> None:
    query = parse_query("  ")
    assert query.is_empty
    assert query.matches("")
    assert str(query) == ""


def test_terms_lists_what_to_highlight() -> None:
    query = parse_query('python (django OR flask) -wordpress "rest api" python NOT (-php)')
    assert query.terms() == ("python", "django", "flask", "rest api", "php")
    assert parse_query("").terms() == ()


def test_canonical_text() -> None:
    query = parse_query('Python  AND (Django|flask)  -"Full  Stack" c++ "or"')
    assert str(query) == 'python (django OR flask) -"full stack" c++ "or"'


def test_queries_compare_by_tree() -> None:
    assert parse_query("a b") == parse_query("a b")
    assert parse_query("a b").node == parse_query("a AND b").node
    assert isinstance(parse_query("x"), Query)


# -- narrowing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "narrows"),
    [
        ("", "p", True),
        ("p", "py", True),
        ("py", "python", True),
        ("python", "python ", True),
        ("python", "python d", True),
        ("python d", "python dj", True),
        ("python", "python -", True),  # "-" alone is ignored
        ("python dj", "python -", False),  # "dj" was deleted
        ("python", "python -w", True),
        ("python -w", "python -wo", False),  # "-wo" excludes less than "-w"
        ("python -wordpress", "python -w", True),
        ("python", "pytho", False),  # backspace
        ("python", "", False),
        ("python OR django", "python", True),
        ("python", "python OR django", False),
        ("python OR django", "(python OR django) api", True),
        ("(python OR django) api", "python api", True),
        ("a b", "b a", True),
        ('"rest api"', '"rest api v2"', True),
        ("rest api", '"rest api"', True),  # the phrase contains both words
        ("api rest", '"rest"', False),
        ("python", "-django", False),
    ],
)
def test_narrows(previous: str, current: str, narrows: bool) -> None:
    assert parse_query(current).narrows(parse_query(previous)) is narrows


@HYPOTHESIS
@given(
    st.lists(QUERY_ALPHABET, max_size=15).map("".join),
    st.lists(QUERY_ALPHABET, max_size=15).map("".join),
    st.lists(HAYSTACKS, min_size=1, max_size=10),
)
def test_narrowing_is_sound(previous: str, current: str, hays: list[str]) -> None:
    before, after = parse_query(previous), parse_query(current)
    assume(after.narrows(before))
    for hay in hays:
        assert not after.matches(hay) or before.matches(hay)


WORD = st.text(alphabet="abcxyz", min_size=1, max_size=4)


@HYPOTHESIS
@given(st.lists(st.tuples(st.booleans(), WORD), max_size=5), WORD, WORD)
def test_typing_on_narrows(earlier: list[tuple[bool, str]], last: str, typed: str) -> None:
    words = [("-" if negated else "") + word for negated, word in earlier]
    text = " ".join([*words, last])
    assert parse_query(text + typed).narrows(parse_query(text))  # longer last word
    assert parse_query(f"{text} {typed}").narrows(parse_query(text))  # one more word
    assert parse_query(f"{text} -{typed}").narrows(parse_query(text))  # one more exclusion


# -- haystacks ------------------------------------------------------------------------------


def opportunity(**fields: object) -> Opportunity:
    base: dict[str, object] = {
        "platform": Platform.GIGRADAR,
        "external_id": "1",
        "title": "Python developer",
        "kind": JobKind.FIXED,
        "budget": Decimal(500),
        "detected_at": NOW - timedelta(hours=1),
    }
    base.update(fields)
    return Opportunity.model_validate(base)


def test_haystack_holds_the_searchable_fields_in_lowercase() -> None:
    opp = opportunity(
        title="Senior PYTHON Developer",
        description="Build a\nDjango\tREST API.\r\nDon’t use PHP — thanks",
        skills=("Python", "Django REST Framework"),
        category="Web Development",
        client=ClientInfo(country="United States", name="Acme Secret Corp"),
    )
    hay = haystack(opp)
    assert hay == hay.lower()
    for expected in (
        "senior python developer",
        "build a django rest api.",
        "don't use php - thanks",  # typographic apostrophe and dash folded
        "django rest framework",
        "united states",
        "web development",
    ):
        assert expected in hay
    assert "acme" not in hay  # the client's name is not searchable
    assert "\n" not in hay
    assert parse_query("don't").matches(hay)
    assert parse_query("don’t").matches(hay)
    assert not parse_query('"developer build"').matches(hay)
    assert not parse_query('"python django"').matches(hay)  # two skills, two fields


def test_haystack_of_a_bare_opportunity() -> None:
    assert haystack(opportunity(title="Logo")) == "logo"


# -- structured conditions ---------------------------------------------------------------


def accepts(spec: FilterSpec, opp: Opportunity, state: str = "new", now: datetime = NOW) -> bool:
    return spec.compile(now)(opp, haystack(opp), state)


def test_an_empty_spec_accepts_everything_but_archived() -> None:
    spec = FilterSpec()
    assert accepts(spec, opportunity())
    assert accepts(spec, opportunity(kind=JobKind.UNKNOWN, budget=None))
    assert not accepts(spec, opportunity(), state=ARCHIVED)
    assert accepts(FilterSpec(include_archived=True), opportunity(), state=ARCHIVED)


def test_unset_conditions_are_not_evaluated() -> None:
    # The compiled function touches nothing it does not test: with only a text query it
    # never reads the opportunity at all.
    assert FilterSpec(text="python").compile(NOW)(None, "python", "new")  # type: ignore[arg-type]
    assert not FilterSpec(text="python").compile(NOW)(None, "ruby", "new")  # type: ignore[arg-type]


def test_the_state_is_checked_before_anything_else() -> None:
    spec = FilterSpec(text="python", platforms={Platform.GIGIAC}, states={"new"})
    assert not spec.compile(NOW)(None, "python", "submitted")  # type: ignore[arg-type]


def test_text() -> None:
    spec = FilterSpec(text="python -wordpress")
    assert accepts(spec, opportunity())
    assert not accepts(spec, opportunity(description="WordPress site"))
    assert not accepts(spec, opportunity(title="Ruby developer"))


def test_platforms() -> None:
    spec = FilterSpec(platforms={Platform.GIGIAC, Platform.UPHUNT})
    assert not accepts(spec, opportunity())
    assert accepts(spec, opportunity(platform=Platform.GIGIAC))


def test_kinds() -> None:
    spec = FilterSpec(kinds={JobKind.HOURLY})
    assert not accepts(spec, opportunity())
    assert accepts(spec, opportunity(kind=JobKind.HOURLY, budget=None))


@pytest.mark.parametrize(
    ("kind", "budget", "hourly", "expected"),
    [
        (JobKind.FIXED, 500, None, True),
        (JobKind.FIXED, 300, None, True),  # bounds are inclusive
        (JobKind.FIXED, 1000, None, True),
        (JobKind.FIXED, 299, None, False),
        (JobKind.FIXED, 1001, None, False),
        (JobKind.FIXED, None, None, False),  # a fixed job with no budget stated
        (JobKind.HOURLY, None, (20, 40), True),  # the other kind passes a budget bound
        (JobKind.UNKNOWN, 500, None, True),  # unknown kind, judged by its budget
        (JobKind.UNKNOWN, 50, None, False),
        (JobKind.UNKNOWN, None, (20, 40), True),  # unknown kind with a rate: hourly
        (JobKind.UNKNOWN, None, None, False),  # no price at all fails a price bound
    ],
)
def test_budget(
    kind: JobKind, budget: int | None, hourly: tuple[int, int] | None, expected: bool
) -> None:
    spec = FilterSpec(budget_min=Decimal(300), budget_max=Decimal(1000))
    low, high = hourly or (None, None)
    opp = opportunity(kind=kind, budget=budget, hourly_min=low, hourly_max=high)
    assert accepts(spec, opp) is expected


def test_budget_one_sided() -> None:
    assert accepts(FilterSpec(budget_min=Decimal("499.99")), opportunity())
    assert not accepts(FilterSpec(budget_max=Decimal("499.99")), opportunity())


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ((30, 50), True),  # inside
        ((10, 30), True),  # overlaps the low end
        ((50, 90), True),  # overlaps the high end
        ((10, 90), True),  # contains the range
        ((10, 25), True),  # touches
        ((10, 24), False),
        ((61, 90), False),
        ((None, 40), True),  # one end stated: that rate
        ((None, 20), False),
        ((45, None), True),
        ((70, None), False),
        ((50, 30), True),  # ends swapped by the platform
        ((None, None), False),  # no rate stated
    ],
)
def test_hourly_range_overlap(job: tuple[int | None, int | None], expected: bool) -> None:
    spec = FilterSpec(hourly_min=Decimal(25), hourly_max=Decimal(60))
    opp = opportunity(kind=JobKind.HOURLY, budget=None, hourly_min=job[0], hourly_max=job[1])
    assert accepts(spec, opp) is expected


def test_hourly_bounds_pass_fixed_jobs() -> None:
    spec = FilterSpec(hourly_min=Decimal(25))
    assert accepts(spec, opportunity())
    assert not accepts(spec, opportunity(kind=JobKind.UNKNOWN, budget=None))


def test_both_price_bounds_judge_each_kind_by_its_own() -> None:
    spec = FilterSpec(budget_min=Decimal(400), hourly_min=Decimal(40))
    assert accepts(spec, opportunity())
    assert not accepts(spec, opportunity(budget=100))
    assert accepts(spec, opportunity(kind=JobKind.HOURLY, budget=None, hourly_max=50))
    assert not accepts(spec, opportunity(kind=JobKind.HOURLY, budget=None, hourly_max=30))


def test_client_spend() -> None:
    spec = FilterSpec(client_spend_min=Decimal(10_000))
    assert accepts(spec, opportunity(client=ClientInfo(total_spent=Decimal(10_000))))
    assert not accepts(spec, opportunity(client=ClientInfo(total_spent=Decimal("9999.99"))))
    assert not accepts(spec, opportunity())  # unknown spend fails


def test_hire_rate() -> None:
    spec = FilterSpec(hire_rate_min=0.5)
    assert accepts(spec, opportunity(client=ClientInfo(hire_rate=0.5)))
    assert not accepts(spec, opportunity(client=ClientInfo(hire_rate=0.49)))
    assert not accepts(spec, opportunity())


@pytest.mark.parametrize(
    ("wanted", "client", "expected"),
    [
        (True, True, True),
        (True, False, False),
        (True, None, False),
        (False, False, True),
        (False, True, False),
        (False, None, False),
        (None, None, True),
        (None, False, True),
    ],
)
def test_payment_verified(wanted: bool | None, client: bool | None, expected: bool) -> None:
    spec = FilterSpec(payment_verified=wanted)
    opp = opportunity(client=ClientInfo(payment_verified=client))
    assert accepts(spec, opp) is expected


def test_countries_include_case_insensitively() -> None:
    spec = FilterSpec(countries_include={"united states", " CANADA "})
    assert spec.countries_include == {"united states", "canada"}
    assert accepts(spec, opportunity(client=ClientInfo(country="United States")))
    assert accepts(spec, opportunity(client=ClientInfo(country="canada")))
    assert not accepts(spec, opportunity(client=ClientInfo(country="India")))
    assert not accepts(spec, opportunity())  # unknown country is not included


def test_countries_exclude_case_insensitively() -> None:
    spec = FilterSpec(countries_exclude={"India"})
    assert not accepts(spec, opportunity(client=ClientInfo(country="INDIA")))
    assert accepts(spec, opportunity(client=ClientInfo(country="Germany")))
    assert accepts(spec, opportunity())  # unknown country is not excluded


def test_min_match_score() -> None:
    spec = FilterSpec(min_match_score=0.7)
    assert accepts(spec, opportunity(match_score=0.7))
    assert not accepts(spec, opportunity(match_score=0.69))
    assert not accepts(spec, opportunity())


def test_posted_within_uses_the_given_now() -> None:
    spec = FilterSpec(posted_within=timedelta(hours=24))
    fresh = opportunity(posted_at=NOW - timedelta(hours=23))
    stale = opportunity(posted_at=NOW - timedelta(hours=25))
    assert accepts(spec, fresh)
    assert not accepts(spec, stale)
    # The clock is never read: the same rows, judged a day later or years ago.
    assert not accepts(spec, fresh, now=NOW + timedelta(days=1))
    assert accepts(spec, stale, now=NOW - timedelta(hours=2))
    assert accepts(spec, stale, now=datetime(2025, 3, 1, 10, 0))  # naive now: UTC


def test_posted_within_falls_back_to_detection_time() -> None:
    spec = FilterSpec(posted_within=timedelta(hours=2))
    assert accepts(spec, opportunity(posted_at=None, detected_at=NOW - timedelta(hours=1)))
    assert not accepts(spec, opportunity(posted_at=None, detected_at=NOW - timedelta(hours=3)))


def test_states() -> None:
    spec = FilterSpec(states={"New", "drafted"})
    assert spec.states == {"new", "drafted"}
    assert accepts(spec, opportunity(), state="new")
    assert accepts(spec, opportunity(), state="drafted")
    assert not accepts(spec, opportunity(), state="submitted")
    assert not accepts(spec, opportunity(), state=ARCHIVED)
    assert not accepts(
        spec.model_copy(update={"include_archived": True}), opportunity(), state=ARCHIVED
    )
    assert accepts(FilterSpec(states={ARCHIVED}), opportunity(), state=ARCHIVED)


def test_everything_at_once() -> None:
    spec = FilterSpec(
        text="(django OR flask) -wordpress",
        platforms={Platform.GIGRADAR},
        kinds={JobKind.FIXED},
        budget_min=Decimal(100),
        client_spend_min=Decimal(1000),
        hire_rate_min=0.3,
        payment_verified=True,
        countries_exclude={"nowhere"},
        min_match_score=0.5,
        posted_within=timedelta(days=3),
        states={"new"},
    )
    good = opportunity(
        description="A Django backend",
        match_score=0.9,
        posted_at=NOW - timedelta(days=1),
        client=ClientInfo(
            country="Spain", payment_verified=True, total_spent=Decimal(5000), hire_rate=0.8
        ),
    )
    assert accepts(spec, good)
    for change in (
        {"description": "A Django WordPress backend"},
        {"platform": Platform.GIGIAC},
        {"budget": Decimal(99)},
        {"match_score": 0.4},
        {"posted_at": NOW - timedelta(days=4)},
        {"client": good.client.model_copy(update={"payment_verified": False})},
        {"client": good.client.model_copy(update={"hire_rate": 0.1})},
        {"client": good.client.model_copy(update={"total_spent": Decimal(10)})},
        {"client": good.client.model_copy(update={"country": "NOWHERE"})},
    ):
        assert not accepts(spec, good.model_copy(update=change)), change
    assert not accepts(spec, good, state="drafted")


# -- validation and saved filters ----------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"hire_rate_min": 1.5},
        {"hire_rate_min": -0.1},
        {"min_match_score": 2},
        {"budget_min": -1},
        {"hourly_max": "-5"},
        {"client_spend_min": -1},
        {"posted_within": timedelta(0)},
        {"posted_within": timedelta(hours=-1)},
        {"platforms": ["upwork"]},
        {"kinds": ["weekly"]},
    ],
)
def test_invalid_specs_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FilterSpec.model_validate(fields)


FULL = FilterSpec(
    text='python "rest api" -wordpress',
    platforms={Platform.UPHUNT, Platform.GIGRADAR},
    kinds={JobKind.FIXED, JobKind.HOURLY},
    budget_min=Decimal("250.50"),
    budget_max=Decimal(5000),
    hourly_min=Decimal(30),
    hourly_max=Decimal("80.25"),
    client_spend_min=Decimal(10_000),
    hire_rate_min=0.25,
    payment_verified=False,
    countries_include={"Germany", "france"},
    countries_exclude={"india"},
    min_match_score=0.75,
    posted_within=timedelta(days=2, hours=3),
    states={"new", "drafted"},
    include_archived=True,
)


def test_json_round_trip() -> None:
    text = FULL.to_json()
    back = FilterSpec.from_json(text)
    assert back == FULL
    assert back.budget_min == Decimal("250.50")
    assert back.posted_within == timedelta(days=2, hours=3)
    assert FilterSpec.from_json(text.encode()) == FULL


def test_json_is_deterministic_and_sorted() -> None:
    data = json.loads(FULL.to_json())
    assert data["platforms"] == ["gigradar", "uphunt"]
    assert data["countries_include"] == ["france", "germany"]
    assert data["states"] == ["drafted", "new"]
    same = FilterSpec.model_validate(FULL.model_dump())
    assert same.to_json() == FULL.to_json()


def test_json_leaves_defaults_out_and_ignores_unknown_fields() -> None:
    assert FilterSpec().to_json() == "{}"
    assert json.loads(FilterSpec(text="x").to_json()) == {"text": "x"}
    assert FilterSpec.from_json('{"text": "x", "from_a_newer_version": 1}') == FilterSpec(text="x")


@HYPOTHESIS
@given(
    st.builds(
        FilterSpec,
        text=st.text(max_size=30),
        platforms=st.frozensets(st.sampled_from(list(Platform))),
        kinds=st.frozensets(st.sampled_from(list(JobKind))),
        budget_min=st.none() | st.decimals(min_value=0, max_value=10**9, places=2),
        hourly_max=st.none() | st.decimals(min_value=0, max_value=10**4, places=2),
        hire_rate_min=st.none() | st.floats(min_value=0, max_value=1),
        payment_verified=st.none() | st.booleans(),
        countries_exclude=st.frozensets(st.text(max_size=10)),
        posted_within=st.none() | st.timedeltas(min_value=timedelta(seconds=1)),
        states=st.frozensets(st.text(max_size=8)),
        include_archived=st.booleans(),
    )
)
def test_any_spec_round_trips_through_json(spec: FilterSpec) -> None:
    assert FilterSpec.from_json(spec.to_json()) == spec


def test_spec_narrows() -> None:
    previous = FilterSpec(text="pyth", platforms={Platform.GIGRADAR})
    assert previous.model_copy(update={"text": "python"}).narrows(previous)
    assert not previous.model_copy(update={"text": "pyt"}).narrows(previous)
    assert not FilterSpec(text="python").narrows(previous)  # a condition dropped
    assert not previous.model_copy(update={"include_archived": True}).narrows(previous)


# -- scale ----------------------------------------------------------------------------------


def test_filtering_100k_synthetic_haystacks() -> None:
    # Correctness at scale; the time is measured by the benchmarks, not asserted here.
    rnd = random.Random(42)
    words = ("python", "django", "react", "api", "wordpress", "seo", "design", "data", "ios")
    hays = [" ".join(rnd.choices(words, k=12)) for _ in range(100_000)]
    query = parse_query("python django -wordpress")
    hits = [i for i, hay in enumerate(hays) if query.matches(hay)]
    expected = [
        i for i, h in enumerate(hays) if "python" in h and "django" in h and "wordpress" not in h
    ]
    assert hits == expected
    assert 0 < len(hits) < len(hays)
    # Typing on: only the previous hits are tested again.
    narrower = parse_query("python django -wordpress api")
    assert narrower.narrows(query)
    assert [i for i in hits if narrower.matches(hays[i])] == [
        i for i, hay in enumerate(hays) if narrower.matches(hay)
    ]
    spec = FilterSpec(text="python django -wordpress", states={"new"})
    row = spec.compile(NOW)
    opp = opportunity()
    assert [i for i, h in enumerate(hays) if row(opp, h, "new")] == expected
