"""Ranking features: small pure functions, and one fixed, versioned feature list.

Training and serving build the feature vector with the same ``feature_vector`` call on the same
inputs (a hybrid-retrieval ``Candidate``, the ``Product``, the ``QueryContext``), so the model never
sees a feature at serve time that was computed differently at training time. Changing the list or
the meaning of a feature means bumping ``FEATURE_VERSION``; an artifact records the list it was
trained with and the ranker refuses an artifact whose list differs.

Two implementations compute the same values. ``feature_vector`` (one candidate, plain Python) is the
specification and what training uses; ``feature_matrix`` (the whole list at once, numpy over a
``ProductTable`` precomputed once per catalog snapshot) is what serving uses, because building 100
dicts per turn cost 5-13 ms (load-dependent) against ~1 ms for the model itself. ``tests/recsys/
test_features_vectorised.py`` asserts the two agree on real candidates, feature by feature.

Conventions: a structured-match feature is 1.0 when the shopper asked for the attribute and the
product has it, 0.0 when asked and missing, and -1.0 when not asked (trees split the three apart;
"not asked" is not the same evidence as "matched"). Missing numbers (no rating, no session) are
-1.0 for the same reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Candidate, Filters
from recsys.text import (
    ListStats,
    head_match,
    info_total,
    list_stats,
    listing_of,
    name_key,
    need_fields,
    overlap,
    terms_of,
    weighted_match,
)

__all__ = ["listing_of", "overlap", "terms_of"]  # re-exported: callers and tests import them from here

FEATURE_VERSION = "f4"
FEATURES: tuple[str, ...] = (
    "dense",
    "sparse",
    "dense_rel",
    "sparse_rel",
    "in_dense",
    "in_sparse",
    "fused_rank",
    "match_category",
    "match_gender",
    "match_color",
    "match_size",
    "match_material",
    "match_brand",
    "price_fit",
    "rating",
    "reviews",
    "popularity",
    "session_seen_sim",
    "session_cart_sim",
    # f2: features that can see the need (issue 16)
    "info_description",
    "info_sizes",
    "info_colors",
    "variant_size",
    "variant_color",
    "rating_bayes",
    "price_position",
    # f3: live availability of the asked variant (issue 17)
    "in_stock",
    # f4: the need against what distinguishes this list's products, and thin twins (recsys.text)
    "need_name",
    "need_text",
    "head_in_name",
    "name_twins",
    "info_total",
)
#: Feature groups for the ablation table (``ctp recsys ablate``).
GROUPS: dict[str, tuple[str, ...]] = {
    "retrieval": ("dense", "sparse", "dense_rel", "sparse_rel", "in_dense", "in_sparse", "fused_rank"),
    "structured match": (
        "match_category",
        "match_gender",
        "match_color",
        "match_size",
        "match_material",
        "match_brand",
        "price_fit",
    ),
    "list-weighted need match": ("need_name", "need_text", "head_in_name"),
    "information richness": ("info_description", "info_sizes", "info_colors", "name_twins", "info_total"),
    "variant availability": ("variant_size", "variant_color", "in_stock"),
    "rating + popularity": ("rating", "reviews", "popularity", "rating_bayes"),
    "price position": ("price_position",),
    "session": ("session_seen_sim", "session_cart_sim"),
}
NOT_ASKED = -1.0
MISSING = -1.0


@dataclass(frozen=True)
class QueryContext:
    """What the features of one query's candidate list depend on besides the candidate itself.

    ``max_dense``/``max_sparse`` are the best arm scores in this candidate list (BM25 scores are not
    comparable across queries; their ratio to the list's best is). ``seen`` and ``cart`` are unit
    vectors of products viewed/shown and carted in this conversation (rows), possibly empty.
    """

    filters: Filters
    terms: frozenset[str] = frozenset()
    median_price: float = 0.0
    max_dense: float = 0.0
    max_sparse: float = 0.0
    seen: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    cart: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    listing: ListStats = field(default_factory=ListStats)


PRIOR_MEAN, PRIOR_WEIGHT = 3.5, 5.0


def variant_has(product: Product, size: str | None, color: str | None) -> tuple[float, float]:
    """Whether a purchasable variant carries the asked size / colour (1/0; -1 not asked). A product
    without variants falls back to its listed sizes/colours (Kibana items are single-SKU)."""

    def one(asked: str | None, attr: str, listed: Sequence[str]) -> float:
        if not asked:
            return NOT_ASKED
        want = asked.strip().lower()
        if product.variants:
            return float(any((getattr(v, attr) or "").strip().lower() == want for v in product.variants))
        return float(any(x.strip().lower() == want for x in listed))

    return one(size, "size", product.sizes), one(color, "color", product.colors)


def stock_value(in_stock: bool | None) -> float:
    """``Candidate.in_stock`` as a number: 1.0 a unit of the asked variant (any variant when none is
    asked) is left, 0.0 sold out, -1.0 not read (offline candidate lists, logs from before f3)."""
    return MISSING if in_stock is None else float(in_stock)


def bayes_rating(rating: float | None, review_count: int) -> float:
    """Rating shrunk towards ``PRIOR_MEAN`` by ``PRIOR_WEIGHT`` pseudo-reviews (no reviews → the prior)."""
    n = max(review_count, 0) if rating is not None else 0
    return ((rating or 0.0) * n + PRIOR_MEAN * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)


def price_position(price: float, median: float) -> float:
    """Price relative to the list's median price (1.0 = the median; 0 when the list has none)."""
    return price / median if median > 0 else 0.0


def relative(score: float | None, best: float) -> float:
    """``score / best`` in the list (0 when absent or when the list has no positive best)."""
    if score is None or best <= 0:
        return 0.0
    return score / best


def match_value(asked: str | None, values: Sequence[str | None]) -> float:
    """1.0 asked and present among ``values`` (case-insensitive), 0.0 asked and absent, -1.0 not asked."""
    if not asked:
        return NOT_ASKED
    want = asked.strip().lower()
    return 1.0 if any(v is not None and v.strip().lower() == want for v in values) else 0.0


def match_gender(asked: str | None, gender: str | None) -> float:
    """Like ``match_value``, but unisex products serve either gender (as the index filter does)."""
    if not asked:
        return NOT_ASKED
    return 1.0 if gender is not None and gender.lower() in (asked.lower(), "unisex") else 0.0


def price_fit(price: float, lo: float | None, hi: float | None) -> float:
    """1.0 inside the asked range, decaying linearly to 0 at twice the distance of the bound
    (``hi`` overshot by 100 % or undercut ``lo`` by 100 %); -1.0 when no range was asked."""
    if lo is None and hi is None:
        return NOT_ASKED
    if hi is not None and price > hi:
        return max(0.0, 1.0 - (price - hi) / hi) if hi > 0 else 0.0
    if lo is not None and price < lo:
        return max(0.0, 1.0 - (lo - price) / lo) if lo > 0 else 0.0
    return 1.0


def rating_value(rating: float | None, review_count: int) -> float:
    """The product's average rating, -1.0 when it has none (Kibana products have no reviews)."""
    return MISSING if rating is None or review_count <= 0 else float(rating)


def log_count(n: int) -> float:
    """``log(1 + n)``: review counts and units sold are heavy-tailed."""
    return math.log1p(max(n, 0))


def max_similarity(vec: np.ndarray | None, session: np.ndarray) -> float:
    """Largest cosine similarity of ``vec`` (unit) to any row of ``session`` (unit); -1.0 when
    either is missing. A product that *is* in the session scores ~1.0."""
    if vec is None or session.size == 0:
        return MISSING
    return float(np.max(session @ vec))


def feature_vector(
    ctx: QueryContext, cand: Candidate, product: Product, vec: np.ndarray | None = None
) -> list[float]:
    """The features of ``cand`` for the query ``ctx``, in ``FEATURES`` order."""
    f = ctx.filters
    values: dict[str, float] = {
        "dense": cand.dense_score if cand.dense_score is not None else 0.0,
        "sparse": cand.sparse_score if cand.sparse_score is not None else 0.0,
        "dense_rel": relative(cand.dense_score, ctx.max_dense),
        "sparse_rel": relative(cand.sparse_score, ctx.max_sparse),
        "in_dense": float(cand.dense_score is not None),
        "in_sparse": float(cand.sparse_score is not None),
        "fused_rank": float(cand.retrieval_rank),
        "match_category": match_value(f.category, [product.category]),
        "match_gender": match_gender(f.gender, product.gender),
        "match_color": match_value(f.color, product.colors),
        "match_size": match_value(f.size, product.sizes),
        "match_material": match_value(f.material, product.materials),
        "match_brand": match_value(f.brand, [product.brand]),
        "price_fit": price_fit(product.price, f.price_min, f.price_max),
        "rating": rating_value(product.rating, product.review_count),
        "reviews": log_count(product.review_count),
        "popularity": log_count(product.popularity),
        "session_seen_sim": max_similarity(vec, ctx.seen),
        "session_cart_sim": max_similarity(vec, ctx.cart),
    }
    vsize, vcolor = variant_has(product, f.size, f.color)
    values.update(
        {
            "info_description": log_count(len(product.description)),
            "info_sizes": float(len(product.sizes)),
            "info_colors": float(len(product.colors)),
            "variant_size": vsize,
            "variant_color": vcolor,
            "rating_bayes": bayes_rating(product.rating, product.review_count),
            "price_position": price_position(product.price, ctx.median_price),
            "in_stock": stock_value(cand.in_stock),
        }
    )
    name_terms, text_terms = need_fields(product)
    lst = ctx.listing
    values.update(
        {
            "need_name": weighted_match(lst.name_weights, name_terms),
            "need_text": weighted_match(lst.text_weights, text_terms),
            "head_in_name": head_match(lst.head, name_terms),
            "name_twins": log_count(lst.twins.get(name_key(product.name), 1) - 1),
            "info_total": info_total(product),
        }
    )
    return [values[name] for name in FEATURES]


def context_for(
    filters: Filters,
    candidates: Sequence[Candidate],
    vectors: Mapping[str, np.ndarray] | None = None,
    seen_ids: Sequence[str] = (),
    cart_ids: Sequence[str] = (),
    query: str = "",
    prices: Sequence[float] = (),
    listing: ListStats | None = None,
) -> QueryContext:
    """The ``QueryContext`` of one candidate list: list maxima, the session's vectors, the query's
    content words, the median price of the list (``prices`` of its candidates) and its
    ``ListStats`` (``listing_of(query, products)``, or ``ProductTable.listing``; none: f4 missing)."""

    def stack(ids: Sequence[str]) -> np.ndarray:
        rows = [vectors[i] for i in dict.fromkeys(ids) if vectors is not None and i in vectors]
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)

    dense = [c.dense_score for c in candidates if c.dense_score is not None]
    sparse = [c.sparse_score for c in candidates if c.sparse_score is not None]
    return QueryContext(
        filters=filters,
        terms=terms_of(query),
        median_price=float(np.median(prices)) if len(prices) else 0.0,
        max_dense=max(dense, default=0.0),
        max_sparse=max(sparse, default=0.0),
        seen=stack(seen_ids),
        cart=stack(cart_ids),
        listing=listing or ListStats(),
    )


