"""Replies for what issue 13 added to the rules responder: a product shown by name, a product
question answered from evidence, a comparison on the asked attribute, store help from the policy
document, cross-sell picks, and the sentence that says which constraint was relaxed.

Every sentence is built from the context (the product's own text, the policy section), so the
rules responder still cannot state anything it was not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.catalog.vocabulary import Vocabulary
from app.domain.catalog import Product
from app.domain.turn import Reply
from app.pipeline.answer.compare import compare
from app.pipeline.answer.qa import Answer, answer, variant_answer
from app.pipeline.answer.semantic import SemanticArm
from app.pipeline.policy_search import PolicySearch, sentences
from app.policy.document import PolicyDocument
from app.policy.router import NOT_COVERED, OUT_OF_REMIT

CAN_DO = (
    "I can help you find clothing, shoes, bags, watches and fitness gear, answer questions about a "
    "product, add items to your cart and check out, and answer questions about returns, shipping, "
    "payment, sizing and your orders here."
)
RELAXED_WORDS = {
    "size": "size",
    "material": "material",
    "color": "colour",
    "brand": "brand",
    "price": "price",
    "gender": "gender",
    "category": "product type",
}


def money(amount: float, currency: str = "USD") -> str:
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def product_card(p: Product, currency: str) -> str:
    facts = [f"{p.name}: {money(p.price, currency)}"]
    if p.colors:
        facts.append("colours " + ", ".join(p.colors))
    if p.sizes:
        facts.append("sizes " + ", ".join(p.sizes))
    if p.materials:
        facts.append("made of " + ", ".join(p.materials))
    if p.rating is not None:
        facts.append(f"rated {p.rating:.1f}/5 from {p.review_count} reviews")
    return "; ".join(facts) + "."


@dataclass
class HelpReplies:
    policy: PolicyDocument | None = None
    vocabulary: Vocabulary | None = None
    search: PolicySearch | None = None  # picks the sentences of a section that answer the question
    semantic: SemanticArm | None = None  # the MiniLM arm of product-QA retrieval (answer/semantic.py)
    _colours: set[str] = field(default_factory=set)
    _sizes: set[str] = field(default_factory=set)
    _materials: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.vocabulary is not None:
            self._colours = set(self.vocabulary.colors)
            self._sizes = set(self.vocabulary.sizes)
            self._materials = {m.lower() for k, syn in self.vocabulary.materials.items() for m in (k, *syn)}

    def show(self, p: Product, currency: str) -> Reply:
        text = product_card(p, currency)
        if p.description:
            text += " " + p.description[:280].rsplit(" ", 1)[0] + ("…" if len(p.description) > 280 else "")
        return Reply(text=text, product_ids=[p.id])

    def question(self, message: str, products: list[Product], currency: str) -> Reply:
        if len(products) >= 2:
            return self.comparison(message, products, currency)
        p = products[0]
        a = answer(message, p, self._colours, self._sizes, self._materials, self.semantic)
        return Reply(text=say(a, p), product_ids=[p.id], answer=a.verdict, evidence=a.evidence)

    def stock(self, message: str, p: Product, notice: str) -> Reply:
        """'do you have it in orange?': whether the product comes in it is product information (the
        variant rule of ``qa``); whether it is in stock is the inventory's ``notice``. A product that
        does not come in the asked colour/size is a "no" quoting its list, whatever the stock says.
        A question that names no colour or size and that the product's text answers gets that answer."""
        a = variant_answer(message, p, self._colours, self._sizes)
        if a is None:  # "does it come in different foam types?" names no variant: the text may say
            found = answer(message, p, self._colours, self._sizes, self._materials, self.semantic)
            if found.verdict != "unknown":
                return Reply(
                    text=say(found, p), product_ids=[p.id], answer=found.verdict, evidence=found.evidence
                )
        if a is not None and a.verdict == "no":
            return Reply(text=say(a, p), product_ids=[p.id], answer=a.verdict, evidence=a.evidence)
        if a is not None and a.verdict == "yes" and notice.startswith("Yes"):
            return Reply(text=notice, product_ids=[p.id], answer=a.verdict, evidence=a.evidence)
        return Reply(text=notice, product_ids=[p.id])

    def comparison(self, message: str, products: list[Product], currency: str) -> Reply:
        pick = compare(message, products, self._colours, self._sizes, self.semantic)
        if pick is None:
            lines = [product_card(p, currency) for p in products]
            return Reply(
                text="\n".join([*lines, "The product information doesn't say which one is better on that."]),
                product_ids=[p.id for p in products],
                answer="unknown",
            )
        winner, why = pick
        rest = [p.id for p in products if p.id != winner.id]
        return Reply(text=f"The {winner.name}: {why}", product_ids=[winner.id, *rest], evidence=why)

    def store_help(self, topic: str | None, message: str = "") -> Reply:
        """The policy section of ``topic``, quoted: the sentences that answer ``message`` first (the
        section's lead sentence when none is singled out), then the rest of the section; a store
        question the policy does not cover, "the policy doesn't say" and who can tell; out of remit,
        the honest answer and what the chat can do. ``evidence`` is the sentences quoted first."""
        if topic == NOT_COVERED and self.policy is not None:
            return Reply(text=not_covered(self.policy))
        if topic == OUT_OF_REMIT or topic is None or self.policy is None:
            return Reply(text="Sorry, I can't help with that here. " + CAN_DO)
        section = self.policy.section(topic)
        if section is None:
            return Reply(text="Sorry, I can't help with that here. " + CAN_DO)
        best = self.search.quote(message, topic) if self.search is not None and message else []
        if not best:  # no sentence singled out: the section's lead sentence, its rule, answers first
            best = sentences(section.text)[:1]
        rest = [s for s in sentences(section.text) if s not in best]
        text = f"From our store policy ({section.title}): {' '.join(best)}"
        if rest:
            text += f"\nAlso in that section: {' '.join(rest)}"
        return Reply(text=text, evidence=" ".join(best))

    def complements(self, products: list[Product], currency: str) -> Reply:
        if not products:
            return Reply(
                text="Tell me which product you'd like to match (or add one to your cart), and I'll suggest "
                "what goes with it."
            )
        lines = [f"{i}. {p.name} — {money(p.price, currency)}" for i, p in enumerate(products, 1)]
        return Reply(text="\n".join(["These go well with it:", *lines]), product_ids=[p.id for p in products])


