"""Realistic platform payloads, shaped after platform-apis.md §1.8, §2.6, §3.7."""

from __future__ import annotations

import copy
from typing import Any

GR_JOB: dict[str, Any] = {
    "ciphertext": "~01a2b3c4d5e6f7a8b9",
    "title": "Senior React developer for a fintech dashboard",
    "description": "We need a React/TypeScript engineer to build charts and tables.",
    "createdOn": "2025-10-28T09:58:00Z",
    "publishTime": "2025-10-28T10:00:00Z",
    "duration": "3-6 months",
    "engagement": "Full-time",
    "experienceLevel": "Expert",
    "connectsPrice": 16,
    "categoryName": "Web Development",
    "subCategoryName": "Front-End Development",
    "skills": [{"name": "React", "uid": "1"}, {"name": "TypeScript", "uid": "2"}],
    "questions": [
        {"question": "Describe a similar dashboard you built.", "position": 1},
        {"question": "What is your availability?", "position": 2},
    ],
    "budget": {"type": 2, "fixed": 0, "hourlyMin": 40, "hourlyMax": 75.5},
    "client": {
        "paymentVerified": True,
        "location": {"country": "United States", "city": "Austin", "timezone": "America/Chicago"},
        "stats": {
            "feedbackScore": 4.87,
            "totalSpent": 152340.5,
            "hireRate": 85,
            "totalHires": 41,
            "totalHiresActive": 3,
            "averageHourlyRatePaid": 52.1,
            "jobsPostedCount": 57,
        },
        "company": {"industry": "Finance", "size": 50, "isEnterprise": False, "name": "Acme"},
    },
    "qualification": {"prefLocationsCountry": [], "prefLocationMandatory": False},
    "isPrivate": False,
}

GR_OPPORTUNITY: dict[str, Any] = {
    "id": "507f1f77bcf86cd799439011",
    "scannerId": "65a1b2c3d4e5f6a7b8c9d0e1",
    "scannerName": "My Full-Stack Scanner",
    "teamId": "507f191e810c19729de860ea",
    "teamName": "My Team",
    "jobId": "~01a2b3c4d5e6f7a8b9",
    "jobUid": "1691063615321939969",
    "title": "Senior React developer for a fintech dashboard",
    "published": "2025-10-28T10:00:00Z",
    "detected": "2025-10-28T10:00:41Z",
    "score": 87,
    "qualification": {"qualified": True, "reasoning": "Strong React match"},
    "irrelevant": False,
    "job": GR_JOB,
    "application": None,
}


def gr_opportunity(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GR_OPPORTUNITY)
    data.update(changes)
    return data


def gr_application(**changes: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "coverLetter": "Hello",
        "bid": {"type": "hourly", "amount": None},
        "questions": [],
        "scheduledAt": None,
        "sent": None,
        "proposalId": None,
        "error": False,
        "errorCode": None,
        "errorMessage": None,
    }
    app.update(changes)
    return app


GR_SCANNERS = {
    "items": [
        {
            "id": "65a1b2c3d4e5f6a7b8c9d0e1",
            "name": "My Full-Stack Scanner",
            "teamId": "507f191e810c19729de860ea",
            "teamName": "My Team",
            "autoBidder": {"enabled": False},
            "disabled": False,
            "position": 1,
        },
        {
            "id": "65a1b2c3d4e5f6a7b8c9d0e2",
            "name": "Python APIs",
            "teamId": "507f191e810c19729de860ea",
            "teamName": "My Team",
            "autoBidder": {"enabled": False},
            "disabled": False,
            "position": 2,
        },
    ],
    "nextCursor": None,
    "total": 2,
}

UH_STATUS_APPLIED: dict[str, Any] = {
    "jobId": "~01a2b3c4d5e6f7a8b9",
    "processedJobId": "9b2f7c1e-3d4a-4b5c-8d6e-7f8a9b0c1d2e",
    "applicationStatus": "applied",
    "applicationStatusMessage": "Successfully applied via auto-apply",
    "queueId": "queue_abc123",
    "appliedAt": 1732204800000,
    "processedAt": 1732204790000,
    "errorMessage": None,
}

UH_JOB: dict[str, Any] = {
    "ciphertext": "~02ffeeddccbbaa9988",
    "lastSyncedAt": 1732204800000,
    "jobDetailsResponse": {
        "data": {
            "jobPubDetails": {
                "opening": {
                    "info": {
                        "ciphertext": "~02ffeeddccbbaa9988",
                        "title": "Fix a Django API",
                        "type": "FIXED",
                    },
                    "description": "Our Django REST API times out under load.",
                    "budget": {"amount": 500},
                    "postedOn": "2025-11-20T08:00:00Z",
                    "questions": [{"question": "Have you used Celery?", "position": 1}],
                },
                "buyer": {
                    "location": {"city": "Berlin", "country": "DEU"},
                    "stats": {
                        "score": 4.6,
                        "totalCharges": {"amount": 12000},
                        "totalAssignments": 12,
                        "feedbackCount": 9,
                    },
                    "company": {"name": "Kraut GmbH"},
                },
            }
        }
    },
    "authJobDetailsResponse": {
        "data": {"jobAuthDetails": {"buyer": {"info": {"company": {"companyId": "1234567890"}}}}}
    },
}

UH_FREELANCERS: dict[str, Any] = {
    "freelancers": [
        {
            "id": "uid-1",
            "name": "Jane D.",
            "title": "Senior React Engineer",
            "hourlyRate": 65,
            "currency": "USD",
            "isBusinessDeveloper": False,
            "profiles": [
                {"profileId": "p-default", "type": "default", "title": "React", "hourlyRate": 65},
                {
                    "profileId": "p-spec",
                    "type": "specialized",
                    "title": "Fintech UI",
                    "hourlyRate": 80,
                    "category": "Web",
                },
            ],
        },
        {"id": "uid-2", "name": "BizDev Bot", "isBusinessDeveloper": True, "profiles": []},
    ],
    "defaultProfileId": "p-default",
}

GG_TASK: dict[str, Any] = {
    "id": "ab12cd34-5678-90ef-aaaa-bbbbccccdddd",
    "title": "Write a blog post about edge computing",
    "description": "1,500 words, technical audience.",
    "category": "content-writing",
    "budget_amount": "45.00",
    "budget_type": "fixed",
    "payment_method": "credits",
    "status": "open",
    "created_at": "2026-04-17T14:00:00Z",
    "deadline": "2026-04-24T14:00:00Z",
    "required_skills": ["technical-writing", "cloud"],
    "max_proposals": 10,
    "location_type": "remote",
}


def gg_task(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GG_TASK)
    data.update(changes)
    return data


GG_PROPOSAL: dict[str, Any] = {
    "id": "prop_abc123",
    "task_id": "ab12cd34-5678-90ef-aaaa-bbbbccccdddd",
    "proposer_id": "bot_1",
    "proposed_amount": 45,
    "cover_letter": "I can do this.",
    "status": "pending",
    "created_at": "2026-04-17T14:30:00Z",
}
