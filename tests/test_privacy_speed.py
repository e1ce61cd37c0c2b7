"""The redaction's shortcuts (issue 18) change nothing it finds, and keep torch out of the process."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

from app.privacy import checksum_spans, looks_like_phone, redact, redact_json, redact_with
from app.privacy.presidio import KINDS, _phone_candidate, presidio_spans, recognizers
from app.privacy.spans import Span
from evals.pii_bench import shopping_messages
from evals.pii_set import GENERATORS, TEMPLATES


def every_recogniser(text: str) -> list[Span]:
    """Presidio's four recognisers, each run on every text (no shortcut), phones filtered as
    ``redact`` filters them."""
    found: list[Any] = []
    for rec in recognizers():
        found += rec.analyze(text, rec.supported_entities, None)
    spans = [
        Span(r.start, r.end, KINDS[r.entity_type]) for r in found if r.entity_type in KINDS and r.score > 0
    ]
    return [s for s in spans if s.kind != "phone" or looks_like_phone(text[s.start : s.end])]


def eval_messages(per_kind: int = 60, seed: int = 15) -> list[str]:
    rng = random.Random(seed)
    pii = [
        rng.choice(TEMPLATES).format(GENERATORS[k](rng).text)
        for k in sorted(GENERATORS)
        for _ in range(per_kind)
    ]
    return pii + shopping_messages(seed)[:900]


def test_redact_with_shortcuts_equals_every_recogniser_on_every_text() -> None:
    texts = eval_messages()
    assert len(texts) == 4 * 60 + 900
    differ = [t for t in texts if redact(t) != redact_with(t, (every_recogniser, checksum_spans))]
    assert differ == []


def reply_texts(n: int = 400, seed: int = 18) -> list[str]:
    """Reply-shaped texts: product lines with prices, size runs, quantities and order ids, some
    with a phone number, a card or an IBAN pasted in (the gates must let those through)."""
    rng = random.Random(seed)
    names = ["Hero Hoodie", "Jupiter All-Weather Trainer", "Arcadio Gym Short", "Sprite Yoga Strap 10 foot"]
    pii = [GENERATORS[k](rng).text for k in sorted(GENERATORS) for _ in range(n // 8)]
    out = []
    for i in range(n):
        lines = [
            f"{rng.choice(names)}, ${rng.randint(5, 400)}.{rng.randint(0, 99):02d}, "
            f"sizes {' '.join(str(rng.randint(28, 40)) for _ in range(rng.randint(0, 6)))}, "
            f"{rng.randint(1, 40)} left, order ord_{rng.randrange(16**12):012x}"
            for _ in range(rng.randint(1, 5))
        ]
        if i % 3 == 0:
            lines.insert(rng.randrange(len(lines) + 1), f"reach us at {rng.choice(pii)}")
        out.append("\n".join(lines))
    return out


def test_replies_are_redacted_as_by_every_recogniser() -> None:
    texts = reply_texts()
    differ = [t for t in texts if redact(t) != redact_with(t, (every_recogniser, checksum_spans))]
    assert differ == []
    assert sum(redact(t)[1] != [] for t in texts) >= 100  # the PII pasted into a third of them is found


def test_a_reply_of_prices_and_sizes_has_no_phone_candidate_of_seven_digits() -> None:
    assert not _phone_candidate("Hero Hoodie, $54.00, sizes 32 34, 12 left; Jupiter Tee $29.99", 7)
    assert _phone_candidate("Hero Hoodie, $54.00; call +1 415 555 0100", 7)
    assert _phone_candidate("sizes 28 29 30 31", 7)  # a size run is a candidate: the matcher decides


def test_the_phone_matcher_is_skipped_only_below_the_callers_digit_count() -> None:
    text = "call +1 415 555 0100"  # 11 digits
    assert [s.kind for s in presidio_spans(text)] == ["phone"]
    assert [s.kind for s in presidio_spans(text, min_phone_digits=11)] == ["phone"]
    assert presidio_spans(text, min_phone_digits=12) == []


def test_text_without_digits_or_at_sign_has_no_checksum_span() -> None:
    assert checksum_spans("a black hoodie in size M, under fifty dollars") == []
    assert [s.kind for s in checksum_spans("write to jo@example.com")] == ["email"]


def test_redaction_does_not_import_torch_or_transformers() -> None:
    probe = (
        "import sys\n"
        "from app.privacy import redact\n"
        "print(redact('call +1 415 555 0100 or jo@example.com')[0])\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["call [PHONE] or [EMAIL]", "False False"]


def test_the_strings_of_a_state_are_scanned_once_per_process() -> None:
    from app.privacy import _redact_state_text

    state = {"conversation_id": "c_9f1b2e4c", "token_hash": "4111111111111111" + "ab" * 24, "q": "jo@ex.com"}
    first = redact_json(state)
    misses = _redact_state_text.cache_info().misses
    assert redact_json(state) == first
    assert _redact_state_text.cache_info().misses == misses
    assert first[0]["q"] == "[EMAIL]"
