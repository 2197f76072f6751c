"""The webhook settings and what the user reads about them: plain values, no I/O.

`RealtimeConfig` is what the Webhooks dialog edits and the settings keep; `Setup` is one
account's webhook URL and steps as the dialog shows them; `parse_tunnel_spec` checks the
tunnel setting. The receiver and the tunnels (`app.ingest`) use the same types.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from app.domain import Platform
from app.platforms import WEBHOOKS

log = logging.getLogger(__name__)

ProviderName = Literal["none", "manual", "cloudflared", "ngrok"]
SPEC_HELP = "none, manual:<https URL>, cloudflared, cloudflared:<path to binary> or ngrok"


@dataclass(frozen=True)
class RealtimeConfig:
    """The user's webhook settings (stored under "webhooks")."""

    enabled: bool = False
    port: int = 0  # 0: a free port each run (fine with a tunnel, which is told the port)
    tunnel: str = "none"
    remove_on_exit: bool = False

    @classmethod
    def from_settings(cls, value: object) -> RealtimeConfig:
        if not isinstance(value, dict):
            return cls()
        port = value.get("port", 0)
        tunnel = value.get("tunnel", "none")
        return cls(
            enabled=bool(value.get("enabled", False)),
            port=port if isinstance(port, int) and 0 <= port < 65_536 else 0,
            tunnel=tunnel if isinstance(tunnel, str) and tunnel else "none",
            remove_on_exit=bool(value.get("remove_on_exit", False)),
        )

    @classmethod
    def parse(cls, value: object) -> RealtimeConfig:
        """The stored value, strictly: ValueError for one of the wrong shape, which
        `SettingsRepo.read` then sets aside as damaged (keys it does not know are fine)."""
        if not isinstance(value, dict):
            raise ValueError(f"expected an object, found {type(value).__name__}")
        for name, kind in (("enabled", bool), ("tunnel", str), ("remove_on_exit", bool)):
            if name in value and not isinstance(value[name], kind):
                raise ValueError(f"{name} is not a {kind.__name__}")
        port = value.get("port", 0)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65_536:
            raise ValueError(f"port {port!r} is not a port number")
        return cls.from_settings(value)

    def to_settings(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "port": self.port,
            "tunnel": self.tunnel,
            "remove_on_exit": self.remove_on_exit,
        }


@dataclass(frozen=True)
class Setup:
    """How one account's webhooks are set up, for the user to read."""

    account: str
    platform: Platform
    url: str | None
    automatic: bool  # GigRadar: registered by BidDesk
    registered: bool
    steps: tuple[str, ...]
    error: str | None = None
    auth: str = "url-token"  # "basic" | "signature" | "url-token" (app.platforms.webhook)


@dataclass(frozen=True, slots=True)
class TunnelSpec:
    """A parsed tunnel setting; `str()` gives back the canonical setting text."""

    provider: ProviderName
    url: str | None = None  # manual only
    binary: str | None = None  # cloudflared only, when not taken from PATH

    def __str__(self) -> str:
        if self.provider == "manual":
            return f"manual:{self.url}"
        if self.provider == "cloudflared" and self.binary:
            return f"cloudflared:{self.binary}"
        return self.provider


def parse_tunnel_spec(spec: str) -> TunnelSpec:
    """Parse a tunnel setting; a bad one raises ValueError with a sentence for the user.

    The argument after the colon is never echoed for `none` and `ngrok`: a user who pastes
    an authtoken there must not see it land in an error message or a log.
    """
    text = spec.strip()
    if not text:
        raise ValueError(f"Choose a tunnel: {SPEC_HELP}.")
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if kind in ("none", "ngrok"):
        if sep:
            hint = " (its authtoken goes in Settings)" if kind == "ngrok" else ""
            raise ValueError(f"The {kind} tunnel takes nothing after the colon{hint}.")
        return TunnelSpec(kind)  # type: ignore[arg-type]  # narrowed by the test above
    if kind == "cloudflared":
        if sep and not rest:
            raise ValueError("Give the path to cloudflared after the colon, or just cloudflared.")
        return TunnelSpec("cloudflared", binary=os.path.expanduser(rest) if rest else None)
    if kind == "manual":
        return TunnelSpec("manual", url=check_manual_url(rest))
    raise ValueError(f"Unknown tunnel “{kind}”: choose {SPEC_HELP}.")


def check_manual_url(url: str) -> str:
    if not url:
        raise ValueError(
            "Give your public URL after manual:, e.g. manual:https://example.com/hooks."
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"“{url}” is not a valid URL.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"The manual tunnel URL must be http(s) with a host name, not “{url}”.")
    if parts.username or parts.password:
        raise ValueError("The manual tunnel URL must not contain a user name or password.")
    if parts.fragment or parts.query:
        raise ValueError("The manual tunnel URL must be a base URL, without ? or #.")
    if parts.scheme.lower() == "http":
        log.warning("manual tunnel URL %s is plain http: webhooks will not be encrypted", url)
    return url.rstrip("/")


def signature_header(platform: Platform) -> str | None:
    """The header a platform's signed webhooks carry, if it signs them (then the user may
    add a signing secret)."""
    return WEBHOOKS[platform].signature_header
