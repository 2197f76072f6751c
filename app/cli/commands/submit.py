"""Sending and drafting: `biddesk submit`, `retry` and `draft`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from app.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    _ciphertext,
    resolve_opportunity,
)
from app.cli.output import _describe_submission, _err, _out
from app.domain import (
    Answer,
    Bid,
    BidKind,
    JobKind,
    Opportunity,
    Platform,
    Submission,
    SubmissionState,
)
from app.domain.bidding import default_bid
from app.platforms import SPECS, RouteField
from app.services.container import Services
from app.services.events import SubmissionChanged
from app.services.submissions import FINAL_STATES, AutoBidderOn, PolicyViolation, SubmitRequest


def _parse_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise CliError(
            f"“{text}” is not an amount; write it like 45 or 1250.50.", EXIT_USAGE
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise CliError("The bid amount must be more than zero.", EXIT_USAGE)
    return amount


def _parse_when(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"“{text}” is not an ISO 8601 time; write it like 2026-11-24T09:00:00Z.", EXIT_USAGE
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _read_letter(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"There is no cover-letter file “{path}”.", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(
            f"The cover-letter file “{path}” cannot be read ({exc}).", EXIT_USAGE
        ) from None


def _answers_for(opp: Opportunity, texts: Sequence[str]) -> tuple[Answer, ...]:
    if len(texts) > len(opp.questions) and opp.questions:
        raise CliError(
            f"{len(texts)} answers were given but the job asks {len(opp.questions)} questions.",
            EXIT_USAGE,
        )
    return tuple(
        Answer(question_id=q.id, question=q.text, answer=a)
        for q, a in zip(opp.questions, texts, strict=False)
    )


def _bid_from(args: argparse.Namespace, opp: Opportunity) -> Bid:
    if args.bid is None:
        # No --bid: the one default (app/domain/bidding.py); a fixed price is the client's
        # stated budget, visibly.
        route = Platform(args.via) if args.via else opp.platform
        asked = BidKind(args.bid_type) if args.bid_type else None
        bid = default_bid(opp, SPECS[route].bids, asked)
        if bid.kind is BidKind.FIXED and bid.amount is None:
            raise CliError("This job states no budget to bid; give --bid.", EXIT_USAGE)
        return bid
    amount = _parse_amount(args.bid)
    kind = args.bid_type or ("hourly" if opp.kind is JobKind.HOURLY else "fixed")
    return Bid(kind=BidKind(kind), amount=amount)


async def _resolve_or_import(services: Services, ref: str, via: Platform | None) -> Opportunity:
    opp = resolve_opportunity(services, ref)
    if opp is not None:
        return opp
    cipher = _ciphertext(ref)
    if cipher and via is not None and SPECS[via].upwork_route:
        # A pasted Upwork job: UpHunt can resolve and send it without any feed.
        account = services.accounts.choose(via, None)
        stub = Opportunity(platform=via, external_id=cipher, upwork_job_id=cipher, title=cipher)
        fetched = await services.accounts.adapter(account).get_opportunity(stub)
        fetched = fetched.model_copy(update={"account": account.name})
        await services.inbox.ingest([fetched])
        return fetched
    raise CliError(
        f"There is no opportunity “{ref}” in the inbox; run `biddesk fetch` or `biddesk list`."
    )


def cmd_submit(args: argparse.Namespace, services: Services) -> int:
    letter = _read_letter(args.cover_letter_file)
    via = Platform(args.via) if args.via else None

    async def run() -> int:
        try:
            opp = await _resolve_or_import(services, args.opportunity, via)
            if args.schedule and not SPECS[via or opp.platform].has(RouteField.SEND_TIME):
                can = " or ".join(s.label for s in SPECS.values() if s.has(RouteField.SEND_TIME))
                raise CliError(
                    f"Only {can} can schedule a proposal; leave out --schedule.", EXIT_USAGE
                )
            request = SubmitRequest(
                opportunity_key=opp.key,
                cover_letter=letter,
                bid=_bid_from(args, opp),
                answers=_answers_for(opp, args.answer or ()),
                via=via,
                account=args.account,
                profile_id=args.profile_id,
                scheduled_at=_parse_when(args.schedule) if args.schedule else None,
                auto_fill_questions=args.auto_answer,
                confirm_warnings=args.yes,
                confirm_auto_bidder=args.yes,
            )
            if args.yes:  # confirmed, but still said
                warning = await services.submissions.auto_bidder_warning(opp, args.account, via)
                if warning:
                    _err(f"warning: {warning}")
            sub = await _submit_confirmed(services, request)
            if sub.state is SubmissionState.STAGED:
                _out(
                    f"Submission {sub.id[:8]}: {opp.title} is staged for the team server, "
                    "which sends it once and tracks it; `biddesk status` shows where it stands."
                )
                return EXIT_OK
            _out(
                f"Submission {sub.id[:8]}: {opp.title} via {sub.platform.label} — "
                f"{_describe_submission(sub)}"
            )
            if args.wait or args.until_outcome:
                return await _wait_for(services, sub, args.timeout, args.until_outcome)
            if sub.state not in FINAL_STATES:
                _out("The platform is still working on it; `biddesk status` shows where it stands.")
            if sub.state is SubmissionState.FAILED:
                _err(_reason(sub))
                return EXIT_ERROR
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())


async def _submit_confirmed(services: Services, request: SubmitRequest) -> Submission:
    """Submit; a warning (the letter's, or a GigRadar auto-bidder that is on) is shown on
    stderr and, on a terminal, confirmed interactively; elsewhere `--yes` confirms it."""
    while True:
        try:
            return await services.submissions.submit(request)
        except PolicyViolation as exc:
            errors = [i for i in exc.issues if i.severity.value == "error"]
            if errors or not sys.stdin.isatty():
                raise
            for issue in exc.issues:
                _err(f"warning: {issue.message}")
            request = replace(request, confirm_warnings=True)
        except AutoBidderOn as exc:
            if not sys.stdin.isatty():
                raise CliError(f"{exc.warning} Add --yes to send anyway.") from None
            _err(f"warning: {exc.warning}")
            request = replace(request, confirm_auto_bidder=True)
        answer = await asyncio.to_thread(input, "Send anyway? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("Not sent.") from None


def _reason(sub: Submission) -> str:
    """Why a submission did not end submitted, in one sentence."""
    if sub.failure is not None:
        text = sub.failure.describe()
        if sub.failure.retryable:
            text += f" Retry with `biddesk retry {sub.id[:8]}`."
        return text
    return f"The proposal ended {sub.state.value}."


async def _wait_for(
    services: Services, sub: Submission, timeout: float, until_outcome: bool
) -> int:
    """`--wait`: until the state is final (Gigiac's 201, UpHunt's applied, GigRadar's
    sent); `--until-outcome`: until the client decides. Changes another BidDesk process
    records on this profile (`biddesk serve` receiving a webhook) count too.
    Exit 0 when submitted, 1 otherwise, with the reason on stderr."""
    shown_id = sub.id
    shown = [_describe_submission(sub)]

    def progress(event: SubmissionChanged) -> None:
        if event.submission.id == shown_id:
            text = _describe_submission(event.submission)
            if text != shown[-1]:
                shown.append(text)
                _out(f"  → {text}")

    unsubscribe = services.bus.subscribe(SubmissionChanged, progress)
    try:
        sub = await services.submissions.wait_final(sub.id, timeout, until_outcome=until_outcome)
    finally:
        unsubscribe()
    if _describe_submission(sub) != shown[-1]:
        _out(f"  → {_describe_submission(sub)}")
    finished = not sub.needs_tracking if until_outcome else sub.state in FINAL_STATES
    if not finished:
        what = "the client's decision" if until_outcome else "a final state"
        _err(
            f"No {what} after {timeout:.0f} s (it is {sub.state.value}); "
            "check later with `biddesk status`."
        )
        return EXIT_ERROR
    if sub.state is SubmissionState.SUBMITTED:
        return EXIT_OK
    _err(_reason(sub))
    return EXIT_ERROR


def cmd_retry(args: argparse.Namespace, services: Services) -> int:
    async def run() -> int:
        try:
            sub = await services.submissions.retry(args.submission, confirm_warnings=args.yes)
            _out(f"Submission {sub.id[:8]}: {_describe_submission(sub)}")
            if args.wait:
                return await _wait_for(services, sub, args.timeout, until_outcome=False)
            if sub.state is SubmissionState.FAILED:
                _err(_reason(sub))
                return EXIT_ERROR
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())


def cmd_draft(args: argparse.Namespace, services: Services) -> int:
    """Print a draft: the filled template, or a model's letter streamed as it arrives."""
    if (args.variant or args.base_url or args.model_name) and not args.model:
        raise CliError(
            "--variant, --base-url and --model-name are for the model; add --model.", EXIT_USAGE
        )

    async def run() -> int:
        try:
            opp = resolve_opportunity(services, args.opportunity)
            if opp is None:
                raise CliError(
                    f"There is no opportunity “{args.opportunity}” in the inbox; run "
                    "`biddesk fetch` or `biddesk list`."
                )
            drafter = services.drafter
            if not args.model:
                _out(
                    services.library.draft_from_template(
                        opp, args.template, args.freelancer
                    ).rstrip()
                )
                return EXIT_OK
            if args.base_url or args.model_name:
                current = drafter.model_settings()
                drafter.save_model_settings(
                    replace(
                        current,
                        base_url=args.base_url or current.base_url,
                        model=args.model_name or current.model,
                    )
                )
            async with drafter.stream_draft(opp, args.freelancer, variant=args.variant) as stream:
                async for piece in stream:
                    sys.stdout.write(piece)
                    sys.stdout.flush()
            sys.stdout.write("\n")
            usage = stream.result.usage
            cost = "cost unknown" if usage.cost is None else f"about ${usage.cost:.4f}"
            print(
                f"biddesk: {stream.result.model}: {usage.prompt_tokens} prompt + "
                f"{usage.completion_tokens} completion tokens, {cost}.",
                file=sys.stderr,
            )
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())
