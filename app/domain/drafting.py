"""Drafting, the pure part: freelancer profiles, templates with variables, similarity.

A template is plain text with `{variable}` slots (`{{` and `}}` write literal braces).
Rendering fills them from the opportunity and the profile; an unknown variable is an error
that names it and lists the known ones, so a typo never reaches a client as "{clinet_name}".
`similarity` compares two letters by the three-word shingles of their sentences, so a
letter reused with its paragraphs shuffled or its spacing changed still reads as the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.bidding import budget_text
from app.domain.money import format_money
from app.domain.opportunity import Opportunity
from app.domain.policy import is_on_platform_link

SIMILARITY_THRESHOLD = 0.8
# What the editor says of a model letter cut at the model's token limit (finish_reason
# "length"): it may end mid-sentence, and Continue asks the model for the rest.
LENGTH_NOTICE = "The model stopped at its length limit"
SHINGLE = 3  # words per shingle: long enough to ignore shared stock phrases' single words


class TemplateError(ValueError):
    """A template cannot be rendered; the message is a sentence for the user."""


class PortfolioItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1)
    link: str | None = None
    summary: str = ""
    skills: tuple[str, ...] = ()


class FreelancerProfile(BaseModel):
    """Who is bidding: what the letters say about the freelancer."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    headline: str = ""
    bio: str = ""
    skills: tuple[str, ...] = ()
    hourly_rate: Decimal | None = None
    portfolio: tuple[PortfolioItem, ...] = ()
    signature: str = ""


class Template(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    body: str


def _fold(skill: str) -> str:
    return " ".join(skill.lower().split())


def matched_skills(profile: FreelancerProfile, opportunity: Opportunity) -> list[str]:
    """The job's skills the profile also lists, in the job's order and spelling."""
    mine = {_fold(s) for s in profile.skills}
    seen: set[str] = set()
    found: list[str] = []
    for skill in opportunity.skills:
        key = _fold(skill)
        if key in mine and key not in seen:
            seen.add(key)
            found.append(skill)
    return found


_WORD = re.compile(r"[a-z0-9][a-z0-9+#.]*")


def _words(text: str) -> set[str]:
    return {w.strip(".") for w in _WORD.findall(text.lower()) if len(w) > 2}


def best_portfolio(
    profile: FreelancerProfile, opportunity: Opportunity, n: int = 1
) -> list[PortfolioItem]:
    """The `n` portfolio items that fit the job best: most shared skills first, then most
    shared words with the job's title and description; ties keep the profile's order."""
    job_skills = {_fold(s) for s in opportunity.skills}
    job_words = _words(f"{opportunity.title} {opportunity.description}")

    def score(item: PortfolioItem) -> tuple[int, int]:
        skills = len({_fold(s) for s in item.skills} & job_skills)
        words = len(_words(f"{item.title} {item.summary}") & job_words)
        return skills, words

    ranked = sorted(profile.portfolio, key=score, reverse=True)  # sorted() is stable
    return ranked[: max(0, n)]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _portfolio_text(opportunity: Opportunity, profile: FreelancerProfile) -> str:
    best = best_portfolio(profile, opportunity, 1)
    if not best:
        return ""
    item = best[0]
    text = item.title + (f" — {item.summary}" if item.summary else "")
    # Off-platform links block sending (policy.py); only an on-platform link is worth adding.
    if item.link and is_on_platform_link(item.link, opportunity.platform):
        text += f" ({item.link})"
    return text


_Filler = Callable[[Opportunity, FreelancerProfile], str]

VARIABLES: dict[str, _Filler] = {
    # "Hi {client_name}," still reads well when the platform does not name the client.
    "client_name": lambda o, p: o.client.name or "there",
    "job_title": lambda o, p: o.title,
    # With no shared skill, the profile's own leading skills keep the sentence whole.
    "skills_matched": lambda o, p: _join(matched_skills(p, o) or list(p.skills[:3])),
    "portfolio:best_match": _portfolio_text,
    "signature": lambda o, p: p.signature or p.name,
    "my_name": lambda o, p: p.name,
    "headline": lambda o, p: p.headline,
    "hourly_rate": lambda o, p: "" if p.hourly_rate is None else format_money(p.hourly_rate),
    # The budget as the editor shows it (app/domain/bidding.py); "" when the job states none.
    "job_budget": lambda o, p: budget_text(o, unstated=""),
}

_SLOT = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}")


def template_variables(body: str) -> list[str]:
    """The variable names a template uses, in order of first use."""
    names: list[str] = []
    for match in _SLOT.finditer(body):
        name = match.group(1)
        if name is not None and name.strip() not in names:
            names.append(name.strip())
    return names


def check_template(body: str) -> None:
    """Raise TemplateError for the first unknown variable in `body`."""
    for name in template_variables(body):
        if name not in VARIABLES:
            known = ", ".join("{" + v + "}" for v in VARIABLES)
            raise TemplateError(
                f"The template uses an unknown variable {{{name}}}; known: {known}."
            )


def render_template(
    template: Template, opportunity: Opportunity, profile: FreelancerProfile
) -> str:
    """The template with every variable filled; TemplateError for an unknown one."""
    check_template(template.body)
    values: dict[str, str] = {}

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        if name not in values:
            values[name] = VARIABLES[name](opportunity, profile)
        return values[name]

    text = _SLOT.sub(fill, template.body)
    # An empty variable (no portfolio yet) must not leave a hole of blank lines or spaces.
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # A summary that ends its own sentence, then the template's full stop: one is enough.
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    return text.strip() + "\n"


_SENTENCE_END = re.compile(r"[.!?;:]+(?:\s|$)|\n\s*\n")


def _shingles(text: str) -> set[tuple[str, ...]]:
    """Word shingles within each sentence: moving whole sentences or paragraphs around, or
    re-spacing them, keeps the set; rewording changes it."""
    found: set[tuple[str, ...]] = set()
    for sentence in _SENTENCE_END.split(text.lower()):
        words = re.findall(r"\w+", sentence)
        if 0 < len(words) < SHINGLE:
            found.add(tuple(words))
        found.update(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return found


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word shingles, from 0.0 to 1.0; case,
    punctuation and whitespace do not count. Two empty texts are identical."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def most_similar(
    letter: str,
    previous: Iterable[tuple[str, str]],
    threshold: float = SIMILARITY_THRESHOLD,
) -> tuple[str, float] | None:
    """The (key, score) of the earlier letter most like `letter`, if it reaches
    `threshold`; `previous` yields (key, letter) pairs, e.g. per opportunity sent to."""
    mine = _shingles(letter)
    if not mine:
        return None
    best: tuple[str, float] | None = None
    for key, text in previous:
        other = _shingles(text)
        union = mine | other
        score = len(mine & other) / len(union) if union else 0.0
        if score >= threshold and (best is None or score > best[1]):
            best = (key, score)
    return best
