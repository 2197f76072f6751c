"""The sandbox model's writer: a plausible, varied cover letter composed from a prompt.

No language model is involved. The writer reads the facts a drafting prompt carries (job
title, client, skills, the freelancer's name and portfolio, screening question, variant
instructions) from labelled lines such as ``Job title: …`` and assembles a letter from
phrase banks. The choice of phrases is seeded by the sandbox seed, the request's `seed` and
the prompt text, so the same request always gets the same letter while two jobs get
letters that read differently — which is what the similarity warning needs to see.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

_LINE = r"^[ \t]*(?:[-*][ \t]*)?{label}[ \t]*:[ \t]*(?P<value>.+?)[ \t]*$"


def _field(text: str, *labels: str) -> str | None:
    for label in labels:
        match = re.search(_LINE.format(label=label), text, re.IGNORECASE | re.MULTILINE)
        if match and match.group("value").strip():
            return match.group("value").strip()
    return None


def _split_list(value: str | None) -> list[str]:
    if not value or value.strip().lower() in ("none", "n/a", "-"):
        return []
    return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]


@dataclass(frozen=True)
class PromptFacts:
    """What the writer could learn from the prompt; every field may be missing."""

    title: str | None = None
    client: str | None = None
    skills: list[str] = field(default_factory=list)
    name: str | None = None
    portfolio: list[tuple[str, str]] = field(default_factory=list)
    question: str | None = None
    shorter: bool = False
    formal: bool = False
    friendly: bool = False
    new_opening: bool = False


def read_prompt(system: str, user: str) -> PromptFacts:
    """Pull the labelled facts out of the prompt's text."""
    text = user
    skills = _split_list(_field(text, "matching skills", "skills matched"))
    if not skills:
        skills = _split_list(_field(text, "job skills", "required skills", "skills"))
    portfolio: list[tuple[str, str]] = []
    block = re.search(
        r"(?im)^[ \t]*(?:relevant\s+)?portfolio[^:\n]*:[ \t]*\n(?P<items>(?:[ \t]*[-*].*\n?)+)",
        text,
    )
    if block:
        for line in block.group("items").splitlines():
            item = line.strip().lstrip("-*").strip()
            title, _, summary = item.partition(":")
            if title.strip():
                portfolio.append((title.strip(), summary.strip()))
    instructions = (_field(text, "instructions", "variant") or "").lower() + " " + system.lower()
    client = _field(text, "client name", "client")
    if client and client.lower() in ("unknown", "not stated", "none"):
        client = None
    return PromptFacts(
        title=_field(text, "job title", "title"),
        client=client,
        skills=skills,
        name=_field(text, "my name", "freelancer name", "freelancer", "name"),
        portfolio=portfolio,
        question=_field(text, "screening question", "question"),
        shorter="shorter" in instructions or "concise" in instructions,
        formal="formal" in instructions,
        friendly="friendlier" in instructions or "friendly" in instructions,
        new_opening="new opening" in instructions or "different opening" in instructions,
    )


def _join(words: list[str]) -> str:
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


_OPENINGS = (
    "Your post about {title} caught my eye: it is close to what I have been building "
    "for the last few years.",
    "I read your brief for {title} twice, and I can see a clear path to getting it done well.",
    "{Title} is exactly the kind of project I enjoy, and I would like to help you ship it.",
    "I have just finished a project much like {title}, so the details of your post felt familiar.",
    "Thank you for the clear description of {title}; it makes it easy to say how I would "
    "approach it.",
    "If you are still looking for someone for {title}, I think I can save you some time.",
)
_FORMAL_OPENINGS = (
    "I am writing to apply for {title}, which matches my professional experience closely.",
    "Please accept my application for {title}; the requirements align well with my work.",
    "I would welcome the opportunity to deliver {title} for you.",
)
_FRIENDLY_OPENINGS = (
    "I loved reading about {title} — it sounds like a fun one!",
    "{Title} sounds great, and I would be really happy to jump in.",
    "What a nice project: {title} is right up my street!",
)
_EXPERIENCE = (
    "Most of my recent work uses {skills}, so I can start without a learning curve.",
    "I work with {skills} every week, and I know where the tricky parts usually hide.",
    "My day-to-day stack is {skills}; I have delivered several projects on it for clients "
    "much like you.",
    "I bring hands-on experience with {skills}, plus the habit of writing things down so "
    "you are never left guessing.",
)
_PORTFOLIO = (
    "A recent example is {item}",
    "One project you may find relevant is {item}",
    "For instance, I built {item}",
)
_PLANS = (
    "My plan would be a short call to confirm the scope, a first working version within a "
    "few days, then small weekly milestones you can review.",
    "I would start by reviewing what you already have, agree on milestones with you, and "
    "deliver in small pieces so you can give feedback early.",
    "I usually begin with a quick written plan and an estimate per milestone, so you know "
    "exactly what you get and when.",
)
_QUESTIONS = (
    "Could you tell me which part matters most to you, so I can start there?",
    "Is there an existing codebase or design I should look at first?",
    "Do you have a deadline in mind for the first milestone?",
    "What would a great result look like for you at the end of the first week?",
)
_CLOSINGS = ("Best regards,", "Kind regards,", "Thanks,", "All the best,")
_FORMAL_CLOSINGS = ("Yours sincerely,", "Kind regards,", "Respectfully,")
_FRIENDLY_CLOSINGS = ("Cheers,", "Talk soon,", "Have a great day,")


