"""Training and evaluation labels, each from a documented, honest source.

1. **Attribute relevance** (``grade``): a query's structured constraints judged against a product's
   catalog attributes. The same rule grades the generated training queries and the golden
   evaluation queries, so both measure one thing: does the product meet what was asked?

   * a stated ``category`` the product does not have → 0 (a wrong product type is never relevant);
   * every stated constraint met → 3, or 2 when the query states a single constraint (a bare
     "hoodies" says less about which hoodie is right);
   * category met (or not stated) and at least half of the other stated constraints met → 1;
   * otherwise 0. A query with no constraints cannot be judged and gets no judgments.

   Gender is met by the asked gender or ``unisex`` (the index filter's meaning); colour, size and
   material are met when the product offers that value; price when it lies in [min, max].

2. **Generated queries** (``generate_queries``): shopper-style texts from templates over *one
   seed product's* attributes (its type, gender, one of its colours/sizes/materials, its brand, a
   price ceiling above its price), with the template's stated constraints kept beside the text.
   They never come from ``evals/golden``; ``assert_disjoint`` checks that no text is a golden query.

3. **Merchandising and co-purchase links** (``link_grade``): Magento related / up-sell /
   cross-sell links and Kibana co-purchases, as weak relevance for cross-sell.

Splits are by query (``split_of``): a hash of the query id decides, so all rows of a query land in
one split and no query straddles train and validation.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.catalog.sources.base import ProductLink
from app.domain.catalog import Product
from app.domain.turn import Filters


def _has(values: Iterable[str | None], want: str) -> bool:
    w = want.strip().lower()
    return any(v is not None and v.strip().lower() == w for v in values)


def constraint_checks(c: Filters, p: Product) -> list[bool]:
    """Whether ``p`` meets each *non-category* constraint ``c`` states, in a fixed order."""
    checks: list[bool] = []
    if c.gender:
        checks.append(p.gender is not None and p.gender.lower() in (c.gender.lower(), "unisex"))
    if c.color:
        checks.append(_has(p.colors, c.color))
    if c.size:
        checks.append(_has(p.sizes, c.size))
    if c.material:
        checks.append(_has(p.materials, c.material))
    if c.brand:
        checks.append(_has([p.brand], c.brand))
    if c.price_min is not None or c.price_max is not None:
        lo = c.price_min if c.price_min is not None else 0.0
        hi = c.price_max if c.price_max is not None else float("inf")
        checks.append(lo <= p.price <= hi)
    return checks


def grade(c: Filters, p: Product) -> int:
    """The graded relevance (0-3) of ``p`` for a query stating constraints ``c`` (rule above)."""
    if c.category and (p.category or "").lower() != c.category.lower():
        return 0
    checks = constraint_checks(c, p)
    stated = len(checks) + (1 if c.category else 0)
    if stated == 0:
        return 0
    if all(checks):
        return 3 if stated >= 2 else 2
    return 1 if sum(checks) * 2 >= len(checks) else 0


def is_thin(p: Product) -> bool:
    """A listing a shopper cannot decide from (judging guideline 6): no sizes, no reviews and no
    description beyond the boilerplate "<name> by <brand> ... Available in <colours>"."""
    desc = " ".join(p.description.split())
    boilerplate = not desc or (desc.startswith(p.name) and len(desc) < len(p.name) + 120)
    return not p.sizes and not p.review_count and boilerplate


def need_grade(c: Filters, p: Product) -> int:
    """Training label in the spirit of ``evals/golden/judging_guidelines.md``: the attribute grade,
    one lower (never below 1) when the listing is too thin to decide from. It is derived from the
    written guidelines and the product text only, never from the test judgments; it gives the
    ranker a reason to prefer an informative listing among products that meet the same
    constraints (the "five identical $22.67 hoodies" symptom of issue 16)."""
    g = grade(c, p)
    return max(g - 1, 1) if g >= 2 and is_thin(p) else g


def judgments(c: Filters, catalog: Sequence[Product]) -> dict[str, int]:
    """Non-zero grades of every catalog product for constraints ``c`` (empty if none stated)."""
    if c.is_empty():
        return {}
    return {p.id: g for p in catalog if (g := grade(c, p)) > 0}


def split_of(query_id: str, valid_share: float = 0.2) -> str:
    """'train' or 'valid', from a hash of the query id only (never of a row). Variant lists of one
    query ("g00012/miss") share its split."""
    h = int(hashlib.sha1(query_id.split("/")[0].encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "valid" if h < valid_share else "train"


# --- generated queries ------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedQuery:
    id: str
    text: str
    constraints: Filters
    seed_product: str


_GENDER_WORDS = {"women": ["women's", "womens", "ladies", "for her"], "men": ["men's", "mens", "for him"]}
_TEMPLATES = (
    "{gender} {color} {category}",
    "{color} {category} {gender}",
    "{category} in {color}",
    "{gender} {category} size {size}",
    "{material} {category}",
    "{gender} {material} {category} under ${price}",
    "{category} under ${price}",
    "{brand} {category}",
    "{color} {material} {category} for {gender_noun}",
    "looking for a {color} {category}",
    "{gender} {category}",
    "{category}",
    "{category} {gender} {color} size {size} under ${price}",
)


def _price_ceiling(price: float) -> int:
    """A round budget above ``price`` as a shopper would say it (25, 40, 50, 75, 100, ...)."""
    for step in (25, 40, 50, 60, 75, 100, 120, 150, 200, 250, 300, 400, 500):
        if price <= step:
            return step
    return int(price // 100 + 1) * 100


def _fill(template: str, p: Product, rng: random.Random) -> tuple[str, Filters] | None:
    """Fill ``template`` from ``p``'s attributes, or None when ``p`` lacks a slot's attribute."""
    slots: dict[str, str] = {}
    c: dict[str, object] = {"category": p.category}
    if not p.category:
        return None
    slots["category"] = p.category
    if "{gender" in template:
        if p.gender not in _GENDER_WORDS:
            return None
        assert p.gender is not None
        slots["gender"] = rng.choice(_GENDER_WORDS[p.gender])
        slots["gender_noun"] = "her" if p.gender == "women" else "him"
        c["gender"] = p.gender
    for slot, values in (("color", p.colors), ("size", p.sizes), ("material", p.materials)):
        if "{" + slot + "}" in template:
            if not values:
                return None
            value = rng.choice(sorted(values))
            slots[slot] = value.lower() if slot != "size" else value.upper()
            c[slot] = slots[slot]
    if "{brand}" in template:
        if not p.brand:
            return None
        slots["brand"] = p.brand
        c["brand"] = p.brand
    if "{price}" in template:
        ceiling = _price_ceiling(p.price)
        slots["price"] = str(ceiling)
        c["price_max"] = float(ceiling)
    return template.format(**slots), Filters.model_validate(c)


def generate_queries(
    catalog: Sequence[Product], n: int, seed: int = 7, exclude: Iterable[str] = ()
) -> list[GeneratedQuery]:
    """``n`` distinct generated queries from random (seeded) products and templates; a text that
    equals one of ``exclude`` (the golden queries) is skipped, never trained on."""
    rng = random.Random(seed)
    products = sorted((p for p in catalog if p.category), key=lambda p: p.id)
    out: list[GeneratedQuery] = []
    seen: set[str] = {normalise(t) for t in exclude}
    attempts = 0
    while len(out) < n and attempts < n * 50:
        attempts += 1
        p = rng.choice(products)
        filled = _fill(rng.choice(_TEMPLATES), p, rng)
        if filled is None or normalise(filled[0]) in seen:
            continue
        text, constraints = filled
        seen.add(normalise(text))
        out.append(GeneratedQuery(f"g{len(out):05d}", text, constraints, p.id))
    return out


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def assert_disjoint(generated: Iterable[str], golden: Iterable[str]) -> None:
    """Fail loudly if any generated training text is one of the golden evaluation queries."""
    overlap = {normalise(t) for t in generated} & {normalise(t) for t in golden}
    if overlap:
        raise AssertionError(f"training queries overlap the golden set: {sorted(overlap)[:5]}")


# --- links (cross-sell) -------------------------------------------------------------------------


def link_grade(link: ProductLink) -> int:
    """Weak relevance of a linked product for cross-sell: a merchandiser's cross-sell or a pair
    bought together in two or more orders → 3; one co-purchase or an up-sell → 2; related → 1."""
    if link.kind == "crosssell" or (link.kind == "copurchase" and link.weight >= 2):
        return 3
    if link.kind in ("copurchase", "upsell"):
        return 2
    return 1
