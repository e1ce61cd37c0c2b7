"""Fit and calibrate the combined guard (``app.guard.combined``) — outlier exposure on train splits.

Training data (never a test split, never ``scope_test.jsonl``):

* in scope: golden shopper queries ``train``;
* out of scope (outlier exposure): CLINC150 ``train``+``oos_train`` under the intent policy (a
  deterministic sample), WANDS and ESCI ``out_of_catalog`` *validation* halves (even ids), and the
  out-of-catalog rows of ``scope_dev.jsonl``.

Calibration: held-out in-scope requests — the golden ``calibration`` split and the in-scope rows of
``scope_dev.jsonl`` (``calibration_set``), scored exactly as at run time — set the conformal
threshold on ``1 − p(in scope)``. Features: ``app.guard.combined.FEATURES`` (the type phrase is
embedded and looked up in the index and in the catalog's type vectors). ``ctp evals train-guard`` writes
``<var_dir>/calibration/combined.json``; the API loads it when it matches the index, encoder and
catalog types (else it runs the density guard and says so in the log).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

from app.domain.turn import SEARCH_INTENTS, ConversationState, Intent, ShoppingTurn
from app.pipeline.remember import merge, search_text
from app.settings import Settings
from evals.abstention_data import (
    clinc_non_shopping,
    esci_queries,
    need_calibration,
    sample,
    scope_golden,
    shopper_queries,
    wands_queries,
)

if TYPE_CHECKING:
    from app.guard.calibration import BatchEncoder
    from app.guard.combined import CombinedModel
    from app.guard.coverage import ProductTypes
    from app.guard.type_vectors import TypeVectors
    from app.index.base import VectorIndex
    from app.pipeline.extract.base import Extractor
    from app.pipeline.needs import NeedReader
    from evals.abstention import Parts


@dataclass(frozen=True)
class Judged:
    """Messages as the guard stage sees them: turn, search text, intent, kNN neighbours."""

    turns: list[ShoppingTurn]
    texts: list[str]
    nearest: list[list[tuple[str, float]]]
    phrase_vecs: np.ndarray  # the type phrase's vector (the search text's when there is none)
    phrase_nearest: list[list[tuple[str, float]]]

    @property
    def searched(self) -> np.ndarray:
        return np.array([t.intent in SEARCH_INTENTS for t in self.turns])

    @property
    def need(self) -> np.ndarray:
        return np.array([t.need for t in self.turns])

    @property
    def out_of_scope_intent(self) -> np.ndarray:
        return np.array([t.intent is Intent.out_of_scope for t in self.turns])


async def _turns(
    extractor: Extractor, messages: list[str], needs: NeedReader | None = None
) -> list[tuple[ShoppingTurn, str]]:
    out = []
    for m in messages:
        fresh = ConversationState(conversation_id="eval")
        turn = await extractor.extract(m, fresh)
        if needs is not None and turn.intent in (Intent.search, Intent.refine):
            turn = needs.read(m, turn)  # as the understand stage does: a need is judged as one
        text = search_text(merge(fresh, turn)) if turn.intent in SEARCH_INTENTS else ""
        out.append((turn, text or m))
    return out


def judge(
    messages: list[str],
    extractor: Extractor,
    encoder: BatchEncoder,
    index: VectorIndex,
    fetch: int = 5,
    needs: NeedReader | None = None,
) -> Judged:
    pairs = asyncio.run(_turns(extractor, messages, needs))
    vecs = encoder.encode([t for _, t in pairs]) if pairs else np.zeros((0, 1))
    nearest = [index.nearest(v, fetch) for v in vecs]
    from app.guard.combined import phrase_to_embed

    phrased = [i for i, (turn, _) in enumerate(pairs) if phrase_to_embed(turn)]
    phrase_vecs = np.array(vecs, copy=True)
    phrase_nearest = list(nearest)
    if phrased:
        encoded = encoder.encode([phrase_to_embed(pairs[i][0]) or "" for i in phrased])
        for i, v in zip(phrased, encoded, strict=True):
            phrase_vecs[i] = v
            phrase_nearest[i] = index.nearest(v, fetch)
    return Judged([p for p, _ in pairs], [t for _, t in pairs], nearest, phrase_vecs, phrase_nearest)


def feature_matrix(j: Judged, k: int, types: ProductTypes, vectors: TypeVectors) -> np.ndarray:
    from app.guard.combined import FEATURES, Signals, features

    if not j.turns:
        return np.zeros((0, len(FEATURES)))
    return np.array(
        [
            features(t, Signals(n, pn, vectors.top(pv)), k, types)
            for t, n, pn, pv in zip(j.turns, j.nearest, j.phrase_nearest, j.phrase_vecs, strict=True)
        ]
    )


def training_sets(settings: Settings, clinc_n: int, seed: int) -> tuple[list[str], list[str]]:
    """In scope: the golden shopper ``train`` split. Out of scope (outlier exposure): CLINC train,
    WANDS/ESCI validation halves and the out-of-catalog rows of ``scope_dev``."""
    dev = scope_golden("dev")
    ins = shopper_queries("train")
    outs = (
        sample(clinc_non_shopping(settings.data_dir, "train"), clinc_n, seed)
        + wands_queries(settings.data_dir, "validation")
        + esci_queries("out_of_catalog", "validation")
        + dev.out_of_catalog
    )
    return ins, outs


def calibration_set() -> list[str]:
    """Held-out in-scope requests the conformal threshold is set on: the golden ``calibration``
    split (135 needs, many vague: "a gift for a coworker") and the in-scope rows of ``scope_dev``
    (129 named products, 69 with colour/material words). Neither is trained on; shoppers send both
    kinds, so the ≤ α guarantee is for that mixture (docs/abstention.md, "Calibration set").
    Turns of this set the needs reader marks as needs are left to ``need_calibration_set``."""
    return shopper_queries("calibration") + scope_golden("dev").in_scope


def need_calibration_set() -> list[str]:
    """Held-out requests the need radius is set on (Mondrian split conformal: only the turns the
    needs reader marks as needs count): ``calibration_set`` and ``need_calibration.jsonl`` (42
    needs, most without a frame word). The latter's rows the reader does not mark are not used:
    the file exists to calibrate the need radius, the combined threshold keeps its fixed set."""
    return calibration_set() + need_calibration()


def train_guard(
    clinc_sample: Annotated[
        int, typer.Option(help="CLINC train utterances used as outliers (300: chosen on scope_dev).")
    ] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the CLINC sample.")] = 0,
) -> None:
    """Fit the combined guard on train splits and calibrate it (conformal, golden calibration split)."""
    from evals.abstention import open_parts

    settings = Settings()
    parts = open_parts(settings)
    try:
        fit_combined_guard(settings, parts, clinc_sample, seed)
    finally:
        parts.index.close()


def ensure_combined_guard(settings: Settings) -> bool:
    """Train the combined guard when its artifact is missing or stale for this index, encoder and
    catalog (``ctp build`` calls this, so the demo serves the combined guard from the first start).
    Returns whether it trained."""
    from evals.abstention import open_parts

    parts = open_parts(settings)
    try:
        if parts.model is not None:
            return False
        fit_combined_guard(settings, parts, 300, 0)
        return True
    finally:
        parts.index.close()


def train_model(settings: Settings, parts: Parts, clinc_sample: int, seed: int) -> CombinedModel:
    """Fit on the train splits and calibrate on the held-out in-scope requests (pure: no file)."""
    from app.guard.combined import fit_logistic, make_model, nonconformity
    from app.guard.scores import kth_distance

    ins, outs = training_sets(settings, clinc_sample, seed)
    k = parts.calibration.k
    tv = parts.type_vectors
    x_in = feature_matrix(
        judge(ins, parts.extractor, parts.encoder, parts.index, needs=parts.needs), k, parts.types, tv
    )
    x_out = feature_matrix(
        judge(outs, parts.extractor, parts.encoder, parts.index, needs=parts.needs), k, parts.types, tv
    )
    x = np.vstack([x_in, x_out])
    y = np.r_[np.ones(len(x_in)), np.zeros(len(x_out))]
    weights = fit_logistic(x, y)
    cal_j = judge(calibration_set(), parts.extractor, parts.encoder, parts.index, needs=parts.needs)
    cal_x = feature_matrix(cal_j, k, parts.types, tv)[cal_j.searched & ~cal_j.need]
    need_j = judge(need_calibration_set(), parts.extractor, parts.encoder, parts.index, needs=parts.needs)
    marked = need_j.searched & need_j.need
    need_d = [kth_distance([s for _, s in n], k) for n, m in zip(need_j.nearest, marked, strict=True) if m]
    return make_model(
        list(weights),
        [nonconformity(list(weights), list(row)) for row in cal_x],
        k=k,
        alpha=settings.guard_alpha,
        index_version=parts.index.version() or "none",
        encoder_version=parts.encoder.version,
        types_version=parts.types.version,
        type_vectors_version=tv.version,
        training={"in_scope": len(x_in), "out_of_scope": len(x_out)},
        need_scores=need_d,
    )


def fit_combined_guard(settings: Settings, parts: Parts, clinc_sample: int, seed: int) -> None:
    """Fit on the train splits, calibrate on the held-out in-scope requests, write the artifact."""
    from app.guard.combined import model_path

    model = train_model(settings, parts, clinc_sample, seed)
    path = model_path(settings.var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.model_dump_json(indent=1))
    typer.echo(
        f"combined guard {model.version}: n_cal={model.n}, threshold p(in) ≥ {1 - model.threshold:.4f}"
    )
    typer.echo(
        "weights: " + ", ".join(f"{f}={w:+.3f}" for f, w in zip(model.features, model.weights, strict=False))
    )
    if model.need_threshold is not None:
        typer.echo(f"needs: n_cal={len(model.need_scores)}, k-th cosine ≥ {1 - model.need_threshold:.4f}")
    typer.echo(
        f"bias {model.weights[-1]:+.3f}; trained on {model.training['in_scope']} in-scope, "
        f"{model.training['out_of_scope']} out-of-scope"
    )
    typer.echo(f"written to {path}")