def reference_matrix(
    ctx: QueryContext,
    candidates: Sequence[Candidate],
    products: Sequence[Product],
    vectors: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The specification path: ``feature_vector`` per candidate, stacked (rows follow ``candidates``)."""
    rows = [
        feature_vector(ctx, c, p, vectors.get(c.product_id) if vectors else None)
        for c, p in zip(candidates, products, strict=True)
    ]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


# --- vectorised path -------------------------------------------------------------------------


def normalised(value: str) -> str:
    """How ``match_value`` compares strings: stripped and lower-cased."""
    return value.strip().lower()


@dataclass(frozen=True)
class Membership:
    """Which products carry each value of one attribute: a (products x values) boolean matrix.

    A product's value set is small (one category, a handful of colours), so a dense boolean matrix
    of ~3k products x a few hundred values is a few hundred kB and one fancy-index per query."""

    columns: dict[str, int]
    matrix: np.ndarray

    @classmethod
    def of(cls, per_product: Sequence[Iterable[str]]) -> Membership:
        columns: dict[str, int] = {}
        cells = [[columns.setdefault(v, len(columns)) for v in values] for values in per_product]
        matrix = np.zeros((len(per_product), len(columns)), dtype=bool)
        for row, cols in enumerate(cells):
            matrix[row, cols] = True
        return cls(columns, matrix)

    def has(self, value: str, rows: np.ndarray) -> np.ndarray:
        """Per row: does that product carry ``value`` (already normalised)?"""
        col = self.columns.get(value)
        return np.zeros(len(rows), dtype=bool) if col is None else self.matrix[rows, col]


@dataclass(frozen=True)
class ProductTable:
    """Per-product arrays of everything ``feature_vector`` reads from a ``Product`` and its vector,
    built once per catalog snapshot; row ``i`` is the product ``ids[i]``."""

    row: dict[str, int]
    price: np.ndarray
    rating: np.ndarray
    reviews: np.ndarray
    popularity: np.ndarray
    category: Membership
    gender: Membership
    color: Membership
    size: Membership
    material: Membership
    brand: Membership
    vectors: np.ndarray
    has_vector: np.ndarray
    info: np.ndarray  # (products x 3): info_description, info_sizes, info_colors
    rating_bayes: np.ndarray
    variant_size: Membership
    variant_color: Membership
    need: list[tuple[frozenset[str], frozenset[str]]]  # recsys.text.need_fields
    names: list[str]
    name_keys: list[str]  # recsys.text.name_key
    info_total: np.ndarray

    @classmethod
    def build(
        cls, products: Sequence[Product], vectors: Mapping[str, np.ndarray] | None = None
    ) -> ProductTable:
        vectors = vectors or {}

        def norm(values: Iterable[str | None]) -> list[str]:
            return [normalised(v) for v in values if v is not None]

        dim = len(next(iter(vectors.values()))) if vectors else 0
        matrix = np.zeros((len(products), dim), dtype=np.float32)
        has_vector = np.zeros(len(products), dtype=bool)
        for i, p in enumerate(products):
            if (v := vectors.get(p.id)) is not None:
                matrix[i], has_vector[i] = v, True
        return cls(
            row={p.id: i for i, p in enumerate(products)},
            price=np.array([p.price for p in products], dtype=np.float64),
            rating=np.array([rating_value(p.rating, p.review_count) for p in products], dtype=np.float64),
            reviews=np.array([log_count(p.review_count) for p in products], dtype=np.float64),
            popularity=np.array([log_count(p.popularity) for p in products], dtype=np.float64),
            category=Membership.of([norm([p.category]) for p in products]),
            # match_gender lower-cases without stripping
            gender=Membership.of([[p.gender.lower()] if p.gender is not None else [] for p in products]),
            color=Membership.of([norm(p.colors) for p in products]),
            size=Membership.of([norm(p.sizes) for p in products]),
            material=Membership.of([norm(p.materials) for p in products]),
            brand=Membership.of([norm([p.brand]) for p in products]),
            vectors=matrix,
            has_vector=has_vector,
            info=np.array(
                [[log_count(len(p.description)), len(p.sizes), len(p.colors)] for p in products],
                dtype=np.float64,
            ).reshape(len(products), 3),
            rating_bayes=np.array(
                [bayes_rating(p.rating, p.review_count) for p in products], dtype=np.float64
            ),
            variant_size=Membership.of(
                [norm([v.size for v in p.variants]) if p.variants else norm(p.sizes) for p in products]
            ),
            variant_color=Membership.of(
                [norm([v.color for v in p.variants]) if p.variants else norm(p.colors) for p in products]
            ),
            need=[need_fields(p) for p in products],
            names=[p.name for p in products],
            name_keys=[name_key(p.name) for p in products],
            info_total=np.array([info_total(p) for p in products], dtype=np.float64),
        )

    def listing(self, query: str, rows: Sequence[int]) -> ListStats:
        """``listing_of(query, products of rows)`` from the precomputed fields."""
        return list_stats(query, [self.need[r] for r in rows], [self.names[r] for r in rows])


def match_column(asked: str | None, membership: Membership, rows: np.ndarray) -> np.ndarray:
    """``match_value`` over ``rows``."""
    if not asked:
        return np.full(len(rows), NOT_ASKED)
    return membership.has(normalised(asked), rows).astype(np.float64)


def gender_column(asked: str | None, membership: Membership, rows: np.ndarray) -> np.ndarray:
    """``match_gender`` over ``rows``."""
    if not asked:
        return np.full(len(rows), NOT_ASKED)
    met: np.ndarray = membership.has(asked.lower(), rows) | membership.has("unisex", rows)
    return met.astype(np.float64)


def price_fit_column(price: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    """``price_fit`` over an array of prices (the upper bound wins when both are broken, as there)."""
    if lo is None and hi is None:
        return np.full(len(price), NOT_ASKED)
    out = np.ones(len(price), dtype=np.float64)
    if lo is not None:
        below = price < lo
        out[below] = np.maximum(0.0, 1.0 - (lo - price[below]) / lo) if lo > 0 else 0.0
    if hi is not None:
        above = price > hi
        out[above] = np.maximum(0.0, 1.0 - (price[above] - hi) / hi) if hi > 0 else 0.0
    return out


def similarity_column(table: ProductTable, rows: np.ndarray, session: np.ndarray) -> np.ndarray:
    """``max_similarity`` over ``rows``: one (rows x session) product instead of one per row."""
    out = np.full(len(rows), MISSING)
    has = table.has_vector[rows]
    if session.size == 0 or not has.any():
        return out
    out[has] = (table.vectors[rows[has]] @ session.T).max(axis=1)
    return out


def feature_matrix(ctx: QueryContext, candidates: Sequence[Candidate], table: ProductTable) -> np.ndarray:
    """The ``feature_vector`` of every candidate (all must be in ``table``), one row each, in
    ``FEATURES`` order, computed column by column."""
    n = len(candidates)
    rows = np.fromiter((table.row[c.product_id] for c in candidates), dtype=np.intp, count=n)
    in_dense = np.fromiter((c.dense_score is not None for c in candidates), dtype=bool, count=n)
    in_sparse = np.fromiter((c.sparse_score is not None for c in candidates), dtype=bool, count=n)
    dense = np.fromiter((c.dense_score or 0.0 for c in candidates), dtype=np.float64, count=n)
    sparse = np.fromiter((c.sparse_score or 0.0 for c in candidates), dtype=np.float64, count=n)
    rank = np.fromiter((c.retrieval_rank for c in candidates), dtype=np.float64, count=n)
    f = ctx.filters
    columns: dict[str, np.ndarray] = {
        "dense": dense,
        "sparse": sparse,
        "dense_rel": relative_column(dense, in_dense, ctx.max_dense),
        "sparse_rel": relative_column(sparse, in_sparse, ctx.max_sparse),
        "in_dense": in_dense.astype(np.float64),
        "in_sparse": in_sparse.astype(np.float64),
        "fused_rank": rank,
        "match_category": match_column(f.category, table.category, rows),
        "match_gender": gender_column(f.gender, table.gender, rows),
        "match_color": match_column(f.color, table.color, rows),
        "match_size": match_column(f.size, table.size, rows),
        "match_material": match_column(f.material, table.material, rows),
        "match_brand": match_column(f.brand, table.brand, rows),
        "price_fit": price_fit_column(table.price[rows], f.price_min, f.price_max),
        "rating": table.rating[rows],
        "reviews": table.reviews[rows],
        "popularity": table.popularity[rows],
        "session_seen_sim": similarity_column(table, rows, ctx.seen),
        "session_cart_sim": similarity_column(table, rows, ctx.cart),
        "info_description": table.info[rows, 0],
        "info_sizes": table.info[rows, 1],
        "info_colors": table.info[rows, 2],
        "variant_size": match_column(f.size, table.variant_size, rows),
        "variant_color": match_column(f.color, table.variant_color, rows),
        "rating_bayes": table.rating_bayes[rows],
        "price_position": table.price[rows] / ctx.median_price if ctx.median_price > 0 else np.zeros(n),
        "in_stock": np.fromiter((stock_value(c.in_stock) for c in candidates), dtype=np.float64, count=n),
        **need_columns(ctx.listing, table, rows),
        "info_total": table.info_total[rows],
    }
    return np.column_stack([columns[name] for name in FEATURES]).reshape(n, len(FEATURES))


def relative_column(scores: np.ndarray, present: np.ndarray, best: float) -> np.ndarray:
    """``relative`` over a column: ``score / best`` where present, 0 elsewhere or without a positive best."""
    if best <= 0:
        return np.zeros(len(scores))
    return np.where(present, scores / best, 0.0)


def need_columns(lst: ListStats, table: ProductTable, rows: np.ndarray) -> dict[str, np.ndarray]:
    """``need_name``, ``need_text``, ``head_in_name`` and ``name_twins`` over ``rows``: the same
    sums in the same order as ``weighted_match``, without a call per row."""
    n = len(rows)
    out = {name: np.full(n, MISSING) for name in ("need_name", "need_text", "head_in_name")}
    idx = rows.tolist()
    for name, weights, part in (("need_name", lst.name_weights, 0), ("need_text", lst.text_weights, 1)):
        items = list(weights.items())
        total = sum(w for _, w in items)
        if total > 0:
            col = out[name]
            for i, r in enumerate(idx):
                terms = table.need[r][part]
                col[i] = sum(w for t, w in items if t in terms) / total
    if lst.head is not None:
        head = lst.head
        out["head_in_name"] = np.fromiter((head in table.need[r][0] for r in idx), dtype=np.float64, count=n)
    twins = (log_count(lst.twins.get(table.name_keys[r], 1) - 1) for r in idx)
    out["name_twins"] = np.fromiter(twins, dtype=np.float64, count=n)
    return out
