"""PII redaction: e-mail addresses, phone numbers, payment cards and IBANs become placeholders.

``TurnPipeline.run`` calls ``redact`` on the shopper's message where it enters, before the
extractor tokenises it, so nothing derived from it — the state and its remembered query, the
retriever's query, the embedding cache key, spans, logs, the stream, the turn record — can carry
PII (after tokenisation "jane.doe@example.com" is "jane doe example com", which no pattern finds).
The log stage and the span helpers redact again, as a second net for text a stage produced.

Two detectors, chosen per kind by measurement (``ctp evals pii``, docs/evals.md):

* Presidio's pattern recognisers (``app/privacy/presidio.py``: e-mail, ``phonenumbers`` for
  phones, cards, IBANs; no spaCy model) — the maintained library, used for every kind. Its phone
  matches are kept only when ``looks_like_phone`` agrees: ``phonenumbers`` takes a list of sizes or
  a four-digit count for a valid number of some region.
* The checksum detector below, beside it, because it beats Presidio on cards, IBANs and
  phone-shaped numbers that ``phonenumbers`` rejects as invalid for their region: a 13–19 digit
  run is a card when it passes Luhn and is grouped the way cards are (unbroken or groups of three
  or more digits — a list of two-digit sizes can pass Luhn), which also finds 2-series
  Mastercards; an IBAN is any case or spacing of country + check digits + BBAN that passes ISO 7064
  mod 97; a phone is 7–15 digits with a prefix or a group of three or more digits.

Redaction is idempotent: the placeholders contain no digits and no ``@``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from app.privacy.presidio import presidio_spans
from app.privacy.spans import Span

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
IBAN = "[IBAN]"
PLACEHOLDERS = {"email": EMAIL, "phone": PHONE, "card": CARD, "iban": IBAN}

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
# A run of digit groups joined by single spaces or hyphens; ``_card_spans`` looks inside it.
_DIGIT_RUN_RE = re.compile(r"(?<![\d.,])\d+(?:[ -]\d+)*(?![\d])")
_PHONE_RE = re.compile(r"(?<![\w$€£.,])(?:\+|00)?\(?\d[\d\s().-]{5,}\d(?![\w%])")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters → numbers, mod 97 == 1."""
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34 or not s.isalnum():
        return False
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _iban_end(candidate: str) -> int | None:
    """The length of the longest prefix of ``candidate`` that is a valid IBAN, if any. The pattern
    is case-blind ("de89 3704 ...") and may run into the next word ("... 3000 and"), so the match
    is shortened one character at a time until the checksum holds."""
    for end in range(len(candidate), 14, -1):
        if candidate[end - 1] != " " and iban_valid(candidate[:end]):
            return end
    return None


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _card_spans(run: str) -> list[tuple[int, int]]:
    """Where card numbers sit inside a run of digit groups, as (start, end) offsets.

    A card is 13–19 digits, unbroken or in groups of three or more (4-4-4-4, Amex 4-6-5, 4-4-4-4-3),
    passing Luhn. Luhn alone lets one digit string in ten through — a list of two-digit sizes such as
    "32 32 32 34 36 36 36" may pass it — so the grouping rule keeps sizes out. The search is over
    every contiguous stretch of groups, longest first, so a quantity or size written right before a
    card ("2 4111 1111 1111 1111") does not hide the card."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", run)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        for j in range(len(groups) - 1, i - 1, -1):
            stretch = groups[i : j + 1]
            digits = _digits(run[stretch[0][0] : stretch[-1][1]])
            grouped = len(stretch) == 1 or all(e - s >= 3 for s, e in stretch)
            if 13 <= len(digits) <= 19 and grouped and luhn_valid(digits):
                spans.append((stretch[0][0], stretch[-1][1]))
                i = j
                break
        i += 1
    return spans


#: ``looks_like_phone``'s lower bound: a text with fewer digits holds no phone number it keeps.
MIN_PHONE_DIGITS = 7


def looks_like_phone(s: str) -> bool:
    """7–15 digits, and either a prefix (``+``/``00``, a national trunk ``0`` as in France's
    "06 12 34 56 78", or a bracketed area code) or a group of at least three digits: a list of
    sizes ("32 34 36 38") is two-digit groups with no leading zero, a phone number almost never is."""
    if not MIN_PHONE_DIGITS <= len(_digits(s)) <= 15:
        return False
    prefixed = s.startswith(("+", "0", "("))  # international, or a national trunk prefix
    return prefixed or max(len(g) for g in re.findall(r"\d+", s)) >= 3


def checksum_spans(text: str) -> list[Span]:
    """The hand-written detector: where e-mails, IBANs, cards and phones sit in ``text``.

    The patterns run on the text left after earlier kinds are blanked out, in the order e-mail,
    IBAN, card, phone, so a card's digits are never also reported as a phone."""
    spans: list[Span] = []
    if "@" not in text and not any(c.isdigit() for c in text):
        return spans  # every pattern below needs an "@" or a digit
    masked = text

    def take(start: int, end: int, kind: str) -> None:
        nonlocal masked
        spans.append(Span(start, end, kind))
        masked = masked[:start] + "\x00" * (end - start) + masked[end:]

    for m in list(_EMAIL_RE.finditer(masked)):
        take(m.start(), m.end(), "email")
    for m in list(_IBAN_RE.finditer(masked)):
        if (end := _iban_end(m.group(0))) is not None:
            take(m.start(), m.start() + end, "iban")
    for m in list(_DIGIT_RUN_RE.finditer(masked)):
        for start, end in _card_spans(m.group(0)):
            take(m.start() + start, m.start() + end, "card")
    for m in list(_PHONE_RE.finditer(masked)):
        if looks_like_phone(m.group(0)):
            take(m.start(), m.end(), "phone")
    return spans


