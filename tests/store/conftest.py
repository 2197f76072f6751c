"""Fixtures for the store tests: a fresh store in a private temporary profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Database, Store


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def store(profile: Path) -> Iterator[Store]:
    with Store.open(profile) as opened:
        yield opened


@pytest.fixture
def db(store: Store) -> Database:
    return store.db
