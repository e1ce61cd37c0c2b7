"""The words of a store-help question, as the policy document says them.

Shoppers ask in their own words ("can I swap it", "do u take amex", "how much is delivry"); the policy
says "exchange", "American Express", "delivery". Three small tools bring the two together:

* ``stems``: content words of a text, lower-cased, a plural or -ing/-ed ending off and cut to five
  letters ("cancelling", "cancellation" → "cance"), function words dropped.
* ``SHOPPER_WORDS``: the store-help thesaurus, the shopper's word → the policy's word. It is
  vocabulary, like the catalog taxonomy's synonyms: words for the same thing, not sentences.
* ``correct``: a misspelt word (one edit, a swap of neighbours counting as one) restored to a word
  of the policy document or of the thesaurus ("retrun" → "return", "delivry" → "delivery").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9$][a-z0-9$'.–-]*[a-z0-9]|[a-z0-9]", re.IGNORECASE)


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOP = wordset(
    """a an the and or but if so of to in on at by for from with about as into than then there here
    is are was were be been being am do does did done doing have has had having can could will would
    shall should may might must i me my mine you your yours u ur we us our they them their it its this
    that these those what whats which who whom whose when where why how any some all just also too very
    really actually please pls thanks ok okay hi hey hello get got go going want wanna need like know
    not no yes one something anything stuff thing things guys there's it's i'm im i'd i'll don't dont
    can't cant doesn't doesnt isn't won't didn't back send 2 4 r y ya"""
)

#: Shopper words → the word the policy document uses for the same thing.
SHOPPER_WORDS: dict[str, str] = {
    "swap": "exchange",
    "switch": "exchange",
    "trade": "exchange",
    "fast": "express",
    "faster": "express",
    "fastest": "express",
    "quick": "express",
    "quicker": "express",
    "quickest": "express",
    "rush": "express",
    "overnight": "express",
    "installment": "instalment",
    "installments": "instalment",
    "klarna": "instalment",
    "afterpay": "instalment",
    "fail": "declined",
    "failing": "declined",
    "failed": "declined",
    "rejected": "declined",
    "refused": "declined",
    "bounced": "declined",
    "call": "phone",
    "ring": "phone",
    "telephone": "phone",
    "human": "person",
    "someone": "person",
    "somebody": "person",
    "agent": "person",
    "representative": "person",
    "amex": "american express",
    "open": "monday friday",
    "weekend": "monday friday",
    "weekends": "monday friday",
    "saturday": "monday friday",
    "sunday": "monday friday",
    "hours": "monday friday",
    "money": "refund",
    "wear": "worn",
    "wearing": "worn",
    "wore": "worn",
    "worn": "worn",
    "monthly": "instalment",
    "email": "e-mail",
    "mail": "e-mail",
    "much": "costs",
    "price": "costs",
    "cost": "costs",
    "fee": "costs",
    "charge": "costs",
}
#: Days the warehouse and the team work or do not: a question about them is one about business days.
for _day in ("saturday", "saturdays", "sunday", "sundays", "weekend", "weekends"):
    SHOPPER_WORDS[_day] = "monday friday business"


def _stem(word: str) -> str:
    w = word.lower().strip("'.–-")
    for suffix in ("ing", "ed", "s"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix) and not w.endswith("ss"):
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2]:
        w = w[:-1]  # "shipp(ing)" → "ship"
    return w[:5]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def stems(text: str, thesaurus: bool = False) -> set[str]:
    """Stems of the content words of ``text``; with ``thesaurus`` a shopper word also counts as the
    policy's word for it."""
    out: set[str] = set()
    for w in words(text):
        for part in {w, *w.split("-")}:
            if part in _STOP or not part:
                continue
            out.add(_stem(part))
            if part.startswith("un") and len(part) >= 6:
                out.add(_stem(part[2:]))  # "unworn" holds "worn", "unwashed" holds "washed"
            if thesaurus and part in SHOPPER_WORDS:
                out.update(_stem(x) for x in SHOPPER_WORDS[part].split())
    return out


def osa(a: str, b: str) -> int:
    """Optimal-string-alignment distance (a swap of neighbours is one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


#: Words the store-help cues are written in that the policy document does not use itself.
CUE_WORDS = wordset(
    """deliver reimbursement restitution compensation reclamation complaint customer support
    somebody someone tracking invoice password account newsletter subscription"""
)


def lexicon(texts: Iterable[str]) -> frozenset[str]:
    """The words a misspelling may be restored to: those of ``texts``, of the cues and of the
    thesaurus."""
    out = {w for t in texts for w in words(t) if w.isalpha() and len(w) >= 5}
    out.update(w for w in (*SHOPPER_WORDS, *CUE_WORDS) if len(w) >= 5)
    return frozenset(out)


def correct(text: str, known: frozenset[str], keep: frozenset[str] = frozenset()) -> str:
    """``text`` with each unknown word of five letters or more that is one edit from exactly one
    known word replaced by it ("retrun" → "return"); other words, and the words in ``keep`` (real
    words of another vocabulary: "leather" is not a misspelt "weather"), as written."""

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if len(low) < 5 or not low.isalpha() or low in known or low in keep or low in _STOP:
            return w
        near = one_edit_index(known).near(low)
        return near.pop() if len(near) == 1 else w

    return _WORD.sub(fix, text)


def _deletions(word: str) -> set[str]:
    """``word`` and every string one deletion from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


class OneEditIndex:
    """The words of a fixed vocabulary one edit (OSA) from a given word, without a scan of the
    vocabulary: every word is filed under itself and its one-deletion forms, and two words one
    insertion, deletion, substitution or swap of neighbours apart always share such a form
    ("retrun" and "return" share "retun"). The candidates that share one are then checked with
    ``osa``, so the answer is exactly ``{k for k in words if osa(word, k) == 1}``."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_form: dict[str, set[str]] = defaultdict(set)
        for w in words:
            for form in _deletions(w):
                self._by_form[form].add(w)

    def near(self, word: str) -> set[str]:
        candidates = set().union(*(self._by_form.get(f, ()) for f in _deletions(word)))
        return {k for k in candidates if osa(word, k) == 1}


@lru_cache(maxsize=8)
def one_edit_index(known: frozenset[str]) -> OneEditIndex:
    """The index of ``known``, built once per vocabulary (a frozenset caches its hash)."""
    return OneEditIndex(known)
