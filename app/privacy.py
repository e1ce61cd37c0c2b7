"""PII redaction for everything the turn log stores.

The log stage passes the shopper's message, the reply and the free text of the state snapshots
through ``redact`` before anything is written, so e-mail addresses, phone numbers, payment card
numbers and IBANs never reach the ``turns`` table, the eval stream or a trace.

Why regexes plus checksums rather than an NER model: the four kinds are syntactic, the check runs on
every turn on the request path (microseconds, no model), and checksums keep the false-positive rate
low where it matters — a 16-digit number is only a card when it passes Luhn (and is written the way
cards are: unbroken or in groups of three or more digits), a country-prefixed
string is only an IBAN when it passes ISO 7064 mod 97. Shopping text is full of numbers (prices,
sizes, quantities), so the phone pattern needs 7–15 digits, refuses a leading currency sign and
needs an international prefix or a group of three or more digits (a list of sizes is not a phone).
Redaction is idempotent: the placeholders contain no digits and no ``@``.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
IBAN = "[IBAN]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
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


def looks_like_phone(s: str) -> bool:
    """7–15 digits, and either an international prefix or a group of at least three digits: a list
    of sizes ("32 34 36 38") is two-digit groups, a phone number almost never is."""
    if not 7 <= len(_digits(s)) <= 15:
        return False
    international = s.startswith(("+", "00"))
    return international or max(len(g) for g in re.findall(r"\d+", s)) >= 3


def redact(text: str) -> tuple[str, list[str]]:
    """``text`` with every e-mail, IBAN, card and phone number replaced by a placeholder, and the
    sorted kinds found (``email``, ``iban``, ``card``, ``phone``)."""
    found: set[str] = set()

    def sub_email(m: re.Match[str]) -> str:
        found.add("email")
        return EMAIL

    def sub_iban(m: re.Match[str]) -> str:
        if iban_valid(m.group(0)):
            found.add("iban")
            return IBAN
        return m.group(0)

    def sub_card(m: re.Match[str]) -> str:
        run = m.group(0)
        spans = _card_spans(run)
        if not spans:
            return run
        found.add("card")
        pieces, last = [], 0
        for start, end in spans:
            pieces += [run[last:start], CARD]
            last = end
        return "".join(pieces) + run[last:]

    def sub_phone(m: re.Match[str]) -> str:
        if looks_like_phone(m.group(0)):
            found.add("phone")
            return PHONE
        return m.group(0)

    out = _EMAIL_RE.sub(sub_email, text)
    out = _IBAN_RE.sub(sub_iban, out)
    out = _DIGIT_RUN_RE.sub(sub_card, out)
    out = _PHONE_RE.sub(sub_phone, out)
    return out, sorted(found)


def redact_json(value: Any) -> tuple[Any, list[str]]:
    """Redact every string inside a JSON-like value (dicts, lists, strings); other values unchanged."""
    found: set[str] = set()

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            out, kinds = redact(v)
            found.update(kinds)
            return out
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value), sorted(found)
