"""The "not something we carry" notice: which part of a reply the page draws as a friendly notice."""

from __future__ import annotations

ABSTAIN_TITLE = "That's not something we carry"
#: How a reply that abstains, or offers alternatives to a type the store does not carry, begins
#: (app/pipeline/respond.py); the page draws that part as the notice, without saying it twice.
NOT_CARRIED = "Sorry — that's not something we carry"


def split_notice(text: str, abstained: bool) -> tuple[str | None, str]:
    """``(notice, rest)``: the part of a reply drawn as the friendly "not something we carry" notice
    (all of an abstention; the first line of alternatives offered instead of a match) and the rest,
    drawn as usual."""
    first, _, rest = text.partition("\n")
    if not (abstained or first.startswith(NOT_CARRIED)):
        return None, text
    notice = first if not abstained else text
    body = notice.removeprefix(NOT_CARRIED).lstrip(":. ")
    notice = f"**{ABSTAIN_TITLE}** — {body[:1].upper() + body[1:]}" if body else f"**{ABSTAIN_TITLE}**"
    return notice, "" if abstained else rest
