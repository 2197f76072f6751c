"""A local emulator of GigRadar, UpHunt and Gigiac (seeded data, lifecycles, limits, faults).

One aiohttp server on 127.0.0.1 (port 0 picks a free port) serves all three platforms,
following the seed documents and, where they are silent, the `[P]` proposals of
shared/platform-apis.md.

URL layout (base URLs as a client configures them)::

    GigRadar  http://127.0.0.1:{port}/gigradar/public-api/v1
              header  X-API-Key: gr_live_sandbox_<16 hex>
    UpHunt    http://127.0.0.1:{port}/uphunt
              header  x-api-key: sk_uphunt_sandbox_<16 hex>
    Gigiac    http://127.0.0.1:{port}/gigiac      (manifest: /gigiac/.well-known/gigiac.json)
              header  Authorization: Bearer gig_sandbox_<16 hex>
    Model     http://127.0.0.1:{port}/openai/v1    OpenAI-compatible chat completions
              header  Authorization: Bearer sk-sandbox-<16 hex>   (model biddesk-sandbox-writer)
    Control   http://127.0.0.1:{port}/_sandbox/...   no auth, loopback only

Keys are derived from the seed, so they are stable across runs. `run_sandbox` prints
them as one JSON line: {"sandbox": {"gigradar": {"base_url", "api_key"}, "uphunt": ...,
"gigiac": ...}, "speed": X, "seed": N, "openai": {"base_url", "api_key", "model"}}.

The model (`openai_api.py`) composes a plausible cover letter from the prompt (job title,
client, skills, portfolio and variant read from labelled lines), streamed as server-sent
events a few words at a time, paced by `speed`; 500 requests per minute per key.

Time: `speed` divides every duration the sandbox invents (send latency, worker time,
commissioner decisions, arrivals, proposal outcomes) and the rate-limit windows (at speed 60
a "minute" lasts one real second). Timestamps stay real wall-clock time, and a GigRadar
`scheduledAt` is an absolute time: the send happens 5-60 sandbox seconds after it.

Rate limits per key, with the platform's headers and 429 + Retry-After (whole seconds, >= 1):
GigRadar 30/min and 1,000/day; Gigiac 120 reads and 30 writes per minute; UpHunt per endpoint
(platform-apis.md §2.4), overridable by name through `SandboxConfig.uphunt_limits`: apply,
apply.day, status, applied-jobs, generate-proposal, generate-proposal.day, freelancers,
by-ciphertext, client-jobs.

Magic tokens in a cover letter force an outcome:

    GigRadar  [[sim:sent]]  [[sim:error:9012]]  [[sim:error:234]]  [[sim:error:2006]]
              [[sim:error:2020]]  (any [[sim:error:CODE]])
              [[sim:outcome:SUBMITTED|ACTIVE|OFFER_WON|OFFER_LOST|JOB_CLOSED|HIRED]]
    UpHunt    [[sim:applied]]  [[sim:failed]]  [[sim:not_available]]  [[sim:not_eligible]]
              [[sim:not_enough_connects]]  [[sim:logged_out]]
    Gigiac    [[sim:accept]]  [[sim:reject]]  [[sim:STRIPE_CONNECT_REQUIRED]] (403)
              [[sim:INSUFFICIENT_CREDITS]] (402)

A closed job always wins: GigRadar fails the send with errorCode "JOB_CLOSED", UpHunt ends
in `not_available`.

Faults (all four platforms, "openai" included; random per request from
`faults="429=0.05,500=0.02,timeout=0.01,reset=0.01,malformed=0.01"`, or one-shot via
`Sandbox.faults.inject(kind, platform=, method=, path_contains=, count=, retry_after=)`):

    500        before the handler: nothing happened on the platform
    429        before the handler, with Retry-After and the platform's rate-limit headers
    timeout    the handler RUNS (side effect done), then the answer is held `timeout_hold` s
    reset      the handler RUNS, then the connection is aborted with no answer
    malformed  the handler RUNS, then its 2xx answer is sent with truncated JSON

Control surface (no auth, loopback only):

    GET    /_sandbox/info                       base URLs, keys, speed, seed, state counts
    GET    /_sandbox/faults                     random rates and pending one-shot faults
    POST   /_sandbox/faults                     {"kind", "platform", "method", "path_contains",
                                                 "count", "retry_after"} or {"spec": "..."}
    DELETE /_sandbox/faults                     clear all faults
    POST   /_sandbox/jobs/{ciphertext}/close    the Upwork job closes
    POST   /_sandbox/tasks/{id}/close           the Gigiac task is cancelled
    POST   /_sandbox/opportunities              a new GigRadar opportunity (body: overrides)
    POST   /_sandbox/tasks                      a new Gigiac task (body: overrides)
    POST   /_sandbox/scanners/{id}              {"autoBidder": bool}: a GigRadar scanner setting
    GET    /_sandbox/events?after=N&platform=P  recorded webhook events, as envelopes
    GET    /_sandbox/webhooks                   subscriptions, delivery stats, recent attempts
    POST   /_sandbox/webhooks                   {"platform": "uphunt"|"gigiac", "url", "secret"?}:
                                                 what a user sets in that platform's dashboard
    DELETE /_sandbox/webhooks/{platform}        remove that dashboard webhook
    POST   /_sandbox/webhook-faults             {"duplicate", "drop", "corrupt"} probabilities

Webhooks go to GigRadar's registered subscriptions (POST /webhooks, Basic auth) and to the
dashboard URLs (HMAC-signed when a secret was given), with retries on non-2xx/timeouts and
occasional duplicates. `SandboxConfig(strict=True)` sends only what the documents describe:
no signatures and no `[P]` headers, and UpHunt bodies without `applicationStatus`.

Documents-only mode (`SandboxConfig(strict=True)`, `biddesk sandbox --strict`): only what
the three documents describe is served. GigRadar keeps GET /opportunities/{id},
POST /opportunities/{id}/application, PATCH .../application/schedule and POST /webhooks;
its scanners, teams, opportunity list, application update and webhook list/get/update/
delete answer 404, as does any method a document does not list on a path. GigRadar and
Gigiac 429s carry no Retry-After (proposed, not documented); Gigiac refuses `mine=true`
combined with `task_id` (the document offers one or the other). Upwork job objects (GigRadar's
`job`, UpHunt's job details) leave out what Upwork shows beyond the documented fields: the
proposals tier, `clientActivity` (interviewing, invites sent) and the client's
`company.contractDate` (`data.served_job`). `SandboxContext.strict` carries the flag to
every emulator and to the webhook deliverer.

Kept world (`SandboxConfig(state_dir=DIR)`, world.py): the world is saved to
`DIR/world-<seed>.json` while it runs and at stop, and the next start rebuilds it: the same
jobs, tasks and scanners under the same ids (built at the first start's time), the arrivals
since, and what requests changed (applications, UpHunt's queue, Gigiac proposals, closed
jobs). The window passes `<profile>/sandbox` for a kept profile (`--sandbox --profile DIR`).

Bounded memory (it runs inside the window for hours: at speed 120 some 200 arrivals a real
minute): the newest `SandboxConfig.keep_opportunities` GigRadar opportunities and
`keep_tasks` Gigiac tasks (1,000 each) are kept, older ones nobody applied to are forgotten
with their Upwork jobs (reads answer 404, as for a deleted task or an unscraped job); what a
client applied to, proposed on or queued is kept for good. The event log keeps what a
platform may still be delivering (8 sandbox hours, the newest 1,000 at least), each event's
payload as compact JSON; an Upwork client goes with its last forgotten job. A kept world's
journal still grows, slowly (two encoded entries an arrival, ~45 bytes each).

Python API: `Sandbox(SandboxConfig(...))` with `start()` / `stop()` (or `async with`),
`info`, `faults`, `events`, the state objects `gigradar` / `uphunt` / `gigiac`,
`close_job`, `close_task`, `add_opportunity`, `add_task`; and `run_sandbox(config, out)`.
Headless: `python -m app.sandbox --seed N --speed X --faults SPEC` (or `biddesk sandbox`).
"""

from __future__ import annotations

from app.sandbox.events import EventLog, SandboxEvent
from app.sandbox.faults import FaultInjector
from app.sandbox.server import (
    ModelEndpoint,
    PlatformEndpoint,
    Sandbox,
    SandboxConfig,
    SandboxInfo,
    api_key,
    run_sandbox,
)

__all__ = [
    "EventLog",
    "FaultInjector",
    "ModelEndpoint",
    "PlatformEndpoint",
    "Sandbox",
    "SandboxConfig",
    "SandboxEvent",
    "SandboxInfo",
    "api_key",
    "run_sandbox",
]
