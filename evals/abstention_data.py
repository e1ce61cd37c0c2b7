"""The labelled query sets the abstention eval and the guard calibration read (real data only).

* in scope: ``evals/golden/shopper_queries.jsonl`` — split ``train`` (method/k selection and the
  query bank), ``calibration`` (the conformal threshold), ``test`` (held-out evaluation only).
* non-shopping: CLINC150 ``data_full.json``. Every intent is a negative except those
  ``clinc_intent_policy.json`` marks ``exclude`` (order, order_status, shopping_list*,
  card_declined, yes/no/maybe/cancel: a shopping assistant may act on them), and the ``oos``
  utterances listed in ``exclude_utterances`` (requests for apparel the store sells). Selection
  uses ``val`` + ``oos_val``; evaluation uses ``test`` + ``oos_test``.
* out of catalog: WANDS ``query.csv`` (furniture and home goods) and the ESCI sample queries
  labelled ``out_of_catalog`` in ``esci_scope.jsonl``; ``ambiguous`` ones are left out. Both are
  split by id parity (even → validation, odd → test). ESCI ``in_catalog`` queries join the
  in-scope side of the out-of-catalog *test* only (they are never used for selection or calibration).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from app.domain.turn import Intent
    from app.pipeline.extract.base import Extractor

GOLDEN = Path(__file__).resolve().parent / "golden"

Split = Literal["train", "calibration", "test"]
EvalSplit = Literal["validation", "test"]


def shopper_queries(split: Split, golden: Path = GOLDEN) -> list[str]:
    rows = [json.loads(line) for line in (golden / "shopper_queries.jsonl").read_text().splitlines() if line]
    return [r["query"] for r in rows if r["split"] == split]


def need_calibration(golden: Path = GOLDEN) -> list[str]:
    """Held-out in-scope needs for the guard's need radius (``need_calibration.jsonl``)."""
    lines = (golden / "need_calibration.jsonl").read_text().splitlines()
    return [json.loads(line)["query"] for line in lines if line]


def clinc_non_shopping(
    data_dir: Path, split: EvalSplit | Literal["train"], golden: Path = GOLDEN
) -> list[str]:
    """CLINC utterances treated as non-shopping negatives under the intent policy."""
    policy = json.loads((golden / "clinc_intent_policy.json").read_text())
    excluded = {p["intent"] for p in policy["policy"] if p["treatment"] == "exclude"}
    skip_utterances = {u for p in policy["policy"] for u in p.get("exclude_utterances", [])}
    data = json.loads((data_dir / "clinc150" / "data_full.json").read_text())
    parts = {"train": ("train", "oos_train"), "validation": ("val", "oos_val"), "test": ("test", "oos_test")}[
        split
    ]
    return [
        text
        for part in parts
        for text, intent in data[part]
        if intent not in excluded and text not in skip_utterances
    ]


def wands_queries(data_dir: Path, split: EvalSplit) -> list[str]:
    with (data_dir / "wands" / "query.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    parity = 0 if split == "validation" else 1
    return [r["query"] for r in rows if int(r["query_id"]) % 2 == parity]


def esci_queries(label: str, split: EvalSplit | None = None, golden: Path = GOLDEN) -> list[str]:
    rows = [json.loads(line) for line in (golden / "esci_scope.jsonl").read_text().splitlines() if line]
    out = [r for r in rows if r["label"] == label]
    if split is not None:
        out = [r for r in out if r["index"] % 2 == (0 if split == "validation" else 1)]
    return [r["query"] for r in out]


def sample(texts: list[str], n: int | None, seed: int) -> list[str]:
    """A deterministic sample of ``n`` texts (all of them when ``n`` is None or large enough)."""
    if n is None or n >= len(texts):
        return list(texts)
    return random.Random(seed).sample(texts, n)


@dataclass(frozen=True)
class ScopeSets:
    """One evaluation split: in-scope queries and the two out-of-scope families."""

    in_scope: list[str]
    non_shopping: list[str]
    out_of_catalog: list[str]
    extra_in_scope_for_catalog: list[str]  # ESCI in_catalog (test only)


def scope_sets(data_dir: Path, split: EvalSplit, clinc_n: int | None, seed: int) -> ScopeSets:
    return ScopeSets(
        in_scope=shopper_queries("train" if split == "validation" else "test"),
        non_shopping=sample(clinc_non_shopping(data_dir, split), clinc_n, seed),
        out_of_catalog=wands_queries(data_dir, split) + esci_queries("out_of_catalog", split),
        extra_in_scope_for_catalog=esci_queries("in_catalog") if split == "test" else [],
    )


async def guard_inputs(extractor: Extractor, texts: list[str]) -> list[tuple[str, Intent]]:
    """Each message as the guard stage sees it (``app.guard.calibration.judged_input``); a
    message that is not a search is scored on its own text, so every row has a score."""
    from app.guard.calibration import judged_input

    out = []
    for message in texts:
        text, intent = await judged_input(extractor, message)
        out.append((text or message, intent))
    return out


@dataclass(frozen=True)
class ScopeGolden:
    """A hand-written out-of-catalog set (``scope_dev.jsonl`` or the frozen ``scope_test.jsonl``)."""

    in_scope: list[str]
    out_of_catalog: list[str]
    in_scope_traps: list[str]  # in-scope requests using colour/material words ("salmon pink dress")


def scope_golden(split: Literal["dev", "dev2", "test"], golden: Path = GOLDEN) -> ScopeGolden:
    rows = [json.loads(line) for line in (golden / f"scope_{split}.jsonl").read_text().splitlines() if line]
    ins = [r for r in rows if r["label"] == "in_scope"]
    return ScopeGolden(
        in_scope=[r["query"] for r in ins],
        out_of_catalog=[r["query"] for r in rows if r["label"] == "out_of_catalog"],
        in_scope_traps=[r["query"] for r in ins if r["trap"]],
    )
