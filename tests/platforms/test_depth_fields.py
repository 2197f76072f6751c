"""Reading competition and client depth from a job object, in GigRadar's and Upwork's
vocabularies; absent fields stay unknown (None), never zero."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from app.platforms.upwork import read_job


def test_gigradar_job_with_upwork_activity() -> None:
    job = read_job(
        {
            "title": "t",
            "connectsPrice": 12,
            "proposalsTier": "10 to 15",
            "clientActivity": {"totalInvitedToInterview": 2, "invitationsSent": 5},
            "client": {
                "stats": {"totalHires": 31, "averageHourlyRatePaid": 42.5, "jobsPostedCount": 9},
                "company": {"contractDate": "2019-03-04T00:00:00Z"},
            },
        }
    )
    assert job.connects_price == 12
    assert job.competition.proposals_tier == "10 to 15"
    assert (job.competition.interviewing, job.competition.invites_sent) == (2, 5)
    assert job.competition.proposals is None
    assert job.client.total_hires == 31 and job.client.jobs_posted == 9
    assert job.client.avg_hourly_rate == Decimal("42.50")
    assert job.client.member_since == datetime(2019, 3, 4, tzinfo=UTC)


def test_upwork_buyer_vocabulary_and_an_exact_applicant_count() -> None:
    job = read_job(
        {
            "title": "t",
            "clientActivity": {"totalApplicants": 17},
            "buyer": {
                "company": {"contractDate": "2021-06-01T10:00:00.000Z"},
                "avgHourlyJobsRate": {"amount": 28},
                "postedCount": 14,
                "stats": {"totalAssignments": 6},
            },
        }
    )
    assert job.competition.proposals == 17
    assert job.client.avg_hourly_rate == Decimal("28.00")
    assert job.client.member_since is not None and job.client.member_since.year == 2021
    assert (job.client.jobs_posted, job.client.total_hires) == (14, 6)


def test_a_documented_job_alone_leaves_depth_unknown() -> None:
    job = read_job(
        {
            "title": "t",
            "connectsPrice": 4,
            "client": {"stats": {"totalHires": 0, "averageHourlyRatePaid": 0}},
        }
    )
    assert not job.competition.known
    assert job.client.member_since is None
    assert job.client.avg_hourly_rate is None  # no hourly history: not "$0/h"
    assert job.client.total_hires == 0
