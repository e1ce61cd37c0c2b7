"""Brands the store does not carry: the brand-like word in front of the product type is found from
the catalog's own words, and the turn says it, through the real rules extractor and pipeline."""

from typing import cast

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.vocabulary import load_vocabulary
from app.domain.turn import Filters, Intent, ShoppingTurn
from app.pipeline.brands import BrandReader
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.references import NameIndex
from app.pipeline.respond import RulesResponder
from app.pipeline.respond_help import HelpReplies
from app.pipeline.understand import Understander
from tests.pipeline.fakes import FakeIndex, Rig, ScriptedExtractor, product

VOCAB = load_vocabulary()
RUNNERS = product("S1", "Neutral Running Shoes", "sneakers", 59.0, colors=["black"]).model_copy(
    update={"brand": "Spritechnologies", "description": "Cushioned running shoes for road miles."}
)
TRAINERS = product("S2", "Court Trainers", "sneakers", 49.0, colors=["white"]).model_copy(
    update={"brand": "Oceanavigations", "description": "Leather trainers with a rubber sole."}
)
CATALOG = [RUNNERS, TRAINERS]
READER = BrandReader(CATALOG, VOCAB)


def search(phrase: str, **filters: str) -> ShoppingTurn:
    return ShoppingTurn(intent=Intent.search, phrase=phrase, filters=Filters(**filters))  # type: ignore[arg-type]


def test_a_word_the_catalog_never_uses_in_front_of_the_type_is_an_unmatched_brand() -> None:
    assert READER.unmatched("Nike running shoes", search("nike running shoes", category="sneakers")) == "Nike"


def test_a_brand_the_catalog_carries_is_no_unmatched_brand() -> None:
    turn = search("spritechnologies running shoes", category="sneakers")
    assert READER.unmatched("spritechnologies running shoes", turn) is None


def test_a_word_the_catalog_uses_is_no_brand() -> None:
    assert READER.unmatched("leather trainers", search("leather trainers", category="sneakers")) is None


def test_an_adjective_is_no_brand() -> None:
    assert READER.unmatched("chunky trainers", search("chunky trainers", category="sneakers")) is None


def test_a_misspelt_catalog_word_is_no_brand() -> None:
    assert READER.unmatched("cushoined trainers", search("cushoined trainers", category="sneakers")) is None


def test_without_a_product_type_nothing_is_a_brand() -> None:
    assert READER.unmatched("nike stuff", search("nike stuff")) is None


async def test_a_brand_we_do_not_carry_is_said_and_the_type_shown_from_our_brands() -> None:
    extractor = RulesExtractor(VOCAB, ["Spritechnologies", "Oceanavigations"])
    r = Rig(
        extractor=cast(ScriptedExtractor, extractor),
        index=FakeIndex([RUNNERS.id, TRAINERS.id]),
        catalog=CatalogSnapshot(CATALOG, "test-brands"),
    )
    r.pipeline.understander = Understander(
        NameIndex(CATALOG, ["running", "shoes", "trainers"]), r.catalog, brands=READER
    )
    r.responder.inner = RulesResponder(HelpReplies(vocabulary=VOCAB))
    result = await r.pipeline.run("Nike running shoes")
    assert result.record.relaxed == ["brand"]
    assert result.record.shown == [RUNNERS.id, TRAINERS.id]
    assert result.record.reply.startswith(
        "We don't carry Nike: nothing we sell is by or called that. "
        "Here are sneakers from brands we do carry (Spritechnologies, Oceanavigations)."
    )
