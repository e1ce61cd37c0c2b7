"""The combined guard: one calibrated score from density, type coverage and lexical coverage.

kNN density alone cannot tell "espresso machine" from "espadrilles": MiniLM puts near-domain
requests close to apparel, and the calibrated cosine threshold (≈ 0.30) lets most of them through.
The combined score adds what the *words* of the request say about the catalog:

=================  ==========================================================================
feature            meaning
=================  ==========================================================================
``knn``            cosine to the k-th nearest product (the density guard's score)
``top1``           cosine to the nearest product
``type_carried``   the request's head is a product type of the catalog (``app.guard.coverage``)
``type_unknown``   the head is a word the catalog never uses ("machine", "fillet", "sofa")
``lexical``        share of the request's content words the catalog uses
``knn×type``       interaction: density only counts when the type is carried
``phrase_*``       the same for the type phrase as typed (kNN, best type cosine, head, words)
``type_as_mod…``   a store type modifies a head that is none ("watch battery", "shoe rack")
=================  ==========================================================================

A logistic regression over these (fit with outlier exposure in ``evals.guard_training`` on the
train/validation splits of CLINC150, WANDS and ESCI plus in-scope train queries) gives p(in scope);
the nonconformity ``1 − p`` is calibrated with the same split-conformal rule as the density guard,
so false abstention stays ≤ α on exchangeable in-scope queries. Pure numpy; a check costs one kNN
query and a few set look-ups.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from app.domain.catalog import Product
from app.domain.turn import Candidate, GuardDecision, ShoppingTurn
from app.guard.calibration import knn_score
from app.guard.conformal import conformal_rank, conformal_threshold
from app.guard.coverage import ProductTypes, coverage_path, load_or_build, words
from app.guard.density import REPORTED_NEIGHBOURS, DensityGuard
from app.guard.fence import radius_fence
from app.guard.intent import decided_by_intent
from app.guard.type_vectors import TextEncoder, TypeVectors, load_or_build_vectors, type_vectors_path
from app.index.base import VectorIndex
from app.pipeline.extract.heads import requested_head
from app.settings import Settings

log = logging.getLogger(__name__)

METHOD = "combined-lr"
FEATURES = (
    "knn",
    "top1",
    "type_carried",
    "type_unknown",
    "lexical",
    "knn_x_type",
    "phrase_knn",
    "type_sim",
    "phrase_head_carried",
    "phrase_lexical",
    "type_as_modifier",
)
SCHEMA = 4


def turn_head(turn: ShoppingTurn) -> str | None:
    """The head noun the extractor found; for a backend that does not report one, the last word
    of the turn's query when no store type was found."""
    if turn.head is not None or turn.filters.category is not None or not turn.query:
        return turn.head
    head = requested_head(turn.query, [], [])
    return head.word if head else None


def phrase_to_embed(turn: ShoppingTurn) -> str | None:
    """The type phrase when the search text does not already say it, else ``None`` (the query
    vector stands for it): "black hoodie" is in "hoodie black", so only requests whose words the
    extractor reinterpreted ("mint chocolate ice cream" → "ice" + green) cost a second embedding."""
    if not turn.phrase:
        return None
    f = turn.filters
    said = set(words(" ".join(x for x in (turn.query, f.category, f.color, f.material, f.gender) if x)))
    return None if set(words(turn.phrase)) <= said else turn.phrase


@dataclass(frozen=True)
class Signals:
    """What the index and the type vectors say about one request: the nearest products to the
    search text and to the type phrase, and the best cosine of the phrase to a catalog type."""

    nearest: Sequence[tuple[str, float]]
    phrase_nearest: Sequence[tuple[str, float]]
    type_sim: float


def _kth(nearest: Sequence[tuple[str, float]], k: int) -> tuple[float, float]:
    sims = sorted((s for _, s in nearest), reverse=True)
    return (sims[min(k, len(sims)) - 1], sims[0]) if sims else (-1.0, -1.0)


