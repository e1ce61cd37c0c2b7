"""Keep an LLM extraction honest: every filter value must be supported, and the rules parser's
confident slots stand.

A small model adds filters nobody asked for (a gender, a colour, a size, a brand) and reads "under
$80" as a minimum; either silently empties the result list. Two steps, applied in this order to the
model's ``ShoppingTurn`` against the rules parser's reading of the same message (microseconds):

**check** (``check_support``) — a filter value stays only when something supports it:

* the rules parser read the same value from this message, or
* the remembered search already has it (a refinement repeating the state), or
* the message itself says it: a store-vocabulary synonym of the value (typo-corrected like the
  rules parser does), the brand's name, a size word ("small" → S), or, for a price, an amount with
  a money mark ("$80", "80 dollars", "80 bucks") — "around X" allows X ± 20 % and "cheaper" 0.8 ×
  the remembered ceiling, as the prompt and the rules parser define them.

The price bounds are then cross-checked with the rules parser: when it found a price in the message,
its bounds (and so its direction: "under" is a maximum) replace the model's. A referenced position
must exist among the last results (when they are known). Every value dropped or replaced is a *correction*, logged in the
turn's LLM log (``LlmTurnLog.corrections`` → ``TurnRecord.corrections``, shown in review).

**merge** (``merge_turns``) — the rules parser's confident reading stands and the model fills what
rules cannot:

* filters: a slot the rules parser filled keeps the rules value; the model adds only supported
  values for slots rules left empty;
* intent: a rules intent read from an explicit cue (order intents, checkout, add to cart, compare,
  a product question, out of scope) or from a catalog term stands. Otherwise (small talk by
  default, a search with no catalog term) the model's intent is used — except that an action with
  side effects (add to cart, checkout, orders) is never started on the model's word alone, a search
  never becomes small talk or out of scope on it (scope is the calibrated guard's call), and a
  question or comparison needs something on screen;
* references ("the top one"), and the model's descriptive words that occur in the message (needs:
  "for a rainy hike") are added where rules found none.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from app.domain.turn import ORDER_INTENTS, ConversationState, Filters, Intent, ShoppingTurn
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.extract.slots import normalize

PRICE_TOLERANCE = 0.01
AROUND = 0.2
CHEAPER = 0.8
_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
_MONEY = re.compile(
    rf"(?:\$|us\$|usd)\s*{_AMOUNT}|{_AMOUNT}\s*(?:\$|usd\b|dollars?\b|bucks?\b|quid\b|eur\b|euros?\b)"
)
#: A one-letter size needs a size context ("size m", "in an L"); "m" alone is too often a word part.
_LETTER_SIZE = re.compile(r"\b(?:size|sz|in|an?)\s+(xs|s|m|l|xl|xxl)\b")
_WORD = re.compile(r"[a-z0-9]+")
#: Intents the rules parser only sets on an explicit cue; they stand in the merge.
CUE_INTENTS = (
    frozenset(
        {Intent.checkout, Intent.add_to_cart, Intent.compare, Intent.product_question, Intent.out_of_scope}
    )
    | ORDER_INTENTS
)
#: Intents with side effects: never started on the model's reading alone.
ACTION_INTENTS = frozenset({Intent.add_to_cart, Intent.checkout}) | ORDER_INTENTS
#: What the model may turn an unconfident rules search into: scope is the guard's call (calibrated
#: on the catalog), so the model never turns a search into small talk or out of scope.
FROM_SEARCH = frozenset({Intent.search, Intent.refine, Intent.product_question, Intent.compare})
#: Intents about the products on screen: the model may choose them only when something was shown.
ABOUT_SHOWN = frozenset({Intent.product_question, Intent.compare})
VOCAB_KINDS = {"category": "type", "color": "color", "material": "material", "gender": "gender"}


@dataclass
class Checked:
    """A checked (or merged) turn and what was corrected on the way."""

    turn: ShoppingTurn
    corrections: list[str] = field(default_factory=list)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= PRICE_TOLERANCE


def amounts(text: str) -> list[float]:
    """Money amounts the (normalised) message states with a money mark."""
    out = []
    for m in _MONEY.finditer(text):
        raw = m.group(1) or m.group(2)
        out.append(float(raw.replace(",", "")))
    return out


class SupportChecker:
    """What in a message (and the remembered state) supports a filter value, using the rules
    parser's own lexicon so both backends agree on what a word means."""

    def __init__(self, rules: RulesExtractor) -> None:
        self.rules = rules

    def text(self, message: str) -> str:
        return self.rules.lexicon.correct(normalize(message))

    def supports(self, name: str, value: object, text: str, rules: Filters, state: ConversationState) -> bool:
        if value is None:
            return True
        if getattr(rules, name) == value or getattr(state.filters, name) == value:
            return True
        if name in VOCAB_KINDS:
            return any(h.canon == value for h in self.rules.lexicon.find(VOCAB_KINDS[name], text))
        if name == "brand":
            hit = self.rules.lexicon.brand(text)
            named = re.search(r"(?<!\w)" + re.escape(str(value).casefold()) + r"(?!\w)", text.casefold())
            return (hit is not None and hit.canon == value) or named is not None
        if name == "size":
            return self._size(str(value), text)
        if name in ("price_min", "price_max") and isinstance(value, int | float):
            return self._price(float(value), text, state)
        return False

    def _size(self, value: str, text: str) -> bool:
        vocab = self.rules.vocabulary
        tokens = _WORD.findall(text)
        grams = tokens + [" ".join(p) for p in itertools.pairwise(tokens)]
        for gram in grams:
            if len(gram) == 1 or gram in ("xs", "xl", "xxl"):
                continue  # letters only in a size context, below
            if vocab.canonical_size(gram) == value or vocab.canonical_size(gram.replace(" ", "-")) == value:
                return True
        return any(vocab.canonical_size(m.group(1)) == value for m in _LETTER_SIZE.finditer(text))

    @staticmethod
    def _price(value: float, text: str, state: ConversationState) -> bool:
        remembered = [b for b in (state.filters.price_min, state.filters.price_max) if b is not None]
        if any(_close(value, b) for b in remembered):
            return True
        if state.filters.price_max is not None and _close(value, round(state.filters.price_max * CHEAPER, 2)):
            return True
        return any(
            _close(value, n)
            or _close(value, round(n * (1 - AROUND), 2))
            or _close(value, round(n * (1 + AROUND), 2))
            for n in amounts(text)
        )


