"""The text index's punctuated terms: answered from the cores exactly as `term in haystack`,
and without reading a row's text back when the term is one core ("node.js", "c++").

The oracle is Python's `in` over the same haystacks; the rows' text is built from a small
alphabet heavy in the characters the cores treat specially (spaces, the field separator,
edge punctuation such as "." and "(", inner punctuation such as "+" and "#").
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import inbox_text
from app.services.inbox_text import MAX_TOKEN, TextIndex
from tests.helpers.profiles import examples

ALPHABET = "ab1 c.+-,()#'\x1f/é"
TEXTS = st.text(alphabet=ALPHABET, max_size=14)
# Pieces of words and punctuation, and now and then a span longer than a core may be.
HAYSTACK = st.lists(
    st.sampled_from(["node.js", "c++", "c#", "(c++)", "node", "js.", "a.b.c", "e-com", "1,500"])
    | TEXTS
    | st.just("x." * (MAX_TOKEN // 2 + 1)),
    max_size=5,
).map(" ".join)


class CountingSource:
    """A row source over a list, counting the rows whose text is asked for."""

    def __init__(self, haystacks: Sequence[str]) -> None:
        self.haystacks = list(haystacks)
        self.fetched = 0

    def __call__(self, ids: Sequence[int]) -> list[str]:
        self.fetched += len(ids)
        return [self.haystacks[i] for i in ids]


def bulk(haystacks: Sequence[str]) -> tuple[TextIndex, CountingSource]:
    source = CountingSource(haystacks)
    text = TextIndex(source)
    text.add(list(range(len(haystacks))), list(haystacks))
    text.finish()
    return text, source


@settings(database=None, deadline=None, max_examples=examples(300))
@given(
    st.lists(HAYSTACK, min_size=1, max_size=10),
    st.lists(TEXTS | st.sampled_from(["node.js", "c++", "c+", "(c", "+)", "s. n", ".js c"])),
)
def test_a_punctuated_term_matches_the_rows_whose_haystack_holds_it(
    haystacks: list[str], extra_terms: list[str]
) -> None:
    text, _source = bulk(haystacks)
    # Substrings of the rows themselves (so terms do match), and terms made up.
    terms = {hay[start:end] for hay in haystacks[:3] for start, end in ((0, 5), (2, 9), (3, 4))}
    for term in terms | set(extra_terms):
        if term:
            expected = {i for i, hay in enumerate(haystacks) if term in hay}
            assert set(text.term(term)) == expected, (term, haystacks)


def test_a_term_that_is_one_core_is_answered_without_reading_any_text() -> None:
    """ "node.js" or "c++" in 3,000 rows: the rows holding it come from the cores' bitmaps;
    the rows merely holding "node", "js", "c" and a "+" somewhere are not checked one by
    one against their text (at a million rows that cost seconds)."""
    kinds = [
        "senior node.js developer (react, c++).",
        "node developer; js. c and c+ and +",
        "we use c# and node, js tooling.",
        "ci/cd for c++ builds",
    ]
    haystacks = [f"{kinds[n % 4]} job {n}" for n in range(3000)]
    text, source = bulk(haystacks)
    for term in ("node.js", "c++", "ci/cd", "c#", "c+"):
        expected = {i for i, hay in enumerate(haystacks) if term in hay}
        assert set(text.term(term)) == expected, term
    assert source.fetched == 0
    # A phrase is still checked, but only on the rows holding its punctuated piece
    # ("node.js") in a core, not on every row holding its words and marks.
    assert set(text.term("node.js developer")) == set(range(0, 3000, 4))
    assert source.fetched == 750


def test_rows_with_a_core_too_long_to_index_are_checked_against_their_text() -> None:
    long_url = "see " + "example.org/" * (MAX_TOKEN // 8) + "node.js now"
    haystacks = ["node.js", long_url, "no match here.", "node. js"]
    text, source = bulk(haystacks)
    assert set(text.term("node.js")) == {0, 1}
    assert source.fetched == 1  # the long row only: its core is not in the index
    assert set(text.term("org/node")) == {1}


def test_spans_without_inner_punctuation_make_no_core() -> None:
    """Sentence punctuation at a word's edges ("word," "(word)") is not a core: the cores
    stay a few a row, not one per word."""
    text, _source = bulk(["hello, world. (this) is 'quoted'! ok?", "node.js, (c++)."])
    assert sorted(text._cores) == ["c++", "node.js"]


def test_cores_without_a_letter_are_not_kept_and_their_terms_still_match() -> None:
    """Numbers with punctuation ("$1,500", "10-15") would grow the cores by the number:
    not kept, and a term of digits and punctuation is checked against the text."""
    haystacks = ["budget $1,500 for 10-15 pages", "1,5 and 00", "node.js"]
    text, _source = bulk(haystacks)
    assert text._cores == ["node.js"]
    assert set(text.term("1,500")) == {0}
    assert set(text.term("10-15 p")) == {0}


def test_past_the_cap_on_cores_new_cores_rows_are_checked_and_still_found() -> None:
    haystacks = [f"{'node.js' if n % 2 else 'vue.js'} c++ job {n}" for n in range(400)]
    kept = inbox_text.MAX_CORES
    inbox_text.MAX_CORES = 1  # one of "vue.js", "node.js", "c++" is kept
    try:
        text, source = bulk(haystacks)
    finally:
        inbox_text.MAX_CORES = kept
    assert len(text._cores) == 1
    assert set(text.term("vue.js")) == set(range(0, 400, 2))
    assert set(text.term("node.js")) == set(range(1, 400, 2))
    assert set(text.term("c++")) == set(range(400))
    assert source.fetched > 0  # the rows left out are checked, not lost


@settings(database=None, deadline=None, max_examples=examples(200))
@given(st.lists(HAYSTACK, min_size=1, max_size=12), st.lists(TEXTS, min_size=1, max_size=4))
def test_the_punctuation_cut_keeps_exactly_the_rows_holding_every_mark_of_the_term(
    haystacks: list[str], terms: list[str]
) -> None:
    # `_marked` narrows a checked term's candidates to the rows holding each of its ASCII
    # punctuation and space characters (one bitmap per character): exactly those rows,
    # or the term's answer would miss rows (too few) or read more text (too many).
    text, _source = bulk(haystacks)
    for term in terms:
        marks = {c for c in term if c.isascii() and not (c.isalnum() or c in "_\n")}
        found = text._marked(term)
        if not marks:
            assert found is None
            continue
        expected = {i for i, hay in enumerate(haystacks) if marks <= set(hay)}
        assert found is not None
        assert set(found) == expected, (term, haystacks)


def test_a_phrase_found_once_is_not_read_again_after_minutes_of_typing() -> None:
    # A phrase is checked against its candidates' text (seconds at a million rows); the
    # words typed letter by letter afterwards (a hundred prefixes in a few minutes of
    # searching) must not push it out of what is kept.
    haystacks = [f"build a mobile app {n} for react" for n in range(50)]
    haystacks += [f"mobile web and app store {n}" for n in range(50)]
    text, source = bulk(haystacks)
    assert len(text.term("mobile app")) == 50
    read = source.fetched
    assert read > 0  # its candidates were checked against their text
    words = ["react dashboard", "python", "api", "stripe", "shopify", "figma", "flutter"]
    words += ["wordpress", "django", "kubernetes", "typescript", "postgres", "javascript"]
    words += ["laravel", "magento"]
    typed = {word[:end] for word in words for end in range(1, len(word) + 1)}
    assert len(typed) > 100  # more than the words' own cache holds
    for prefix in sorted(typed):
        for piece in prefix.split():
            text.term(piece)
    assert len(text.term("mobile app")) == 50
    assert source.fetched == read  # remembered, not read again
    text.forget()
    text.term("mobile app")
    assert source.fetched > read  # forgotten on request (the benchmark's NEW queries)
