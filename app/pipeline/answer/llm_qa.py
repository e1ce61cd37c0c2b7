"""Product questions on the LLM backend: the model answers yes / no / unknown with a verbatim quote.

The model sees one product's own information (``product_information``: name, description,
materials, attributes, colours, sizes, price, rating — the text the rules QA reads too) and the
question (``app/prompts/answer.v1.md``). ``EvidencedAnswer``'s validator reads that product from
instructor's validation context and rejects

* a ``yes``/``no`` without evidence,
* evidence that is not a substring of the product's information (case and spacing aside), and
* evidence too thin to rest an answer on: fewer than three words, unless it is a whole value of
  the information ("Black, Blue", "Fleece").

Instructor re-asks with the reason; after ``CTP_LLM_MAX_RETRIES`` — or on a timeout, 5xx, rate
limit or open breaker — the caller falls back to the rules QA (``app/pipeline/answer/qa.py``). So
every ``yes``/``no`` the shopper reads quotes the product, whichever backend answered.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from app.domain.catalog import Product
from app.llm.client import LlmClient, Messages
from app.llm.prompts import Prompt, load_prompt
from app.pipeline.answer.qa import Answer, evidence_spans

PROMPT_FILE = "answer.v1.md"
MIN_QUOTE_WORDS = 3
_UNKNOWN = frozenset(
    {"unknown", "doesn't say", "does not say", "not stated", "not mentioned", "unclear", "n/a"}
)


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split()).strip(" \"'“”.")


class ProductText(BaseModel):
    """One product's information as the model reads it, and the values a quote may be."""

    lines: list[str]
    values: list[str] = Field(description="Whole values and sentences: a short quote must be one of them.")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def original(self, quote: str) -> str:
        """``quote`` as the product information spells it (case and spacing of the source)."""
        words = _norm(quote).split()
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, self.text, re.IGNORECASE) if words else None
        return m.group(0) if m else quote

    def problem(self, quote: str) -> str | None:
        """Why ``quote`` is not evidence from this product, or None when it is."""
        q = _norm(quote)
        if not q:
            return "the evidence is empty; quote the product information, or answer unknown"
        if q not in _norm(self.text):
            return (
                f"the evidence '{quote[:80]}' is not in the product information word for word; copy a "
                "sentence or value exactly, or answer unknown"
            )
        if len(q.split()) < MIN_QUOTE_WORDS and q not in {_norm(v) for v in self.values}:
            return f"the evidence '{quote}' is a fragment; quote the whole sentence or value it comes from"
        return None


def product_information(p: Product) -> ProductText:
    """The product's own text, labelled line by line (what the model reads and may quote)."""
    lines = [f"Name: {p.name}"]
    values = [p.name]
    if p.description:
        lines.append(f"Description: {' '.join(p.description.split())}")
    if p.materials:
        lines.append("Materials: " + ", ".join(p.materials))
        values.append(", ".join(p.materials))
    for key, vals in p.attributes.items():
        if vals:
            lines.append(f"{key.replace('_', ' ').capitalize()}: " + ", ".join(vals))
            values.append(", ".join(vals))
    for label, vals in (("Colours", p.colors), ("Sizes", p.sizes)):
        if vals:
            lines.append(f"{label}: " + ", ".join(vals))
            values.append(", ".join(vals))
    lines.append(f"Price: ${p.price:,.2f}")
    values.append(f"${p.price:,.2f}")
    if p.rating is not None:
        lines.append(f"Rating: {p.rating:.1f}/5 from {p.review_count} reviews")
    values += evidence_spans(p)
    return ProductText(lines=lines, values=values)


class EvidencedAnswer(BaseModel):
    """The answer to the shopper's question, resting on a verbatim quote of the product information."""

    answer: Literal["yes", "no", "unknown"] = Field(
        description="yes, no, or unknown when the text doesn't say."
    )
    evidence: str = Field(default="", description="Exact words from the product information; '' for unknown.")

    @field_validator("answer", mode="before")
    @classmethod
    def _answer(cls, v: Any) -> Any:
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, str):
            word = v.strip().lower().rstrip(".!")
            if word in _UNKNOWN or word in ("", "null", "none"):
                return "unknown"
            return re.split(r"[\s,—-]", word, maxsplit=1)[0]  # "Yes, it has a hood" → yes
        return v

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence(cls, v: Any) -> str:
        return "" if v is None else str(v).strip()

    @model_validator(mode="after")
    def _quoted(self, info: ValidationInfo) -> EvidencedAnswer:
        if self.answer == "unknown":
            self.evidence = ""
            return self
        text = (info.context or {}).get("product_text")
        if isinstance(text, ProductText) and (problem := text.problem(self.evidence)):
            raise ValueError(problem)
        return self


class LlmAnswerer:
    """Asks the model one product question; ``LlmFailure`` (the caller falls back to rules QA)."""

    def __init__(self, client: LlmClient, prompt: Prompt | None = None) -> None:
        self.client = client
        self.prompt = prompt or load_prompt(PROMPT_FILE)

    def messages(self, question: str, text: ProductText) -> Messages:
        user = f"Product information:\n{text.text}\n\nShopper's question: {question}"
        return [{"role": "system", "content": self.prompt.text}, {"role": "user", "content": user}]

    async def answer(self, question: str, product: Product) -> Answer:
        text = product_information(product)
        out = await self.client.create(
            stage="answer",
            prompt_version=self.prompt.version,
            response_model=EvidencedAnswer,
            messages=self.messages(question, text),
            context={"product_text": text},
        )
        return Answer(verdict=out.answer, evidence=text.original(out.evidence) if out.evidence else None)
