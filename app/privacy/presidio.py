"""Presidio's pattern recognisers as a detector: e-mails, phone numbers, payment cards, IBANs.

Presidio's ``AnalyzerEngine`` wants an NLP engine, and its default loads the spaCy model
``en_core_web_lg``, which cannot be downloaded here (and would cost ~500 MB and ~10 ms a turn for
entities we do not redact). The four kinds we redact are syntactic, so we call the four
recognisers directly with no NLP artifacts — each one's regex, validation (Luhn for cards, ISO 7064
for IBANs) and, for phones, ``phonenumbers``' matcher — and never build an analyzer or load spaCy.
Context words (the "card" in "my card is ...") only raise a score, so they are not needed here.

Two adjustments, both to keep the request path off the network and sure of itself:

* ``EmailRecognizer`` validates the domain with ``tldextract``, whose default fetches the public
  suffix list from the internet on first use; ours uses tldextract's bundled snapshot only.
* ``PhoneRecognizer`` looks for numbers of the regions in ``PHONE_REGIONS`` (numbers written with
  a ``+``/``00`` country prefix are found whatever the region).

Two costs kept off the serving path (issue 18, docs/performance.md):

* **Memory.** ``presidio_analyzer`` imports its NLP engines at package import, and they import
  spaCy, thinc and, when installed, ``transformers`` and ``torch`` (optional imports, each in a
  ``try: ... except ImportError``): ~500 MB of RSS in a worker whose encoder never needs torch.
  ``recognizers`` imports Presidio with ``torch`` and ``transformers`` marked unimportable for the
  length of that import (unless the process already has them), so those optional imports fail
  as on a machine without them; the four pattern recognisers use neither.
* **Time.** Every recogniser runs only when the text can hold its entity, judged from the
  recogniser's own pattern: an e-mail needs an ``@``, a card 13 digits, an IBAN its two check
  digits; the phone recogniser (``phonenumbers``' matcher over twelve regions, the costliest)
  needs a digit, and as many as the caller's ``min_phone_digits`` (``redact`` keeps no phone
  number under seven digits). Most strings of a turn (the state's texts, product names) have
  none of these and cost a digit count.
* **Replies** hold many digits (prices, sizes), so the digit count lets both the card and the
  phone recogniser run on them: that was the largest cost of a saturated worker after issue 17
  (the reply scan, 18 % of its busy samples). Two exact, precompiled gates skip them where no
  match can be: the card recogniser's own pattern relaxed (``CARD_SHAPE``: its four digit groups
  and single ``-``/space separators, without the leading-digit and word-boundary conditions),
  and, for phones, ``phonenumbers``' own candidate pattern. The matcher searches the text with
  that pattern and only ever returns a part of a candidate, so a phone span of
  ``min_phone_digits`` digits needs a candidate with as many (``_phone_candidate``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from app.privacy.spans import Span

#: Regions whose national spellings the phone recogniser accepts without a country prefix.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "IE", "IN", "CA", "AU", "BR")

WARM_UP = "jo@example.com +1 415 555 0100 4111 1111 1111 1111 DE89 3704 0044 0532 0130 00"

#: The fewest digits the card pattern matches: ``(4\d{3})[- ]?(\d{3,4})[- ]?(\d{3,4})[- ]?(\d{3,5})``.
CARD_MIN_DIGITS = 13

#: A necessary condition for the card recogniser's pattern (``CreditCardRecognizer.PATTERNS``):
#: the same digit groups and separators, with its ``\b``, its first-digit alternatives and its
#: ``(?!1\d{12}(?!\d))`` dropped, so every text it matches, this matches too.
CARD_SHAPE = re.compile(r"\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}")

KINDS = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "card", "IBAN_CODE": "iban"}


#: Optional imports of Presidio's NLP engines that the pattern recognisers never use.
UNUSED_OPTIONAL = ("torch", "transformers")


@contextmanager
def _without(modules: tuple[str, ...]) -> Iterator[None]:
    """``import`` of each of ``modules`` raises ImportError inside the block, unless the process
    already imported it (then nothing changes). Afterwards they are importable again."""
    blocked = [m for m in modules if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # the documented way to block an import
    try:
        yield
    finally:
        for m in blocked:
            if m in sys.modules and sys.modules[m] is None:
                del sys.modules[m]


@cache
def recognizers() -> tuple[Any, ...]:
    """Built once per process, on first use: importing Presidio imports spaCy (seconds), which
    processes that never redact (the eval worker, the CLI) should not pay for."""
    import tldextract

    with _without(UNUSED_OPTIONAL):
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            PhoneRecognizer,
        )

    # Presidio logs every pattern's match time at DEBUG and each recogniser at INFO: noise on the
    # request path, several lines per turn.
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        """``EmailRecognizer`` whose domain check uses tldextract's bundled list, never the web."""

        def validate_result(self, pattern_text: str) -> bool:
            return bool(offline(pattern_text.rsplit("@", 1)[-1]).suffix)

    found: tuple[Any, ...] = (
        OfflineEmailRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        CreditCardRecognizer(),
        IbanRecognizer(),
    )
    # Each recogniser compiles its patterns on first use (seconds for some): pay it here, once,
    # and not in the first turn that happens to hold a card or an IBAN.
    for rec in found:
        rec.analyze(WARM_UP, rec.supported_entities, None)
    return found


