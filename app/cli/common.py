"""What every command shares: the exit codes, the error a command raises for a sentence
on stderr, and finding an opportunity from what a user typed."""

from __future__ import annotations

import re

from app.domain import Opportunity
from app.platforms import SPECS
from app.services.container import Services

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A sentence for stderr, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def resolve_opportunity(services: Services, ref: str) -> Opportunity | None:
    """A full key, a unique prefix ("gigradar:507f1f"), a bare id prefix, or an Upwork
    job URL / ciphertext. None when nothing matches; CliError when ambiguous."""
    store = services.store.opportunities
    exact = store.get(ref)
    if exact is not None:
        return exact
    cipher = _ciphertext(ref)
    if cipher:
        found = store.by_upwork_job(cipher)
        if found:
            found = sorted(found, key=lambda o: not SPECS[o.platform].feed)  # a feed's copy first
            return found[0]
        return None
    platform, sep, rest = ref.partition(":")
    prefix = rest if sep else ref
    candidates = [
        o
        for o in store.all()
        if o.external_id.startswith(prefix) and (not sep or o.platform.value == platform)
    ]
    if len(candidates) > 1:
        shown = ", ".join(o.key for o in candidates[:5])
        raise CliError(
            f"“{ref}” matches {len(candidates)} opportunities ({shown}); be more specific."
        )
    return candidates[0] if candidates else None


_CIPHER = re.compile(r"~0[12][0-9a-f]{10,}", re.IGNORECASE)


def _ciphertext(ref: str) -> str | None:
    match = _CIPHER.search(ref)
    return match.group(0) if match else None
