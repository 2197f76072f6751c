"""The shared world the three emulators serve: Upwork jobs and their clients, Gigiac tasks.

GigRadar opportunities and UpHunt "scraped" jobs point at the SAME `UpworkJob` objects, so
closing a job is seen by both, and an agency-level record of proposals lets each platform
notice a duplicate sent through the other (Upwork rejects a second proposal from one
agency). Everything is drawn from a `random.Random` the caller seeds.

A job carries what Upwork shows beside the documented GigRadar job object (§1.8): the
proposals tier, `clientActivity` (interviewing, invitations sent, hired) and the client's
sign-up date (`client.company.contractDate`). `served_job(data, strict)` leaves those
out for the documents-only sandbox.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.sandbox import corpus
from app.sandbox.common import iso_pg, iso_z, numeric_id, seeded_uuid

TIMELINES = ("Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months")
WORKLOADS = ("Less than 30 hrs/week", "More than 30 hrs/week")
CONNECTS_RATE_CARD = (2, 4, 6, 8, 12, 16)
JOB_CATEGORY_KEYS = tuple(corpus.JOB_CATEGORIES)

_SIZE_PHRASE = {
    "1": "one-person",
    "2-9": "small",
    "10-99": "growing",
    "100-499": "mid-size",
    "500-999": "established",
    "1000+": "large",
}


def ciphertext(rng: random.Random) -> str:
    """`~01` + 18 hex digits (a minority of newer posts use `~02`)."""
    prefix = "~02" if rng.random() < 0.15 else "~01"
    return f"{prefix}{rng.getrandbits(72):018x}"


def skill_uid(name: str) -> str:
    """A stable numeric uid per skill name, identical across seeds like Upwork's ontology."""
    value = 0
    for char in name.lower():
        value = (value * 131 + ord(char)) % 10**15
    return str(1031626700000000000 + value)


def _nice_amount(value: float) -> int:
    if value < 200:
        return max(5, int(round(value / 5) * 5))
    if value < 2000:
        return int(round(value / 50) * 50)
    return int(round(value / 250) * 250)


@dataclass
class UpworkClient:
    company_id: str
    name: str
    country: str
    iso3: str
    city: str
    timezone: str
    payment_verified: bool
    phone_verified: bool
    contract_wall: float
    stats: dict[str, Any]
    company: dict[str, Any]
    ciphertexts: list[str] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        """The `job.client` object of GigRadar's job (platform-apis.md §1.8)."""
        return {
            "paymentVerified": self.payment_verified,
            "location": {"country": self.country, "city": self.city, "timezone": self.timezone},
            "stats": dict(self.stats),
            # contractDate: the client's sign-up date ("member since"); an UpHunt field
            # (§2.6.7) that GigRadar's own data has too, not in its documented job object.
            "company": {**self.company, "contractDate": iso_z(self.contract_wall)},
        }


# What a served job object holds beyond the documented GigRadar Job (§1.8): top-level keys,
# and keys of `client.company`. The strict sandbox leaves them out.
UNDOCUMENTED_JOB_KEYS = ("proposalsTier", "clientActivity")
UNDOCUMENTED_COMPANY_KEYS = ("contractDate",)


def served_job(data: dict[str, Any], strict: bool) -> dict[str, Any]:
    """A job object as the sandbox serves it: whole, or (`strict`) without the fields the
    documents do not describe (`UNDOCUMENTED_JOB_KEYS`, `UNDOCUMENTED_COMPANY_KEYS`)."""
    if not strict:
        return data
    job = {k: v for k, v in data.items() if k not in UNDOCUMENTED_JOB_KEYS}
    client = job.get("client")
    if isinstance(client, dict) and isinstance(client.get("company"), dict):
        company = {k: v for k, v in client["company"].items() if k not in UNDOCUMENTED_COMPANY_KEYS}
        job["client"] = {**client, "company": company}
    return job


