"""Generated PII in many spellings, for the redaction benchmark and the PII property test.

Every generator takes a ``random.Random`` and returns one ``Pii``: its kind, the way a shopper
might write it, and the *fragments* that must never survive redaction — the distinctive words of an
e-mail address (so "jane doe example com" after tokenisation is caught) and the digit string of a
phone number, card or IBAN. Names and domains are drawn from consonant-heavy random words so a
fragment cannot occur in a shopping message or a catalog reply by chance.

Cards are valid Luhn numbers of real issuer prefixes, IBANs carry correct ISO 7064 check digits
for their country's length, phones are numbers ``phonenumbers`` calls valid for their region; each
is written in the spellings people use (grouped, hyphenated, dotted, bracketed, upper/lower case).
The property test draws from these through Hypothesis (``st.randoms()``); ``ctp privacy bench``
draws a fixed-seed set so both detectors are measured on the same messages.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

from app.privacy import luhn_valid

_CONSONANTS = "bcdfghjklmnpqrstvwxz"


@dataclass(frozen=True)
class Pii:
    kind: str  # email | phone | card | iban
    text: str
    fragments: tuple[str, ...]


def _word(rng: random.Random, lo: int = 5, hi: int = 9) -> str:
    return "".join(rng.choice(_CONSONANTS) for _ in range(rng.randint(lo, hi)))


def email(rng: random.Random) -> Pii:
    first, last, host = _word(rng), _word(rng), _word(rng)
    sep = rng.choice([".", "_", "-", "", "+"])
    local = f"{first}{sep}{last}" if sep != "+" else f"{first}+{last}"
    domain = rng.choice(
        [f"{host}.com", f"{host}.co.uk", f"mail.{host}.de", f"{host}.io", f"{host}.org", f"{host}.shop"]
    )
    text = f"{local}@{domain}"
    text = rng.choice([text, text.upper(), text.title(), text.lower()])
    return Pii("email", text, (first, last, host))


#: Regions whose numbers shoppers of these catalogs write; ``phonenumbers`` supplies the format.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "IN", "CA", "AU", "BR", "IE")


def _valid_number(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    for _ in range(200):
        keep = max(3, len(national) - 5)
        candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in national[keep:])
        num = phonenumbers.parse("+" + str(example.country_code) + candidate)
        if phonenumbers.is_valid_number(num):
            return num
    return example


def phone(rng: random.Random) -> Pii:
    region = rng.choice(PHONE_REGIONS)
    num = _valid_number(rng, region)
    fmt = rng.choice(
        [
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
        ]
    )
    text = phonenumbers.format_number(num, fmt)
    style = rng.choice(["as-is", "dots", "hyphens", "00"])
    if style == "dots" and fmt != phonenumbers.PhoneNumberFormat.E164:
        text = text.replace(" ", ".").replace("-", ".")
    elif style == "hyphens" and fmt != phonenumbers.PhoneNumberFormat.E164:
        text = text.replace(" ", "-")
    elif style == "00" and text.startswith("+"):
        text = "00" + text[1:]
    return Pii("phone", text, (str(num.national_number),))


def _luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` a valid card number, by the redaction's own checksum."""
    return next(d for d in string.digits if luhn_valid(body + d))


_CARD_PREFIXES = (("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("34", 15), ("6011", 16))


def card(rng: random.Random) -> Pii:
    prefix, length = rng.choice(_CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = body + _luhn_digit(body)
    sep = rng.choice(["", " ", "-"])
    if length == 15:
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i : i + 4] for i in range(0, length, 4)]
    return Pii("card", sep.join(groups), (number,))


#: Country → (BBAN length, letters at the start of the BBAN — a bank code such as GB's "NWBK").
_IBAN_FORMATS = {"DE": (18, 0), "GB": (18, 4), "FR": (23, 0), "NL": (14, 4), "ES": (20, 0), "IT": (23, 1)}


def _iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


def iban(rng: random.Random) -> Pii:
    country = rng.choice(sorted(_IBAN_FORMATS))
    length, letters = _IBAN_FORMATS[country]
    bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters)) + "".join(
        rng.choice(string.digits) for _ in range(length - letters)
    )
    compact = country + _iban_check(country, bban) + bban
    grouped = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    text = rng.choice([compact, grouped, grouped.lower(), compact.lower()])
    return Pii("iban", text, (compact[4:],))


GENERATORS: dict[str, Callable[[random.Random], Pii]] = {
    "email": email,
    "phone": phone,
    "card": card,
    "iban": iban,
}

#: Shopping messages a value is dropped into; digit-free so a digit fragment can only be the value.
TEMPLATES = (
    "my email is {} and I want black hoodies",
    "black hoodies please, reach me at {}",
    "hoodie, call {} — black hoodies",
    "can you send the jacket to {}?",
    "{} is my contact, I need a rain jacket",
    "pay with {} for the cart",
    "use my card {} please",
    "my iban is {}, refund the bag",
    "({}) show me grey zip hoodies",
)


def message(rng: random.Random, kind: str | None = None) -> tuple[str, Pii]:
    pii = GENERATORS[kind or rng.choice(sorted(GENERATORS))](rng)
    return rng.choice(TEMPLATES).format(pii.text), pii
