"""The interface every platform client offers the services.

Services never see HTTP: they call an adapter with domain objects and get domain objects
back, or a `PlatformError` subclass (app/platforms/errors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from app.domain import Opportunity, Platform, StatusUpdate, Submission


@runtime_checkable
class PlatformAdapter(Protocol):
    platform: Platform
    account: str

    async def fetch_opportunities(self) -> Sequence[Opportunity]:
        """Discovery: new and recent opportunities, normalized. UpHunt has no feed: []."""
        ...

    async def get_opportunity(self, opportunity: Opportunity) -> Opportunity:
        """Fresh copy of one opportunity (closed jobs come back with status CLOSED)."""
        ...

    async def submit(self, submission: Submission, opportunity: Opportunity) -> StatusUpdate:
        """Send the proposal once. Never retries a create on its own.

        Returns the platform's immediate answer (GigRadar: scheduled/submitting; UpHunt:
        submitting with a queueId ref; Gigiac: submitted with a proposalId ref).
        Raises a PlatformError for a definite refusal, AmbiguousSend when the proposal
        may or may not exist.
        """
        ...

    async def poll(self, submission: Submission) -> StatusUpdate:
        """Read the platform's current state of a submission it knows about."""
        ...

    async def reconcile(
        self, submission: Submission, opportunity: Opportunity
    ) -> StatusUpdate | None:
        """After a lost answer: the platform's record of this submission, or None if it
        has none (the send never happened)."""
        ...

    async def check_connection(self) -> str:
        """A cheap authenticated call; returns a one-line description of the account."""
        ...

    async def aclose(self) -> None: ...
