"""What the editor's header says of a job's depth, and where search terms fall in a text.

Pure functions: the competition line ("Proposals: 5 to 10 · Interviewing: 2 · Invites
sent: 3"), the client's history ("40 jobs posted · 31 hires · $42.50/h average paid ·
Member since Mar 2019"), each None when the platform reported nothing of it, and
`term_spans`, the places in a description where the filter bar's terms match, as the
filter matches them (case-insensitive, typographic quotes as plain ones, substrings).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.money import format_money
from app.domain.opportunity import ClientInfo, Competition

__all__ = ["client_history_text", "competition_text", "term_spans"]

# One character for one, so offsets in the folded text are offsets in the original
# (`filters.fold_field` may change lengths: "İ".lower() is two characters).
_FOLD = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u00a0": " ",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}


def _fold_char(char: str) -> str:
    folded = _FOLD.get(char)
    if folded is not None:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char


def _fold_same_length(text: str) -> str:
    if text.isascii():
        return text.lower().replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return "".join(_fold_char(char) for char in text)


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) code-point spans of every occurrence of each term in `text`, sorted,
    overlapping ones merged. Terms are as `Query.terms()` gives them (folded)."""
    folded = _fold_same_length(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = term.strip()
        if not needle:
            continue
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def competition_text(competition: Competition) -> str | None:
    """ "Proposals: 5 to 10 · Interviewing: 2 · Invites sent: 3"; None when none is known."""
    parts: list[str] = []
    proposals = competition.proposals_text
    if proposals is not None:
        parts.append(f"Proposals: {proposals}")
    if competition.interviewing is not None:
        parts.append(f"Interviewing: {competition.interviewing}")
    if competition.invites_sent is not None:
        parts.append(f"Invites sent: {competition.invites_sent}")
    return " · ".join(parts) if parts else None


def client_history_text(client: ClientInfo) -> str | None:
    """ "40 jobs posted · 31 hires · $42.50/h average paid · Member since Mar 2019"; None
    when the platform gave none of these."""
    parts: list[str] = []
    if client.jobs_posted is not None:
        parts.append(f"{client.jobs_posted:,} job{'s' if client.jobs_posted != 1 else ''} posted")
    if client.total_hires is not None:
        parts.append(f"{client.total_hires:,} hire{'s' if client.total_hires != 1 else ''}")
    if client.avg_hourly_rate is not None:
        parts.append(f"{format_money(client.avg_hourly_rate, per_hour=True)} average paid")
    if client.member_since is not None:
        parts.append(f"Member since {client.member_since:%b %Y}")
    return " · ".join(parts) if parts else None
