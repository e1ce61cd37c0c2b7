"""Which evaluators run: the CODE set always, the CLASSIFIER set when artifacts exist, the LLM
judge when asked for (it needs a configured OpenAI-compatible server)."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.labels import Backend
from app.settings import Settings
from evals.evaluators.classifier import TextEncoder, classifier_specs
from evals.evaluators.registry import EvaluatorSpec, code_evaluators

DEFAULT_BACKENDS = (Backend.CODE, Backend.CLASSIFIER)


def make_specs(
    settings: Settings, encoder: TextEncoder | None, backends: Iterable[Backend] = DEFAULT_BACKENDS
) -> list[EvaluatorSpec]:
    chosen = set(backends)
    specs: list[EvaluatorSpec] = []
    if Backend.CODE in chosen:
        specs += code_evaluators()
    if Backend.CLASSIFIER in chosen and encoder is not None:
        specs += classifier_specs(encoder)
    if Backend.LLM in chosen:
        from evals.evaluators.llm import LlmJudge

        specs += LlmJudge(settings).specs()
    return specs
