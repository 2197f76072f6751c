"""Fixtures for the store tests: a fresh store in a private temporary profile.

`store` (and `db`) are the store's contract: every test that takes them runs on both
backends, this desktop's SQLite file and a team's PostgreSQL (a database of its own on
the session's throwaway cluster). A test about SQLite's file itself takes `sqlite_store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Database, Store


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(profile: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    with Store.open(profile, url=url) as opened:
        yield opened


@pytest.fixture
def sqlite_store(profile: Path) -> Iterator[Store]:
    with Store.open(profile) as opened:
        yield opened


@pytest.fixture
def db(store: Store) -> Database:
    return store.db


@pytest.fixture
def sqlite_db(sqlite_store: Store) -> Database:
    return sqlite_store.db