class LetterWriter:
    """Composes letters and screening answers; deterministic per (seed, request, prompt)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _rng(self, prompt: str, request_seed: object, salt: str = "") -> random.Random:
        digest = hashlib.sha256(f"{self.seed}|{request_seed}|{salt}|{prompt}".encode()).hexdigest()
        return random.Random(digest)

    def compose(self, system: str, user: str, request_seed: object = None) -> str:
        facts = read_prompt(system, user)
        if facts.question:
            return self._answer(facts, self._rng(user, request_seed, "answer"))
        return self._letter(facts, self._rng(user, request_seed))

    def _answer(self, facts: PromptFacts, rng: random.Random) -> str:
        skills = _join(facts.skills[:3]) or "this kind of work"
        question = facts.question or ""
        lead = rng.choice(
            (
                "Yes.",
                "Short answer: yes.",
                "Happy to answer.",
            )
        )
        if question.lower().startswith(("how many", "how long", "how much")):
            lead = rng.choice(("About five years.", "Several years now.", "Quite a lot of it."))
        detail = rng.choice(
            (
                f"I have used {skills} on recent client projects and can walk you through "
                "one of them in the chat.",
                f"Most of my work in the last few years involved {skills}, including "
                "projects of a similar size to yours.",
                f"I would approach it with {skills}, starting with a small milestone so "
                "you can judge the result early.",
            )
        )
        return f"{lead} {detail}"

    def _letter(self, facts: PromptFacts, rng: random.Random) -> str:
        title = facts.title or "your project"
        openings: tuple[str, ...]
        closings: tuple[str, ...]
        if facts.formal:
            openings, closings = _FORMAL_OPENINGS, _FORMAL_CLOSINGS
        elif facts.friendly:
            openings, closings = _FRIENDLY_OPENINGS, _FRIENDLY_CLOSINGS
        else:
            openings, closings = _OPENINGS, _CLOSINGS
        # A new opening skips the one this prompt would otherwise get.
        index = rng.randrange(len(openings))
        if facts.new_opening:
            index = (index + 1 + rng.randrange(len(openings) - 1)) % len(openings)
        quoted = f"“{title}”" if facts.title else title
        opening = openings[index].format(title=quoted, Title=quoted[:1].upper() + quoted[1:])
        if facts.formal:
            greeting = f"Dear {facts.client}," if facts.client else "Dear Hiring Manager,"
        elif facts.friendly:
            greeting = f"Hi {facts.client}!" if facts.client else "Hi there!"
        else:
            greeting = rng.choice(("Hi", "Hello")) + (f" {facts.client}," if facts.client else ",")
        skills = _join(facts.skills[:4])
        paragraphs = [greeting, opening]
        if skills:
            paragraphs[-1] += " " + rng.choice(_EXPERIENCE).format(skills=skills)
        if facts.portfolio:
            item, summary = facts.portfolio[0]
            text = rng.choice(_PORTFOLIO).format(item=item)
            if summary:
                text += " — " + summary[:1].lower() + summary[1:]
            paragraphs.append(text if text.endswith((".", "!", "?")) else text + ".")
        if not facts.shorter:
            paragraphs.append(rng.choice(_PLANS))
        paragraphs.append(rng.choice(_QUESTIONS))
        paragraphs.append(rng.choice(closings) + ("\n" + facts.name if facts.name else ""))
        return "\n\n".join(paragraphs)


def word_chunks(text: str, rng: random.Random) -> list[str]:
    """`text` cut into pieces of one to three words, whitespace kept, as a model streams."""
    tokens = re.findall(r"\s*\S+", text)
    chunks: list[str] = []
    i = 0
    while i < len(tokens):
        take = rng.choice((1, 1, 2, 2, 3))
        chunks.append("".join(tokens[i : i + take]))
        i += take
    trailing = text[len("".join(tokens)) :]
    if trailing and chunks:
        chunks[-1] += trailing
    return chunks


def estimate_tokens(text: str) -> int:
    """Roughly four characters per token, as OpenAI's tokenizers average on English."""
    return max(1, (len(text) + 3) // 4) if text else 0