def not_covered(policy: PolicyDocument) -> str:
    """A store question the policy does not answer: it says so, never guesses, and says who can
    tell (the contact section's lead sentence, quoted) and what the chat can do."""
    text = "Our store policy doesn't say anything about that, so I can't promise either way."
    contact = policy.section("contact")
    if contact is not None:
        text += f" Our customer service can tell you: {sentences(contact.text)[0]}"
    return f"{text} {CAN_DO}"


def say(a: Answer, p: Product) -> str:
    if a.verdict == "yes":
        return f'Yes — the {p.name}\'s product information says: "{a.evidence}"'
    if a.verdict == "no":
        return f'No — the {p.name}\'s product information says: "{a.evidence}"'
    return f"The product information for the {p.name} doesn't say, so I can't promise either way."


def relaxed_note(relaxed: list[str]) -> str:
    if not relaxed:
        return ""
    names = " and ".join(RELAXED_WORDS[r] for r in relaxed)
    return f"Nothing matched every condition, so I relaxed the {names}: these are the nearest matches."


def unchecked_note(size: str, wanted: str) -> str:
    """A stated size no product in the catalog is listed in: it was not applied, and this says so."""
    return (
        f"None of our {wanted} is listed in size {size}, so I couldn't filter on that size: "
        "these match the rest of your request (check the sizes on each product)."
    )


def brand_note(brand: str, wanted: str, shown: list[Product]) -> str:
    """A brand the store does not carry: said, and the results named as other brands' (those of
    the products shown, from the catalog)."""
    ours = list(dict.fromkeys(p.brand for p in shown if p.brand))
    of = f" ({', '.join(ours[:3])})" if ours else ""
    return f"We don't carry {brand}: nothing we sell is by or called that. Here are {wanted} from brands we do carry{of}."
