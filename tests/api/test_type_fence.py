"""The product-type fence and the relaxation order on the real catalog, index and guard: what is
shown is of the type asked for, and the type is the last constraint relaxed (dev2 causes)."""

from __future__ import annotations

from app.bootstrap import Services
from app.pipeline.extract.heads import names_head


async def test_a_type_the_taxonomy_lacks_shows_only_that_type(services: Services) -> None:
    result = await services.pipeline.run("a red cape")
    products = services.pipeline.catalog.many(result.record.shown)
    assert products and all(names_head("cape", [p.name]) for p in products)


async def test_the_gender_is_relaxed_before_the_type(services: Services) -> None:
    result = await services.pipeline.run("men's dresses")
    products = services.pipeline.catalog.many(result.record.shown)
    assert result.record.relaxed == ["gender"]
    assert products and {p.category for p in products} == {"dresses"}


async def test_a_name_word_of_another_type_does_not_turn_a_search_into_a_product(
    services: Services,
) -> None:
    result = await services.pipeline.run("jeans with a 32 waist")
    products = services.pipeline.catalog.many(result.record.shown)
    assert result.record.extraction.intent.value == "search"
    assert products and {p.category for p in products} == {"jeans"}
