"""``Filters`` → Qdrant payload filters, for Qdrant Edge and for qdrant-client, with one meaning.

Both translations go through one backend-neutral list of ``Condition`` so that the two backends
cannot drift apart. The payload they match is ``Product.payload()``: ``colors`` and ``materials``
are stored lower case and ``sizes`` upper case, so the filter values are normalised the same way.
A shopper asking for women's (or men's) products also gets unisex ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import qdrant_edge as qe

from app.domain.turn import Filters

if TYPE_CHECKING:
    from qdrant_client.http import models as qm

#: Payload fields and their index types; both backends create exactly these indexes.
KEYWORD_FIELDS = ("category", "gender", "brand", "colors", "sizes", "materials")
FLOAT_FIELDS = ("price",)

UNISEX = "unisex"


@dataclass(frozen=True)
class Condition:
    """One payload condition: ``value`` (exact), ``any`` (one of) or ``range`` (gte/lte)."""

    key: str
    kind: Literal["value", "any", "range"]
    value: str | None = None
    values: tuple[str, ...] = ()
    gte: float | None = None
    lte: float | None = None


def conditions(filters: Filters) -> list[Condition]:
    """The conjunction of conditions ``filters`` stands for (empty for empty filters)."""
    out: list[Condition] = []
    if filters.category:
        out.append(Condition("category", "value", value=filters.category.strip()))
    if filters.gender:
        gender = filters.gender.strip().lower()
        out.append(Condition("gender", "any", values=tuple(dict.fromkeys([gender, UNISEX]))))
    if filters.color:
        out.append(Condition("colors", "value", value=filters.color.strip().lower()))
    if filters.size:
        out.append(Condition("sizes", "value", value=filters.size.strip().upper()))
    if filters.material:
        out.append(Condition("materials", "value", value=filters.material.strip().lower()))
    if filters.brand:
        out.append(Condition("brand", "value", value=filters.brand.strip()))
    if filters.price_min is not None or filters.price_max is not None:
        out.append(Condition("price", "range", gte=filters.price_min, lte=filters.price_max))
    return out


def edge_filter(filters: Filters) -> qe.Filter | None:
    """A ``qdrant_edge.Filter`` (all conditions in ``must``), or None when nothing is filtered."""
    conds = conditions(filters)
    if not conds:
        return None
    must: list[qe.ConditionType] = []
    for c in conds:
        if c.kind == "value":
            assert c.value is not None
            must.append(qe.FieldCondition(c.key, match=qe.MatchValue(c.value)))
        elif c.kind == "any":
            must.append(qe.FieldCondition(c.key, match=qe.MatchAny(list(c.values))))
        else:
            must.append(qe.FieldCondition(c.key, range=qe.RangeFloat(gte=c.gte, lte=c.lte)))
    return qe.Filter(must=must)


def client_filter(filters: Filters) -> qm.Filter | None:
    """A ``qdrant_client.models.Filter`` with the same meaning as ``edge_filter``."""
    from qdrant_client.http import models as qm

    conds = conditions(filters)
    if not conds:
        return None
    must: list[qm.Condition] = []
    for c in conds:
        if c.kind == "value":
            assert c.value is not None
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchValue(value=c.value)))
        elif c.kind == "any":
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchAny(any=list(c.values))))
        else:
            must.append(qm.FieldCondition(key=c.key, range=qm.Range(gte=c.gte, lte=c.lte)))
    return qm.Filter(must=must)
