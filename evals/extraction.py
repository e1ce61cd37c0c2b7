"""Extraction eval: how well an ``Extractor`` reads shopper messages, measured on a golden set.

Golden cases (``evals/golden/extraction.jsonl``), one JSON object per line::

    {"id": "m02", "history": ["show me hoodies", "in black"], "message": "under $50",
     "expected": {"intent": "refine", "category": "hoodies", "color": "black", "price_max": 50},
     "tags": ["multi", "price"]}

``history`` is replayed first — each prior message through the extractor and
``state_merge.merge`` — so multi-turn cases measure the extractor *and* the state rules end to end,
as a shopper experiences them.

Annotation conventions (what ``expected`` means):

* The filter fields describe the shopper's need **in effect after the message**: the conversation's
  filters after merging this turn, overlaid with any filter the message itself states (the size to
  add to the cart, the colour a question asks about). Every filter field not listed is expected to
  be ``None``.
* Values use the store taxonomy: ``category`` is the canonical product type ("trainers" →
  ``sneakers``, "sweatshirt" → ``hoodies``, "cardigan" → ``jumpers``, "leggings" → ``pants``);
  colours and materials are canonical ("navy" → ``blue``, "suede" → ``leather``); sizes only when
  the catalog has them (XS–XXL, waist 28–36).
* Prices: "under X" → ``price_max`` X; "over X" → ``price_min`` X; "around X" → X ± 20 %; a bare
  budget ("for 30 bucks") → ``price_max``; "cheaper" → 0.8 × the remembered ``price_max`` and nothing
  when there is none; "pricier" turns the remembered ``price_max`` into ``price_min``.
* A new product type starts a new search: the gender carries over, the other filters do not.
* ``referenced`` (optional) is the list of 1-based positions in mention order; "the last one" is -1.

Scores:

* **intent accuracy** over all cases, with a confusion matrix (rows = expected, columns = predicted);
* **asserted-field accuracy** — over every (case, field) the golden set asserts;
* **spurious-filter rate** — over every (case, filter field) it does *not* assert, the share the
  extractor filled anyway. A spurious filter silently hides products, so it is reported separately
  rather than folded into accuracy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from app.domain.turn import ConversationState, Filters, Intent
from app.pipeline.extract.base import Extractor
from app.pipeline.remember import merge

GOLDEN_PATH = Path(__file__).with_name("golden") / "extraction.jsonl"
FILTER_FIELDS: tuple[str, ...] = tuple(Filters.model_fields)
ASSERTABLE: tuple[str, ...] = (*FILTER_FIELDS, "referenced")
INTENTS: tuple[str, ...] = tuple(i.value for i in Intent)
PRICE_TOLERANCE = 0.01


class GoldenCase(BaseModel):
    id: str
    history: list[str] = Field(default_factory=list)
    message: str
    expected: dict[str, Any]
    tags: list[str] = Field(default_factory=list)


class FieldScore(BaseModel):
    asserted: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.asserted if self.asserted else 1.0


class CaseResult(BaseModel):
    id: str
    message: str
    history: list[str]
    tags: list[str]
    expected_intent: str
    predicted_intent: str
    wrong_fields: dict[str, dict[str, Any]] = Field(default_factory=dict, description="field → expected/got")
    spurious: dict[str, Any] = Field(default_factory=dict, description="unasserted filters that were set")
    latency_ms: float

    @property
    def ok(self) -> bool:
        return self.expected_intent == self.predicted_intent and not self.wrong_fields and not self.spurious


class ExtractionReport(BaseModel):
    backend: str
    cases: int
    intent_accuracy: float
    field_accuracy: float = Field(description="Micro-averaged over every asserted (case, field).")
    spurious_rate: float = Field(description="Share of unasserted (case, filter field) pairs that were set.")
    exact_match: float = Field(
        description="Share of cases with right intent, right fields, nothing spurious."
    )
    per_field: dict[str, FieldScore]
    per_intent: dict[str, FieldScore] = Field(description="Intent accuracy by expected intent.")
    confusion: dict[str, dict[str, int]] = Field(description="expected intent → predicted intent → count")
    latency_ms_p50: float
    latency_ms_p95: float
    failures: list[CaseResult]


def load_cases(path: Path | str = GOLDEN_PATH) -> list[GoldenCase]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [GoldenCase.model_validate_json(line) for line in lines if line.strip()]


def _same(field: str, expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is got
    if field in ("price_min", "price_max"):
        return abs(float(expected) - float(got)) <= PRICE_TOLERANCE
    if field == "referenced":
        return list(expected) == list(got)
    return str(expected).casefold() == str(got).casefold()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[idx], 3)


async def run_case(extractor: Extractor, case: GoldenCase) -> CaseResult:
    """Replay the history, extract the last message and score it against ``case.expected``."""
    state = ConversationState(conversation_id=f"eval-{case.id}")
    for prior in case.history:
        state = merge(state, await extractor.extract(prior, state))
    start = time.perf_counter()
    turn = await extractor.extract(case.message, state)
    latency = (time.perf_counter() - start) * 1000
    merged = merge(state, turn)
    effective = merged.filters.model_dump()
    effective.update({k: v for k, v in turn.filters.model_dump().items() if v is not None})
    predicted: dict[str, Any] = {**effective, "referenced": turn.referenced}

    wrong = {
        f: {"expected": case.expected[f], "got": predicted[f]}
        for f in ASSERTABLE
        if f in case.expected and not _same(f, case.expected[f], predicted[f])
    }
    spurious = {f: effective[f] for f in FILTER_FIELDS if f not in case.expected and effective[f] is not None}
    return CaseResult(
        id=case.id,
        message=case.message,
        history=case.history,
        tags=case.tags,
        expected_intent=str(case.expected["intent"]),
        predicted_intent=turn.intent.value,
        wrong_fields=wrong,
        spurious=spurious,
        latency_ms=round(latency, 4),
    )


async def run_extraction_eval(extractor: Extractor, cases: Iterable[GoldenCase]) -> ExtractionReport:
    """Score ``extractor`` on ``cases`` (see the module docstring for the metrics)."""
    cases = list(cases)
    results = [await run_case(extractor, c) for c in cases]
    per_field = {f: FieldScore() for f in ASSERTABLE}
    per_intent = {i: FieldScore() for i in INTENTS}
    confusion = {i: dict.fromkeys(INTENTS, 0) for i in INTENTS}
    unasserted = spurious = 0
    for case, res in zip(cases, results, strict=True):
        for f in ASSERTABLE:
            if f in case.expected:
                per_field[f].asserted += 1
                per_field[f].correct += f not in res.wrong_fields
        unasserted += sum(f not in case.expected for f in FILTER_FIELDS)
        spurious += len(res.spurious)
        confusion.setdefault(res.expected_intent, dict.fromkeys(INTENTS, 0))
        confusion[res.expected_intent][res.predicted_intent] += 1
        score = per_intent.setdefault(res.expected_intent, FieldScore())
        score.asserted += 1
        score.correct += res.expected_intent == res.predicted_intent
    n = len(results)
    asserted = sum(s.asserted for s in per_field.values())
    return ExtractionReport(
        backend=getattr(extractor, "name", type(extractor).__name__),
        cases=n,
        intent_accuracy=sum(r.expected_intent == r.predicted_intent for r in results) / n if n else 0.0,
        field_accuracy=sum(s.correct for s in per_field.values()) / asserted if asserted else 1.0,
        spurious_rate=spurious / unasserted if unasserted else 0.0,
        exact_match=sum(r.ok for r in results) / n if n else 0.0,
        per_field={f: s for f, s in per_field.items() if s.asserted},
        per_intent={i: s for i, s in per_intent.items() if s.asserted},
        confusion=confusion,
        latency_ms_p50=_percentile([r.latency_ms for r in results], 0.5),
        latency_ms_p95=_percentile([r.latency_ms for r in results], 0.95),
        failures=[r for r in results if not r.ok],
    )


_ABBREV = {
    "search": "srch",
    "refine": "refn",
    "compare": "cmpr",
    "product_question": "qstn",
    "add_to_cart": "cart",
    "checkout": "chko",
    "smalltalk": "talk",
    "out_of_scope": "oos",
}


def format_report(report: ExtractionReport, max_failures: int = 40) -> str:
    """A plain-text report: headline scores, per-field and per-intent tables, confusion matrix and
    the failing cases."""
    out = [
        f"extraction eval — backend {report.backend}, {report.cases} cases",
        f"  intent accuracy        {report.intent_accuracy:6.1%}",
        f"  asserted-field accuracy{report.field_accuracy:7.1%}",
        f"  spurious-filter rate   {report.spurious_rate:6.1%}",
        f"  exact-match cases      {report.exact_match:6.1%}",
        f"  latency p50 / p95      {report.latency_ms_p50:.3f} / {report.latency_ms_p95:.3f} ms",
        "",
        f"  {'field':<12}{'asserted':>9}{'correct':>9}{'accuracy':>10}",
    ]
    for name, s in report.per_field.items():
        out.append(f"  {name:<12}{s.asserted:>9}{s.correct:>9}{s.accuracy:>10.1%}")
    out += ["", f"  {'intent':<18}{'cases':>6}{'correct':>9}{'accuracy':>10}"]
    for name, s in report.per_intent.items():
        out.append(f"  {name:<18}{s.asserted:>6}{s.correct:>9}{s.accuracy:>10.1%}")
    labels = [i for i in report.confusion if any(report.confusion[i].values()) or report.per_intent.get(i)]
    out += ["", "  confusion (rows expected, columns predicted)"]
    out.append("  " + " " * 18 + "".join(f"{_ABBREV.get(c, c[:4]):>6}" for c in labels))
    for row in labels:
        cells = "".join(f"{report.confusion[row].get(c, 0) or '.':>6}" for c in labels)
        out.append(f"  {row:<18}{cells}")
    if report.failures:
        out += ["", f"  failures ({len(report.failures)}, first {min(max_failures, len(report.failures))})"]
    for r in report.failures[:max_failures]:
        bits = []
        if r.expected_intent != r.predicted_intent:
            bits.append(f"intent {r.expected_intent}→{r.predicted_intent}")
        bits += [f"{f} {v['expected']!r}→{v['got']!r}" for f, v in r.wrong_fields.items()]
        bits += [f"+{f}={v!r}" for f, v in r.spurious.items()]
        prior = " | ".join(r.history)
        context = f" [after: {prior}]" if prior else ""
        out.append(f"  {r.id:<5} {r.message!r}{context}: {'; '.join(bits)}")
    return "\n".join(out)


def dump_report(report: ExtractionReport, path: Path | str) -> None:
    Path(path).write_text(json.dumps(report.model_dump(mode="json"), indent=2), encoding="utf-8")