def features(turn: ShoppingTurn, signals: Signals, k: int, types: ProductTypes) -> list[float]:
    kth, top1 = _kth(signals.nearest, k)
    phrase_kth, _ = _kth(signals.phrase_nearest, k)
    # the head of the phrase as typed ("rack" in "coat rack", "polish" in "shoe polish brown"), which
    # can differ from the store type the extractor picked inside it ("coat", "shoe")
    ph = types.phrase_head(turn.phrase)
    modifier = types.type_as_modifier(turn.phrase)
    if modifier:  # the store type only modifies what is asked for: the head decides, not the modifier
        coverage = types.type_coverage(ph, None)
    else:
        coverage = types.type_coverage(turn_head(turn), turn.filters.category)
    carried = 1.0 if coverage == 1.0 else 0.0
    return [
        kth,
        top1,
        carried,
        1.0 if coverage == 0.0 else 0.0,
        types.lexical_coverage(turn.query),
        kth * carried,
        phrase_kth,
        signals.type_sim,
        1.0 if ph is None or types.carries(ph) else 0.0,
        types.lexical_coverage(turn.phrase or turn.query),
        1.0 if modifier else 0.0,
    ]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 50) -> np.ndarray:
    """Weights (bias last) of an L2-regularised logistic regression by Newton's method (IRLS).
    ``y`` is 1 for in scope. Balanced class weights: the out-of-scope side is much larger."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(len(y) - y.sum()))
    sample_w = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (sample_w * (p - y)) + reg @ w
        hess = (xb * (sample_w * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w


def nonconformity(weights: Sequence[float], feats: Sequence[float]) -> float:
    """1 − p(in scope): higher = less in scope, as for the density guard's distance."""
    z = float(np.dot(weights[:-1], feats)) + float(weights[-1])
    return 1.0 - 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class QueryEncoder(TextEncoder, Protocol):
    def encode_query(self, text: str) -> np.ndarray: ...


class CombinedModel(BaseModel):
    """The artifact ``<var_dir>/calibration/combined.json``."""

    schema_version: int = SCHEMA
    version: str
    method: str = METHOD
    k: int
    alpha: float
    features: list[str]
    weights: list[float]
    threshold: float
    n: int
    rank: int
    index_version: str
    encoder_version: str
    types_version: str
    type_vectors_version: str
    training: dict[str, int]
    created_at: datetime
    scores: list[float]
    #: needs ("long walks in the snow") are judged by kNN distance alone, calibrated on their own
    #: (Mondrian split conformal: the need turns of the calibration set); ``None`` when there were
    #: too few, and the density guard's radius judges them
    need_threshold: float | None = None
    need_scores: list[float] = []

    def matches(
        self,
        index_version: str | None,
        encoder_version: str,
        types_version: str,
        alpha: float,
        type_vectors_version: str,
    ) -> bool:
        return (
            self.schema_version == SCHEMA
            and self.index_version == index_version
            and self.encoder_version == encoder_version
            and self.types_version == types_version
            and self.type_vectors_version == type_vectors_version
            and self.alpha == alpha
        )


