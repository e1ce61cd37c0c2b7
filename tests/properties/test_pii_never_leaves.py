"""PII never leaves the boundary, in any form: a property over generated e-mails, phones, cards and
IBANs in many spellings (``evals/pii_set.py``), run through the real turn — the real rules
extractor (the tokeniser that turns "jane.doe@example.com" into "jane doe example com"), the real
remember stage, retriever, responder and embedding cache, with in-memory stand-ins for the index,
guard, ranker and log (``tests/pipeline/fakes.py``).

After a turn that carries the value and a follow-up turn that refines it, no fragment of the value
— a word of the e-mail, seven digits in a row of a number — may appear in the conversation state
(and its remembered query), the turn records, any span's name or attributes, what the API returns
or streams, the log output, or the embedding cache's keys and the texts it encoded.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.catalog.vocabulary import load_vocabulary
from app.index.embed_cache import CachedEncoder, cache_key
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.turn import TurnPreview
from app.telemetry import install_memory_exporter
from evals.pii_bench import leaked
from evals.pii_set import GENERATORS, Pii, message
from tests.pipeline.extract.test_rules import catalog_brands
from tests.pipeline.fakes import BLACK_HOODIE, FLEECE_HOODIE, ZIP_HOODIE, FakeIndex, Rig, ScriptedExtractor

_IDS = re.compile(r"[0-9a-f]{16,}")  # turn, conversation, trace and span ids: random hex, not text


class RecordingModel:
    """The encoder model under the real ``CachedEncoder``: one unit vector, texts recorded."""

    version = "fake-model-v1"
    dim = 4

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self.texts += list(texts)
        return np.ones((len(texts), self.dim), dtype=np.float32) / 2.0


@pytest.fixture(scope="module")
def rules(data_dir: Path) -> RulesExtractor:
    return RulesExtractor(load_vocabulary(), catalog_brands(data_dir))


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return install_memory_exporter()


def strings(value: Any) -> Iterable[str]:
    """Every string inside a JSON-like value (keys too), with random hex ids blanked."""
    if isinstance(value, str):
        yield _IDS.sub("#", value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


async def converse(rules: RulesExtractor, text: str) -> dict[str, list[str]]:
    """Two turns, the first carrying ``text``; returns every place's strings, by place."""
    model = RecordingModel()
    encoder = CachedEncoder(model, None, ttl_s=0)
    rig = Rig(
        extractor=cast(ScriptedExtractor, rules),
        index=FakeIndex([BLACK_HOODIE.id, ZIP_HOODIE.id, FLEECE_HOODIE.id]),
        encoder=cast(Any, encoder),
    )
    previews: list[TurnPreview] = []

    async def on_products(preview: TurnPreview) -> None:
        previews.append(preview)

    first = await rig.pipeline.run(text, on_products=on_products)
    cid = first.record.conversation_id
    second = await rig.pipeline.run("in black please", cid, on_products=on_products)
    state = await rig.store.get(cid)
    assert state is not None
    return {
        "state": list(strings(state.model_dump(mode="json"))),
        "remembered query": [state.query or ""],
        "turn record": [s for r in rig.logger.records for s in strings(r.model_dump(mode="json"))],
        "response and stream": [
            *strings(first.model_dump(mode="json")),
            *strings(second.model_dump(mode="json")),
            *(s for p in previews for s in strings(p.model_dump(mode="json"))),
        ],
        "embedding cache": [
            *model.texts,
            *encoder._local,  # the in-process cache's keys: normalised query texts
            *(cache_key(encoder.version, t) for t in encoder._local),
        ],
        "index queries": [c.text for c in rig.index.calls],
    }


def span_strings(exporter: InMemorySpanExporter) -> list[str]:
    out = []
    for sp in exporter.get_finished_spans():
        out.append(sp.name)
        out += [s for v in (sp.attributes or {}).values() if isinstance(v, str) for s in strings(v)]
        out += [
            s
            for ev in sp.events
            for v in (ev.attributes or {}).values()
            if isinstance(v, str)
            for s in strings(v)
        ]
    return out


def assert_clean(places: dict[str, list[str]], pii: Pii) -> None:
    leaks = {place: [s for s in texts if leaked(s, pii)] for place, texts in places.items()}
    assert {p: v for p, v in leaks.items() if v} == {}, f"{pii.kind} {pii.text!r} leaked"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), kind=st.sampled_from(sorted(GENERATORS)))
def test_no_fragment_of_pii_reaches_state_records_spans_stream_logs_or_cache(
    rng: random.Random,
    kind: str,
    rules: RulesExtractor,
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    text, pii = message(rng, kind)
    exporter.clear()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        places = asyncio.run(converse(rules, text))
    places["spans"] = span_strings(exporter)
    places["logs"] = [_IDS.sub("#", r.getMessage()) for r in caplog.records]
    assert_clean(places, pii)


def test_the_check_itself_sees_the_split_tokens_of_an_email() -> None:
    """The leak check catches the tokenised form, so the property above can fail."""
    pii = Pii("email", "qrtvx.bnmlk@zxcvb.com", ("qrtvx", "bnmlk", "zxcvb"))
    assert leaked("hoodie call qrtvx bnmlk zxcvb com black hoodies", pii)
    assert leaked("4111 1111 1111 1111", Pii("card", "4111 1111 1111 1111", ("4111111111111111",)))
    assert not leaked("hoodie call [EMAIL] black hoodies", pii)