def _refs_ok(refs: list[int], state: ConversationState) -> list[int]:
    """Positions that exist on screen; with no list known (an eval replay, a restored state)
    nothing can be checked and the positions stay — the cart stage resolves them or asks."""
    n = len(state.last_results)
    return [r for r in refs if not n or r == -1 or 1 <= r <= n]


def check_support(
    llm: ShoppingTurn, rules: ShoppingTurn, message: str, state: ConversationState, checker: SupportChecker
) -> Checked:
    """The model's turn with unsupported values dropped and the rules parser's prices (see the
    module docstring); every change is described in ``corrections``."""
    text = checker.text(message)
    values = llm.filters.model_dump()
    notes: list[str] = []
    for name, value in values.items():
        if name in ("price_min", "price_max") or value is None:
            continue
        if not checker.supports(name, value, text, rules.filters, state):
            notes.append(f"dropped {name}={value!r}: not in the message or the remembered search")
            values[name] = None
    rules_prices = (rules.filters.price_min, rules.filters.price_max)
    model_prices = (values["price_min"], values["price_max"])
    if any(p is not None for p in rules_prices):
        if model_prices != rules_prices:
            notes.append(
                f"price {_bounds(*model_prices)} → {_bounds(*rules_prices)}: the rules parser's reading of "
                "the message's price (direction and bounds) stands"
            )
        values["price_min"], values["price_max"] = rules_prices
    else:
        for name in ("price_min", "price_max"):
            v = values[name]
            if v is not None and not checker.supports(name, v, text, rules.filters, state):
                notes.append(f"dropped {name}={v!r}: no such amount of money in the message or the search")
                values[name] = None
    refs = _refs_ok(llm.referenced, state)
    if refs != llm.referenced:
        notes.append(f"dropped references {sorted(set(llm.referenced) - set(refs))}: not among the shown")
    turn = llm.model_copy(update={"filters": Filters(**values), "referenced": refs})
    return Checked(turn, notes)


def _bounds(lo: float | None, hi: float | None) -> str:
    parts = [f"min {lo:g}" if lo is not None else "", f"max {hi:g}" if hi is not None else ""]
    return "[" + ", ".join(p for p in parts if p) + "]"


def rules_confident(rules: ShoppingTurn) -> bool:
    """The rules parser's intent came from an explicit cue or a catalog term."""
    return rules.intent in CUE_INTENTS or (
        rules.intent in (Intent.search, Intent.refine)
        and (not rules.filters.is_empty() or bool(rules.referenced) or bool(rules.cleared))
    )


def _needs(llm_query: str, rules_query: str, text: str) -> str:
    said = set(_WORD.findall(text))
    have = rules_query.split()
    extra = [w for w in _WORD.findall(llm_query.lower()) if w in said and w not in have]
    return " ".join([*have, *dict.fromkeys(extra)])


def model_intent_allowed(llm: Intent, rules: ShoppingTurn, state: ConversationState) -> bool:
    """May the model's intent replace the rules parser's (which is not confident)?"""
    if llm in ACTION_INTENTS or (llm in ABOUT_SHOWN and not state.last_results and not state.focus):
        return False
    return rules.intent is Intent.smalltalk or llm in FROM_SEARCH


def merge_turns(
    checked: Checked, rules: ShoppingTurn, message: str, state: ConversationState, checker: SupportChecker
) -> Checked:
    """Rules where they are confident, the checked model turn for the rest (module docstring)."""
    llm, notes = checked.turn, list(checked.corrections)
    if rules_confident(rules) or not model_intent_allowed(llm.intent, rules, state):
        if llm.intent is not rules.intent:
            notes.append(
                f"intent {llm.intent.value} → {rules.intent.value}: the rules parser's reading stands"
            )
        base = rules
    else:
        base = rules.model_copy(
            update={"intent": llm.intent, "replace_filters": llm.replace_filters or rules.replace_filters}
        )
    values = rules.filters.model_dump()
    for name, value in llm.filters.model_dump().items():
        if value is not None and values[name] is not None and value != values[name]:
            notes.append(f"{name} {value!r} → {values[name]!r}: the rules parser read it from the message")
        elif values[name] is None:
            values[name] = value
    if (
        base.intent in (Intent.checkout, Intent.smalltalk, Intent.out_of_scope)
        or base.intent in ORDER_INTENTS
    ):
        values = dict.fromkeys(values)
    elif base.intent is Intent.add_to_cart:
        values = {k: v if k in ("size", "color") else None for k, v in values.items()}
    query = base.query
    if base.intent in (Intent.search, Intent.refine, Intent.product_question, Intent.compare):
        query = _needs(llm.query, rules.query, checker.text(message))
    turn = base.model_copy(
        update={
            "filters": Filters(**values),
            "referenced": rules.referenced or llm.referenced,
            "cleared": list(dict.fromkeys([*rules.cleared, *llm.cleared])),
            "query": query,
            "backend": llm.backend,
        }
    )
    return Checked(turn, notes)
