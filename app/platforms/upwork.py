"""Reading an Upwork job posting, as GigRadar and UpHunt both carry one (platform-apis §4).

GigRadar sends its own copy of the job (`budget.type` 1/2, `client.stats.*`); UpHunt
embeds Upwork's raw job-detail responses (`opening.*`, `buyer.*`, `"FIXED"/"HOURLY"`).
`read_job` accepts both vocabularies and never raises on an odd field.

Depth beyond the documents (platform-apis.md §1.8 documents `connectsPrice` and
`client.stats.{totalHires, averageHourlyRatePaid, jobsPostedCount}`; §2.6.7 documents
UpHunt's `buyer.company.contractDate` and `buyer.avgHourlyJobsRate`): the competition —
Upwork's `proposalsTier` ("5 to 10") or an exact `clientActivity.totalApplicants`,
`clientActivity.totalInvitedToInterview` and `clientActivity.invitationsSent` — and a
GigRadar client's `company.contractDate` (member since) are read when a job carries them
and left unknown otherwise; the editor then says the platform did not report them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain import ClientInfo, Competition, JobKind, OpportunityStatus, Question
from app.domain.money import to_money
from app.platforms.common import (
    as_bool,
    as_dict,
    as_float,
    as_int,
    as_str,
    dig,
    first,
    fraction,
    parse_datetime,
)

UPWORK_JOB_URL = "https://www.upwork.com/jobs/{ciphertext}"

_CLOSED = {"closed", "deleted", "cancelled", "canceled", "filled", "expired", "archived"}


@dataclass(frozen=True, slots=True)
class JobFields:
    """What the app keeps of an Upwork job; absent fields are None or empty."""

    ciphertext: str | None
    title: str | None
    description: str
    kind: JobKind
    budget: Decimal | None
    hourly_min: Decimal | None
    hourly_max: Decimal | None
    skills: tuple[str, ...]
    category: str | None
    client: ClientInfo
    questions: tuple[Question, ...]
    connects_price: int | None
    posted_at: datetime | None
    status: OpportunityStatus
    competition: Competition = Competition()

    @property
    def url(self) -> str | None:
        return UPWORK_JOB_URL.format(ciphertext=self.ciphertext) if self.ciphertext else None


def job_kind(value: object) -> JobKind:
    """GigRadar/Upwork job type: 1 or "FIXED" → fixed, 2 or "HOURLY" → hourly."""
    number = as_int(value)
    if number == 1:
        return JobKind.FIXED
    if number == 2:
        return JobKind.HOURLY
    if isinstance(value, str):
        text = value.strip().lower()
        if text.startswith("fixed"):
            return JobKind.FIXED
        if text.startswith("hourly"):
            return JobKind.HOURLY
    return JobKind.UNKNOWN


def positive_money(value: object) -> Decimal | None:
    """Money where 0 means "not stated" (the unused side of a GigRadar budget)."""
    if isinstance(value, dict):
        value = first(value.get("amount"), value.get("value"))
    amount = to_money(value)
    return amount if amount is not None and amount > 0 else None


def read_skills(value: object) -> tuple[str, ...]:
    """`[{name, uid}]`, `[{prefLabel}]` or plain strings → unique names in order."""
    names: list[str] = []
    if isinstance(value, list):
        for item in value:
            name = (
                as_str(item)
                if not isinstance(item, dict)
                else as_str(first(item.get("name"), item.get("prefLabel"), item.get("label")))
            )
            if name and name not in names:
                names.append(name)
    return tuple(names)


def read_questions(value: object) -> tuple[Question, ...]:
    """`[{question, position}]` → Question(id=str(position), text); strings get 1, 2, ..."""
    questions: list[Question] = []
    if not isinstance(value, list):
        return ()
    for index, item in enumerate(value, start=1):
        if isinstance(item, dict):
            text = as_str(first(item.get("question"), item.get("text"), item.get("title")))
            position = as_str(first(item.get("position"), item.get("id")))
        else:
            text, position = as_str(item), None
        if text:
            questions.append(Question(id=position or str(index), text=text))
    return tuple(questions)


def read_client(client: object) -> ClientInfo:
    """GigRadar `client.{location,stats,company}` or Upwork `buyer.{location,stats,company}`."""
    data = as_dict(client)
    stats = as_dict(data.get("stats"))
    location = as_dict(data.get("location"))
    company = as_dict(data.get("company"))
    rating = as_float(first(stats.get("feedbackScore"), stats.get("score"), stats.get("rating")))
    verified = as_bool(
        first(
            data.get("paymentVerified"),
            data.get("isPaymentMethodVerified"),
            data.get("paymentVerificationStatus"),
            dig(data, "paymentVerification", "status"),
        )
    )
    avg_rate = first(
        stats.get("averageHourlyRatePaid"),
        stats.get("avgHourlyRatePaid"),
        data.get("avgHourlyJobsRate"),
        stats.get("avgHourlyJobsRate"),
    )
    member_since = parse_datetime(
        first(company.get("contractDate"), data.get("memberSince"), data.get("contractDate"))
    )
    return ClientInfo(
        name=as_str(first(company.get("name"), data.get("name"))),
        country=as_str(location.get("country")),
        city=as_str(location.get("city")),
        payment_verified=verified,
        total_spent=to_money(
            first(
                stats.get("totalSpent"),
                dig(stats, "totalCharges", "amount"),
                stats.get("totalCharges")
                if not isinstance(stats.get("totalCharges"), dict)
                else None,
            )
        ),
        hire_rate=fraction(stats.get("hireRate")),
        total_hires=_non_negative(first(stats.get("totalHires"), stats.get("totalAssignments"))),
        jobs_posted=_non_negative(first(stats.get("jobsPostedCount"), data.get("postedCount"))),
        rating=rating if rating is not None and 0 <= rating <= 5 else None,
        reviews=_non_negative(first(stats.get("feedbackCount"), stats.get("reviewsCount"))),
        # 0 is a client with no hourly history yet, not one who paid $0/h.
        avg_hourly_rate=positive_money(avg_rate),
        member_since=member_since,
    )


def read_competition(job: Mapping[str, Any]) -> Competition:
    """The proposals, interviews and invites a job has so far, from GigRadar's copy of the
    job or Upwork's raw detail (`clientActivity`, or under `opening`); all optional."""
    opening = as_dict(job.get("opening"))
    activity = as_dict(first(job.get("clientActivity"), opening.get("clientActivity")))
    tier = as_str(
        first(
            job.get("proposalsTier"),
            opening.get("proposalsTier"),
            activity.get("proposalsTier"),
        )
    )
    return Competition(
        proposals=_non_negative(first(activity.get("totalApplicants"), job.get("proposals"))),
        proposals_tier=tier,
        interviewing=_non_negative(
            first(activity.get("totalInvitedToInterview"), activity.get("interviewing"))
        ),
        invites_sent=_non_negative(
            first(activity.get("invitationsSent"), activity.get("invitesSent"))
        ),
    )


