"""Typed platform errors, each mapped to a normalized failure reason.

Every message here is already redacted: it may reach logs and the user's screen.
"""

from __future__ import annotations

from app.domain.submission import DEFAULT_RETRYABLE, Failure, FailureReason


class PlatformError(Exception):
    """A platform answered, and the answer was not what we asked for."""

    reason: FailureReason = FailureReason.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        platform_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        reason: FailureReason | None = None,
        retryable: bool | None = None,
        client_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.platform_code = platform_code
        # `request_id` is the id the platform issued (GigRadar's X-GigRadar-Request-Id):
        # the one to quote to its support. `client_request_id` is the id BidDesk sent with
        # the request; the platform may or may not have recorded it.
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.retry_after = retry_after
        if reason is not None:
            self.reason = reason
        self.retryable = DEFAULT_RETRYABLE[self.reason] if retryable is None else retryable

    def to_failure(self) -> Failure:
        return Failure(
            reason=self.reason,
            retryable=self.retryable,
            platform_code=self.platform_code or (str(self.status) if self.status else None),
            message=self.message,
        )

    def __str__(self) -> str:
        parts = [self.message]
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        elif self.client_request_id:
            parts.append(f"client request id {self.client_request_id}")
        return " — ".join(parts) if len(parts) > 1 else self.message


class AuthError(PlatformError):
    """401/403: the key is missing, wrong or revoked. Not retryable until fixed."""

    reason = FailureReason.SESSION

    def __init__(self, message: str, **kw: object) -> None:
        kw.setdefault("retryable", False)
        super().__init__(message, **kw)  # type: ignore[arg-type]


class RateLimited(PlatformError):
    reason = FailureReason.RATE_LIMITED


class NotFound(PlatformError):
    reason = FailureReason.JOB_UNAVAILABLE


class Conflict(PlatformError):
    reason = FailureReason.DUPLICATE


class InvalidRequest(PlatformError):
    reason = FailureReason.VALIDATION


class InsufficientFunds(PlatformError):
    reason = FailureReason.INSUFFICIENT_FUNDS


class ServerError(PlatformError):
    reason = FailureReason.TRANSIENT


class MalformedResponse(PlatformError):
    """The platform answered 2xx with a body we cannot read."""

    reason = FailureReason.TRANSIENT


class TransportError(PlatformError):
    """No usable answer: connect failure, timeout, reset.

    `maybe_sent` is True when the request may have reached the platform (the connection
    was established and the body written before it broke); for a create that means the
    proposal may exist, so the caller must reconcile instead of retrying.
    """

    reason = FailureReason.TRANSIENT

    def __init__(self, message: str, *, maybe_sent: bool, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.maybe_sent = maybe_sent


class AmbiguousSend(PlatformError):
    """A create whose outcome is unknown (timeout, reset, 5xx, unreadable 2xx).

    The submission becomes `unknown` and is reconciled by reading the platform's state.
    """

    reason = FailureReason.TRANSIENT


class Ineligible(PlatformError):
    """The platform refuses this account for this job until something is fixed on its
    side (Gigiac: Stripe Connect not set up, an on-site task without a location)."""

    reason = FailureReason.INELIGIBLE
