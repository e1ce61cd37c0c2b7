"""Where a piece of PII sits in a text: the one shape every detector returns."""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    start: int
    end: int
    kind: str  # email | phone | card | iban
