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
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from app.privacy.spans import Span

#: Regions whose national spellings the phone recogniser accepts without a country prefix.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "IE", "IN", "CA", "AU", "BR")

KINDS = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "card", "IBAN_CODE": "iban"}


@cache
def recognizers() -> tuple[Any, ...]:
    """Built once per process, on first use: importing Presidio imports spaCy (seconds), which
    processes that never redact (the eval worker, the CLI) should not pay for."""
    import tldextract
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

    return (
        OfflineEmailRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        CreditCardRecognizer(),
        IbanRecognizer(),
    )


def presidio_spans(text: str) -> list[Span]:
    """Every e-mail, phone, card and IBAN Presidio's recognisers find in ``text``."""
    found: list[Any] = []
    for rec in recognizers():
        found += rec.analyze(text, rec.supported_entities, None)
    return [
        Span(r.start, r.end, KINDS[r.entity_type]) for r in found if r.entity_type in KINDS and r.score > 0
    ]
