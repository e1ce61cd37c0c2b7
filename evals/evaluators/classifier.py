"""The CLASSIFIER backend: logistic regression over MiniLM embeddings plus a few turn features,
trained on human or judge labels, fast enough for every turn (one encoder call of two short texts
and a dot product).

Why logistic regression: a few hundred labelled turns, a 768+k dimensional input, and the need for
a calibrated-ish probability in the explanation — a linear model is the honest size, and its whole
state is a weight matrix. The artifact is therefore plain JSON (classes, weights, intercepts,
feature spec, training provenance) rather than a pickle: diffable, loadable without code execution,
and versioned by the SHA-1 of its content (``evals/artifacts/<evaluator>.json``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel
from sklearn.linear_model import LogisticRegression

from app.domain.labels import Backend
from evals.evaluators.code import tokens
from evals.evaluators.registry import EvaluatorSpec
from evals.labels import TurnContext

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FEATURE_SPEC = "minilm(message)+minilm(reply)+turn-features-v1"


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


def turn_features(ctx: TurnContext) -> list[float]:
    """Small, interpretable signals the embeddings do not carry."""
    rec = ctx.record
    prev = ctx.history[-1] if ctx.history else None
    overlap = 0.0
    if prev is not None:
        a, b = set(tokens(prev.message)), set(tokens(rec.message))
        overlap = len(a & b) / max(1, len(a | b))
    return [
        float(rec.abstained),
        len(rec.shown) / 5.0,
        float(prev is not None),
        float(bool(prev and prev.abstained)),
        overlap,
        float("down" in ctx.ratings),
        min(len(rec.message), 400) / 400.0,
        rec.message.count("!") / 3.0,
    ]


def featurize(contexts: Sequence[TurnContext], encoder: TextEncoder) -> np.ndarray:
    if not contexts:
        return np.zeros((0, 0), dtype=np.float32)
    messages = encoder.encode([c.record.message for c in contexts])
    replies = encoder.encode([c.record.reply[:400] for c in contexts])
    extra = np.asarray([turn_features(c) for c in contexts], dtype=np.float32)
    return np.hstack([messages, replies, extra]).astype(np.float32)


class ClassifierArtifact(BaseModel):
    evaluator: str
    feature_spec: str
    classes: list[str]
    coef: list[list[float]]
    intercept: list[float]
    trained_on: str
    n_train: int
    label_counts: dict[str, int]

    @property
    def version(self) -> str:
        blob = json.dumps(self.model_dump(), sort_keys=True).encode()
        return "lr-" + hashlib.sha1(blob).hexdigest()[:10]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, as scikit-learn's ``predict_proba`` computes them."""
        logits = x @ np.asarray(self.coef, dtype=np.float64).T + np.asarray(self.intercept)
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs: np.ndarray = z / z.sum(axis=1, keepdims=True)
        return probs


def train(
    evaluator: str, x: np.ndarray, labels: Sequence[str], trained_on: str, c: float = 1.0
) -> ClassifierArtifact:
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(f"{evaluator}: need two labels to train, got {classes}")
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(x, list(labels))
    return ClassifierArtifact(
        evaluator=evaluator,
        feature_spec=FEATURE_SPEC,
        classes=[str(k) for k in model.classes_],
        coef=np.round(model.coef_, 6).tolist(),
        intercept=np.round(model.intercept_, 6).tolist(),
        trained_on=trained_on,
        n_train=len(labels),
        label_counts={k: int(sum(1 for lab in labels if lab == k)) for k in classes},
    )


def save(artifact: ClassifierArtifact, directory: Path = ARTIFACTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{artifact.evaluator}.json"
    path.write_text(json.dumps(artifact.model_dump(), indent=1) + "\n", encoding="utf-8")
    return path


def load_all(directory: Path = ARTIFACTS) -> list[ClassifierArtifact]:
    return [
        ClassifierArtifact.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("*.json"))
    ]


def predict(artifact: ClassifierArtifact, ctx: TurnContext, encoder: TextEncoder) -> tuple[str, str]:
    probs = artifact.probabilities(featurize([ctx], encoder))[0]
    best = int(np.argmax(probs))
    label = artifact.classes[best]
    if artifact.evaluator == "intent":  # the classifier predicts an intent; the label is agreement
        got = ctx.record.extraction.intent.value
        verdict = "correct" if got == label else "incorrect"
        return verdict, f"classifier reads '{label}' (p={probs[best]:.2f}); extracted '{got}'"
    return label, f"p({label})={probs[best]:.2f}"


def classifier_specs(encoder: TextEncoder, directory: Path = ARTIFACTS) -> list[EvaluatorSpec]:
    def make(a: ClassifierArtifact) -> EvaluatorSpec:
        return EvaluatorSpec(a.evaluator, a.version, Backend.CLASSIFIER, lambda ctx: predict(a, ctx, encoder))

    return [make(a) for a in load_all(directory)]
