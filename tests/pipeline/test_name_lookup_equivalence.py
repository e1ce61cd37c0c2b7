"""The precomputed name-matching structures (issue 18) give exactly the answers of the plain scans
they replace, on the real catalog and every shopper message of the golden sets that is not a frozen
test split. The scans are kept here, as they were, as the reference."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import pytest

from app.bootstrap import make_understander
from app.catalog.ingest import load_catalog
from app.catalog.snapshot import CatalogSnapshot
from app.catalog.vocabulary import load_vocabulary
from app.pipeline.brands import BrandReader
from app.pipeline.references import FUZZY_RATIO, NameIndex, words
from app.policy.document import load_policy
from app.policy.words import correct, lexicon, one_edit_index, osa
from app.policy.words import words as policy_words
from infra.bench.names import messages

MESSAGES = messages()


class ScanningNames(NameIndex):
    """``NameIndex`` with its misspelling match as a scan of every candidate (no memo, no bound)."""

    def _match(self, word: str) -> str | None:
        if word in self.distinctive:
            return word
        if len(word) < 5 or word in self.stop or word in self.df:
            return None
        best, best_ratio = None, FUZZY_RATIO
        for cand, _ in self._by_initial.get(word[0], ()):
            if abs(len(cand) - len(word)) > 2:
                continue
            ratio = SequenceMatcher(None, word, cand).ratio()
            if ratio > best_ratio:
                best, best_ratio = cand, ratio
        return best


@pytest.fixture(scope="module")
def catalog(data_dir: Path) -> CatalogSnapshot:
    batch = load_catalog(data_dir, ["magento", "kibana"], eur_to_usd=1.08)
    return CatalogSnapshot(batch.products, "v1")


@pytest.fixture(scope="module")
def indexes(catalog: CatalogSnapshot) -> tuple[NameIndex, ScanningNames]:
    names = make_understander(catalog).names
    return names, ScanningNames(catalog.all(), names.stop)


def test_the_corpus_is_the_golden_shopper_messages() -> None:
    assert len(MESSAGES) > 2000


def test_every_word_matches_the_same_name_word_as_the_scan(indexes: tuple[NameIndex, ScanningNames]) -> None:
    fast, scan = indexes
    corpus = sorted({w for m in MESSAGES for w in words(m)})
    assert [fast._match(w) for w in corpus] == [scan._match(w) for w in corpus]


def test_every_message_names_the_same_product_as_with_the_scan(
    indexes: tuple[NameIndex, ScanningNames],
) -> None:
    fast, scan = indexes
    assert [fast.resolve(m) for m in MESSAGES] == [scan.resolve(m) for m in MESSAGES]
    assert [fast.matched_words(m) for m in MESSAGES] == [scan.matched_words(m) for m in MESSAGES]


def test_the_misspelling_memo_gives_the_first_answer_again(indexes: tuple[NameIndex, ScanningNames]) -> None:
    fast, _ = indexes
    first = [fast.by_name(m) for m in MESSAGES]
    assert [fast.by_name(m) for m in MESSAGES] == first


def test_every_version_request_finds_the_same_sibling_as_the_scan(
    indexes: tuple[NameIndex, ScanningNames],
) -> None:
    fast, _ = indexes
    products = fast.products

    def scanned(focus: str, category: str) -> str | None:
        base = next(p for p in products if p.id == focus)
        own = fast.name_words[focus] - fast.stop
        scored = [
            (len(fast.name_words[p.id] & own), p.id)
            for p in products
            if p.id != focus and p.category == category and p.brand == base.brand
        ]
        scored = [x for x in scored if x[0] > 0]
        top = max((n for n, _ in scored), default=0)
        best = [pid for n, pid in scored if n == top]
        return best[0] if len(best) == 1 else None

    cases = [
        (p.id, c)
        for p in products[::7]
        for c in sorted({q.category or "" for q in products if q.brand == p.brand})
    ]
    assert [fast.sibling(f, c) for f, c in cases] == [scanned(f, c) for f, c in cases]


@pytest.mark.slow  # the scan it is checked against takes ~15 s
def test_the_brand_typo_check_agrees_with_the_scan(catalog: CatalogSnapshot) -> None:
    reader = BrandReader(catalog.all(), load_vocabulary())
    long = sorted(w for w in reader._known if len(w) >= 4)
    # the words it is asked about: 5+ letters and none of the store's own words
    corpus = sorted({w for m in MESSAGES for w in words(m) if len(w) >= 5 and w not in reader._known})
    scanned = [any(abs(len(k) - len(w)) <= 1 and osa(w, k) == 1 for k in long) for w in corpus]
    assert [reader._misspelt(w) for w in corpus] == scanned


def test_the_policy_words_one_edit_away_are_those_of_the_scan() -> None:
    known = lexicon(s.text for s in load_policy().sections.values())
    index = one_edit_index(known)
    corpus = sorted({w for m in MESSAGES for w in policy_words(m) if len(w) >= 5})
    scanned = [{k for k in known if abs(len(k) - len(w)) <= 1 and osa(w, k) == 1} for w in corpus]
    assert [index.near(w) for w in corpus] == scanned
    assert correct("how do I retrun this", known) == "how do I return this"


def test_the_misspelling_memo_starts_over_when_full(
    indexes: tuple[NameIndex, ScanningNames], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, scan = indexes
    monkeypatch.setattr("app.pipeline.references.MATCH_MEMO", 3)
    fast._matches.clear()
    typos = ["montanna", "heattek", "pulovver", "abominible", "messanger"]
    assert [fast._match(w) for w in typos] == [scan._match(w) for w in typos]
    assert len(fast._matches) <= 3
