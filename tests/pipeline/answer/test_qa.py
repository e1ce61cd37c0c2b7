"""Product questions are answered from the product's own text, with the quoted span."""

from app.domain.catalog import Product
from app.pipeline.answer.compare import compare
from app.pipeline.answer.qa import answer

COLOURS = {"black", "blue", "red", "green"}
SIZES = {"xs", "s", "m", "l", "xl"}


def pullover(**kw: object) -> Product:
    base: dict[str, object] = dict(
        id="magento:MH01",
        source="magento",
        sku="MH01",
        name="Mars HeatTech Pullover",
        description="Stay warm on cold runs. The draw-cord hood keeps wind out. Snug fit.",
        category="hoodies",
        price=66.0,
        colors=["Black", "Blue"],
        sizes=["S", "M", "L"],
        materials=["Polyester"],
    )
    base.update(kw)
    return Product.model_validate(base)


def test_a_feature_the_description_states_is_yes_with_its_sentence() -> None:
    a = answer("Does the Mars HeatTech Pullover have a hood?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "The draw-cord hood keeps wind out.")


def test_an_opposite_the_description_states_is_no() -> None:
    a = answer("is it loose?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Snug fit.")


def test_a_feature_the_text_does_not_mention_is_unknown_not_no() -> None:
    assert answer("does it have thumb holes?", pullover(), COLOURS, SIZES).verdict == "unknown"


def test_a_colour_not_offered_is_no_and_quotes_the_colours() -> None:
    a = answer("do you have it in red?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Black, Blue")


def test_a_size_question_on_a_product_without_sizes_is_unknown() -> None:
    assert answer("does it come in XL?", pullover(sizes=[]), COLOURS, SIZES).verdict == "unknown"


def test_a_negated_feature_is_no() -> None:
    a = answer("is it waterproof?", pullover(description="Light shell. Not waterproof."), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Not waterproof.")


def test_comparison_on_price_picks_the_cheaper() -> None:
    cheap = pullover(id="magento:A", name="A Tee", price=20.0)
    dear = pullover(id="magento:B", name="B Tee", price=40.0)
    pick = compare("which one is cheaper?", [dear, cheap], COLOURS, SIZES)
    assert pick is not None and pick[0].id == "magento:A"
