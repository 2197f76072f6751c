"""The sandbox model: an OpenAI-compatible chat-completions server under `/openai/v1`.

    POST /openai/v1/chat/completions   JSON, or server-sent events with `"stream": true`
    GET  /openai/v1/models             the one model, `biddesk-sandbox-writer`
    GET  /openai/v1/models/{id}
    header  Authorization: Bearer sk-sandbox-<16 hex>

The wire format follows the OpenAI API: a `chat.completion` object, or `data: {chunk}`
events (the first carrying the role, then content pieces, then one with `finish_reason`,
then — with `stream_options.include_usage` — a usage chunk with no choices), ending with
`data: [DONE]`. Errors use OpenAI's shape `{"error": {"message", "type", "param",
"code"}}`. The letter comes from `writer.LetterWriter`, streamed a few words at a time with
a short, speed-scaled delay per piece, like a hosted model's token stream. `max_tokens`
(or `max_completion_tokens`) is honoured: the answer stops at whole pieces within it with
`finish_reason: "length"`. A conversation that ends with the model's own (cut) answer and
a user turn asking to continue gets the rest of that letter, as a real model would go on.

Faults for platform "openai": `429` and `500` answer before anything is written; `timeout`
holds the request before the status line (there is no side effect to perform first);
`reset` aborts the connection — mid-stream when streaming; `malformed` truncates the JSON
answer, or sends one broken event in a stream.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.sandbox.common import dumps, is_number, json_response
from app.sandbox.faults import BEFORE_HANDLER, Fault
from app.sandbox.platform import KEY, PlatformApi, SandboxContext, bearer_token
from app.sandbox.ratelimit import MINUTE, RateDecision, Window
from app.sandbox.writer import LetterWriter, estimate_tokens, word_chunks

if TYPE_CHECKING:
    from app.sandbox.platform import Handler

logger = logging.getLogger(__name__)

MODEL = "biddesk-sandbox-writer"
PREFIX = "/openai/v1"
# Realistic pacing for a small hosted model at speed 1: the first piece within ~40 ms,
# then ~25 ms per piece of one to three words (a 250-word letter takes about 2 s).
FIRST_CHUNK_DELAY = 0.04
CHUNK_DELAY = 0.025
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
FAULT = web.RequestKey("openai_fault", Fault)
# The pipeline's headers (request id, rate limit) for a streamed answer, which the handler
# must send itself before its first event.
HEADERS = web.RequestKey("openai_headers", dict[str, str])


def _duration(seconds: float) -> str:
    """OpenAI's reset format: "120ms", "8.64s", "6m0s"."""
    if seconds < 1:
        return f"{max(1, round(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest}s"


def _text_of(content: object) -> str | None:
    """A message's text: a string, or the text parts of a content array."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                return None
            text = part.get("text")
            if not isinstance(text, str):
                return None
            parts.append(text)
        return "\n".join(parts)
    return None


def _continuation(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(the drafting prompt, the letter so far) when the conversation asks the model to go
    on with its own unfinished answer — an assistant turn, then a user turn asking to
    continue — else None."""
    if len(messages) < 3 or messages[-1]["role"] != "user":
        return None
    if messages[-2]["role"] != "assistant":
        return None
    if "continue" not in (_text_of(messages[-1]["content"]) or "").lower():
        return None
    prompt = next(
        (_text_of(m["content"]) or "" for m in reversed(messages[:-2]) if m["role"] == "user"),
        None,
    )
    if prompt is None:
        return None
    return prompt, _text_of(messages[-2]["content"]) or ""


def rest_of(letter: str, written: str) -> str:
    """What the writer's whole `letter` adds after `written`, the part a model stopped at
    (or that part as a person edited it): the text after it when the letter starts with
    it, after its last words when they appear, else the letter's last paragraph."""
    if letter.startswith(written):
        return letter[len(written) :]
    tail = written.rstrip()[-40:].strip()
    if tail:
        found = letter.rfind(tail)
        if found >= 0:
            return letter[found + len(tail) :]
    return "\n\n" + letter.rsplit("\n\n", 1)[-1]


