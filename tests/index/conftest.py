"""Fixtures for the index tests: a small realistic catalog, the real encoder, both backends.

The encoder is the packaged all-MiniLM-L6-v2 (loaded once per session); the backends are a Qdrant
Edge shard in ``tmp_path`` and qdrant-client's in-process local mode. No mocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index.base import VectorIndex
from app.index.embedder import Encoder

# id, name, category, gender, brand, price, colors, sizes, materials, description
_ROWS: list[tuple[str, str, str | None, str | None, str, float, list[str], list[str], list[str], str]] = [
    ("01", "Women's Black Running Jacket", "jackets", "women", "Stride", 89.0, ["Black"],
     ["XS", "S", "M", "L"], ["polyester"], "Light water-resistant jacket for jogging, reflective trims."),
    ("02", "Men's Hooded Windbreaker", "jackets", "men", "Stride", 65.0, ["Blue", "Grey"], ["M", "L", "XL"],
     ["nylon"], "Packable hooded windbreaker for runs and cycling on windy days."),
    ("03", "Rain Shell Jacket", "jackets", "unisex", "Northpeak", 120.0, ["Yellow"], ["S", "M", "L"],
     ["nylon"], "Waterproof breathable shell with taped seams for hiking in the rain."),
    ("04", "Women's Quilted Puffer Jacket", "jackets", "women", "Northpeak", 149.0, ["Red", "Black"],
     ["S", "M"], ["polyester", "down"], "Warm quilted puffer filled with down for cold winter days."),
    ("05", "Men's Leather Biker Jacket", "jackets", "men", "Ironhide", 249.0, ["Black"], ["M", "L", "XL"],
     ["leather"], "Classic biker jacket in full-grain leather with asymmetric zip."),
    ("06", "Women's Zip Hoodie", "hoodies", "women", "Cozyco", 45.0, ["Grey", "Pink"], ["XS", "S", "M"],
     ["cotton"], "Soft brushed cotton hoodie with full zip and kangaroo pockets."),
    ("07", "Men's Pullover Hoodie", "hoodies", "men", "Cozyco", 39.0, ["Black"], ["M", "L", "XL"],
     ["cotton", "polyester"], "Everyday pullover hoodie with drawstring hood."),
    ("08", "Fleece Sweatshirt", "hoodies", "unisex", "Cozyco", 55.0, ["Green"], ["S", "M", "L", "XL"],
     ["fleece"], "Cosy crew-neck fleece sweatshirt for chilly evenings."),
    ("09", "Women's Leather Ankle Boots", "boots", "women", "Ironhide", 130.0, ["Brown", "Black"],
     ["37", "38", "39", "40"], ["leather"], "Ankle boots with a stacked heel and side zip."),
    ("10", "Men's Waterproof Hiking Boots", "boots", "men", "Northpeak", 160.0, ["Brown"],
     ["42", "43", "44", "45"], ["leather", "rubber"], "Sturdy waterproof hiking boots with grippy soles."),
    ("11", "Women's Suede Chelsea Boots", "boots", "women", "Ironhide", 110.0, ["Beige"],
     ["36", "37", "38", "39"], ["suede"], "Pull-on chelsea boots with elastic side panels."),
    ("12", "Men's Road Running Shoes", "sneakers", "men", "Stride", 95.0, ["Black", "White"],
     ["41", "42", "43", "44", "45"], ["mesh"], "Cushioned running shoes for daily road training."),
    ("13", "Women's Road Running Shoes", "sneakers", "women", "Stride", 92.0, ["Pink", "White"],
     ["36", "37", "38", "39", "40"], ["mesh"], "Responsive running shoes with breathable mesh upper."),
    ("14", "Canvas Low-Top Sneakers", "sneakers", "unisex", "Urbanite", 49.0, ["White"],
     ["36", "38", "40", "42", "44"], ["canvas"], "Classic low-top canvas sneakers for everyday wear."),
    ("15", "Women's Floral Summer Dress", "dresses", "women", "Bloom", 59.0, ["Yellow"],
     ["XS", "S", "M", "L"], ["cotton"], "Light floral sundress with thin straps, perfect for the beach."),
    ("16", "Women's Silk Cocktail Dress", "dresses", "women", "Bloom", 120.0, ["Black"], ["S", "M"],
     ["silk"], "Elegant black silk dress for evening parties."),
    ("17", "Women's Knit Jumper Dress", "dresses", "women", "Bloom", 75.0, ["Grey"], ["S", "M", "L"],
     ["wool"], "Cosy knitted wool dress with a roll neck."),
    ("18", "Men's Slim Fit Jeans", "jeans", "men", "Denimworks", 69.0, ["Blue"], ["30", "32", "34", "36"],
     ["denim", "cotton"], "Slim fit stretch denim jeans in a mid-blue wash."),
    ("19", "Women's Skinny Jeans", "jeans", "women", "Denimworks", 64.0, ["Black", "Blue"],
     ["26", "28", "30"], ["denim"], "High-rise skinny jeans with a little stretch."),
    ("20", "Men's Organic Cotton Tee", "tees", "men", "Urbanite", 25.0, ["White", "Black", "Navy"],
     ["S", "M", "L", "XL"], ["cotton"], "Crew-neck t-shirt in soft organic cotton."),
    ("21", "Women's Striped Tee", "tees", "women", "Urbanite", 22.0, ["White", "Navy"], ["XS", "S", "M"],
     ["cotton"], "Breton striped t-shirt with three-quarter sleeves."),
    ("22", "Graphic Print Tee", "tees", "unisex", "Urbanite", 28.0, ["Black"], ["S", "M", "L"],
     ["cotton"], "Relaxed t-shirt with a bold graphic print."),
    ("23", "Leather Laptop Backpack", "bags", "unisex", "Ironhide", 140.0, ["Brown"], [],
     ["leather"], "Backpack with a padded sleeve for a 15 inch laptop."),
    ("24", "Women's Canvas Tote Bag", "bags", "women", "Urbanite", 35.0, ["Beige"], [],
     ["canvas"], "Roomy tote bag for shopping and the beach."),
    ("25", "Men's Gym Duffel Bag", "bags", "men", "Stride", 55.0, ["Black"], [],
     ["polyester"], "Duffel bag with a shoe compartment for the gym."),
    ("26", "Men's Steel Chronograph Watch", "watches", "men", "Tempo", 199.0, ["Silver"], [],
     ["stainless steel"], "Chronograph wristwatch with a steel bracelet, water resistant to 100 m."),
    ("27", "Women's Fitness Tracker", "watches", "women", "Tempo", 89.0, ["Pink"], [],
     ["silicone"], "Fitness tracker watch that counts steps and measures heart rate."),
    ("28", "Stainless Steel Frying Pan", "cookware", None, "Kitchenry", 45.0, ["Silver"], [],
     ["stainless steel"], "28 cm frying pan for searing and sauteing, oven safe."),
    ("29", "Cast Iron Skillet", "cookware", None, "Kitchenry", 39.0, ["Black"], [],
     ["cast iron"], "Pre-seasoned cast iron skillet for the stove, oven or campfire."),
    ("30", "Zephyrine Trail Vest", "jackets", "women", "Stride", 79.0, ["Orange"], ["S", "M", "L"],
     ["polyester"], "Sleeveless vest with pockets for long runs on mountain paths."),
]  # fmt: skip


def make_catalog() -> list[Product]:
    return [
        Product(
            id=f"test:{pid}",
            source="test",
            sku=f"SKU-{pid}",
            name=name,
            description=desc,
            category=category,
            category_path=[category.title()] if category else [],
            gender=gender,
            brand=brand,
            price=price,
            colors=colors,
            sizes=sizes,
            materials=materials,
        )
        for pid, name, category, gender, brand, price, colors, sizes, materials, desc in _ROWS
    ]


def matches(p: Product, f: Filters) -> bool:
    """Reference semantics of ``Filters`` on a product, written independently of the index code."""
    if f.category is not None and p.category != f.category:
        return False
    if f.gender is not None and p.gender not in (f.gender, "unisex"):
        return False
    if f.color is not None and f.color.lower() not in [c.lower() for c in p.colors]:
        return False
    if f.size is not None and f.size.upper() not in [s.upper() for s in p.sizes]:
        return False
    if f.material is not None and f.material.lower() not in [m.lower() for m in p.materials]:
        return False
    if f.brand is not None and p.brand != f.brand:
        return False
    if f.price_min is not None and p.price < f.price_min:
        return False
    return not (f.price_max is not None and p.price > f.price_max)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="session")
def catalog() -> list[Product]:
    return make_catalog()


@pytest.fixture(scope="session")
def by_id(catalog: list[Product]) -> dict[str, Product]:
    return {p.id: p for p in catalog}


@pytest.fixture(scope="session")
def embeddings(encoder: Encoder, catalog: list[Product]) -> np.ndarray:
    return encoder.encode([p.embedding_text() for p in catalog])


def open_backend(kind: str, path: Path) -> VectorIndex:
    """A fresh, empty index of the given kind ("edge" or "server")."""
    if kind == "edge":
        from app.index.edge import EdgeIndex

        return EdgeIndex(path / "qdrant-edge" / "products")
    from qdrant_client import QdrantClient

    from app.index.server import ServerIndex

    return ServerIndex(QdrantClient(":memory:"), "products")


BACKENDS = ["edge", "server"]


@pytest.fixture(params=BACKENDS)
def empty_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    """A fresh empty index per test, for tests that build or mutate."""
    index = open_backend(request.param, tmp_path)
    yield index
    index.close()


@pytest.fixture(scope="module", params=BACKENDS)
def built_index(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    catalog: list[Product],
    embeddings: np.ndarray,
) -> Iterator[VectorIndex]:
    """The catalog indexed once per module and backend, for read-only tests."""
    index = open_backend(request.param, tmp_path_factory.mktemp(request.param))
    index.rebuild(catalog, embeddings, "test-v1")
    yield index
    index.close()
