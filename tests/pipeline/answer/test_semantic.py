"""The MiniLM arm of product-QA retrieval, with the app's real sentence encoder: it finds a
paraphrased sentence the lexical arm misses, and stays silent when no clause is clearly the one."""

import pytest

from app.domain.catalog import Product
from app.index.embedder import Encoder
from app.pipeline.answer.qa import answer
from app.pipeline.answer.semantic import SemanticArm, clauses, informative

DUFFLE = Product.model_validate(
    dict(
        id="magento:24-WB07",
        source="magento",
        sku="24-WB07",
        name="Overnight Duffle",
        description=(
            "For long weekends away, camping outings and business trips, the Overnight Duffle can't be "
            "beat. The dual handles make it a cinch to carry, while the durable waterproof exterior "
            "helps you worry less about the weather.\nDual top handles.\nAdjustable shoulder strap."
        ),
        category="bags",
        price=45.0,
    )
)
QUESTION = "will it keep my stuff dry if it rains"


@pytest.fixture(scope="module")
def arm(encoder: Encoder) -> SemanticArm:
    return SemanticArm(encoder)


def test_clauses_are_verbatim_parts_of_the_description() -> None:
    assert "the durable waterproof exterior helps you worry less about the weather." in clauses(DUFFLE)
    assert all(c in DUFFLE.description for c in clauses(DUFFLE))


def test_the_lexical_arm_reads_rain_as_water_protection() -> None:
    a = answer(QUESTION, DUFFLE, set(), set())
    assert (a.verdict, a.evidence) == (
        "yes",
        "The dual handles make it a cinch to carry, while the durable waterproof exterior helps you "
        "worry less about the weather.",
    )


@pytest.mark.slow  # loads MiniLM
def test_the_minilm_arm_finds_the_paraphrased_clause(arm: SemanticArm) -> None:
    assert (
        arm.paraphrase("keep stuff dry rains", DUFFLE)
        == "the durable waterproof exterior helps you worry less about the weather."
    )


@pytest.mark.slow  # loads MiniLM
def test_the_minilm_arm_says_nothing_when_no_clause_stands_out(arm: SemanticArm) -> None:
    """'pockets' is near every clause about bags and none clearly: "doesn't say", not a guess."""
    assert answer("does it have pockets", DUFFLE, set(), set(), semantic=arm).verdict == "unknown"


@pytest.mark.slow  # loads MiniLM
def test_the_minilm_arm_never_answers_no(arm: SemanticArm) -> None:
    light = DUFFLE.model_copy(
        update={"description": "Not waterproof, so keep it indoors.\nDual top handles."}
    )
    assert answer("will my stuff stay dry in a storm", light, set(), set(), semantic=arm).verdict != "no"


def test_a_clause_that_only_says_what_the_product_is_is_not_evidence() -> None:
    shorts = Product.model_validate(
        dict(
            id="kibana:denim-shorts", source="kibana", sku="ds", name="Denim shorts", brand="Elitelligence",
            description="Denim shorts by Elitelligence in men's clothing. Available in blue.",
            category="shorts", category_path=["Men", "Clothing"], gender="men", price=20.0,
        )
    )  # fmt: skip
    assert informative(shorts) == ["Available in blue."]


@pytest.mark.slow  # loads MiniLM
def test_too_few_clauses_never_make_a_paraphrase(arm: SemanticArm) -> None:
    shorts = DUFFLE.model_copy(update={"description": "Denim shorts by Elitelligence. Available in blue."})
    assert arm.paraphrase("pockets", shorts) is None


TIGHTS = DUFFLE.model_copy(
    update={
        "name": "Diana Tights",
        "category": "pants",
        "description": (
            "Perfect for hot bikram session or cool-down stretching. 8-percent stretch means you'll feel "
            "like anything is possible in the capri-style Diana Tights.\nBlack legging with slate details.\n"
            "Flat-lock, chafe-free side seams.\nVented gusset.\nSecret interior pocket."
        ),
        "attributes": {"climate": ["all-weather", "cool", "indoor", "mild", "spring", "warm"]},
    }
)
TOTE = DUFFLE.model_copy(
    update={
        "name": "Savvy Shoulder Tote",
        "description": (
            "A top-loading compartment provides quick and easy access to larger items.\nWater-resistant "
            "shell.\nWater bottle pocket.\nPadded, articulating shoulder strap."
        ),
        "attributes": {"strap": ["adjustable", "cross body", "shoulder", "single"]},
    }
)


@pytest.mark.slow  # loads MiniLM
def test_the_minilm_arm_does_not_quote_a_climate_value_the_lexical_arm_may_not(arm: SemanticArm) -> None:
    """ "warm" in climate means for warm weather: it does not say the tights keep you warm in winter."""
    assert answer("warm enough for winter runs?", TIGHTS, set(), set(), semantic=arm).verdict == "unknown"


@pytest.mark.slow  # loads MiniLM
def test_a_material_question_is_never_answered_by_meaning(arm: SemanticArm) -> None:
    assert answer("is it leather?", TOTE, set(), set(), {"leather"}, semantic=arm).verdict == "unknown"


@pytest.mark.slow  # loads MiniLM
def test_a_skipped_span_still_competes_so_the_margin_is_not_widened(arm: SemanticArm) -> None:
    tank = DUFFLE.model_copy(
        update={
            "name": "Chloe Compete Tank",
            "category": "tanks",
            "description": (
                "You've earned your figure, so stay cool and let it do all the talking in the form-fitted, "
                "sleek racerback Chloe Compete Tank.\nRoyal blue tank top - nylon/spandex.\n"
                "Flatlock stitching.\nMoisture-wicking fabric.\nErgonomic seaming.\nMachine wash/dry."
            ),
            "attributes": {"climate": ["indoor", "warm"], "style": ["tank"]},
        }
    )
    assert answer("will it keep me warm?", tank, set(), set(), semantic=arm).verdict == "unknown"