Detector = Callable[[str], list[Span]]


def plausible_presidio_spans(text: str) -> list[Span]:
    """Presidio's spans, with phone numbers kept only when ``looks_like_phone`` agrees.

    ``phonenumbers`` accepts a list of sizes ("jeans in 36 40 36 38 34") or a 4-digit count as a
    valid number of some region; on PII-free shopping text that was 6% false alarms (``ctp evals
    pii``), each one a shopper's size or price lost to ``[PHONE]``."""
    spans = presidio_spans(text, min_phone_digits=MIN_PHONE_DIGITS)
    return [s for s in spans if s.kind != "phone" or looks_like_phone(text[s.start : s.end])]


def redact_with(text: str, detectors: Sequence[Detector]) -> tuple[str, list[str]]:
    """``text`` with the union of the detectors' spans replaced by placeholders (overlapping spans
    merge into one, named by the longer), and the sorted kinds found."""
    spans = sorted((s for d in detectors for s in d(text)), key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for s in spans:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if last.end - last.start >= s.end - s.start else s.kind
            merged[-1] = Span(last.start, max(last.end, s.end), kind)
        else:
            merged.append(s)
    out, last_end = [], 0
    for s in merged:
        out += [text[last_end : s.start], PLACEHOLDERS[s.kind]]
        last_end = s.end
    out.append(text[last_end:])
    return "".join(out), sorted({s.kind for s in merged})


def redact(text: str) -> tuple[str, list[str]]:
    """``text`` with every e-mail, IBAN, card and phone number replaced by a placeholder, and the
    sorted kinds found (``email``, ``iban``, ``card``, ``phone``).

    Presidio's recognisers find them; the checksum detector runs beside it for the kinds where it
    finds what Presidio misses (measured by ``ctp evals pii``, see ``DETECTORS``)."""
    return redact_with(text, DETECTORS)


@lru_cache(maxsize=8192)
def _redact_state_text(text: str) -> tuple[str, tuple[str, ...]]:
    out, kinds = redact(text)
    return out, tuple(kinds)


def redact_json(value: Any) -> tuple[Any, list[str]]:
    """Redact every string inside a JSON-like value (dicts, lists, strings); other values unchanged.

    The log stage calls it on a turn's state before and after: the same strings every turn of a
    conversation (its id, the token hash, the remembered query and its products), which cost
    2–4 ms each to scan (a 64-digit hex hash runs every recogniser). The results are cached per
    process (strings of a state, which is made from the message redacted at entry)."""
    found: set[str] = set()

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            out, kinds = _redact_state_text(v)
            found.update(kinds)
            return out
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value), sorted(found)


#: What ``redact`` runs: Presidio for every kind (phones filtered by ``looks_like_phone``) and the
#: checksum detector beside it. The checksum detector measured better on cards (2-series
#: Mastercards), IBANs (lower case, odd spacing) and phone-shaped numbers ``phonenumbers`` rejects as
#: invalid for their region ("+1 100 100 1000" — still a phone number to a reader, and to a leak);
#: on e-mails the two agree (figures in docs/evals.md, ``ctp evals pii``).
DETECTORS: tuple[Detector, ...] = (plausible_presidio_spans, checksum_spans)
