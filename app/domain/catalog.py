"""The one product model every catalog source normalises into."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Variant(BaseModel):
    """A purchasable SKU of a product: one size/colour combination (either may be absent)."""

    sku: str
    size: str | None = None
    color: str | None = None
    price: float | None = Field(default=None, description="Store currency; None means the parent's price.")
    in_stock: bool = True


class Product(BaseModel):
    """A product as the shopper sees it, with its variants.

    ``category`` is the normalised product type from the store taxonomy (``jackets``,
    ``hoodies``, ``boots`` ...) so that filters behave the same across sources; ``category_path``
    keeps the source's own path for display and for the ranker.
    """

    id: str = Field(description="Stable id: '<source>:<source sku or id>'.")
    source: str
    sku: str
    name: str
    description: str = ""
    category: str | None = None
    category_path: list[str] = Field(default_factory=list)
    gender: str | None = Field(default=None, description="'women', 'men', 'unisex' or None.")
    brand: str | None = None
    price: float = Field(ge=0)
    currency: str = "USD"
    colors: list[str] = Field(default_factory=list)
    sizes: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Pattern, climate, style, activity ... as lists of values."
    )
    rating: float | None = Field(default=None, ge=0, le=5)
    review_count: int = 0
    popularity: int = Field(default=0, description="Units sold in the order history, where known.")
    variants: list[Variant] = Field(default_factory=list)

    def embedding_text(self) -> str:
        """What the product *is*, as the encoder should see it: name, type, key attributes, a short
        description. Prices and stock stay out: they are filters, not meaning."""
        parts = [self.name]
        if self.gender and self.gender != "unisex":
            parts.append(f"for {self.gender}")
        if self.category:
            parts.append(self.category)
        if self.category_path:
            parts.append(" / ".join(self.category_path))
        if self.materials:
            parts.append("made of " + ", ".join(self.materials))
        for key in ("pattern", "style", "activity", "climate"):
            if self.attributes.get(key):
                parts.append(f"{key}: " + ", ".join(self.attributes[key][:4]))
        if self.colors:
            parts.append("colours: " + ", ".join(self.colors[:6]))
        if self.description:
            parts.append(self.description[:300])
        return ". ".join(parts)

    def payload(self) -> dict[str, object]:
        """The filterable fields stored beside the vector (payload-indexed in Qdrant)."""
        return {
            "product_id": self.id,
            "source": self.source,
            "name": self.name,
            "category": self.category,
            "category_path": self.category_path,
            "gender": self.gender,
            "brand": self.brand,
            "price": self.price,
            "colors": [c.lower() for c in self.colors],
            "sizes": [s.upper() for s in self.sizes],
            "materials": [m.lower() for m in self.materials],
        }
