"""The extraction eval: its arithmetic on hand-made cases, the golden set's validity, and the CI gate
for the rules backend."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import UNDERSTOOD_INTENTS, ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.extract.rules import RulesExtractor
from evals.extraction import (
    GOLDEN_PATH,
    ExtractionReport,
    GoldenCase,
    format_report,
    load_cases,
    run_extraction_eval,
)

# The rules backend measured 1.000 / 1.000 / 0.000 on the golden set when this gate was set; the
# first blind batch scored 0.937 intent / 0.959 fields before any tuning on it. The gate sits a few
# points below the tuned numbers so a regression fails CI without every new case doing so.
MIN_INTENT_ACCURACY = 0.95
MIN_FIELD_ACCURACY = 0.95
MAX_SPURIOUS_RATE = 0.02


class StubExtractor:
    """Canned answers per message, so the report's numbers are known in advance."""

    name = "stub"

    def __init__(self, answers: dict[str, ShoppingTurn]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, ConversationState]] = []

    async def extract(self, message: str, state: ConversationState) -> ShoppingTurn:
        self.seen.append((message, state))
        return self.answers[message]


STUB = {
    "black hoodies": ShoppingTurn(intent=Intent.search, filters=Filters(category="hoodies", color="black")),
    "hoodies": ShoppingTurn(intent=Intent.search, query="hoodies", filters=Filters(category="hoodies")),
    # wrong price, and a gender nobody asked for
    "under 50": ShoppingTurn(intent=Intent.refine, filters=Filters(price_max=60, gender="men")),
    # wrong intent, no filters
    "hi": ShoppingTurn(intent=Intent.search),
}
CASES = [
    GoldenCase(
        id="right",
        message="black hoodies",
        expected={"intent": "search", "category": "hoodies", "color": "black"},
    ),
    GoldenCase(
        id="wrong_price",
        history=["hoodies"],
        message="under 50",
        expected={"intent": "refine", "category": "hoodies", "price_max": 50},
    ),
    GoldenCase(id="wrong_intent", message="hi", expected={"intent": "smalltalk"}),
]


@pytest.fixture(scope="module")
async def stub_report() -> ExtractionReport:
    return await run_extraction_eval(StubExtractor(STUB), CASES)


async def test_intent_accuracy_counts_cases(stub_report: ExtractionReport) -> None:
    assert stub_report.cases == 3
    assert stub_report.intent_accuracy == pytest.approx(2 / 3)


async def test_field_accuracy_is_over_asserted_fields(stub_report: ExtractionReport) -> None:
    # asserted: right.category, right.color, wrong_price.category (carried by merge), wrong_price.price_max
    assert stub_report.field_accuracy == pytest.approx(3 / 4)
    assert {f: (s.asserted, s.correct) for f, s in stub_report.per_field.items()} == {
        "category": (2, 2),
        "color": (1, 1),
        "price_max": (1, 0),
    }


async def test_spurious_rate_is_over_unasserted_filter_fields(stub_report: ExtractionReport) -> None:
    # unasserted filter slots: 6 + 6 + 8 = 20; one was filled (gender on "under 50")
    assert stub_report.spurious_rate == pytest.approx(1 / 20)


async def test_exact_match_and_failures(stub_report: ExtractionReport) -> None:
    assert stub_report.exact_match == pytest.approx(1 / 3)
    failures = {r.id: r for r in stub_report.failures}
    assert set(failures) == {"wrong_price", "wrong_intent"}
    assert failures["wrong_price"].wrong_fields == {"price_max": {"expected": 50, "got": 60.0}}
    assert failures["wrong_price"].spurious == {"gender": "men"}
    assert (failures["wrong_intent"].expected_intent, failures["wrong_intent"].predicted_intent) == (
        "smalltalk",
        "search",
    )


async def test_confusion_matrix(stub_report: ExtractionReport) -> None:
    nonzero = {(e, p): n for e, row in stub_report.confusion.items() for p, n in row.items() if n}
    assert nonzero == {("search", "search"): 1, ("refine", "refine"): 1, ("smalltalk", "search"): 1}
    assert {i: (s.asserted, s.correct) for i, s in stub_report.per_intent.items()} == {
        "search": (1, 1),
        "refine": (1, 1),
        "smalltalk": (1, 0),
    }


async def test_history_is_replayed_through_merge() -> None:
    stub = StubExtractor(STUB)
    await run_extraction_eval(stub, [CASES[1]])
    (_, first), (_, second) = stub.seen
    assert first.filters == Filters()
    assert second.filters == Filters(category="hoodies") and second.query == "hoodies"


async def test_format_report_shows_scores_matrix_and_failures(stub_report: ExtractionReport) -> None:
    text = format_report(stub_report)
    assert "intent accuracy" in text and "66.7%" in text
    assert "confusion" in text and "smalltalk" in text
    assert "wrong_price" in text and "price_max 50→60.0" in text and "+gender='men'" in text


# ---------------------------------------------------------------------------------------------- golden set
@pytest.fixture(scope="module")
def golden() -> list[GoldenCase]:
    return load_cases(GOLDEN_PATH)


def catalog_brands(data_dir: Path) -> list[str]:
    brands = {"Luma"}
    with gzip.open(data_dir / "kibana-ecommerce-orders" / "ecommerce.json.gz", "rt") as fh:
        for line in fh:
            if line.strip():
                brands.update(m for m in json.loads(line).get("manufacturer", []) if m)
    return sorted(brands)


def test_golden_set_size_and_coverage(golden: list[GoldenCase]) -> None:
    assert len(golden) >= 150
    assert sum(bool(c.history) for c in golden) >= 30
    assert len({c.id for c in golden}) == len(golden)
    intents = Counter(c.expected["intent"] for c in golden)
    assert set(intents) == {i.value for i in Intent if i not in UNDERSTOOD_INTENTS}
    assert min(intents.values()) >= 10


def test_golden_values_are_spelled_as_the_catalog_stores_them(
    golden: list[GoldenCase], data_dir: Path
) -> None:
    vocab = load_vocabulary()
    brands = set(catalog_brands(data_dir))
    allowed = set(Filters.model_fields) | {"intent", "referenced"}
    for c in golden:
        e = c.expected
        assert set(e) <= allowed, c.id
        assert e.get("category") is None or e["category"] in vocab.product_types, c.id
        assert e.get("color") is None or e["color"] in vocab.colors, c.id
        assert e.get("material") is None or e["material"] in vocab.materials, c.id
        assert e.get("size") is None or e["size"] in vocab.sizes, c.id
        assert e.get("gender") in (None, "women", "men"), c.id
        assert e.get("brand") is None or e["brand"] in brands, c.id


async def test_rules_backend_meets_the_gate_on_the_golden_set(
    golden: list[GoldenCase], data_dir: Path
) -> None:
    report = await run_extraction_eval(RulesExtractor(load_vocabulary(), catalog_brands(data_dir)), golden)
    detail = format_report(report)
    assert report.intent_accuracy >= MIN_INTENT_ACCURACY, detail
    assert report.field_accuracy >= MIN_FIELD_ACCURACY, detail
    assert report.spurious_rate <= MAX_SPURIOUS_RATE, detail
