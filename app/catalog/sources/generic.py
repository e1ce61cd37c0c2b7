"""A shop's own catalog from a CSV or JSON Lines file, through a column mapping.

This is how the app is pointed at a real store: no code, just a mapping from ``Product`` field
names to the file's column names. Types, colours, materials and sizes are normalised through the
store vocabulary where it knows the word and kept (lower-cased / upper-cased) where it does not.

Bad rows are never skipped silently: by default the first one raises ``InvalidRowError`` naming
its row and problem; with ``skip_invalid=True`` they are collected in ``GenericSource.rejected``.

Example::

    GenericSource(
        Path("shop.csv"),
        mapping={"id": "Handle", "name": "Title", "price": "Variant Price",
                 "category": "Type", "colors": "Colour", "brand": "Vendor"},
        source_name="myshop",
    )

Required: ``name``, ``price`` and at least one of ``id`` / ``sku``. Optional: ``description``,
``category`` (a path such as "Women > Shoes > Boots" is split on ``>`` or ``/``), ``gender``,
``brand``, ``colors`` / ``sizes`` / ``materials`` (split on ``|``, ``,`` or newlines; JSON lists work too),
``rating``, ``review_count``, ``popularity``, ``currency``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from app.catalog.sources.base import SourceBatch, clean_inline, html_to_text, require_path, unique
from app.catalog.vocabulary import Vocabulary, load_vocabulary
from app.domain.catalog import Product

FIELDS = frozenset(
    {
        "id",
        "sku",
        "name",
        "price",
        "description",
        "category",
        "gender",
        "brand",
        "colors",
        "sizes",
        "materials",
        "rating",
        "review_count",
        "popularity",
        "currency",
    }
)
_LIST_SPLIT = re.compile(r"[|,\n]")
_PATH_SPLIT = re.compile(r"\s*(?:>|/)\s*")


class InvalidRowError(ValueError):
    """A catalog row that cannot become a ``Product``."""

    def __init__(self, row: int, problem: str, where: str = "") -> None:
        super().__init__(f"row {row}{f' ({where})' if where else ''}: {problem}")
        self.row = row
        self.problem = problem


class RejectedRow(BaseModel):
    row: int  # 1-based data row (the CSV header is not counted)
    line: int  # physical line in the file, as an editor shows it
    problem: str
    data: dict[str, Any]


class GenericSource:
    name: str

    def __init__(
        self,
        path: Path,
        mapping: dict[str, str],
        source_name: str = "custom",
        fmt: str | None = None,
        skip_invalid: bool = False,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        unknown = set(mapping) - FIELDS
        if unknown:
            raise ValueError(f"mapping has unknown product fields {sorted(unknown)}; known: {sorted(FIELDS)}")
        missing = [f for f in ("name", "price") if f not in mapping]
        if missing or not ({"id", "sku"} & set(mapping)):
            raise ValueError(
                f"mapping needs 'name', 'price' and 'id' or 'sku' (missing: {missing or ['id/sku']})"
            )
        self.path = Path(path)
        self.fmt = (fmt or self.path.suffix.lstrip(".")).lower()
        if self.fmt not in ("csv", "jsonl"):
            raise ValueError(f"cannot infer the format of {self.path}: use a .csv or .jsonl file or pass fmt")
        self.mapping = mapping
        self.name = source_name
        self.skip_invalid = skip_invalid
        self.vocab = vocabulary or load_vocabulary()
        self.rejected: list[RejectedRow] = []

    def load(self, data_dir: Path | None = None) -> SourceBatch:
        """Read the file; a relative ``path`` is taken relative to ``data_dir``."""
        path = self.path if self.path.is_absolute() or data_dir is None else Path(data_dir) / self.path
        require_path(path, f"catalog file for source {self.name!r}")
        self.rejected = []
        products: list[Product] = []
        seen: dict[str, int] = {}
        for row_no, line_no, record in self._records(path):
            try:
                product = self._product(record)
                if product.id in seen:
                    raise ValueError(f"duplicate id {product.id!r} (first seen in row {seen[product.id]})")
                seen[product.id] = row_no
                products.append(product)
            except (ValidationError, ValueError) as exc:
                self._reject(
                    InvalidRowError(row_no, _describe(exc), f"line {line_no} of {path.name}"), record, line_no
                )
        return SourceBatch(products=products, links=[])

    # --- reading ----------------------------------------------------------------------------------

    def _reject(self, err: InvalidRowError, record: dict[str, Any], line: int) -> None:
        if not self.skip_invalid:
            raise err
        self.rejected.append(RejectedRow(row=err.row, line=line, problem=err.problem, data=record))

    def _records(self, path: Path) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(data row number, file line number, record) for each row of the file."""
        if self.fmt == "csv":
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                absent = [c for c in self.mapping.values() if c not in (reader.fieldnames or [])]
                if absent:
                    raise ValueError(
                        f"{path}: mapped columns {absent} are not in the header {reader.fieldnames}"
                    )
                for i, row in enumerate(reader, start=1):
                    yield i, reader.line_num, dict(row)
            return
        with path.open(encoding="utf-8") as fh:
            n = 0
            for i, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                n += 1
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError as exc:
                    where = f"line {i} of {path.name}"
                    self._reject(InvalidRowError(n, f"not valid JSON ({exc.msg})", where), {"raw": line}, i)
                    continue
                if not isinstance(doc, dict):
                    self._reject(InvalidRowError(n, "not a JSON object", f"line {i} of {path.name}"), {}, i)
                    continue
                yield n, i, doc

    def _get(self, record: dict[str, Any], field: str) -> Any:
        column = self.mapping.get(field)
        if column is None:
            return None
        value = record.get(column)
        if isinstance(value, str):
            value = value.strip()
        return None if value in ("", None) else value

    def _list(self, record: dict[str, Any], field: str) -> list[str]:
        value = self._get(record, field)
        if value is None:
            return []
        items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
        return [c for item in items if (c := clean_inline(str(item)))]

    # --- normalising --------------------------------------------------------------------------------

    def _product(self, record: dict[str, Any]) -> Product:
        key = self._get(record, "id") or self._get(record, "sku")
        if key is None:
            raise ValueError(f"no id: column {self.mapping.get('id') or self.mapping.get('sku')!r} is empty")
        name = self._get(record, "name")
        if name is None:
            raise ValueError(f"no name: column {self.mapping['name']!r} is empty")
        price = self._get(record, "price")
        if price is None:
            raise ValueError(f"no price: column {self.mapping['price']!r} is empty")
        try:
            price_value = float(str(price).replace("$", "").replace(",", ""))
        except ValueError:
            raise ValueError(f"price {price!r} is not a number") from None
        name = clean_inline(str(name))
        raw_category = self._get(record, "category")
        path = [p for p in _PATH_SPLIT.split(clean_inline(str(raw_category))) if p] if raw_category else []
        category = self.vocab.canonical_type(path[-1]) if path else None
        category = category or self.vocab.product_type_of(name) or (path[-1].lower() if path else None)
        fields: dict[str, Any] = {
            "id": f"{self.name}:{key}",
            "source": self.name,
            "sku": str(self._get(record, "sku") or key),
            "name": name,
            "description": html_to_text(str(self._get(record, "description") or "")),
            "category": category,
            "category_path": path,
            "gender": self._gender(self._get(record, "gender")),
            "brand": clean_inline(str(b)) if (b := self._get(record, "brand")) else None,
            "price": price_value,
            "colors": unique(
                self.vocab.canonical_color(c) or c.lower() for c in self._list(record, "colors")
            ),
            "sizes": unique(self.vocab.canonical_size(s) or s.upper() for s in self._list(record, "sizes")),
            "materials": unique(
                self.vocab.canonical_material(m) or m.lower() for m in self._list(record, "materials")
            ),
        }
        for optional in ("rating", "review_count", "popularity", "currency"):
            if (value := self._get(record, optional)) is not None:
                fields[optional] = value
        return Product.model_validate(fields)

    def _gender(self, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value).lower()
        if "unisex" in text:
            return "unisex"
        found = self.vocab.genders_in(text)
        if len(found) == 1:
            return found[0]
        return "unisex" if len(found) > 1 else None


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)
