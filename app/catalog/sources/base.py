"""The contract every catalog source adapter fulfils, and the text helpers they share.

A source reads one data set in its own format and returns a ``SourceBatch``: products already
normalised into the store's ``Product`` model (vocabulary-spelled types, colours and materials) and
the product-to-product links the data set knows about. Everything downstream (the SQL store, the
index, the ranker) only ever sees this shape, so adding a catalog means writing one adapter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from app.domain.catalog import Product

LinkKind = Literal["related", "upsell", "crosssell", "copurchase"]
LINK_KINDS: tuple[LinkKind, ...] = ("related", "upsell", "crosssell", "copurchase")


class ProductLink(BaseModel):
    """A directed edge between two products of the catalog (ids as in ``Product.id``).

    ``related``/``upsell``/``crosssell`` are merchandiser links from the source; ``copurchase``
    links come from order history, with ``weight`` = number of orders holding both products.
    """

    product_id: str
    linked_id: str
    kind: LinkKind
    weight: float = Field(default=1.0, ge=0)


class SourceBatch(BaseModel):
    """What one source (or several, merged) contributes to the catalog."""

    products: list[Product] = Field(default_factory=list)
    links: list[ProductLink] = Field(default_factory=list)


@runtime_checkable
class CatalogSource(Protocol):
    """A catalog adapter. ``load`` reads the data set below ``data_dir`` (or its own path)."""

    name: str

    def load(self, data_dir: Path) -> SourceBatch: ...


class DataMissingError(FileNotFoundError):
    """A data set a source needs is not where the configuration says it is."""


def require_path(path: Path, what: str) -> Path:
    """``path`` if it exists, else a ``DataMissingError`` that says how to point at the data."""
    if not path.exists():
        raise DataMissingError(
            f"{what} not found at {path}. CTP_DATA_DIR configures the folder that holds the data "
            "sets (magento-luma-sample, kibana-ecommerce-orders ...)."
        )
    return path


# --- text helpers ------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/?p|/?li|/?ul|/?ol|/?div|/?h\d)\b[^>]*>", re.IGNORECASE)
_SYMBOLS = str.maketrans({"™": "", "®": "", "©": "", "¼": "1/4", "½": "1/2", "¾": "3/4", "\xa0": " "})
_BULLET = re.compile(r"^[\s•·\-*]+")


def clean_inline(value: str) -> str:
    """A short value (name, attribute) with HTML entities decoded and trademark signs dropped:
    ``"CoolTech&trade;"`` becomes ``"CoolTech"``, ``"&frac14; zip"`` becomes ``"1/4 zip"``."""
    text = html.unescape(_TAG.sub(" ", value)).translate(_SYMBOLS)
    return " ".join(text.split())


def html_to_text(value: str) -> str:
    """Readable plain text from an HTML description: one line per paragraph or list item, no
    bullets, no tags, entities decoded, whitespace collapsed."""
    marked = _BLOCK_TAG.sub("\n", value)
    lines = []
    for raw in clean_inline_lines(marked):
        line = _BULLET.sub("", raw).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def clean_inline_lines(value: str) -> list[str]:
    """``clean_inline`` applied per line (entities such as ``&bull;`` also start new lines)."""
    text = html.unescape(_TAG.sub(" ", value)).translate(_SYMBOLS).replace("•", "\n")
    return [" ".join(line.split()) for line in text.splitlines()]


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values in first-seen order, without repeats."""
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def slugify(*parts: str) -> str:
    """A lower-case ASCII slug of the joined parts ("Men's Clothing" -> "men-s-clothing")."""
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