class OpenAIApi(PlatformApi):
    """The chat-completions face of the sandbox."""

    name = "openai"
    prefix = PREFIX

    def __init__(self, ctx: SandboxContext, api_key: str, *, requests_per_minute: int) -> None:
        super().__init__(ctx, api_key)
        self.requests_per_minute = requests_per_minute
        self.writer = LetterWriter(ctx.seed)
        self._ids = random.Random(f"openai:{ctx.seed}")
        self._created = int(time.time())

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(self.url("/chat/completions"), self.chat_completions),
            web.get(self.url("/models"), self.models),
            web.get(self.url("/models/{model}"), self.model),
        ]

    # -- hooks -------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> str | None:
        token = bearer_token(request)
        return token if token and token == self.api_key else None

    def unauthorized(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            given = header[7:].strip()
            # OpenAI echoes a masked key; never the whole of it.
            shown = f"{given[:6]}{'*' * 8}{given[-4:]}" if len(given) > 12 else "****"
            message = f"Incorrect API key provided: {shown}."
        return self.error(request, 401, "invalid_api_key", message)

    def rate_windows(self, request: web.Request, key: str) -> tuple[Window, ...]:
        return (self.ctx.limiter.window(key, "openai.requests", self.requests_per_minute, MINUTE),)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        window = decision.windows[0]
        left = max(0.0, window.reset_mono - self.ctx.clock.monotonic())
        return {
            "x-ratelimit-limit-requests": str(window.limit),
            "x-ratelimit-remaining-requests": str(window.remaining),
            "x-ratelimit-reset-requests": _duration(left),
        }

    def injected_rate_headers(
        self, request: web.Request, key: str | None, retry_after: int
    ) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(self.requests_per_minute),
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": _duration(retry_after),
        }

    def rate_limited(
        self, request: web.Request, decision: RateDecision | None, retry_after: int
    ) -> web.Response:
        return self.error(
            request,
            429,
            "rate_limit_exceeded",
            f"Rate limit reached for {MODEL} on requests per min (RPM): Limit "
            f"{self.requests_per_minute}. Please try again in {retry_after}s.",
        )

    def base_headers(self, request: web.Request) -> dict[str, str]:
        return {
            "x-request-id": f"req_{self._ids.getrandbits(128):032x}",
            "openai-version": "2020-10-01",
        }

    def error(
        self, request: web.Request, status: int, code: str, message: str, **extra: Any
    ) -> web.Response:
        kind = {
            401: "invalid_request_error",
            404: "invalid_request_error",
            429: "requests",
        }.get(status, "server_error" if status >= 500 else "invalid_request_error")
        wire_code: str | None = code
        if code in ("ERROR", "INTERNAL", "NOT_FOUND", "METHOD_NOT_ALLOWED"):
            wire_code = None
        if status >= 500:
            message = "The server had an error while processing your request. Sorry about that!"
        elif code == "NOT_FOUND":
            message = f"Invalid URL ({request.method} {request.path})"
        body = {
            "error": {
                "message": message,
                "type": kind,
                "param": extra.get("param"),
                "code": wire_code,
            }
        }
        return json_response(body, status)

    # -- pipeline ------------------------------------------------------------------------

    async def dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The shared pipeline, except that after-handler faults act inside the handler:
        a streamed answer is already on the wire when the handler returns."""
        self.ctx.scheduler.advance()
        headers = self.base_headers(request)
        key = self.authenticate(request)
        if key is None:
            return self._finish(self.unauthorized(request), headers)
        request[KEY] = key
        decision = self.ctx.limiter.hit(self.rate_windows(request, key))
        headers.update(self.rate_headers(decision))
        if not decision.allowed:
            headers["Retry-After"] = str(decision.retry_after)
            return self._finish(self.rate_limited(request, decision, decision.retry_after), headers)
        fault = self.ctx.faults.pick(self.name, request.method, request.path)
        if fault is not None and fault.kind in BEFORE_HANDLER:
            return self._before_handler_fault(request, fault, key, headers)
        if (
            fault is not None
            and fault.kind == "timeout"
            and not await self.ctx.hold(self.ctx.timeout_hold)
        ):
            self._abort(request)  # the sandbox is stopping: never answer a held request
            return web.Response(status=503)
        if fault is not None and fault.kind in ("reset", "malformed"):
            request[FAULT] = fault
        request[HEADERS] = headers
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = self._http_exception(request, exc)
        if response.prepared:
            return response
        response = self._finish(response, headers)
        if fault is not None and fault.kind == "reset":
            self._abort(request)
        elif fault is not None and fault.kind == "malformed":
            return self._malformed(response)
        return response

    # -- handlers ------------------------------------------------------------------------

    def _model_object(self) -> dict[str, Any]:
        return {"id": MODEL, "object": "model", "created": self._created, "owned_by": "biddesk"}

    async def models(self, request: web.Request) -> web.Response:
        return json_response({"object": "list", "data": [self._model_object()]})

    async def model(self, request: web.Request) -> web.Response:
        if request.match_info["model"] != MODEL:
            return self._model_not_found(request, request.match_info["model"])
        return json_response(self._model_object())

    def _model_not_found(self, request: web.Request, model: str) -> web.Response:
        return self.error(
            request,
            404,
            "model_not_found",
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
        )

    def _bad(self, request: web.Request, message: str, param: str | None = None) -> web.Response:
        code = "missing_required_parameter" if message.startswith("Missing") else "ERROR"
        return self.error(request, 400, code, message, param=param)

    def _validate(self, request: web.Request, body: object) -> web.Response | dict[str, Any]:
        if not isinstance(body, dict):
            return self._bad(request, "The request body must be a JSON object.")
        if "model" not in body:
            return self._bad(request, "Missing required parameter: 'model'.", "model")
        if "messages" not in body:
            return self._bad(request, "Missing required parameter: 'messages'.", "messages")
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            return self._bad(
                request, "Invalid 'messages': expected a non-empty array of messages.", "messages"
            )
        for index, message in enumerate(messages):
            if (
                not isinstance(message, dict)
                or message.get("role") not in ROLES
                or _text_of(message.get("content")) is None
            ):
                return self._bad(
                    request,
                    f"Invalid 'messages[{index}]': each message needs a known 'role' and a "
                    "text 'content'.",
                    f"messages[{index}]",
                )
        temperature = body.get("temperature")
        if temperature is not None and (not is_number(temperature) or not 0 <= temperature <= 2):
            return self._bad(
                request, "Invalid 'temperature': expected a number from 0 to 2.", "temperature"
            )
        if not isinstance(body.get("stream", False), bool | None):
            return self._bad(request, "Invalid 'stream': expected a boolean.", "stream")
        if body.get("n", 1) not in (1, None):
            return self._bad(request, "The sandbox model supports only 'n': 1.", "n")
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            return self._bad(
                request, "Invalid 'max_tokens': expected a positive integer.", "max_tokens"
            )
        options = body.get("stream_options")
        if options is not None and (not isinstance(options, dict) or not body.get("stream")):
            return self._bad(
                request,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            )
        if body["model"] != MODEL:
            return self._model_not_found(request, str(body["model"]))
        return body

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: object = json.loads(raw) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._bad(
                request,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            )
        checked = self._validate(request, body)
        if isinstance(checked, web.Response):
            return checked
        messages = checked["messages"]
        system = "\n".join(
            _text_of(m["content"]) or "" for m in messages if m["role"] in ("system", "developer")
        )
        user = next(
            (_text_of(m["content"]) or "" for m in reversed(messages) if m["role"] == "user"), ""
        )
        continued = _continuation(messages)
        if continued is not None:
            # "Continue where you stopped": the rest of the letter that prompt gets.
            prompt, written = continued
            whole = self.writer.compose(system, prompt, checked.get("seed"))
            text = rest_of(whole, written)
            chunk_seed = f"{self.ctx.seed}:chunks:{prompt}:{len(written)}"
        else:
            text = self.writer.compose(system, user, checked.get("seed"))
            chunk_seed = f"{self.ctx.seed}:chunks:{user}"
        prompt_tokens = sum(estimate_tokens(_text_of(m["content"]) or "") + 4 for m in messages)
        rng = random.Random(chunk_seed)
        chunks = word_chunks(text, rng)
        finish = "stop"
        limit = checked.get("max_completion_tokens", checked.get("max_tokens"))
        if limit is not None:
            kept, used = [], 0
            for chunk in chunks:
                used += estimate_tokens(chunk)
                if used > limit:
                    finish = "length"
                    break
                kept.append(chunk)
            chunks = kept
        completion_id = f"chatcmpl-{self._ids.getrandbits(96):024x}"
        usage = self._usage(prompt_tokens, sum(estimate_tokens(c) for c in chunks))
        if checked.get("stream"):
            options = checked.get("stream_options") or {}
            return await self._stream(
                request,
                completion_id,
                chunks,
                finish,
                usage if options.get("include_usage") else None,
            )
        # A non-streamed answer takes as long as generating the whole text would.
        delay = self.ctx.clock.real(FIRST_CHUNK_DELAY + CHUNK_DELAY * len(chunks))
        if not await self.ctx.hold(delay):
            self._abort(request)
        return json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(self.ctx.clock.wall()),
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "".join(chunks),
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_sandbox",
            }
        )

    @staticmethod
    def _usage(prompt: int, completion: int) -> dict[str, Any]:
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    async def _stream(
        self,
        request: web.Request,
        completion_id: str,
        chunks: list[str],
        finish: str,
        usage: dict[str, Any] | None,
    ) -> web.StreamResponse:
        headers = dict(request.get(HEADERS) or self.base_headers(request))
        headers.update(
            {"Cache-Control": "no-cache", "Content-Type": "text/event-stream; charset=utf-8"}
        )
        response = web.StreamResponse(status=200, headers=headers)
        fault = request.get(FAULT)
        created = int(self.ctx.clock.wall())
        include_usage = usage is not None

        def event(
            choices: list[dict[str, Any]], chunk_usage: dict[str, Any] | None = None
        ) -> bytes:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "service_tier": "default",
                "system_fingerprint": "fp_sandbox",
                "choices": choices,
            }
            if include_usage:
                payload["usage"] = chunk_usage
            return f"data: {dumps(payload)}\n\n".encode()

        def delta(
            content: dict[str, Any], finish_reason: str | None = None
        ) -> list[dict[str, Any]]:
            return [
                {"index": 0, "delta": content, "logprobs": None, "finish_reason": finish_reason}
            ]

        try:
            await response.prepare(request)
            await response.write(
                event(delta({"role": "assistant", "content": "", "refusal": None}))
            )
            for index, piece in enumerate(chunks):
                wait = FIRST_CHUNK_DELAY if index == 0 else CHUNK_DELAY
                if not await self.ctx.hold(self.ctx.clock.real(wait)):
                    self._abort(request)  # sandbox stopping
                    return response
                if fault is not None and index == len(chunks) // 3:
                    if fault.kind == "reset":
                        self._abort(request)
                        return response
                    await response.write(
                        b'data: {"id": "' + completion_id.encode() + b'", "cho\n\n'
                    )
                await response.write(event(delta({"content": piece})))
            await response.write(event(delta({}, finish)))
            if include_usage:
                await response.write(event([], usage))
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionError:
            # The client went away (a Stop button): nothing to answer to.
            logger.debug("sandbox model: client closed the stream %s", completion_id)
        return response
