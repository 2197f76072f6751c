"""The hypothesis profiles: fast by default, thorough when BIDDESK_HYPOTHESIS says so."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tests.helpers import profiles


def test_the_default_is_fast_without_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(profiles.ENV, raising=False)
    assert profiles.active() == profiles.FAST
    assert profiles.examples(30) == 30
    fast = settings.get_profile(profiles.FAST)
    assert fast.deadline is None and fast.database is None


def test_thorough_runs_ten_times_the_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(profiles.ENV, "Thorough")
    assert profiles.active() == profiles.THOROUGH
    assert profiles.examples(30) == 300
    thorough = settings.get_profile(profiles.THOROUGH)
    assert thorough.max_examples == 10 * settings.get_profile(profiles.FAST).max_examples
    assert thorough.deadline is None


def test_an_unknown_profile_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(profiles.ENV, "fastest")
    with pytest.raises(ValueError, match="BIDDESK_HYPOTHESIS is 'fastest'"):
        profiles.active()
