"""Configured platform accounts. No secret is ever stored here: API keys live in the OS
keyring, and the table has no column that could hold one."""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence
from typing import Any

from app.domain.account import Account
from app.store._codec import dt_to_text, text_to_dt
from app.store.db import Database
from app.store.errors import AccountExistsError, AccountNotFoundError

_COLUMNS = "name, platform, base_url, speed, default_profile_id, enabled, created_at"


def _encode(account: Account) -> tuple[Any, ...]:
    return (
        account.name,
        account.platform.value,
        account.base_url,
        account.speed,
        account.default_profile_id,
        int(account.enabled),
        dt_to_text(account.created_at),
    )


def _decode(row: Sequence[Any]) -> Account:
    name, platform, base_url, speed, default_profile_id, enabled, created_at = row
    return Account.model_validate(
        {
            "name": name,
            "platform": platform,
            "base_url": base_url,
            "speed": speed,
            "default_profile_id": default_profile_id,
            "enabled": bool(enabled),
            "created_at": text_to_dt(created_at),
        }
    )


class AccountRepo:
    # `list` is a method name here (the brief's API), so annotations below spell the
    # builtin as `builtins.list`.

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, account: Account) -> None:
        """Store a new account; `AccountExistsError` if the name is taken."""
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    f"INSERT INTO accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    _encode(account),
                )
        except sqlite3.IntegrityError as exc:
            if "accounts.name" not in str(exc):
                raise
            raise AccountExistsError(account.name) from exc

    def get(self, name: str) -> Account | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM accounts WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else _decode(row)

    def list(self) -> builtins.list[Account]:
        """Every account, by name."""
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY name").fetchall()
        return [_decode(row) for row in rows]

    def update(self, account: Account) -> None:
        """Replace the stored account of the same name; `AccountNotFoundError` if none."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE accounts SET platform = ?, base_url = ?, speed = ?,"
                " default_profile_id = ?, enabled = ?, created_at = ? WHERE name = ?",
                (*_encode(account)[1:], account.name),
            )
            if cursor.rowcount == 0:
                raise AccountNotFoundError(account.name)

    def remove(self, name: str) -> bool:
        """Forget the account; False if there was none. Its key in the keyring is the
        caller's to delete."""
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount > 0
