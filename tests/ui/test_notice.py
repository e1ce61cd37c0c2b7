"""Which part of a reply the chat page draws as the "not something we carry" notice."""

from __future__ import annotations

from ui.components.notice import split_notice


def test_an_abstention_is_all_notice_and_says_it_once() -> None:
    text = "Sorry — that's not something we carry: we have no espresso machine. The closest things in our store are shoes."
    assert split_notice(text, abstained=True) == (
        "**That's not something we carry** — We have no espresso machine. "
        "The closest things in our store are shoes.",
        "",
    )


def test_alternatives_get_the_notice_for_their_first_line_and_the_list_as_usual() -> None:
    text = "Sorry — that's not something we carry: we have no joggers. The closest we have are:\n1. Pant — $40.00"
    assert split_notice(text, abstained=False) == (
        "**That's not something we carry** — We have no joggers. The closest we have are:",
        "1. Pant — $40.00",
    )


def test_an_ordinary_reply_has_no_notice() -> None:
    assert split_notice("Here are 2 jackets you might like:\n1. A", abstained=False) == (
        None,
        "Here are 2 jackets you might like:\n1. A",
    )
