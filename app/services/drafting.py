"""Drafting cover letters and screening answers with a model: the `Drafter`.

The Drafter is the model client. It talks to any OpenAI-compatible server (OpenAI, Ollama,
LM Studio, llama.cpp, vLLM, the sandbox) through `openai.AsyncOpenAI`, streaming the letter
piece by piece; it redrafts a letter (shorter, friendlier, …), answers screening questions,
warms its client up ahead of the first draft and tests settings before they are saved. The
prompt carries the job, the profile, the best-matching portfolio items and the chosen
template as a skeleton, on labelled lines (`Job title: …`) that any model reads well.

Profiles and templates, and the instant offline draft from a template, are the library's
(`app/services/library.py`); the Drafter reads them from there, and its names are
re-exported here so `from app.services.drafting import DEFAULT_TEMPLATE` keeps working.

Model settings are a JSON value in the settings table; the API key lives in the keyring
under `openai` (or `BIDDESK_API_KEY_OPENAI` for one run) and is registered for redaction
the moment it is read. On the app's loop the key is read and written only through the
async `SecretStore.aget`/`aset` (a keyring call may block on an unlock prompt); the sync
`set_api_key`/`has_api_key`/`keyring_problem` are for the CLI, where no loop runs. Every
failure a person can meet becomes a `DraftingError` whose message is one sentence. Nothing
here sends a proposal: a draft only ever lands in the editor.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

from app.domain.bidding import budget_text
from app.domain.drafting import (
    LENGTH_NOTICE,
    FreelancerProfile,
    Template,
    TemplateError,
    best_portfolio,
    matched_skills,
    render_template,
)
from app.domain.opportunity import Opportunity
from app.domain.submission import Answer
from app.platforms.http import register_secret
from app.services.library import (
    DEFAULT_TEMPLATE,
    EXAMPLE_PROFILE,
    DraftingError,
    Library,
)
from app.services.secrets import (
    SecretError,
    SecretState,
    SecretStatus,
    SecretStore,
    env_var_for,
)
from app.store import Store
from app.store.settings import SettingsRepo

log = logging.getLogger(__name__)

SECRET_NAME = "openai"
MODEL_KEY = "drafting.model"

DEFAULT_SYSTEM_PROMPT = (
    "You write cover letters for a freelancer bidding on a job. Write in the first person, "
    "as the freelancer, in plain text: no markdown, no placeholders in brackets, no contact "
    "details and no links except those given. Be specific to the job, mention only skills "
    "and projects the freelancer really has, keep it under 250 words, and end with one "
    "question for the client and the freelancer's signature."
)

VARIANTS: dict[str, str] = {
    "shorter": "Make it shorter: at most 120 words, keeping the most relevant facts.",
    "formal": "Use a more formal, professional tone.",
    "friendlier": "Make it friendlier and warmer, still professional.",
    "opening": "Write a new opening: start differently from the usual first sentence.",
}
_VARIANT_ALIASES = {"more formal": "formal", "new opening": "opening", "friendly": "friendlier"}

# A model that reached `max_tokens` ends with finish_reason "length": the letter may stop
# mid-sentence. The editor says so (LENGTH_NOTICE) and offers Continue, which sends the
# conversation so far (the prompt, the letter as it stands) and this request.
CONTINUE_INSTRUCTION = (
    "Continue the letter exactly where it stopped. Write only the rest: do not repeat "
    "anything already written and do not start over."
)

# US dollars per million tokens (input, output), from OpenAI's public price list.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
    "biddesk-sandbox-writer": (Decimal(0), Decimal(0)),
}


@dataclass(frozen=True)
class ModelSettings:
    """Where and how to ask a model; stored under `drafting.model`."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    temperature: float = 0.7
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    timeout: float = 60.0  # seconds without progress before giving up
    max_tokens: int = 800

    @classmethod
    def from_json(cls, value: object) -> ModelSettings:
        if not isinstance(value, dict):
            return cls()
        known = {k: v for k, v in value.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return cls()

    @property
    def is_local(self) -> bool:
        """A server on this machine (Ollama, LM Studio, the sandbox) needs no real key."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")


@dataclass(frozen=True)
class DraftUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal | None = Decimal(0)  # US dollars; None when the model's price is unknown

    def __add__(self, other: DraftUsage) -> DraftUsage:
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        return DraftUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            cost,
        )


@dataclass
class DraftResult:
    """What a finished (or stopped) model draft produced."""

    text: str = ""
    model: str = ""
    usage: DraftUsage = field(default_factory=DraftUsage)
    finish_reason: str | None = None  # "stop", "length"; None if stopped early
    seconds: float = 0.0

    @property
    def cut_off(self) -> bool:
        """The model stopped at its token limit: the text may end mid-sentence."""
        return self.finish_reason == "length"


def estimate_cost(
    settings: ModelSettings, prompt_tokens: int, completion_tokens: int
) -> Decimal | None:
    """Dollars for the tokens: 0 on a local server, None for an unpriced hosted model."""
    price = PRICES.get(settings.model)
    if price is None:
        return Decimal(0) if settings.is_local else None
    per_million = Decimal(1_000_000)
    return (price[0] * prompt_tokens + price[1] * completion_tokens) / per_million


def normalize_variant(variant: str | None) -> str | None:
    if variant is None:
        return None
    name = _VARIANT_ALIASES.get(variant.strip().lower(), variant.strip().lower())
    if name not in VARIANTS:
        raise DraftingError(
            f"There is no variant “{variant}”; choose one of {', '.join(VARIANTS)}."
        )
    return name


def build_messages(
    opportunity: Opportunity,
    profile: FreelancerProfile,
    template: Template,
    settings: ModelSettings,
    variant: str | None = None,
    letter: str | None = None,
) -> list[ChatCompletionMessageParam]:
    """The chat messages for a cover letter: facts on labelled lines, then the skeleton
    (or, for a redraft, the current `letter`)."""
    lines = [
        "Write a cover letter for this job.",
        "",
        f"Job title: {opportunity.title}",
        f"Client: {opportunity.client.name or 'not stated'}",
        f"Job skills: {', '.join(opportunity.skills) or 'not stated'}",
    ]
    budget = budget_text(opportunity, unstated="")
    if budget:
        lines.append(f"Budget: {budget}")
    if opportunity.description:
        lines += ["Job description:", opportunity.description.strip()[:4000]]
    lines += [
        "",
        "About me:",
        f"Name: {profile.name}",
    ]
    if profile.headline:
        lines.append(f"Headline: {profile.headline}")
    if profile.bio:
        lines.append(f"Bio: {profile.bio}")
    lines.append(f"My skills: {', '.join(profile.skills) or 'not stated'}")
    lines.append(f"Matching skills: {', '.join(matched_skills(profile, opportunity)) or 'none'}")
    portfolio = best_portfolio(profile, opportunity, 3)
    if portfolio:
        lines.append("Relevant portfolio:")
        lines += [f"- {item.title}: {item.summary}".rstrip(": ") for item in portfolio]
    if profile.signature:
        lines.append(f"Signature: {profile.signature.replace(chr(10), ' / ')}")
    if letter and letter.strip():
        # A redraft (shorter, friendlier, …) rewrites what the person has now, not the template.
        lines += [
            "",
            "Current letter (rewrite it as instructed, keeping its facts):",
            letter.strip()[:6000],
        ]
    else:
        lines += [
            "",
            "Skeleton to follow (keep its structure and facts, rewrite it in your own words):",
            render_template(template, opportunity, profile).strip(),
        ]
    if variant is not None:
        lines += ["", f"Instructions: {VARIANTS[variant]}"]
    return [
        {"role": "system", "content": settings.system_prompt},
        {"role": "user", "content": "\n".join(lines)},
    ]


def continue_messages(
    opportunity: Opportunity,
    profile: FreelancerProfile,
    template: Template,
    settings: ModelSettings,
    letter: str,
) -> list[ChatCompletionMessageParam]:
    """The messages that ask a model to go on with `letter`, which it (or the person)
    left unfinished: the drafting prompt, the letter as the model's own turn, then
    `CONTINUE_INSTRUCTION`. What comes back is to be appended, not to replace it."""
    messages = build_messages(opportunity, profile, template, settings)
    messages.append({"role": "assistant", "content": letter[-6000:]})
    messages.append({"role": "user", "content": CONTINUE_INSTRUCTION})
    return messages


def answer_messages(
    opportunity: Opportunity, profile: FreelancerProfile, question: str, settings: ModelSettings
) -> list[ChatCompletionMessageParam]:
    skills = ", ".join(matched_skills(profile, opportunity)) or ", ".join(profile.skills[:3])
    text = "\n".join(
        [
            "Answer the client's screening question for this job in two or three sentences, "
            "as the freelancer, honestly and specifically.",
            "",
            f"Job title: {opportunity.title}",
            f"Matching skills: {skills or 'none'}",
            f"Name: {profile.name}",
            f"Screening question: {question}",
        ]
    )
    return [
        {"role": "system", "content": settings.system_prompt},
        {"role": "user", "content": text},
    ]


def _sdk() -> ModuleType:
    """The openai package, imported on first use: its import alone takes ~0.6 s, which
    would otherwise be paid by every start of the app and every CLI command."""
    import openai

    return openai


def _retry_after(exc: openai.APIStatusError) -> str:
    value = exc.response.headers.get("retry-after")
    if value and value.strip().isdigit():
        return f"try again in {int(value)} s"
    return "try again in a moment"


def _refused_connection(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        if "connect" in type(seen).__name__.lower() and "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe_error(exc: BaseException, settings: ModelSettings) -> DraftingError:
    """One sentence for a failed model call; the key never appears in it."""
    where = settings.base_url
    sdk = _sdk()
    if isinstance(exc, sdk.APITimeoutError):
        message = (
            f"The model at {where} did not answer within {settings.timeout:g} s; try again, "
            "or raise the timeout in the model settings."
        )
    elif isinstance(exc, sdk.APIConnectionError):
        if _refused_connection(exc):
            message = (
                f"Nothing is answering at {where}: is the model server running "
                "(for a local model, start Ollama, LM Studio or llama.cpp first)?"
            )
        else:
            message = f"The connection to the model at {where} failed before the draft was done."
    elif isinstance(exc, sdk.AuthenticationError | sdk.PermissionDeniedError):
        message = (
            f"The model server at {where} refused the API key ({exc.status_code}); store a "
            f"valid key as “{SECRET_NAME}” or set {env_var_for(SECRET_NAME)}."
        )
    elif isinstance(exc, sdk.RateLimitError):
        code = exc.code if isinstance(exc.code, str) else ""
        if code == "insufficient_quota":
            message = "The model account has run out of credit (insufficient quota)."
        else:
            message = f"The model server is rate limiting requests; {_retry_after(exc)}."
    elif isinstance(exc, sdk.NotFoundError):
        message = f"The model “{settings.model}” is not available at {where}."
    elif isinstance(exc, sdk.APIStatusError):
        message = f"The model server at {where} answered with an error ({exc.status_code})."
    else:
        message = f"The model server at {where} sent an answer BidDesk could not read."
    return DraftingError(message)


def _keyring_problem(status: SecretStatus) -> str | None:
    """The keyring's own sentence when keys cannot be stored, else None."""
    if status.state is SecretState.AVAILABLE:
        return None
    return f"{status.message} For the model: {env_var_for(SECRET_NAME)}."


class DraftStream:
    """The letter as it streams: `async for piece in stream`. After the last piece (or a
    stop), `result` holds the text, token usage and cost. Use `async with` or read to the
    end; cancelling the consuming task stops the stream and closes the HTTP response."""

    def __init__(self, run: AsyncIterator[str], result: DraftResult) -> None:
        self._run = run
        self.result = result

    def __aiter__(self) -> DraftStream:
        return self

    async def __anext__(self) -> str:
        return await self._run.__anext__()

    async def aclose(self) -> None:
        aclose = getattr(self._run, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> DraftStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Drafter:
    """The model client: model settings and key, streamed drafts and redrafts, screening
    answers, warm-up and the settings test. Profiles and templates come from `library`."""

    def __init__(
        self,
        store: Store,
        secrets: SecretStore,
        settings: SettingsRepo | None = None,
        *,
        library: Library | None = None,
    ) -> None:
        self._secrets = secrets
        self._settings = settings or store.settings
        self.library = library or Library(store, self._settings)
        self._client: openai.AsyncOpenAI | None = None
        self._client_key: tuple[str, str, float] | None = None
        self._client_lock = asyncio.Lock()
        self.last_result: DraftResult | None = None
        self.last_usage: DraftUsage | None = None

    # -- model settings ------------------------------------------------------------------

    def model_settings(self) -> ModelSettings:
        return ModelSettings.from_json(self._settings.get(MODEL_KEY))

    def save_model_settings(self, settings: ModelSettings) -> None:
        if not 0 <= settings.temperature <= 2:
            raise DraftingError("The temperature must be between 0 and 2.")
        if settings.timeout <= 0:
            raise DraftingError("The timeout must be more than zero seconds.")
        if urlsplit(settings.base_url).scheme not in ("http", "https"):
            raise DraftingError(f"“{settings.base_url}” is not an http(s) URL.")
        self._settings.set(MODEL_KEY, asdict(settings))

    # -- the model's key: async on the loop, sync for the CLI ----------------------------

    async def aset_api_key(self, key: str) -> None:
        """Store the model's key in the keyring, off the loop (SecretError when there is
        none)."""
        await self._secrets.aset(SECRET_NAME, key)

    async def ahas_api_key(self) -> bool:
        """Whether a key is stored (or given for this run), asked off the loop; the key
        itself stays put."""
        try:
            await self._secrets.aget(SECRET_NAME)
        except SecretError:
            return False
        return True

    async def akeyring_problem(self) -> str | None:
        """The keyring's own sentence when keys cannot be stored, else None (off the loop)."""
        return _keyring_problem(await self._secrets.astatus())

    def set_api_key(self, key: str) -> None:
        """`aset_api_key` for the CLI and scripts, where no loop runs."""
        self._secrets.set(SECRET_NAME, key)

    def has_api_key(self) -> bool:
        """`ahas_api_key` for the CLI and scripts, where no loop runs."""
        try:
            self._secrets.get(SECRET_NAME)
        except SecretError:
            return False
        return True

    def keyring_problem(self) -> str | None:
        """`akeyring_problem` for the CLI and scripts, where no loop runs."""
        return _keyring_problem(self._secrets.status())

    async def _api_key(self, settings: ModelSettings) -> str:
        """The key for `settings`, read off the loop (a keyring may prompt to unlock)."""
        try:
            key = await self._secrets.aget(SECRET_NAME)
        except SecretError as exc:
            if settings.is_local:
                # Local servers ignore the key, but the SDK insists on one.
                return "not-needed"
            raise DraftingError(
                f"No API key for the model at {settings.base_url}: store one as "
                f"“{SECRET_NAME}” or set {env_var_for(SECRET_NAME)}."
            ) from exc
        register_secret(key)
        return key

    # -- the settings test ---------------------------------------------------------------

    async def check_model(
        self, settings: ModelSettings | None = None, api_key: str | None = None
    ) -> str:
        """Ask the model for a one-word completion; a sentence on success, DraftingError
        (one sentence) on failure. Lets a person test settings (and a key just typed)
        before saving them, on a client of its own that the drafts never reuse."""
        settings = settings or self.model_settings()
        if api_key:
            register_secret(api_key)
        key = api_key or await self._api_key(settings)

        def build() -> openai.AsyncOpenAI:
            client: openai.AsyncOpenAI = _sdk().AsyncOpenAI(
                base_url=settings.base_url, api_key=key, timeout=settings.timeout, max_retries=0
            )
            return client

        client = await asyncio.to_thread(build)
        started = time.perf_counter()
        try:
            await client.chat.completions.create(
                model=settings.model,
                messages=[{"role": "user", "content": "Reply with the word: ready"}],
                max_tokens=5,
                temperature=0,
            )
        except _sdk().OpenAIError as exc:
            raise describe_error(exc, settings) from exc
        finally:
            await client.close()
        seconds = time.perf_counter() - started
        return f"The model “{settings.model}” answered in {seconds:.1f} s."

    # -- model drafting ------------------------------------------------------------------

    async def _client_for(self, settings: ModelSettings) -> openai.AsyncOpenAI:
        key = await self._api_key(settings)
        ident = (settings.base_url, key, settings.timeout)
        async with self._client_lock:
            if self._client is not None and self._client_key == ident:
                return self._client
            old, self._client = self._client, None
            if old is not None:
                await old.close()

            def build() -> openai.AsyncOpenAI:
                # A person is waiting: a clear "rate limited, retry in N s" beats the SDK
                # silently sleeping through Retry-After, so no automatic retries.
                client: openai.AsyncOpenAI = _sdk().AsyncOpenAI(
                    base_url=settings.base_url,
                    api_key=key,
                    timeout=settings.timeout,
                    max_retries=0,
                )
                # The SDK imports its chat resources and anyio its asyncio backend on first
                # use (~80 ms, measured): do that here, off the loop, not on the first Draft.
                _ = client.chat.completions
                importlib.import_module("anyio._backends._asyncio")
                return client

            # Building the client loads an SSL context (~0.2 s): off the loop.
            self._client = await asyncio.to_thread(build)
            self._client_key = ident
            return self._client

    async def warm_up(self) -> None:
        """Build the model client ahead of the first draft, so Draft answers at once."""
        try:
            await self._client_for(self.model_settings())
        except DraftingError as exc:
            log.info("model client not prepared: %s", exc)

    def stream_draft(
        self,
        opportunity: Opportunity,
        profile_name: str | None = None,
        template_name: str | None = None,
        variant: str | None = None,
        letter: str | None = None,
    ) -> DraftStream:
        """Stream a model's letter (with `letter`: that letter rewritten per `variant`).
        Iterating raises DraftingError (one sentence) on failure; the stream's `result`
        (also `last_result`) has usage and cost."""
        settings = self.model_settings()
        chosen = normalize_variant(variant)
        template = self.library.template(template_name)
        profile = self.library.profile_for(opportunity, profile_name)
        try:
            messages = build_messages(opportunity, profile, template, settings, chosen, letter)
        except TemplateError as exc:
            raise DraftingError(f"Template “{template.name}”: {exc}") from None
        result = DraftResult(model=settings.model)
        self.last_result = result
        return DraftStream(self._run_stream(settings, messages, result), result)

    def stream_continuation(
        self,
        opportunity: Opportunity,
        letter: str,
        profile_name: str | None = None,
        template_name: str | None = None,
    ) -> DraftStream:
        """Stream the rest of `letter`, which a model left at its length limit (see
        `DraftResult.cut_off`): the pieces are to be appended to it. The stream's `result`
        tells whether this part was cut off too."""
        if not letter.strip():
            raise DraftingError("There is no letter to continue; draft one first.")
        settings = self.model_settings()
        template = self.library.template(template_name)
        profile = self.library.profile_for(opportunity, profile_name)
        try:
            messages = continue_messages(opportunity, profile, template, settings, letter)
        except TemplateError as exc:
            raise DraftingError(f"Template “{template.name}”: {exc}") from None
        result = DraftResult(model=settings.model)
        self.last_result = result
        return DraftStream(self._run_stream(settings, messages, result), result)

    async def _run_stream(
        self,
        settings: ModelSettings,
        messages: list[ChatCompletionMessageParam],
        result: DraftResult,
    ) -> AsyncIterator[str]:
        started = time.perf_counter()
        parts: list[str] = []
        client = await self._client_for(settings)
        log.info("drafting with %s at %s", settings.model, settings.base_url)
        try:
            stream = await client.chat.completions.create(
                model=settings.model,
                messages=messages,
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        result.usage = DraftUsage(
                            chunk.usage.prompt_tokens,
                            chunk.usage.completion_tokens,
                            estimate_cost(
                                settings, chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                            ),
                        )
                    for choice in chunk.choices:
                        if choice.finish_reason is not None:
                            result.finish_reason = choice.finish_reason
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            parts.append(piece)
                            result.text = "".join(parts)
                            yield piece
        except _sdk().OpenAIError as exc:
            raise describe_error(exc, settings) from exc
        except ValueError as exc:  # a broken event: json.JSONDecodeError
            raise describe_error(exc, settings) from exc
        finally:
            result.seconds = time.perf_counter() - started
            self.last_usage = result.usage

    async def draft(
        self,
        opportunity: Opportunity,
        profile_name: str | None = None,
        template_name: str | None = None,
        variant: str | None = None,
    ) -> DraftResult:
        """The whole model letter at once (read from the stream)."""
        async with self.stream_draft(opportunity, profile_name, template_name, variant) as stream:
            async for _ in stream:
                pass
        return stream.result

    async def draft_answers(
        self, opportunity: Opportunity, profile_name: str | None = None
    ) -> list[Answer]:
        """A drafted answer for each screening question (asked together, answered apart)."""
        if not opportunity.questions:
            return []
        settings = self.model_settings()
        profile = self.library.profile_for(opportunity, profile_name)
        client = await self._client_for(settings)

        async def one(question: str) -> tuple[str, DraftUsage]:
            try:
                response = await client.chat.completions.create(
                    model=settings.model,
                    messages=answer_messages(opportunity, profile, question, settings),
                    temperature=settings.temperature,
                    max_tokens=300,
                )
            except _sdk().OpenAIError as exc:
                raise describe_error(exc, settings) from exc
            usage = DraftUsage()
            if response.usage is not None:
                usage = DraftUsage(
                    response.usage.prompt_tokens,
                    response.usage.completion_tokens,
                    estimate_cost(
                        settings, response.usage.prompt_tokens, response.usage.completion_tokens
                    ),
                )
            text = response.choices[0].message.content if response.choices else None
            return (text or "").strip(), usage

        results = await asyncio.gather(*(one(q.text) for q in opportunity.questions))
        total = DraftUsage()
        for _, usage in results:
            total = total + usage
        self.last_usage = total
        return [
            Answer(question_id=q.id, question=q.text, answer=text)
            for q, (text, _) in zip(opportunity.questions, results, strict=True)
        ]

    async def aclose(self) -> None:
        client, self._client = self._client, None
        self._client_key = None
        if client is not None:
            await client.close()


__all__ = [
    "CONTINUE_INSTRUCTION",
    "DEFAULT_SYSTEM_PROMPT",
    "DEFAULT_TEMPLATE",
    "EXAMPLE_PROFILE",
    "LENGTH_NOTICE",
    "MODEL_KEY",
    "PRICES",
    "SECRET_NAME",
    "VARIANTS",
    "DraftResult",
    "DraftStream",
    "DraftUsage",
    "Drafter",
    "DraftingError",
    "Library",
    "ModelSettings",
    "answer_messages",
    "build_messages",
    "continue_messages",
    "describe_error",
    "estimate_cost",
]
