"""Store help by meaning: the policy document's sentences in their own small vector collection.

``ctp build`` (``ensure_policy_index``) splits every section of the policy document into sentences,
embeds each as "<section title>. <sentence>" with the query encoder (MiniLM) and writes them to a
``PassageIndex`` (Qdrant Edge) versioned by a hash of the sentences and the encoder version.

``PolicySearch`` answers two questions for a message:

* **which topic** (``topic``): the section of the nearest sentence, when its cosine similarity is at
  least ``threshold``. The cue router (``app.policy.router``) decides first; this catches the
  paraphrases it has no cue for ("who covers the cost of sending stuff back?"). The document's
  ``out_of_remit`` section ("What this chat can't do") routes to the honest "I can't help with that
  here". A follow-up in a store-help conversation ("and for sale items?") is routed with the lower
  ``follow_threshold``, and stays on the conversation's topic when no sentence is near enough.
* **which sentences to quote** (``quote``): the sentences of a topic that answer the question, in
  document order, so "who pays for return shipping?" quotes the return-postage sentence first. A
  sentence's score is its cosine similarity plus ``LEXICAL_WEIGHT`` times the share of the question's
  content words it contains (IDF-weighted over the document; shopper words count as the policy's
  words for them, ``app.policy.words``): MiniLM alone ranks "Final-sale items … cannot be returned"
  above "Exchanges are handled as a return plus a new order" for "can I swap for a bigger size?".

Thresholds were set on the Bitext store-help *train* split and the shopper-query negatives
(``evals/golden/shopper_queries.jsonl``) only; see ``docs/store_help.md``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from app.index.passages import Passage, PassageHit, PassageIndex, passages_version
from app.policy.document import PolicyDocument
from app.policy.words import stems

log = logging.getLogger(__name__)

#: Cosine similarity to a policy sentence above which a message with no cue is a store-help question.
TOPIC_THRESHOLD = 0.5
#: The same for a follow-up inside a store-help exchange (the topic is already on the table).
FOLLOW_THRESHOLD = 0.4
#: Sentences quoted: those within this share of the best one's similarity (at most ``QUOTE_MAX``).
QUOTE_SHARE = 0.85
QUOTE_MAX = 2
#: Below this similarity, and with no content word of the question in it, no sentence is singled
#: out: the section is quoted whole, in order (its lead sentence first).
QUOTE_MIN = 0.55
#: When the cues of several topics match, a later topic wins over the first only this much nearer.
SWITCH_MARGIN = 0.15
#: Weight of the lexical share (0–1) added to the cosine similarity when choosing what to quote.
LEXICAL_WEIGHT = 0.3
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


class QueryEncoder(Protocol):
    version: str

    def encode_query(self, text: str) -> np.ndarray: ...


class DocumentEncoder(Protocol):
    version: str

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def policy_passages(doc: PolicyDocument) -> list[Passage]:
    """One passage per sentence of every section, keyed by the section's topic."""
    out: list[Passage] = []
    for topic, section in doc.sections.items():
        for i, sentence in enumerate(sentences(section.text)):
            out.append(Passage(key=topic, text=sentence, position=i, context=section.title))
    return out


def embedding_text(p: Passage) -> str:
    return f"{p.context}. {p.text}" if p.context else p.text


def policy_index_path(var_dir: Path) -> Path:
    return var_dir / "qdrant-edge" / "policy"


def ensure_policy_index(doc: PolicyDocument, encoder: DocumentEncoder, index: PassageIndex) -> bool:
    """Open the collection for this document and encoder, building it first if needed (True if built)."""
    passages = policy_passages(doc)
    version = passages_version(passages, encoder.version)
    if index.version == version or index.open(version):
        return False
    dense = encoder.encode([embedding_text(p) for p in passages], progress=False)
    index.build(passages, dense, version)
    log.info("policy collection %s built: %d sentences", version, len(passages))
    return True


@dataclass
class PolicySearch:
    encoder: QueryEncoder
    index: PassageIndex
    threshold: float = TOPIC_THRESHOLD
    follow_threshold: float = FOLLOW_THRESHOLD
    lexicon: frozenset[str] = frozenset()  # the document's words a misspelling may be restored to

    def hits(self, message: str, limit: int = 8) -> list[PassageHit]:
        if not message.strip():
            return []
        return self.index.search(self.encoder.encode_query(message), limit)

    def topic(self, message: str, follow_up: bool = False) -> tuple[str | None, float]:
        """(topic of the nearest sentence or None when below the threshold, its similarity)."""
        hits = self.hits(message, 1)
        if not hits:
            return None, 0.0
        best = hits[0]
        floor = self.follow_threshold if follow_up else self.threshold
        return (best.passage.key if best.score >= floor else None), best.score

    def nearest_of(self, message: str, topics: list[str]) -> str:
        """Of ``topics`` (in priority order), the first, unless another one's nearest sentence is
        nearer to ``message`` by at least ``SWITCH_MARGIN``."""
        best: dict[str, float] = {}
        for h in self.hits(message, 64):
            best.setdefault(h.passage.key, h.score)
        first = best.get(topics[0], 0.0)
        other = max(topics[1:], key=lambda t: best.get(t, 0.0))
        return other if best.get(other, 0.0) >= first + SWITCH_MARGIN else topics[0]

    def mentions(self, message: str, topic: str) -> bool:
        """Whether a sentence of ``topic`` uses a content word of ``message`` ("underwear" is in the
        returns section: "and underwear?" after a returns answer asks about returning underwear)."""
        asked = stems(message)
        return any(h.passage.key == topic and asked & stems(h.passage.text) for h in self.hits(message, 64))

    def quote(self, message: str, topic: str) -> list[str]:
        """The sentences of ``topic`` that answer ``message`` best, in document order ([] if none)."""
        hits = self.hits(message, 64)
        mine = [h for h in hits if h.passage.key == topic]
        if not mine:
            return []
        lexical = _lexical_shares(message, hits)
        scored = sorted(
            ((h.score + LEXICAL_WEIGHT * lexical[h.passage.text], h) for h in mine),
            key=lambda x: -x[0],
        )
        best, top = scored[0]
        if top.score < QUOTE_MIN and lexical[top.passage.text] == 0:
            return []
        picked = [h for s, h in scored if s >= best * QUOTE_SHARE][:QUOTE_MAX]
        return [h.passage.text for h in sorted(picked, key=lambda h: h.passage.position)]


def _lexical_shares(message: str, hits: list[PassageHit]) -> dict[str, float]:
    """Per sentence: the IDF-weighted share of the message's content words (those the document
    uses at all) that the sentence contains."""
    own = {h.passage.text: stems(h.passage.text) for h in hits}
    df: dict[str, int] = {}
    for words in own.values():
        for w in words:
            df[w] = df.get(w, 0) + 1
    n = len(own)
    idf = {w: float(np.log(1 + n / d)) for w, d in df.items()}
    asked = [w for w in stems(message, thesaurus=True) if w in idf]
    total = sum(idf[w] for w in asked)
    if not total:
        return dict.fromkeys(own, 0.0)
    return {text: sum(idf[w] for w in asked if w in words) / total for text, words in own.items()}
