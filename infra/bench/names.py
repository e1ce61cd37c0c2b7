"""Microbenchmark of the understand stage's name matching on the real catalog (issue 18).

Over the shopper messages of the golden sets that are not frozen test splits, it times per call:
the ``NameIndex`` lookups (``by_name``, ``matched_words``, ``by_sku``, ``by_phrase``), the brand
reader's typo check, the policy word correction, and ``Understander.understand`` as a whole (each
message's turn extracted beforehand, a fresh conversation). Each figure is taken on a freshly built
understander (*cold*: nothing remembered from earlier messages) and again on the same one (*warm*).

    CTP_VAR_DIR=/tmp/var-x CTP_ENCODER=onnx-int8 CTP_REDIS_URL= python infra/bench/names.py

It imports ``app`` from ``PYTHONPATH``, so the same file times another tree (main) back to back.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from app.bootstrap import make_understander, open_services
from app.domain.turn import ConversationState
from app.pipeline.references import words
from app.pipeline.understand import Understander
from app.policy.words import correct
from app.settings import Settings

GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden"
#: Files and fields of shopper messages; frozen test splits (dialogue's test split,
#: extraction_blind, scope_test, pools_test) are left out.
SOURCES = {
    "conversations.jsonl": "message",
    "extraction.jsonl": "message",
    "esci_scope.jsonl": "query",
    "need_calibration.jsonl": "query",
    "scope_dev.jsonl": "query",
    "scope_dev2.jsonl": "query",
    "shopper_queries.jsonl": "query",
    "redteam.jsonl": "message",
}


def messages() -> list[str]:
    """The shopper messages of the golden sets that are not frozen test splits, each once."""
    out: list[str] = []
    for name, field in SOURCES.items():
        for line in (GOLDEN / name).read_text().splitlines():
            row = json.loads(line) if line.strip() else {}
            out += [t[field] for t in row.get("turns", [])] or ([row[field]] if field in row else [])
    for line in (GOLDEN / "dialogue.jsonl").read_text().splitlines():
        row = json.loads(line) if line.strip() else {}
        if row and row.get("split") != "test":
            out += [t["user"] for t in row["turns"]]
    return list(dict.fromkeys(out))


def per_call_us(fn: Callable[[str], object], items: Iterable[str]) -> float:
    items = list(items)
    start = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - start) / max(len(items), 1) * 1e6


def main() -> None:
    services = open_services(Settings())
    pipe = services.pipeline
    msgs = messages()
    state = ConversationState(conversation_id="c_bench")
    turns = {m: asyncio.run(pipe.extractor.extract(m, state)) for m in msgs}
    long_words = [w for m in msgs for w in words(m) if len(w) >= 5]
    policy = pipe.understander.policy if pipe.understander else None
    lexicon = policy.lexicon if policy is not None else frozenset()
    print(f"{len(msgs)} messages, {len(long_words)} words of 5+ letters")

    def fresh() -> Understander:
        """A newly built understander: nothing remembered from earlier messages."""
        clear = getattr(correct, "__globals__", {}).get("one_edit_index")
        if clear is not None:
            clear.cache_clear()
        return make_understander(services.catalog, policy, services.encoder)

    cases: dict[str, tuple[Callable[[Understander], Callable[[str], object]], list[str]]] = {
        "understand": (lambda u: lambda m: u.understand(m, turns[m], state), msgs),
        "by_name": (lambda u: u.names.by_name, msgs),
        "matched_words": (lambda u: u.names.matched_words, msgs),
        "by_sku": (lambda u: u.names.by_sku, msgs),
        "by_phrase": (lambda u: u.names.by_phrase, msgs),
        "brand_typo": (lambda u: u.brands._misspelt if u.brands else len, long_words),
        "policy_correct": (lambda u: lambda m: correct(m, lexicon, keep=u._catalog_words), msgs),
    }
    for name, (make, items) in cases.items():
        u = fresh()
        u._catalog_words  # noqa: B018 (built once per understander, not per message)
        cold = per_call_us(make(u), items)
        warm = per_call_us(make(u), items)
        print(f"{name:>15}: cold {cold:8.1f} µs/call   warm {warm:8.1f} µs/call")


if __name__ == "__main__":
    main()
