"""One way to call an LLM: instructor over the official ``openai`` AsyncOpenAI client.

Any OpenAI-compatible server works by configuration alone (``CTP_LLM_BASE_URL``,
``CTP_LLM_MODEL``, ``CTP_LLM_MODE``). ``LlmClient.create`` adds what production needs around
instructor's structured output:

* a circuit breaker, so a dead endpoint is skipped instead of timed out on every turn;
* accounting through per-call instructor hooks (``completion:kwargs`` / ``completion:response``):
  attempts, tokens, cost and latency go into the current ``LlmTurnLog``;
* one exception type, ``LlmFailure``, whose ``reason`` (``timeout``, ``rate_limited``,
  ``server_error``, ``connection``, ``invalid_output``, ``circuit_open``) the callers log when they
  fall back to the rules backend.

The openai client's own retries are off (``max_retries=0``): a 429 or 5xx falls back at once, and
instructor's ``max_retries`` is spent only on re-asking after output that fails validation.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

import instructor
import openai
from instructor.core.hooks import Hooks
from openai.types.chat import ChatCompletionMessageParam
from openinference.instrumentation import using_prompt_template
from pydantic import BaseModel

from app.llm.breaker import CircuitBreaker
from app.llm.trace import LlmCall, record_call
from app.settings import Settings

T = TypeVar("T", bound=BaseModel)
#: A chat prompt, typed as the OpenAI SDK (and so instructor) takes it: role-tagged message dicts.
Messages = list[ChatCompletionMessageParam]

#: Reasons that mean the endpoint is unhealthy (they count towards opening the breaker).
ENDPOINT_FAILURES = frozenset({"timeout", "rate_limited", "server_error", "connection"})


class LlmConfig(BaseModel):
    base_url: str | None = None
    api_key: str = "not-needed"
    model: str
    mode: str = "JSON"
    temperature: float = 0.0
    seed: int | None = 0
    timeout_s: float = 20.0
    max_retries: int = 2
    max_tokens: int = 400
    cost_per_1k_input: float = 0.0
    cost_per_1k_output: float = 0.0

    @classmethod
    def from_settings(cls, s: Settings) -> LlmConfig:
        return cls(
            base_url=s.llm_base_url or None,
            api_key=s.llm_api_key,
            model=s.llm_model,
            mode=s.llm_mode,
            temperature=s.llm_temperature,
            seed=s.llm_seed,
            timeout_s=s.llm_timeout_s,
            max_retries=s.llm_max_retries,
            max_tokens=s.llm_max_tokens,
            cost_per_1k_input=s.llm_cost_per_1k_input,
            cost_per_1k_output=s.llm_cost_per_1k_output,
        )


class LlmFailure(RuntimeError):
    """The LLM gave no usable answer; ``reason`` says why, for the turn log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def classify(exc: BaseException) -> str:
    """Map an exception (or anything in its cause chain) to a fallback reason."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, openai.APITimeoutError):
            return "timeout"
        if isinstance(cur, openai.RateLimitError):
            return "rate_limited"
        if isinstance(cur, openai.InternalServerError) or (
            isinstance(cur, openai.APIStatusError) and cur.status_code >= 500
        ):
            return "server_error"
        if isinstance(cur, openai.APIConnectionError):
            return "connection"
        if isinstance(cur, openai.APIStatusError):
            return f"http_{cur.status_code}"
        cur = cur.__cause__ or cur.__context__
    return "invalid_output"


def cost_usd(prompt_tokens: int, completion_tokens: int, config: LlmConfig) -> float:
    return (
        prompt_tokens / 1000 * config.cost_per_1k_input + completion_tokens / 1000 * config.cost_per_1k_output
    )


class LlmClient:
    """Structured calls to one configured model, shared by the LLM extractor and responder."""

    def __init__(self, config: LlmConfig, breaker: CircuitBreaker | None = None) -> None:
        self.config = config
        self.breaker = breaker or CircuitBreaker()
        self._openai = openai.AsyncOpenAI(
            base_url=config.base_url, api_key=config.api_key, timeout=config.timeout_s, max_retries=0
        )
        self.client = instructor.from_openai(self._openai, mode=instructor.Mode[config.mode])

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmClient:
        breaker = CircuitBreaker(settings.llm_breaker_threshold, settings.llm_breaker_cooldown_s)
        return cls(LlmConfig.from_settings(settings), breaker)

    async def create(
        self,
        *,
        stage: str,
        prompt_version: str,
        response_model: type[T],
        messages: Messages,
        context: dict[str, Any] | None = None,
    ) -> T:
        """One validated structured answer, or ``LlmFailure``. Accounting lands in the turn trace."""
        call = LlmCall(stage=stage, model=self.config.model, prompt_version=prompt_version)
        if not self.breaker.allow():
            raise LlmFailure("circuit_open", f"breaker open after {self.breaker.failures} failures")
        hooks = Hooks()

        def on_kwargs(*_: Any, **__: Any) -> None:
            call.attempts += 1

        def on_response(response: Any) -> None:
            usage = getattr(response, "usage", None)
            call.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            call.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

        hooks.on("completion:kwargs", on_kwargs)
        hooks.on("completion:response", on_response)
        start = time.perf_counter()
        try:
            # The instrumented OpenAI client (app.telemetry.setup_tracing) puts it on the LLM span.
            with using_prompt_template(template=stage, version=prompt_version):
                result = await self.client.create(
                    response_model=response_model,
                    messages=messages,
                    max_retries=self.config.max_retries,
                    context=context,
                    hooks=hooks,
                    model=self.config.model,
                    temperature=self.config.temperature,
                    **self._sampling(),
                    max_tokens=self.config.max_tokens,
                )
        except Exception as exc:
            reason = classify(exc)
            if reason in ENDPOINT_FAILURES:
                self.breaker.failure()
            call.ok, call.error = False, f"{reason}: {type(exc).__name__}"
            raise LlmFailure(reason, str(exc)[:300]) from exc
        else:
            self.breaker.success()
            return result
        finally:
            call.latency_ms = round((time.perf_counter() - start) * 1000, 2)
            call.cost_usd = round(cost_usd(call.prompt_tokens, call.completion_tokens, self.config), 8)
            record_call(call)

    def _sampling(self) -> dict[str, Any]:
        """Extra sampling parameters: the seed, when one is configured (a re-run asks the same)."""
        return {"seed": self.config.seed} if self.config.seed is not None else {}

    async def aclose(self) -> None:
        await self._openai.close()