@cache
def _candidate_pattern() -> re.Pattern[str]:
    """``phonenumbers``' own candidate pattern: every number its matcher returns lies inside a
    match of it (``PhoneNumberMatcher._find`` searches the text with it, then parses the match or
    a part of it)."""
    from phonenumbers import phonenumbermatcher

    pattern: re.Pattern[str] = phonenumbermatcher._PATTERN
    return pattern


#: Where a candidate can start: a digit, or one of the pattern's leading ``(``/``[``/``+`` forms.
_CANDIDATE_START = re.compile(r"[\d(\[\uFF08\uFF3B+\uFF0B]")


def _phone_candidate(text: str, min_digits: int) -> bool:
    """True when some candidate of the phone matcher in ``text`` holds ``min_digits`` digits.

    The matcher's candidates are matches of ``_candidate_pattern`` that start where a search
    from some index finds them, so the candidates at every possible start cover them all."""
    pattern = _candidate_pattern()
    for start in _CANDIDATE_START.finditer(text):
        m = pattern.match(text, start.start())
        if m is not None and sum(c.isdigit() for c in m.group()) >= min_digits:
            return True
    return False


def presidio_spans(text: str, min_phone_digits: int = 0) -> list[Span]:
    """Every e-mail, phone, card and IBAN Presidio's recognisers find in ``text``; phones only
    with at least ``min_phone_digits`` digits in the number (a caller that keeps no shorter phone
    number says so, and the costly matcher is skipped where no candidate is that long)."""
    email, phone, card, iban = recognizers()
    digits = sum(c.isdigit() for c in text)  # str.isdigit holds for every character ``\d`` matches
    skip: set[Any] = set()
    if "@" not in text:
        skip.add(email)  # the pattern's ``[@]``
    if digits < max(min_phone_digits, 1) or (
        min_phone_digits > 1 and not _phone_candidate(text, min_phone_digits)
    ):
        skip.add(phone)  # phonenumbers' matcher needs a digit to start a number
    if digits < CARD_MIN_DIGITS or CARD_SHAPE.search(text) is None:
        skip.add(card)
    if digits < 2:
        skip.add(iban)  # the check digits, ``[0-9]{2}``
    found: list[Any] = []
    for rec in (email, phone, card, iban):  # this order settles ties between equal spans
        if rec not in skip:
            found += rec.analyze(text, rec.supported_entities, None)
    return [
        Span(r.start, r.end, KINDS[r.entity_type]) for r in found if r.entity_type in KINDS and r.score > 0
    ]
