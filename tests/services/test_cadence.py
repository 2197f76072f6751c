"""Status polling follows each platform's recipe, read from its spec (§5 of the documents)."""

from __future__ import annotations

from app.domain import Platform
from app.services.submissions import cadence_for


def delays(platform: Platform, elapsed_step: float | None = None) -> list[float]:
    cadence = cadence_for(platform)
    out: list[float] = []
    elapsed = 0.0
    while len(out) < 200:
        delay = cadence.next_delay(elapsed)
        if delay is None:
            break
        out.append(delay)
        elapsed += delay if elapsed_step is None else elapsed_step
    return out


def test_gigradar_backs_off_from_five_to_ten_seconds_for_thirty_tries() -> None:
    got = delays(Platform.GIGRADAR)
    assert len(got) == 30
    assert got[0] == 5.0 and got[1] == 6.25
    assert max(got) == 10.0 and got[-1] == 10.0


def test_uphunt_polls_fast_for_a_minute_then_slower_up_to_five_minutes() -> None:
    got = delays(Platform.UPHUNT)
    assert got[0] == 5.0
    assert set(got[:12]) == {5.0}
    assert got[-1] == 15.0
    assert sum(got) == 300.0  # then the five minutes are up


def test_gigiac_reads_a_minute_apart_with_no_end_of_its_own() -> None:
    got = delays(Platform.GIGIAC)
    assert len(got) == 200 and set(got) == {60.0}


def test_each_call_starts_a_fresh_cadence() -> None:
    first = cadence_for(Platform.GIGRADAR)
    first.next_delay(0.0)
    assert cadence_for(Platform.GIGRADAR).polls == 0
