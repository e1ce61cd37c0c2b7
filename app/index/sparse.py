"""BM25 sparse vectors for documents and queries, identical for both index backends.

Qdrant Edge ships a BM25 tokenizer (``qdrant_edge.Bm25``: word tokenizer, lower case, English
stop words, Snowball English stemmer) that runs in-process with no model download, so the
server backend uses it too instead of fastembed. Documents carry saturated term frequencies,
queries carry 1.0 per unique term, and the IDF factor is applied by Qdrant at query time (both
collections declare the ``IDF`` modifier on the sparse vector), so IDF always reflects the
current catalog.
"""

from __future__ import annotations

from functools import cache

import qdrant_edge as qe

#: Expected document length in tokens for BM25 length normalisation. Product embedding texts
#: (name, type, materials, colours, the first 300 characters of the description) run to about
#: 50 stemmed, stop-word-free tokens; BM25's default of 256 would nearly switch normalisation off.
AVG_DOC_TOKENS = 50.0
K1 = 1.2
B = 0.75

#: Part of every index version: changing the tokenizer or the BM25 constants forces a rebuild.
SPARSE_VERSION = f"bm25-english-k{K1}-b{B}-avg{AVG_DOC_TOKENS:g}"

SparsePair = tuple[list[int], list[float]]


@cache
def _bm25() -> qe.Bm25:
    return qe.Bm25(
        qe.Bm25Config(
            k=K1,
            b=B,
            avg_len=AVG_DOC_TOKENS,
            language="english",
            lowercase=True,
            stemmer=qe.SnowballParams(qe.SnowballLanguage.English),
        )
    )


def _sorted(vec: qe.SparseVector) -> SparsePair:
    """Indices ascending (qdrant-client's local mode asserts sorted sparse vectors)."""
    pairs = sorted(zip(vec.indices, vec.values, strict=True))
    return [i for i, _ in pairs], [float(v) for _, v in pairs]


def sparse_document(text: str) -> SparsePair:
    """BM25 term-frequency weights of an indexed document, as ``(indices, values)``."""
    return _sorted(_bm25().embed_document(text))


def sparse_query(text: str) -> SparsePair:
    """Unique stemmed query terms with weight 1.0; empty when the text has no content words."""
    return _sorted(_bm25().embed_query(text))