def make_model(
    weights: Sequence[float],
    calibration_scores: Sequence[float],
    *,
    k: int,
    alpha: float,
    index_version: str,
    encoder_version: str,
    types_version: str,
    type_vectors_version: str,
    training: dict[str, int],
    need_scores: Sequence[float] = (),
) -> CombinedModel:
    scores = sorted(float(s) for s in calibration_scores)
    needs = sorted(float(s) for s in need_scores)
    need_threshold = conformal_threshold(needs, alpha) if needs else None
    fields = {
        "k": k,
        "alpha": alpha,
        "features": list(FEATURES),
        "weights": [float(w) for w in weights],
        "threshold": conformal_threshold(scores, alpha),
        "n": len(scores),
        "rank": conformal_rank(len(scores), alpha),
        "index_version": index_version,
        "encoder_version": encoder_version,
        "types_version": types_version,
        "type_vectors_version": type_vectors_version,
        "training": training,
        "scores": scores,
        "need_threshold": need_threshold if need_threshold is None or math.isfinite(need_threshold) else None,
        "need_scores": needs,
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    return CombinedModel(version=f"{METHOD}-a{alpha:g}-{digest}", created_at=datetime.now(UTC), **fields)  # type: ignore[arg-type]


def model_path(var_dir: Path) -> Path:
    return var_dir / "calibration" / "combined.json"


def load_model(path: Path) -> CombinedModel | None:
    try:
        return CombinedModel.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None


#: A catalog type counts as the requested one for the product-level fence when the type phrase is
#: at least this similar to it and within ``TYPE_MARGIN`` of the nearest type ("joggers" → pants,
#: "tracksuit bottoms" → pants); read off scope_dev phrases (docs/abstention.md).
TYPE_MATCH = 0.45
TYPE_MARGIN = 0.1
#: How many nearest carried types an abstention names.
NAMED_TYPES = 3


def type_matches(turn: ShoppingTurn, similar: Sequence[tuple[str, float]], types: ProductTypes) -> list[str]:
    """The type names a product must use (name, category or path) to count as what was asked for:
    the catalog types the type phrase is close to, and the phrase's own head when every word of
    the phrase is one the catalog uses ("sports bra" → bra; not "patio furniture *set*")."""
    top = similar[0][1] if similar else 0.0
    found = [label for label, sim in similar if sim >= TYPE_MATCH and sim >= top - TYPE_MARGIN]
    head = types.phrase_head(turn.phrase) or turn_head(turn)
    if head and types.carries(head) and types.lexical_coverage(turn.phrase or turn.query) == 1.0:
        found.append(head)
    return found


class CombinedGuard:
    """``Guard`` over the combined score. ``embed`` encodes the request's type phrase (the encoder's
    LRU cache makes a repeated phrase free); the fence keeps the density guard's radius."""

    def __init__(
        self,
        index: VectorIndex,
        model: CombinedModel,
        types: ProductTypes,
        type_vectors: TypeVectors,
        embed: Callable[[str], np.ndarray],
        fence_radius: float | None,
    ) -> None:
        self.index = index
        self.model = model
        self.types = types
        self.type_vectors = type_vectors
        self.embed = embed
        self.method = METHOD
        self.version = model.version
        self.fence_radius = fence_radius

    @property
    def need_radius(self) -> float | None:
        """The cosine a need's k-th nearest product must reach."""
        if self.model.need_threshold is not None:
            return 1.0 - self.model.need_threshold
        return self.fence_radius

    def signals(self, turn: ShoppingTurn, query_vec: np.ndarray) -> tuple[Signals, list[tuple[str, float]]]:
        """The signals of one request and the nearest carried types to its type phrase."""
        _, nearest = knn_score(self.index, query_vec, self.model.k, fetch=REPORTED_NEIGHBOURS)
        phrase_vec, phrase_nearest = query_vec, nearest
        phrase = phrase_to_embed(turn)
        if phrase:
            phrase_vec = self.embed(phrase)
            phrase_nearest = self.index.nearest(phrase_vec, self.model.k)
        similar = self.type_vectors.similar(phrase_vec)
        type_sim = similar[0][1] if similar else 0.0
        return Signals(nearest, phrase_nearest, type_sim), similar

    def score(self, turn: ShoppingTurn, query_vec: np.ndarray) -> tuple[float, Signals]:
        signals, _ = self.signals(turn, query_vec)
        return nonconformity(self.model.weights, features(turn, signals, self.model.k, self.types)), signals

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        decided, decision = decided_by_intent(turn, query_vec, self.version)
        if decided or query_vec is None:
            return decision
        signals, similar = self.signals(turn, query_vec)
        s = nonconformity(self.model.weights, features(turn, signals, self.model.k, self.types))
        abstain = s > self.model.threshold
        if turn.need:
            # A need names no product type, so the model's type features (trained on requests that
            # name one) read it as a type we lack. Density alone judges it, at the radius calibrated
            # on the calibration set's needs (else the density guard's): "gift for my dad who likes
            # camping" lands among hiking products.
            kth, _ = _kth(signals.nearest, self.model.k)
            radius = self.need_radius
            abstain = radius is not None and kth < radius
        head = turn_head(turn)
        reason = ""
        if abstain:
            reason = (
                f"combined score below the calibrated threshold (head: {head})" if head else "combined score"
            )
        return GuardDecision(
            abstain=abstain,
            score=round(1.0 - s, 4),
            threshold=round(1.0 - self.model.threshold, 4),
            method=self.method,
            version=self.version,
            reason=reason,
            nearest=[pid for pid, _ in signals.nearest[:REPORTED_NEIGHBOURS]],
            types=[label for label, _ in similar[:NAMED_TYPES]],
            matches=type_matches(turn, similar, self.types),
        )

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        return radius_fence(self.index, query_vec, ranked, self.fence_radius)


def open_combined_guard(
    settings: Settings,
    density: DensityGuard,
    products: Sequence[Product],
    catalog_version: str,
    encoder: QueryEncoder,
) -> CombinedGuard | DensityGuard:
    """The combined guard when its trained artifact matches this index, encoder and catalog types;
    otherwise the density guard, with a warning naming the command that trains it."""
    types = load_or_build(coverage_path(settings.var_dir), products, catalog_version)
    vectors = load_or_build_vectors(type_vectors_path(settings.var_dir), products, types, encoder)
    model = load_model(model_path(settings.var_dir))
    index_version = density.index.version()
    if model is None or not model.matches(
        index_version, encoder.version, types.version, settings.guard_alpha, vectors.version
    ):
        log.warning(
            "combined guard artifact %s: running the density guard (train it: `ctp evals train-guard`)",
            "missing" if model is None else "stale",
        )
        return density
    log.info(
        "combined guard %s (types %s, threshold p(in) ≥ %.4f)",
        model.version,
        types.version,
        1 - model.threshold,
    )
    return CombinedGuard(density.index, model, types, vectors, encoder.encode_query, density.fence_radius)