def read_job(job: Mapping[str, Any]) -> JobFields:
    """Every field the app uses from one job object, in either vocabulary."""
    opening = as_dict(job.get("opening"))
    info = as_dict(opening.get("info"))
    budget = as_dict(first(job.get("budget"), opening.get("budget")))
    kind = job_kind(
        first(budget.get("type"), job.get("type"), info.get("type"), job.get("jobType"))
    )
    fixed = positive_money(first(budget.get("fixed"), budget.get("amount"), job.get("amount")))
    hourly = as_dict(first(job.get("hourlyBudget"), opening.get("extendedBudgetInfo")))
    hourly_min = positive_money(
        first(budget.get("hourlyMin"), hourly.get("min"), hourly.get("hourlyBudgetMin"))
    )
    hourly_max = positive_money(
        first(budget.get("hourlyMax"), hourly.get("max"), hourly.get("hourlyBudgetMax"))
    )
    if kind is JobKind.UNKNOWN:
        if fixed is not None and hourly_min is None and hourly_max is None:
            kind = JobKind.FIXED
        elif fixed is None and (hourly_min is not None or hourly_max is not None):
            kind = JobKind.HOURLY
    status_text = as_str(first(job.get("status"), info.get("status"), opening.get("status")))
    closed = status_text is not None and status_text.lower() in _CLOSED
    return JobFields(
        ciphertext=as_str(first(job.get("ciphertext"), info.get("ciphertext"))),
        title=as_str(first(job.get("title"), info.get("title"), opening.get("title"))),
        description=as_str(first(job.get("description"), opening.get("description"))) or "",
        kind=kind,
        budget=fixed if kind is not JobKind.HOURLY else None,
        hourly_min=hourly_min if kind is not JobKind.FIXED else None,
        hourly_max=hourly_max if kind is not JobKind.FIXED else None,
        skills=read_skills(first(job.get("skills"), opening.get("skills"))),
        category=as_str(
            first(job.get("categoryName"), job.get("category"), dig(opening, "category", "name"))
        ),
        client=read_client(first(job.get("client"), job.get("buyer"))),
        questions=read_questions(first(job.get("questions"), opening.get("questions"))),
        connects_price=_non_negative(first(job.get("connectsPrice"), job.get("connectPrice"))),
        posted_at=parse_datetime(
            first(
                job.get("publishTime"),
                job.get("createdOn"),
                opening.get("postedOn"),
                opening.get("publishTime"),
            )
        ),
        status=OpportunityStatus.CLOSED if closed else OpportunityStatus.OPEN,
        competition=read_competition(job),
    )


def _non_negative(value: object) -> int | None:
    number = as_int(value)
    return number if number is not None and number >= 0 else None
