"""Judging pools for the need-based relevance judgments (``evals/golden/need_judgments.jsonl``).

A pool is the union of every method's top 10 for one held-out query (dense, sparse, hybrid, the
heuristic ranker and LightGBM), deduplicated and shuffled with a seed derived from the query id, so
the judge sees a list of products with no hint of which ranker proposed which, nor in what order.
``product_text`` is what the judge reads: the product's full listing (name, type, gender, brand,
price, description, attributes, colours, sizes, variants, rating). The guidelines are in
``evals/golden/judging_guidelines.md``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from app.domain.catalog import Product
from recsys.golden import GOLDEN_DIR, GoldenQuery

POOL_DEPTH = 15
#: One query's pool as stored: ``id``, ``query``, ``need``, ``products`` and ``round<N>`` lists.
Pool = dict[str, Any]
POOLS_FILE = GOLDEN_DIR / "pools_test.jsonl"
NEED_JUDGMENTS = GOLDEN_DIR / "need_judgments.jsonl"
NEED_JUDGMENTS_TRAIN = GOLDEN_DIR / "need_judgments_train.jsonl"


def pool_of(qid: str, rankings: Iterable[Sequence[str]], depth: int = POOL_DEPTH) -> list[str]:
    """Union of each ranking's top ``depth``, deduplicated, in an order shuffled by the query id
    (deterministic, and independent of which ranking contributed what)."""
    members = sorted({pid for ranked in rankings for pid in ranked[:depth]})
    seed = int(hashlib.sha256(qid.encode()).hexdigest()[:12], 16)
    random.Random(seed).shuffle(members)
    return members


def extend_pools(
    pools: list[Pool],
    queries: Sequence[GoldenQuery],
    runs: Mapping[str, list[tuple[list[str], dict[str, int]]]],
    depth: int = POOL_DEPTH,
) -> tuple[list[Pool], int]:
    """Add to each pool, under the next ``round<N>`` key, the products of ``runs``' top ``depth``
    that no earlier round holds (shuffled the same way). Returns (pools, added)."""
    by_id = {str(p["id"]): p for p in pools}
    added = 0
    for i, q in enumerate(queries):
        pool = by_id[q.id]
        rounds = sorted(int(k[5:]) for k in pool if k.startswith("round"))
        key = f"round{(rounds[-1] if rounds else 1) + 1}"
        held = set(pool["products"])
        for r in rounds:
            held |= set(pool[f"round{r}"])
        new = [
            pid for pid in pool_of(q.id, [pairs[i][0] for pairs in runs.values()], depth) if pid not in held
        ]
        if new:
            pool[key] = new
            added += len(new)
    return pools, added


def write_pools(pools: Sequence[Mapping[str, object]], path: Path = POOLS_FILE) -> None:
    path.write_text("".join(json.dumps(p) + "\n" for p in pools))


def load_pools(path: Path = POOLS_FILE) -> list[Pool]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def product_text(p: Product, description_chars: int = 110) -> str:
    """The listing as a judge reads it, on one line: name, type, gender, brand, price, rating,
    colours, sizes, material/style/climate/pattern attributes and the start of the description
    (a Kibana boilerplate description, "<name> by <brand> ... Available in <colours>", is shown
    as ``~`` because it adds nothing to the fields before it)."""
    parts = [p.name, p.category or "?", p.gender or "-", p.brand or "-", f"${p.price:.2f}"]
    parts.append(f"{p.rating:.1f}★×{p.review_count}" if p.rating and p.review_count else "no reviews")
    parts.append("col: " + (", ".join(p.colors) or "-"))
    parts.append("sizes: " + (", ".join(p.sizes) or "-"))
    attrs = {
        "material": p.materials,
        **{k: v for k, v in p.attributes.items() if k in ("style", "climate", "pattern", "activity")},
    }
    parts.extend(f"{k}: {', '.join(v[:5])}" for k, v in attrs.items() if v)
    desc = " ".join(p.description.split())
    if not desc:
        parts.append("desc: (none)")
    elif desc.startswith(p.name) and len(desc) < len(p.name) + 120:
        parts.append("~")
    else:
        parts.append(desc[:description_chars] + ("…" if len(desc) > description_chars else ""))
    return " | ".join(parts)


def load_need_judgments(path: Path = NEED_JUDGMENTS) -> dict[str, dict[str, int]]:
    """``{query id: {product id: grade}}`` from the judgments file (absent file: empty)."""
    out: dict[str, dict[str, int]] = {}
    if not path.exists():
        return out
    with path.open() as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.setdefault(d["id"], {})[d["product_id"]] = int(d["grade"])
    return out


def unjudged_share(
    rankings: Sequence[Sequence[str]], judged: Sequence[Mapping[str, int]], k: int = 10
) -> float:
    """Share of the top-``k`` results, over all queries, that have no judgment."""
    total = missing = 0
    for ranked, j in zip(rankings, judged, strict=True):
        for pid in ranked[:k]:
            total += 1
            missing += pid not in j
    return missing / total if total else 0.0
