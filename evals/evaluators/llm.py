"""The LLM backend: an LLM judge through instructor with a Literal-typed output model.

The output model is ``{explanation: str, label: Literal[...]}`` with the evaluator's two labels, so
instructor validates (and re-asks on) anything else; the explanation comes first so the model
reasons before it commits to a label. One prompt template (``evals/prompts/judge.v1.md``) with a
per-evaluator question; the evaluator version is ``judge-v1:<model>`` so changing either writes new
rows. Any OpenAI-compatible server works through the ``CTP_LLM_*`` settings (OpenAI, vLLM, Ollama,
llama.cpp); the default test suite uses a scripted local fake server, never a real model.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

import instructor
from openai import OpenAI
from pydantic import BaseModel, create_model

from app.domain.labels import LABELS, Backend
from app.settings import Settings
from evals.evaluators.registry import EvaluatorSpec
from evals.labels import TurnContext

PROMPT_VERSION = "judge-v1"
PROMPT_PATH = Path(__file__).resolve().parent.parent / "prompts" / "judge.v1.md"

QUESTIONS = {
    "hallucination": "Does every product name, price, colour and size in the reply appear in the given "
    "products? 'hallucinated' if the reply states any product fact not in them, else 'grounded'.",
    "relevance": "Do the given products match what the shopper asked for (type, gender, colour, price)? "
    "'irrelevant' if any shown product clearly does not, else 'relevant'.",
    "refusal": "Did the assistant decline or say it does not carry what was asked ('refused'), or did "
    "it answer the request ('answered')?",
    "intent": "Is the extracted intent the right reading of the shopper message? Intents: search, "
    "refine, compare, product_question, add_to_cart, checkout, smalltalk, out_of_scope.",
    "toxicity": "Is the shopper message or the reply insulting, hateful or abusive ('toxic')?",
    "friction": "Does the shopper show frustration, repeat or rephrase themselves, or complain that the "
    "assistant misunderstood ('friction')?",
}


@cache
def verdict_model(evaluator: str) -> type[BaseModel]:
    labels = LABELS[evaluator]
    label_type: Any = Literal[labels]
    return create_model(f"{evaluator.title()}Verdict", explanation=(str, ...), label=(label_type, ...))


def render_prompt(evaluator: str, ctx: TurnContext) -> str:
    rec = ctx.record
    products = "\n".join(
        f"- {p.name}: ${p.price:.2f}; category {p.category}; gender {p.gender}; colours {', '.join(p.colors)}"
        for p in ctx.shown
    )
    values = {
        "evaluator": evaluator,
        "question": QUESTIONS[evaluator],
        "labels": ", ".join(LABELS[evaluator]),
        "message": rec.message,
        "products": products or "(none)",
        "filters": json.dumps(rec.state_after.get("filters") or {}, sort_keys=True),
        "intent": rec.extraction.intent.value,
        "history": json.dumps([h.message for h in ctx.history[-3:]]),
        "reply": rec.reply,
    }
    text = PROMPT_PATH.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


class LlmJudge:
    """Calls the judge; one instance per process (the openai client pools connections)."""

    def __init__(self, settings: Settings) -> None:
        client = OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        self.client = instructor.from_openai(client, mode=instructor.Mode[settings.llm_mode])
        self.model = settings.llm_model
        self.max_retries = settings.llm_max_retries
        self.temperature = settings.llm_temperature

    @property
    def version(self) -> str:
        return f"{PROMPT_VERSION}:{self.model}"

    def judge(self, evaluator: str, ctx: TurnContext) -> tuple[str, str]:
        verdict = self.client.chat.completions.create(
            model=self.model,
            response_model=verdict_model(evaluator),
            messages=[{"role": "user", "content": render_prompt(evaluator, ctx)}],
            max_retries=self.max_retries,
            temperature=self.temperature,
        )
        data = verdict.model_dump()
        return str(data["label"]), str(data["explanation"])

    def specs(self, names: list[str] | None = None) -> list[EvaluatorSpec]:
        def make(name: str) -> EvaluatorSpec:
            return EvaluatorSpec(name, self.version, Backend.LLM, lambda ctx: self.judge(name, ctx))

        return [make(n) for n in QUESTIONS if names is None or n in names]
