"""How a sandbox client answers a proposal: seeded, with differences that are true to life.

The emulated platforms (`gigradar.py`, `gigiac.py`) and the generated history
(`history.py`) draw outcomes from this one model, so Insights has something real to find
with no account, and the tests can check that the analysis finds what was planted:

- speed: a proposal sent in the first quarter hour after the job was posted is answered
  about twice as often as the baseline; one sent a day later, about half as often;
- a client whose payment is verified replies ~1.6× as often as one whose is not;
- a short, direct template does a little better than the default (×1.15), a difference
  too small to see in a few weeks of data (the point of showing intervals).

The numbers are in the range agencies report for Upwork (reply rates of 5–25%).
"""

from __future__ import annotations

import random

BASE_REPLY = 0.11
ACCEPT_GIVEN_REPLY = 0.3
VERIFIED_FACTOR = 1.6
UNVERIFIED_FACTOR = 0.6
SHORT_TEMPLATE = "Short and direct"
TEMPLATE_FACTOR = {SHORT_TEMPLATE: 1.15}

# (minutes after posting, factor): the first bound the send time is under
SPEED_FACTORS: tuple[tuple[float, float], ...] = (
    (15, 2.0),
    (60, 1.5),
    (180, 1.0),
    (720, 0.7),
    (1440, 0.55),
    (float("inf"), 0.45),
)


def speed_factor(minutes_after_posting: float | None) -> float:
    if minutes_after_posting is None:
        return 1.0
    for bound, factor in SPEED_FACTORS:
        if minutes_after_posting < bound:
            return factor
    return SPEED_FACTORS[-1][1]


def reply_chance(
    minutes_after_posting: float | None,
    payment_verified: bool | None,
    template: str | None = None,
) -> float:
    """The chance that the client replies to a proposal."""
    chance = BASE_REPLY * speed_factor(minutes_after_posting)
    if payment_verified is True:
        chance *= VERIFIED_FACTOR
    elif payment_verified is False:
        chance *= UNVERIFIED_FACTOR
    chance *= TEMPLATE_FACTOR.get(template or "", 1.0)
    return min(chance, 0.9)


def view_chance(reply: float) -> float:
    """A client who would reply has read it; others read about a third of proposals."""
    return min(0.97, reply + 0.35 * (1 - reply))


def draw(
    rng: random.Random,
    minutes_after_posting: float | None,
    payment_verified: bool | None,
    template: str | None = None,
) -> tuple[bool, bool, bool]:
    """(viewed, replied, accepted) for one proposal."""
    reply = reply_chance(minutes_after_posting, payment_verified, template)
    roll = rng.random()
    replied = roll < reply
    viewed = replied or roll < view_chance(reply)
    accepted = replied and rng.random() < ACCEPT_GIVEN_REPLY
    return viewed, replied, accepted
