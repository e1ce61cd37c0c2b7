"""Pure agreement metrics between two labelings of the same items: accuracy, per-label precision,
recall and F1, Cohen's kappa and the confusion matrix. Labels are strings; ``not_applicable`` rows
are dropped by the callers before they get here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel


class LabelScores(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class Agreement(BaseModel):
    n: int
    accuracy: float
    kappa: float
    per_label: dict[str, LabelScores]
    labels: list[str]
    confusion: list[list[int]]  # rows = reference, columns = predicted


def _check(reference: Sequence[str], predicted: Sequence[str]) -> None:
    if len(reference) != len(predicted):
        raise ValueError("reference and predicted differ in length")
    if not reference:
        raise ValueError("no items to compare")


def accuracy(reference: Sequence[str], predicted: Sequence[str]) -> float:
    _check(reference, predicted)
    return sum(a == b for a, b in zip(reference, predicted, strict=True)) / len(reference)


def cohen_kappa(reference: Sequence[str], predicted: Sequence[str]) -> float:
    """(p_o − p_e) / (1 − p_e); 1.0 when both raters use one and the same label (p_e = 1)."""
    _check(reference, predicted)
    n = len(reference)
    p_o = accuracy(reference, predicted)
    ra, pa = Counter(reference), Counter(predicted)
    p_e = sum(ra[k] * pa[k] for k in set(ra) | set(pa)) / (n * n)
    if p_e == 1.0:
        return 1.0
    return (p_o - p_e) / (1.0 - p_e)


def per_label(reference: Sequence[str], predicted: Sequence[str]) -> dict[str, LabelScores]:
    _check(reference, predicted)
    out = {}
    for label in sorted(set(reference) | set(predicted)):
        tp = sum(a == label and b == label for a, b in zip(reference, predicted, strict=True))
        fp = sum(a != label and b == label for a, b in zip(reference, predicted, strict=True))
        fn = sum(a == label and b != label for a, b in zip(reference, predicted, strict=True))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[label] = LabelScores(precision=p, recall=r, f1=f1, support=tp + fn)
    return out


def confusion(reference: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    idx = {k: i for i, k in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for a, b in zip(reference, predicted, strict=True):
        m[idx[a]][idx[b]] += 1
    return m


def agreement(reference: Sequence[str], predicted: Sequence[str]) -> Agreement:
    labels = sorted(set(reference) | set(predicted))
    return Agreement(
        n=len(reference),
        accuracy=accuracy(reference, predicted),
        kappa=cohen_kappa(reference, predicted),
        per_label=per_label(reference, predicted),
        labels=labels,
        confusion=confusion(reference, predicted, labels),
    )
