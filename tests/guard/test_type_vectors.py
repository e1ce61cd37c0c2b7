"""The catalog's type vectors, the type phrase the combined guard embeds, and the types it matches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Filters, Intent, ShoppingTurn
from app.guard.combined import phrase_to_embed, type_matches
from app.guard.coverage import ProductTypes
from app.guard.type_vectors import TypeVectors, load_or_build_vectors, type_entries


def _product(pid: str, name: str, category: str, path: list[str]) -> Product:
    return Product(id=pid, source="t", sku=pid, name=name, category=category, category_path=path, price=10)


PRODUCTS = [
    _product("1", "Gym Trouser", "pants", ["Men", "Bottoms"]),
    _product("2", "Slim Trouser", "pants", ["Women", "Bottoms"]),
    _product("3", "Radiant Tee", "tees", ["Women", "Tops"]),
    _product("4", "Oslo Tee", "tees", ["Men", "Tops"]),
    _product("5", "Sports Bra", "tanks", ["Women", "Tops"]),
]
TYPES = ProductTypes.from_products(PRODUCTS, "v1")


class AxisEncoder:
    """A deterministic encoder: each known text is one axis, anything else the zero vector."""

    version = "axis-1"

    def __init__(self, texts: Sequence[str]) -> None:
        self.axes = {t: i for i, t in enumerate(texts)}
        self.calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), len(self.axes)), dtype=np.float32)
        for row, t in enumerate(texts):
            if t in self.axes:
                out[row, self.axes[t]] = 1.0
        return out


def test_entries_are_the_categories_and_type_words_of_two_or_more_products() -> None:
    entries = type_entries(PRODUCTS, TYPES)
    assert entries == [
        ("pants", "pants"),
        ("tanks", "tanks"),
        ("tees", "tees"),
        ("bottom", "pants"),
        ("men", "pants"),
        ("top", "tees"),
        ("trouser", "pants"),
        ("women", "pants"),
    ]


def test_similar_gives_each_label_once_with_its_best_entry() -> None:
    texts = [t for t, _ in type_entries(PRODUCTS, TYPES)]
    vectors = TypeVectors.build(PRODUCTS, TYPES, AxisEncoder(texts))
    query = np.zeros(len(texts), dtype=np.float32)
    query[texts.index("trouser")] = 0.9
    query[texts.index("tees")] = 0.4
    assert vectors.similar(query)[:2] == [("pants", 0.8999999761581421), ("tees", 0.4000000059604645)]
    assert vectors.top(query) == vectors.similar(query)[0][1]


def test_vectors_are_rebuilt_only_when_types_or_encoder_change(tmp_path: Path) -> None:
    texts = [t for t, _ in type_entries(PRODUCTS, TYPES)]
    encoder = AxisEncoder(texts)
    path = tmp_path / "type_vectors.npz"
    first = load_or_build_vectors(path, PRODUCTS, TYPES, encoder)
    again = load_or_build_vectors(path, PRODUCTS, TYPES, encoder)
    assert again.version == first.version and encoder.calls == 1
    encoder.version = "axis-2"
    assert load_or_build_vectors(path, PRODUCTS, TYPES, encoder).version != first.version
    assert encoder.calls == 2


def test_the_phrase_is_embedded_only_when_the_search_text_does_not_say_it() -> None:
    said = ShoppingTurn(
        intent=Intent.search, query="", phrase="black tee", filters=Filters(category="tees", color="black")
    )
    reread = ShoppingTurn(
        intent=Intent.search, query="ice", phrase="mint ice cream", filters=Filters(color="green")
    )
    assert phrase_to_embed(said) is None
    assert phrase_to_embed(reread) == "mint ice cream"


def test_the_head_word_matches_only_when_every_phrase_word_is_a_catalog_word() -> None:
    bra = ShoppingTurn(intent=Intent.search, query="sports bra", head="bra", phrase="sports bra")
    car = ShoppingTurn(intent=Intent.search, query="car bra", head="bra", phrase="car bra")
    assert type_matches(bra, [("tanks", 0.7), ("tees", 0.4)], TYPES) == ["tanks", "bra"]
    assert type_matches(car, [("tanks", 0.7), ("tees", 0.65)], TYPES) == ["tanks", "tees"]
