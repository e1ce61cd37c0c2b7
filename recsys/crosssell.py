"""Cross-sell: "complete the look" / "often bought together" for a product or a cart.

Candidates: the anchors' merchandising links (Magento related / up-sell / cross-sell) and
co-purchases (Kibana orders), plus same-style complements — the nearest products by dense vector
that have a *different* type and a compatible gender (a jacket's complement is a tee or a pair of
pants, not another jacket). Anchors and cart items are never recommended.

Ranking: a small LightGBM LambdaRank model on *content* features only (similarity, type and gender
relation, price ratio, popularity, rating), trained with link grades as weak labels
(``recsys.labels.link_grade``), one group per anchor, split by anchor. Link kinds are labels, not
features, so the model learns what linked pairs look like and can rank complements that nobody
linked. Without a model, candidates are ordered by link grade, then similarity.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import lightgbm as lgb
import numpy as np

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.sources.base import ProductLink
from app.domain.catalog import Product
from recsys.labels import link_grade, split_of

CROSSSELL_FEATURES: tuple[str, ...] = (
    "similarity",
    "same_category",
    "gender_compatible",
    "same_source",
    "price_ratio",
    "popularity",
    "rating",
)
COMPLEMENTS = 20

CS_PARAMS: dict[str, object] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "ndcg_eval_at": [5],
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 20,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}


def gender_compatible(a: str | None, b: str | None) -> float:
    """1.0 when either product is genderless/unisex or both share a gender."""
    return 1.0 if a in (None, "unisex") or b in (None, "unisex") or a == b else 0.0


def pair_features(anchor: Product, cand: Product, similarity: float) -> list[float]:
    return [
        similarity,
        float((anchor.category or "") == (cand.category or "")),
        gender_compatible(anchor.gender, cand.gender),
        float(anchor.source == cand.source),
        cand.price / anchor.price if anchor.price > 0 else 1.0,
        math.log1p(max(cand.popularity, 0)),
        cand.rating if cand.rating is not None and cand.review_count > 0 else -1.0,
    ]


class CrossSell:
    def __init__(
        self,
        catalog: CatalogSnapshot,
        links: Iterable[ProductLink],
        vectors: Mapping[str, np.ndarray],
        model: lgb.Booster | None = None,
    ) -> None:
        self.catalog = catalog
        self.model = model
        self.links: dict[str, list[ProductLink]] = defaultdict(list)
        for link in links:
            if link.linked_id in catalog and link.product_id != link.linked_id:
                self.links[link.product_id].append(link)
        self.ids = [i for i in sorted(vectors) if i in catalog]
        self.matrix = (
            np.stack([vectors[i] for i in self.ids]) if self.ids else np.zeros((0, 1), dtype=np.float32)
        )
        self.row = {pid: i for i, pid in enumerate(self.ids)}

    def similarity(self, a: str, b: str) -> float:
        ia, ib = self.row.get(a), self.row.get(b)
        return 0.0 if ia is None or ib is None else float(self.matrix[ia] @ self.matrix[ib])

    def complements(self, anchor: Product, k: int = COMPLEMENTS) -> list[str]:
        """Nearest products of another type and a compatible gender (same style, different item)."""
        i = self.row.get(anchor.id)
        if i is None:
            return []
        sims = self.matrix @ self.matrix[i]
        out: list[str] = []
        for j in np.argsort(-sims, kind="stable"):
            p = self.catalog.get(self.ids[j])
            if p is None or p.id == anchor.id or p.category == anchor.category:
                continue
            if gender_compatible(anchor.gender, p.gender):
                out.append(p.id)
            if len(out) >= k:
                break
        return out

    def candidates(self, anchor: Product) -> dict[str, int]:
        """Candidate id -> weak label (link grade; 0 for an unlinked complement)."""
        found: dict[str, int] = {}
        for link in self.links.get(anchor.id, []):
            found[link.linked_id] = max(found.get(link.linked_id, 0), link_grade(link))
        for pid in self.complements(anchor):
            found.setdefault(pid, 0)
        return found

    def recommend(self, anchor_ids: Sequence[str], limit: int = 5) -> list[Product]:
        """Best cross-sell products for the anchors (a product, or a cart), never an anchor."""
        exclude = set(anchor_ids)
        best: dict[str, tuple[float, float]] = {}
        for anchor in self.catalog.many(list(dict.fromkeys(anchor_ids))):
            cands = {k: v for k, v in self.candidates(anchor).items() if k not in exclude}
            ids = sorted(cands)
            if not ids:
                continue
            sims = [self.similarity(anchor.id, pid) for pid in ids]
            if self.model is not None:
                products = self.catalog.many(ids)  # candidates() only yields catalog ids
                x = np.asarray([pair_features(anchor, p, s) for p, s in zip(products, sims, strict=True)])
                scores = [float(v) for v in self.model.predict(x, num_threads=1)]
            else:
                scores = [cands[pid] + s for pid, s in zip(ids, sims, strict=True)]
            for pid, score, s in zip(ids, scores, sims, strict=True):
                if pid not in best or (score, s) > best[pid]:
                    best[pid] = (score, s)
        order = sorted(best, key=lambda pid: (-best[pid][0], -best[pid][1], pid))
        return self.catalog.many(order[:limit])


def train_crosssell(cs: CrossSell) -> tuple[lgb.Booster | None, dict[str, float]]:
    """Fit the cross-sell ranker on anchors with at least one link; split by anchor."""
    data: dict[str, tuple[list[list[float]], list[int], list[int]]] = {
        "train": ([], [], []),
        "valid": ([], [], []),
    }
    for anchor_id in sorted(cs.links):
        anchor = cs.catalog.get(anchor_id)
        if anchor is None:
            continue
        cands = cs.candidates(anchor)
        if len(set(cands.values())) < 2:
            continue
        x, y, groups = data[split_of(anchor_id)]
        for pid in sorted(cands):
            cand = cs.catalog.get(pid)
            assert cand is not None
            x.append(pair_features(anchor, cand, cs.similarity(anchor_id, pid)))
            y.append(cands[pid])
        groups.append(len(cands))
    if not data["train"][2] or not data["valid"][2]:
        return None, {}

    def ds(part: str, ref: lgb.Dataset | None = None) -> lgb.Dataset:
        x, y, g = data[part]
        return lgb.Dataset(
            np.asarray(x), label=np.asarray(y), group=g, feature_name=list(CROSSSELL_FEATURES), reference=ref
        )

    dtrain = ds("train")
    evals: dict[str, dict[str, list[float]]] = {}
    booster = lgb.train(
        CS_PARAMS,
        dtrain,
        num_boost_round=200,
        valid_sets=[ds("valid", dtrain)],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(20, verbose=False), lgb.record_evaluation(evals)],
    )
    curve = evals["valid"]["ndcg@5"]
    it = booster.best_iteration or len(curve)
    return booster, {
        "valid_ndcg@5": round(float(curve[it - 1]), 4),
        "valid_ndcg@5_first_tree": round(float(curve[0]), 4),
        "anchors_train": float(len(data["train"][2])),
        "anchors_valid": float(len(data["valid"][2])),
    }
