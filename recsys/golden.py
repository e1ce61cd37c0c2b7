"""The hand-written shopper queries the recommender trains, validates and is judged on.

Training reads the ``train`` split, early stopping the ``calibration`` split, and the held-out
evaluation only ``test`` (see ``evals/golden/README.md`` for the split rule). Both ``recsys.train``
and ``recsys.evaluate`` read them through here, so neither imports the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from app.domain.turn import Filters

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "evals" / "golden"
GOLDEN_QUERIES = GOLDEN_DIR / "shopper_queries.jsonl"
HELD_OUT_SPLITS = ("test",)

#: A callback that reports progress of a long offline job, one line at a time.
Progress = Callable[[str], None]


class GoldenQuery(BaseModel):
    id: str
    query: str
    split: str
    constraints: Filters
    need: str = ""
    judgments: dict[str, int] = {}


def load_queries(path: Path = GOLDEN_QUERIES, splits: Sequence[str] = HELD_OUT_SPLITS) -> list[GoldenQuery]:
    out = []
    with path.open() as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                if doc["split"] in splits:
                    out.append(
                        GoldenQuery(
                            id=doc["id"],
                            query=doc["query"],
                            split=doc["split"],
                            constraints=Filters.model_validate(doc["constraints"]),
                            need=doc.get("need", ""),
                        )
                    )
    return out


def golden_texts(path: Path = GOLDEN_QUERIES) -> list[str]:
    with path.open() as fh:
        return [json.loads(line)["query"] for line in fh if line.strip()]
