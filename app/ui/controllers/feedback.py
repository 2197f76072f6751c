"""How a controller tells the user something: an error box, or a line in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.platforms.errors import PlatformError
from app.services.accounts import AccountError
from app.services.secrets import SecretError
from app.store.errors import StoreError

# Errors that carry a sentence for the user; anything else is a bug, logged with its
# traceback before the user sees its message.
EXPECTED_ERRORS = (AccountError, SecretError, StoreError, PlatformError, ValueError)


def sentence(exc: BaseException) -> str:
    """The sentence a person sees for an exception."""
    if isinstance(exc, StoreError):
        return exc.user_message
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Feedback:
    error: Callable[[str, str], None]  # (title, sentence): the window's error presenter
    notice: Callable[[str, int], None]  # (sentence, milliseconds): the status bar
