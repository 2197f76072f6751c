"""A damaged setting reads as its default, says so once, and is kept aside to inspect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from app.store import Database, Store
from app.store.paths import db_path
from app.store.settings import DAMAGED_MARK, SettingsRepo


def _write_raw(store: Store, key: str, raw: object) -> None:
    with store.db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, raw))


def _one_warning(caplog: pytest.LogCaptureFixture, key: str) -> str:
    records = [r for r in caplog.records if r.name == "app.store.settings"]
    assert len(records) == 1, [r.getMessage() for r in records]
    [record] = records
    assert record.levelname == "WARNING" and record.exc_info is None
    message = record.getMessage()
    assert repr(key) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    "raw",
    ["{not json", "", "[1, 2", b"\xff\xfe\x00garbage", "9" * 5000],
    ids=["truncated", "empty", "unclosed", "bytes", "huge-int"],
)
def test_text_that_is_not_json_reads_as_the_default(
    store: Store, caplog: pytest.LogCaptureFixture, raw: object
) -> None:
    if isinstance(raw, bytes) and store.backend == "postgresql":
        pytest.skip("a PostgreSQL text column cannot hold bytes, so this damage cannot happen")
    _write_raw(store, "webhooks", raw)
    with caplog.at_level("WARNING"):
        assert store.settings.get("webhooks", {"default": True}) == {"default": True}
        message = _one_warning(caplog, "webhooks")
    assert "not JSON" in message
    [(aside, kept)] = store.settings.damaged().items()
    assert aside.startswith("webhooks" + DAMAGED_MARK) and aside in message
    expected = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    assert kept == expected
    # Set aside once: the next read is the plain default, silently.
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert store.settings.get("webhooks") is None
    assert caplog.records == []
    # And a new value saves and reads normally.
    store.settings.set("webhooks", {"enabled": True})
    assert store.settings.get("webhooks") == {"enabled": True}


class _Shape(BaseModel):
    port: int
    tunnel: str = "none"


def _parse_shape(value: Any) -> _Shape:
    return _Shape.model_validate(value)


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        ([1, 2, 3], "valid dictionary"),
        ({"port": "not a number"}, "port"),
        ({"tunnel": "none"}, "port"),
    ],
    ids=["list", "wrong-type", "missing-field"],
)
def test_a_value_of_the_wrong_shape_reads_as_the_default(
    store: Store, caplog: pytest.LogCaptureFixture, stored: object, reason: str
) -> None:
    store.settings.set("shape", stored)
    default = _Shape(port=0)
    with caplog.at_level("WARNING"):
        assert store.settings.read("shape", _parse_shape, default) is default
        assert reason in _one_warning(caplog, "shape")
    assert len(store.settings.damaged()) == 1
    assert store.settings.read("shape", _parse_shape, default) is default


def test_a_good_value_reads_through_its_parser(store: Store) -> None:
    store.settings.set("shape", {"port": 8080})
    assert store.settings.read("shape", _parse_shape, _Shape(port=0)) == _Shape(port=8080)
    assert store.settings.read("absent", _parse_shape, _Shape(port=1)) == _Shape(port=1)
    assert store.settings.damaged() == {}


def test_all_skips_and_sets_aside_damaged_values(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.settings.set("theme", "dark")
    _write_raw(store, "columns", "[broken")
    with caplog.at_level("WARNING"):
        assert store.settings.all() == {"theme": "dark"}
    _one_warning(caplog, "columns")
    assert list(store.settings.damaged().values()) == ["[broken"]
    assert store.settings.all() == {"theme": "dark"}  # the aside copy is not a setting


def test_a_damaged_value_in_a_read_only_profile_still_reads_as_the_default(
    profile: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open(profile, daily_backups=False) as store:
        _write_raw(store, "webhooks", "{oops")
    with Database.open(db_path(profile), read_only=True) as db:
        with caplog.at_level("WARNING"):
            assert SettingsRepo(db).get("webhooks", "default") == "default"
        assert "could not be set aside" in _one_warning(caplog, "webhooks")