def client_activity(cipher: str, tier: str, age_hours: float) -> dict[str, int]:
    """Upwork's `clientActivity` of a job: how many the client invited to interview, the
    invitations sent, hires so far. From a generator of its own (seeded by the job), so
    adding it left every other draw of the world as it was."""
    rng = random.Random(f"activity:{cipher}")
    low = {"Less than 5": 0, "5 to 10": 5, "10 to 15": 10, "15 to 20": 15, "20 to 50": 20}.get(
        tier, 50
    )
    fresh = age_hours < 1
    interviewing = (
        0 if fresh else min(low or 2, _weighted(rng, [0, 1, 2, 3, 4, 6], [40, 25, 15, 10, 6, 4]))
    )
    invites = _weighted(rng, [0, 1, 2, 3, 5, 8, 12], [45, 15, 12, 10, 8, 6, 4])
    hired = 1 if not fresh and interviewing and rng.random() < 0.08 else 0
    return {
        "totalInvitedToInterview": interviewing,
        "invitationsSent": invites,
        "unansweredInvites": rng.randint(0, invites),
        "totalHired": hired,
    }


@dataclass
class UpworkJob:
    ciphertext: str
    uid: str
    processed_id: str  # UpHunt's UUID for its scraped copy
    client: UpworkClient
    category_key: str
    published: float
    data: dict[str, Any]  # the wire Job object, kept up to date (status)
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        return bool(self.data["status"] == "open")

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def is_fixed(self) -> bool:
        return bool(self.data["budget"]["type"] == 1)

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.data["questions"])


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def make_client(rng: random.Random, now: float) -> UpworkClient:
    country, iso3, _, cities = _weighted(
        rng, corpus.COUNTRIES, [float(c[2]) for c in corpus.COUNTRIES]
    )
    city, timezone = rng.choice(cities)
    industry = rng.choice(corpus.INDUSTRIES)
    size = _weighted(rng, corpus.COMPANY_SIZES, [20, 34, 26, 10, 4, 6])
    enterprise = size in ("500-999", "1000+") and rng.random() < 0.6
    name = f"{rng.choice(corpus.COMPANY_FIRST)} {rng.choice(corpus.COMPANY_SECOND)}"
    is_new = rng.random() < 0.15
    stats: dict[str, float]
    if is_new:
        posted = rng.randint(1, 3)
        stats = {
            "feedbackScore": 0,
            "totalSpent": 0,
            "hireRate": 0,
            "totalHires": 0,
            "totalHiresActive": 0,
            "averageHourlyRatePaid": 0,
            "jobsPostedCount": posted,
            "feedbackCount": 0,
        }
        verified = rng.random() < 0.6
        contract_wall = now - rng.uniform(2, 60) * 86_400
    else:
        posted = int(min(400, math.exp(rng.uniform(0.7, 5.2))))
        hire_rate = round(rng.uniform(0.2, 1.0), 2)
        hires = max(1, round(posted * hire_rate * rng.uniform(1.0, 2.2)))
        spent = min(500_000.0, math.exp(rng.uniform(5.5, 13.1)))
        stats = {
            "feedbackScore": round(min(5.0, rng.triangular(3.6, 5.0, 4.95)), 2),
            "totalSpent": round(spent, 2),
            "hireRate": hire_rate,
            "totalHires": hires,
            "totalHiresActive": rng.randint(0, min(6, hires)),
            "averageHourlyRatePaid": round(rng.uniform(12, 95), 2),
            "jobsPostedCount": posted,
            "feedbackCount": max(0, hires - rng.randint(0, max(1, hires // 3))),
        }
        verified = rng.random() < 0.92
        contract_wall = now - rng.uniform(120, 4000) * 86_400
    return UpworkClient(
        company_id=numeric_id(rng, 19),
        name=name,
        country=country,
        iso3=iso3,
        city=city,
        timezone=timezone,
        payment_verified=verified,
        phone_verified=verified or rng.random() < 0.5,
        contract_wall=contract_wall,
        stats=stats,
        company={"industry": industry, "size": size, "isEnterprise": enterprise, "name": name},
    )


def _budget(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.6:
        amount = _nice_amount(math.exp(rng.uniform(math.log(50), math.log(15_000))))
        return {
            "type": 1,
            "fixed": float(min(15_000, amount)),
            "hourlyMin": None,
            "hourlyMax": None,
        }
    if rng.random() < 0.2:  # "no stated rate"
        return {"type": 2, "fixed": None, "hourlyMin": None, "hourlyMax": None}
    low = rng.choice([10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80])
    high = min(150, low + rng.choice([5, 10, 15, 20, 30, 40, 50, 70]))
    return {"type": 2, "fixed": None, "hourlyMin": float(low), "hourlyMax": float(high)}


def _connects(rng: random.Random, budget: dict[str, Any], level: str) -> int:
    if budget["type"] == 1:
        value = budget["fixed"] or 0
        tier = 0 if value <= 100 else 1 if value <= 500 else 3 if value <= 2000 else 4
    else:
        top = budget["hourlyMax"] or 40
        tier = 1 if top <= 25 else 2 if top <= 50 else 4
    if level == "Expert":
        tier += 1
    tier = max(0, min(len(CONNECTS_RATE_CARD) - 1, tier + rng.choice([-1, 0, 0, 1])))
    return CONNECTS_RATE_CARD[tier]


def _budget_phrase(budget: dict[str, Any]) -> str:
    if budget["type"] == 1:
        return f"${budget['fixed']:,.0f} fixed"
    if budget["hourlyMin"] is None:
        return "unstated hourly"
    return f"${budget['hourlyMin']:.0f}-{budget['hourlyMax']:.0f}/hr"


def _description(
    rng: random.Random, spec: dict[str, Any], slots: dict[str, Any], client: UpworkClient
) -> str:
    industry = slots["industry"]
    size = client.company["size"]
    intro_options = [
        f"We are a {_SIZE_PHRASE[size]} {industry} company based in {client.city}.",
        f"We're a {industry} team in {client.city} ({size} people).",
    ]
    if size in ("1", "2-9"):
        intro_options.append(f"I run a small {industry} business out of {client.city}.")
    paragraphs = []
    opener = rng.choice(corpus.OPENERS)
    if opener:
        paragraphs.append(opener)
    paragraphs.append(f"{rng.choice(intro_options)} {rng.choice(spec['contexts'])}".format(**slots))
    paragraphs.append(rng.choice(spec["tasks"]).format(**slots))
    count = min(len(spec["requirements"]), rng.randint(3, 5))
    bullets = rng.sample(spec["requirements"], count)
    heading = rng.choice(["What we're looking for:", "Requirements:", "You are a fit if you have:"])
    paragraphs.append(heading + "\n" + "\n".join(f"- {b.format(**slots)}" for b in bullets))
    if rng.random() < 0.55:
        paragraphs.append(rng.choice(spec["extras"]).format(**slots))
    paragraphs.append(rng.choice(corpus.CLOSINGS))
    return "\n\n".join(paragraphs)


def make_job(
    rng: random.Random,
    now: float,
    *,
    category: str | None = None,
    client: UpworkClient,
    age: tuple[float, float] = (180.0, 172_800.0),
) -> UpworkJob:
    """A new Upwork job post by `client`, published `age` seconds ago (uniform range)."""
    key = category or rng.choice(JOB_CATEGORY_KEYS)
    spec = corpus.JOB_CATEGORIES[key]
    industry_noun = rng.choice(corpus.INDUSTRY_NOUNS[client.company["industry"]])
    slots = {
        "stack": rng.choice(spec["stacks"]),
        "industry": industry_noun,
        "n": rng.choice([150, 300, 800, 1200, 2500, 8000]),
        "k": rng.choice([4, 6, 8, 12, 15, 20, 35]),
        "city": client.city,
    }
    title = rng.choice(spec["titles"]).format(**slots)
    title = title[0].upper() + title[1:]
    published = now - rng.uniform(*age)
    created = published - rng.uniform(0, 900)
    budget = _budget(rng)
    level = _weighted(rng, ["Entry", "Intermediate", "Expert"], [15, 50, 35])
    if budget["type"] == 1:
        duration = _weighted(rng, list(TIMELINES), [55, 35, 8, 2])
        engagement = None
    else:
        duration = _weighted(rng, list(TIMELINES), [15, 35, 30, 20])
        engagement = _weighted(rng, list(WORKLOADS), [60, 40])
    skill_names = rng.sample(spec["skills"], min(len(spec["skills"]), rng.randint(3, 8)))
    questions: list[dict[str, Any]] = []
    if rng.random() < 0.4:
        picked = rng.sample(spec["questions"], min(len(spec["questions"]), rng.randint(1, 3)))
        questions = [{"question": q, "position": i} for i, q in enumerate(picked)]
    pref_countries: list[str] = []
    if rng.random() < 0.15:
        pref_countries = [client.country] if rng.random() < 0.5 else ["United States", "Canada"]
    cipher = ciphertext(rng)
    uid = str(rng.randrange(10**17, 2 * 10**18))
    age_hours = (now - published) / 3600
    tier = (
        "Less than 5"
        if age_hours < 1
        else _weighted(rng, ["5 to 10", "10 to 15", "15 to 20", "20 to 50", "50+"], [3, 3, 2, 3, 1])
    )
    data: dict[str, Any] = {
        "ciphertext": cipher,
        "uid": uid,
        "url": f"https://www.upwork.com/jobs/{cipher}",
        "title": title,
        "description": _description(rng, spec, slots, client),
        "createdOn": iso_z(created),
        "publishTime": iso_z(published),
        "duration": duration,
        "engagement": engagement,
        "experienceLevel": level,
        "talentPreference": _weighted(
            rng, ["No preference", "Independent", "Agency"], [70, 20, 10]
        ),
        "connectsPrice": _connects(rng, budget, level),
        "categoryName": spec["category"],
        "subCategoryName": rng.choice(spec["subcategories"]),
        "skills": [{"name": s, "uid": skill_uid(s)} for s in skill_names],
        "questions": questions,
        "budget": budget,
        "proposalsTier": tier,
        "clientActivity": client_activity(cipher, tier, age_hours),
        "client": client.wire(),
        "qualification": {
            "prefLocationsCountry": pref_countries,
            "prefLocationMandatory": bool(pref_countries) and rng.random() < 0.5,
            "spokenLanguages": ["English"],
        },
        "isPrivate": False,
        "status": "open",
    }
    return UpworkJob(
        ciphertext=cipher,
        uid=uid,
        processed_id=seeded_uuid(rng),
        client=client,
        category_key=key,
        published=published,
        data=data,
    )


CloseListener = Callable[[UpworkJob], None]


class UpworkUniverse:
    """Every Upwork job the sandbox knows, its clients, and the agency's sent proposals.

    A job no platform holds any more is forgotten (`forget`): GigRadar lets go of the
    opportunities that left its window (gigradar.py, `keep`), and a job UpHunt scraped or
    queued an application for is `pin`ned. A client goes with its last job: a new job's
    client is drawn among the clients of the jobs still held (a client with an open job
    posting another). Every client used to be kept, ~1 KB each, three in four arrivals,
    ~0.2 MB a minute for as long as the window ran at x120. What is forgotten follows from
    the arrivals alone, so a kept world's replay (world.py) draws the same clients."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.jobs: dict[str, UpworkJob] = {}
        self.clients: dict[str, UpworkClient] = {}
        self._by_processed: dict[str, UpworkJob] = {}
        self._close_listeners: list[CloseListener] = []
        # ciphertext -> platform that got a proposal accepted by Upwork for our agency
        self.agency_proposals: dict[str, str] = {}
        self._pinned: set[str] = set()

    def new_job(
        self,
        now: float,
        *,
        category: str | None = None,
        age: tuple[float, float] = (180.0, 172_800.0),
        rng: random.Random | None = None,
    ) -> UpworkJob:
        draw = rng or self.rng
        if self.clients and draw.random() < 0.25:
            client = draw.choice(list(self.clients.values()))
        else:
            client = make_client(draw, now)
            self.clients[client.company_id] = client
        job = make_job(draw, now, category=category, client=client, age=age)
        self.add(job)
        return job

    def add(self, job: UpworkJob) -> None:
        self.jobs[job.ciphertext] = job
        self._by_processed[job.processed_id] = job
        self.clients.setdefault(job.client.company_id, job.client)
        job.client.ciphertexts.append(job.ciphertext)

    def get(self, cipher: str) -> UpworkJob | None:
        return self.jobs.get(cipher)

    def by_processed_id(self, processed_id: str) -> UpworkJob | None:
        return self._by_processed.get(processed_id)

    def close(self, cipher: str, now: float) -> UpworkJob:
        job = self.jobs.get(cipher)
        if job is None:
            raise KeyError(cipher)
        if job.is_open:
            job.data["status"] = "closed"
            job.closed_at = now
            for listener in list(self._close_listeners):
                listener(job)
        return job

    def on_close(self, listener: CloseListener) -> None:
        self._close_listeners.append(listener)

    def pin(self, cipher: str) -> None:
        """Keep this job whatever GigRadar does (UpHunt scraped it, or queued an apply)."""
        self._pinned.add(cipher)

    def forget(self, cipher: str) -> bool:
        """Drop a job nothing pins and no proposal of the agency went to; True if dropped.
        Reads of it answer 404 from then on, as for a job the sandbox never knew."""
        job = self.jobs.get(cipher)
        if job is None or cipher in self._pinned or cipher in self.agency_proposals:
            return False
        del self.jobs[cipher]
        if self._by_processed.get(job.processed_id) is job:
            del self._by_processed[job.processed_id]
        client = job.client
        with contextlib.suppress(ValueError):
            client.ciphertexts.remove(cipher)
        if not client.ciphertexts and self.clients.get(client.company_id) is client:
            del self.clients[client.company_id]
        return True


def make_task(
    rng: random.Random,
    now: float,
    *,
    template: dict[str, Any] | None = None,
    age: tuple[float, float] = (120.0, 259_200.0),
) -> dict[str, Any]:
    """A Gigiac task in the wire shape (platform-apis.md §3.7.1), status `open`."""
    tpl = template or rng.choice(corpus.GIGIAC_TASKS)
    low, high = tpl["budget"]
    dollars = rng.uniform(low, high)
    cents = round(dollars) * 100 if dollars >= 20 else int(round(dollars * 100 / 50) * 50)
    cents = max(1000, cents)  # the API floors budgets at $10 (platform-apis.md §3.1)
    created = now - rng.uniform(*age)
    poster_name, poster_is_bot = rng.choice(corpus.GIGIAC_POSTERS)
    location_type = tpl.get("location", "remote")
    max_proposals = rng.choice([5, 8, 10, 15, 20])
    task: dict[str, Any] = {
        "id": seeded_uuid(rng),
        "title": tpl["title"],
        "description": tpl["description"],
        "category": tpl["category"],
        "budget_type": tpl["budget_type"],
        "payment_method": "credits" if poster_is_bot or rng.random() < 0.45 else "card",
        "status": "open",
        "created_at": iso_pg(created),
        "updated_at": iso_pg(created),
        "deadline": iso_pg(created + rng.choice([2, 3, 5, 7, 10, 14]) * 86_400),
        "required_skills": list(tpl["skills"]),
        "max_proposals": max_proposals,
        "proposal_count": rng.randint(0, max(0, max_proposals - 3)),
        "location_type": location_type,
        "match_score": round(rng.uniform(0.35, 0.98), 2),
        "poster_id": seeded_uuid(random.Random(f"poster:{poster_name}")),
        "poster_name": poster_name,
        "poster_is_bot": poster_is_bot,
    }
    if location_type == "on_site":
        city, zip_code = rng.choice(corpus.GIGIAC_CITIES)
        task["location"] = {"city": city, "zip": zip_code}
    # The real API is mid-migration from budget_amount (decimal string) to budget_cents:
    # rows carry one or both, and clients must accept either.
    shape = rng.random()
    if shape < 0.4:
        task["budget_amount"] = f"{cents / 100:.2f}"
        task["budget_cents"] = cents
    elif shape < 0.7:
        task["budget_cents"] = cents
    else:
        task["budget_amount"] = f"{cents / 100:.2f}"
    return task


def task_budget_cents(task: dict[str, Any]) -> int:
    if isinstance(task.get("budget_cents"), int):
        return int(task["budget_cents"])
    return round(float(task.get("budget_amount") or 0) * 100)


def make_freelancers(rng: random.Random) -> tuple[list[dict[str, Any]], str]:
    """UpHunt's agency roster (platform-apis.md §2.6.5) and the default profile id."""
    roster: list[dict[str, Any]] = []
    for person in corpus.FREELANCERS:
        default_id = numeric_id(rng, 19)
        profiles = [
            {
                "profileId": default_id,
                "type": "default",
                "title": person["title"],
                "hourlyRate": person["hourlyRate"],
            }
        ]
        for title, rate, category in person["specialized"]:
            profiles.append(
                {
                    "profileId": numeric_id(rng, 19),
                    "type": "specialized",
                    "title": title,
                    "hourlyRate": rate,
                    "category": category,
                }
            )
        roster.append(
            {
                "id": f"~01{rng.getrandbits(72):018x}",
                "name": person["name"],
                "title": person["title"],
                "hourlyRate": person["hourlyRate"],
                "currency": "USD",
                "isBusinessDeveloper": False,
                "profiles": profiles,
            }
        )
    return roster, roster[0]["profiles"][0]["profileId"]
