"""A configured platform account. Its API key lives in the OS keyring, never here."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain.opportunity import Platform, utcnow

DEFAULT_BASE_URLS: dict[Platform, str] = {
    Platform.GIGRADAR: "https://api.gigradar.io/public-api/v1",
    Platform.UPHUNT: "https://uphunt.io",
    Platform.GIGIAC: "https://gigiac.com",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    platform: Platform
    base_url: str
    # Time compression of a sandbox account: rate windows and cadences divided by this.
    speed: float = Field(default=1.0, gt=0)
    default_profile_id: str | None = None
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "an account name is 1–64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.rstrip("/")
