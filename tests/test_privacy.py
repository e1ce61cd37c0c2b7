"""PII redaction: what the turn log may never store, and the shopping text it must leave alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.privacy import CARD, EMAIL, IBAN, PHONE, iban_valid, luhn_valid, redact, redact_json

WORDS = st.lists(
    st.sampled_from(
        [
            "black",
            "hoodie",
            "under",
            "$50",
            "size",
            "M",
            "32",
            "jeans",
            "for",
            "my",
            "wife",
            "2",
            "34",
            "36",
            "XL",
            "$19.99",
        ]
    ),
    max_size=8,
).map(" ".join)


def with_luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_valid(body + d):
            return body + d
    raise AssertionError("unreachable: one check digit always satisfies Luhn")


CARDS = st.text(alphabet="0123456789", min_size=15, max_size=15).map(lambda b: with_luhn_digit("4" + b[1:]))
EMAILS = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.text(alphabet="abcdefghij._+-0123", min_size=1, max_size=12).filter(lambda s: s[0].isalnum()),
    st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=10),
    st.sampled_from(["com", "co.uk", "de", "shop"]),
)
PHONES = st.builds(
    lambda cc, a, b, c: f"+{cc} {a} {b} {c}",
    st.integers(1, 99),
    st.integers(100, 999),
    st.integers(100, 999),
    st.integers(1000, 9999),
)


def test_luhn_accepts_a_known_test_card_and_rejects_a_changed_digit() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_iban_checksum_accepts_the_iso_example_and_rejects_a_typo() -> None:
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")


def test_each_kind_is_replaced_by_its_placeholder() -> None:
    text = "I'm ann@example.com, +1 415 555 0100, card 4111-1111-1111-1111, IBAN DE89370400440532013000"
    out, kinds = redact(text)
    assert out == f"I'm {EMAIL}, {PHONE}, card {CARD}, IBAN {IBAN}"
    assert kinds == ["card", "email", "iban", "phone"]


def test_a_list_of_sizes_is_not_a_phone_number() -> None:
    assert redact("jeans in 28 30 32 34 36") == ("jeans in 28 30 32 34 36", [])


def test_a_luhn_valid_list_of_sizes_is_not_a_card() -> None:
    # Found by Hypothesis in CI: 14 digits that pass Luhn, written as two-digit sizes.
    assert redact("32 32 32 34 36 36 36") == ("32 32 32 34 36 36 36", [])


def test_an_amex_number_in_its_four_six_five_grouping_is_a_card() -> None:
    assert redact("amex 3782 822463 10005") == (f"amex {CARD}", ["card"])


def test_a_card_right_after_a_quantity_is_still_found() -> None:
    assert redact("2 4111 1111 1111 1111 please") == (f"2 {CARD} please", ["card"])


def test_a_sixteen_digit_number_failing_luhn_is_not_a_card() -> None:
    assert redact("ref 4111 1111 1111 1112") == ("ref 4111 1111 1111 1112", [])


@given(WORDS)
@settings(max_examples=300)
def test_shopping_text_without_pii_is_left_unchanged(text: str) -> None:
    assert redact(text) == (text, [])


@given(WORDS, EMAILS, WORDS)
def test_no_email_survives(before: str, email: str, after: str) -> None:
    out, kinds = redact(f"{before} {email} {after}")
    assert email not in out and "@" not in out
    assert "email" in kinds


@given(WORDS, CARDS, st.sampled_from([" ", "-", ""]), WORDS)
def test_no_card_survives_between_sizes_and_quantities(before: str, card: str, sep: str, after: str) -> None:
    grouped = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    out, kinds = redact(f"{before} {grouped} {after}")
    assert card not in _digits_only(out)
    assert "card" in kinds


def _digits_only(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


@given(WORDS, CARDS, st.sampled_from([" ", "-", ""]))
def test_no_luhn_valid_card_survives_in_any_grouping(before: str, card: str, sep: str) -> None:
    grouped = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    out, kinds = redact(f"{before} pay with {grouped} thanks")
    assert grouped not in out and card not in out.replace(sep, "")
    assert kinds == ["card"]


@given(PHONES, WORDS)
def test_no_international_phone_number_survives(phone: str, words: str) -> None:
    out, kinds = redact(f"call me on {phone} about {words}")
    assert phone not in out
    assert "phone" in kinds


@given(st.text(max_size=80))
@settings(max_examples=500)
def test_redaction_is_idempotent(text: str) -> None:
    once, _ = redact(text)
    assert redact(once) == (once, [])


def test_redact_json_reaches_nested_strings_and_keeps_other_values() -> None:
    value = {"query": "hoodie for bob@x.io", "turns": 3, "cart": [{"name": "Tee", "note": "555-123-4567"}]}
    out, kinds = redact_json(value)
    assert out == {"query": f"hoodie for {EMAIL}", "turns": 3, "cart": [{"name": "Tee", "note": PHONE}]}
    assert kinds == ["email", "phone"]
