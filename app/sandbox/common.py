"""Small helpers shared by the three platform emulators: ids, timestamps, JSON, magic tokens.

Kept free of aiohttp except for the JSON response factory, so the state classes stay
testable without a server.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

# Cover letters may carry `[[sim:...]]` tokens that force a lifecycle outcome, so tests and
# demos get deterministic failures without touching the sandbox's random streams.
_MAGIC_RE = re.compile(r"\[\[sim:([A-Za-z0-9_:.\-]+)\]\]")


def magic_tokens(text: str | None) -> list[str]:
    """Every `[[sim:X]]` token in `text`, as the lowercase `X` (order kept)."""
    if not text or "[[sim:" not in text:
        return []
    return [m.group(1) for m in _MAGIC_RE.finditer(text)]


def magic_value(text: str | None, prefix: str) -> str | None:
    """The part after `prefix:` of the first token starting with it (case kept)."""
    wanted = prefix.lower() + ":"
    for token in magic_tokens(text):
        if token.lower().startswith(wanted):
            return token[len(wanted) :]
    return None


def has_magic(text: str | None, name: str) -> bool:
    return any(token.lower() == name.lower() for token in magic_tokens(text))


def object_id(rng: random.Random, wall: float) -> str:
    """A MongoDB-style ObjectId: 4-byte creation time, then 8 random bytes (24 hex)."""
    return f"{int(wall) & 0xFFFFFFFF:08x}{rng.getrandbits(64):016x}"


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def numeric_id(rng: random.Random, digits: int = 19) -> str:
    """A numeric string id like Upwork's uids (no leading zero)."""
    return str(rng.randrange(10 ** (digits - 1), 10**digits))


def iso_z(wall: float) -> str:
    """`2025-10-28T11:00:41.123Z`: the millisecond UTC form Node back ends emit."""
    stamp = datetime.fromtimestamp(wall, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def iso_pg(wall: float) -> str:
    """`2026-04-17T14:30:00.123456+00:00`: the form Postgres/Supabase back ends emit."""
    return datetime.fromtimestamp(wall, UTC).isoformat()


def unix_ms(wall: float | None) -> int | None:
    return None if wall is None else int(wall * 1000)


def parse_iso(value: str) -> float:
    """Unix seconds from an ISO 8601 string; naive times are taken as UTC.

    Raises ValueError on anything that is not a date-time.
    """
    text = value.strip()
    if not text or "T" not in text.upper():
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def is_number(value: object) -> bool:
    """A JSON number (bool is an int subclass in Python, but never a number on the wire)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(payload: Any) -> str:
    return _DUMPS(payload)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=dumps(payload), status=status, content_type="application/json", headers=headers
    )


async def read_json(request: web.Request) -> tuple[Any, str | None]:
    """The parsed body and None, or (None, reason) when it is absent or not JSON."""
    raw = await request.read()
    if not raw.strip():
        return None, "request body is empty"
    try:
        return json.loads(raw), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"request body is not valid JSON ({exc.__class__.__name__})"
