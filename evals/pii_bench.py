"""``ctp evals pii``: the redaction detectors measured on the same messages.

Recall: a fixed-seed set of generated messages (``evals/pii_set.py``), each holding one e-mail,
phone, card or IBAN in one of many spellings; a message counts as caught when, after redaction,
none of its fragments survives (the same check as the property test). False positives: shopping
messages that hold no PII — the extraction golden set and the non-test shopper queries, plus
generated number-heavy shopping phrases (sizes, prices, quantities, SKUs) — where any
placeholder at all is a false alarm.

Three detectors: Presidio's recognisers alone, the hand-written checksum detector alone, and the
union ``redact`` runs. The figures decide which of the hand-written checks stay (docs/privacy.md).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import typer

from app.privacy import DETECTORS as REDACT
from app.privacy import PLACEHOLDERS, Detector, checksum_spans, redact_with
from app.privacy.presidio import presidio_spans
from evals.pii_set import GENERATORS, TEMPLATES, Pii

GOLDEN = Path(__file__).parent / "golden"

DETECTORS: dict[str, tuple[Detector, ...]] = {
    "presidio": (presidio_spans,),
    "checksums": (checksum_spans,),
    "presidio+checksums": (presidio_spans, checksum_spans),
    "redact (chosen)": REDACT,
}


def leaked(text: str, pii: Pii) -> bool:
    """Whether any fragment of ``pii`` survives in ``text``: a word of the e-mail (case-blind), or
    seven digits in a row of the number (separators ignored)."""
    if pii.kind == "email":
        low = text.lower()
        return any(f in low for f in pii.fragments)
    digits = re.sub(r"\D", "", text)
    return any(f[i : i + 7] in digits for f in pii.fragments for i in range(len(f) - 6))


def shopping_messages(seed: int) -> list[str]:
    """PII-free messages: golden shopping text (no test split) and number-heavy phrasings."""
    out = [json.loads(line)["message"] for line in (GOLDEN / "extraction.jsonl").open()]
    for line in (GOLDEN / "shopper_queries.jsonl").open():
        row = json.loads(line)
        if row["split"] != "test":
            out.append(row["query"])
    rng = random.Random(seed)
    for _ in range(500):
        sizes = " ".join(str(rng.choice([28, 30, 32, 34, 36, 38, 40, 42])) for _ in range(rng.randint(3, 8)))
        out += [
            f"jeans in {sizes}",
            f"between ${rng.randint(10, 90)} and ${rng.randint(100, 900)}",
            f"{rng.randint(2, 9)} of the item MJ{rng.randint(1, 99):02d} in size {rng.randint(6, 14)}",
            f"order {rng.randint(100000, 999999)} arrived, sku 24-MB0{rng.randint(1, 9)} missing",
            f"{rng.randint(1000, 2400)} thread count sheets under {rng.randint(50, 300)}.{rng.randint(0, 99):02d}",
        ]
    return out


def pii(n: int = 400, seed: int = 15) -> None:
    """Recall per kind and false-positive rate per detector, on one generated set."""
    rng = random.Random(seed)
    cases = []
    for kind in sorted(GENERATORS):
        for _ in range(n):
            value = GENERATORS[kind](rng)
            cases.append((rng.choice(TEMPLATES).format(value.text), value))
    clean = shopping_messages(seed)
    rows = []
    for name, detectors in DETECTORS.items():
        caught = {k: 0 for k in GENERATORS}
        for text, value in cases:
            caught[value.kind] += not leaked(redact_with(text, detectors)[0], value)
        alarms = sum(any(p in redact_with(t, detectors)[0] for p in PLACEHOLDERS.values()) for t in clean)
        rows.append((name, {k: caught[k] / n for k in sorted(caught)}, alarms))
    typer.echo(f"generated: {n} per kind (seed {seed}); PII-free shopping messages: {len(clean)}")
    typer.echo(f"{'detector':<20}" + "".join(f"{k:>9}" for k in sorted(GENERATORS)) + "  false alarms")
    for name, recall, alarms in rows:
        cells = "".join(f"{recall[k]:>9.3f}" for k in sorted(recall))
        typer.echo(f"{name:<20}{cells}  {alarms} ({alarms / len(clean):.2%})")
