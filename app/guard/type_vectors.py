"""Embeddings of the catalog's product types: synonyms meet, the nearest carried types get named.

String equality cannot see that "joggers" are pants or "sunnies" sunglasses, and a guard that only
knows "sofa is not a type" cannot say what the store has instead. Both come from embedding the
catalog's own type names with the serving encoder:

* the **labels** are the store's normalised categories ("pants", "fitness equipment"), the names
  the replies use;
* the **entries** are those labels plus every type word of ``ProductTypes`` that names at least
  two products ("trouser", "hoody", "rucksack"), each mapped to the category most of its products
  have ("trouser" → "pants").

``similar`` gives, for a phrase vector, the labels nearest first with their best cosine; the
combined guard uses the top cosine as a feature (``type_sim``: how much the requested *type
phrase* looks like something the store carries), names the nearest labels on abstention, and
lets the product-level fence accept a product whose category is one the phrase is close to.
Built per catalog types version and encoder version, stored next to the other guard artifacts
(``<var_dir>/calibration/type_vectors.npz``); nothing here is specific to the demo store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from app.domain.catalog import Product
from app.guard.coverage import ProductTypes, base, words

SCHEMA = 1
#: A type word must name at least this many products to be an entry (drops one-off name words).
MIN_PRODUCTS = 2


class TextEncoder(Protocol):
    version: str

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


def type_entries(products: Iterable[Product], types: ProductTypes) -> list[tuple[str, str]]:
    """``(entry text, category label)`` pairs: every category, and every type word naming at least
    ``MIN_PRODUCTS`` products, labelled with the category most of those products have."""
    by_word: dict[str, Counter[str]] = defaultdict(Counter)
    labels: set[str] = set()
    for p in products:
        if not p.category:
            continue
        labels.add(p.category)
        found = set(words(p.name)) | {w for part in p.category_path for w in words(part)}
        for w in found:
            if types.types.get(w, 0) >= MIN_PRODUCTS and len(w) >= 3:
                by_word[w][p.category] += 1
    entries = [(label, label) for label in sorted(labels)]
    known = {base(label) for label in labels}
    for w in sorted(by_word):
        if w not in known:
            entries.append((w, by_word[w].most_common(1)[0][0]))
    return entries


class TypeVectors:
    """Normalised embeddings of the type entries, with the category label of each."""

    def __init__(self, texts: list[str], labels: list[str], matrix: np.ndarray, version: str) -> None:
        self.texts = texts
        self.labels = labels
        self.matrix = matrix.astype(np.float32)
        self.version = version

    @classmethod
    def build(cls, products: Iterable[Product], types: ProductTypes, encoder: TextEncoder) -> TypeVectors:
        entries = type_entries(products, types)
        texts = [t for t, _ in entries]
        labels = [label for _, label in entries]
        matrix = encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        return cls(texts, labels, matrix, _version(types.version, encoder.version, entries))

    def similar(self, vec: np.ndarray) -> list[tuple[str, float]]:
        """Category labels, nearest first, each with the best cosine of its entries to ``vec``."""
        if not len(self.texts):
            return []
        sims = self.matrix @ vec.astype(np.float32)
        best: dict[str, float] = {}
        for i in np.argsort(-sims):
            label = self.labels[int(i)]
            if label not in best:
                best[label] = float(sims[int(i)])
        return list(best.items())

    def top(self, vec: np.ndarray) -> float:
        return float((self.matrix @ vec.astype(np.float32)).max()) if len(self.texts) else 0.0

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        meta = json.dumps(
            {"schema": SCHEMA, "version": self.version, "texts": self.texts, "labels": self.labels}
        )
        np.savez(tmp, matrix=self.matrix, meta=np.array(meta))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TypeVectors | None:
        try:
            with np.load(path) as data:
                meta = json.loads(str(data["meta"]))
                matrix = np.array(data["matrix"])
        except (OSError, ValueError, KeyError):
            return None
        if meta.get("schema") != SCHEMA:
            return None
        return cls(list(meta["texts"]), list(meta["labels"]), matrix, str(meta["version"]))


def _version(types_version: str, encoder_version: str, entries: list[tuple[str, str]]) -> str:
    body = json.dumps([types_version, encoder_version, entries]).encode()
    return f"typevec-{hashlib.sha256(body).hexdigest()[:12]}"


def type_vectors_path(var_dir: Path) -> Path:
    return var_dir / "calibration" / "type_vectors.npz"


def load_or_build_vectors(
    path: Path, products: Sequence[Product], types: ProductTypes, encoder: TextEncoder
) -> TypeVectors:
    """The stored vectors when they were built from these types with this encoder, else new ones."""
    expected = _version(types.version, encoder.version, type_entries(products, types))
    stored = TypeVectors.load(path)
    if stored is not None and stored.version == expected:
        return stored
    built = TypeVectors.build(products, types, encoder)
    with contextlib.suppress(OSError):
        built.save(path)
    return built
