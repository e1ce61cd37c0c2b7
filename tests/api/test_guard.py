"""The calibrated density guard in the running app, on the real catalog and real queries."""

from __future__ import annotations

import dataclasses

import httpx

from app.bootstrap import Services
from app.domain.turn import Reply, TurnRecord
from app.guard.density import DensityGuard
from app.pipeline.respond import ResponseContext, RulesResponder
from app.pipeline.respond_llm import uses_llm


async def turn(
    client: httpx.AsyncClient, services: Services, message: str, cid: str | None = None
) -> TurnRecord:
    body = {"message": message} | ({"conversation_id": cid} if cid else {})
    r = await client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    record = services.logger.get(r.json()["turn_id"])
    assert record is not None
    return record


def test_the_app_runs_the_calibrated_density_guard(services: Services) -> None:
    assert isinstance(services.pipeline.guard, DensityGuard)


async def test_weather_question_abstains(client: httpx.AsyncClient, services: Services) -> None:
    record = await turn(client, services, "what's the weather in Paris")
    assert record.abstained
    assert record.shown == []


async def test_sofa_abstains_on_density(client: httpx.AsyncClient, services: Services) -> None:
    record = await turn(client, services, "a 3-seat sofa")
    assert record.abstained and record.guard is not None
    assert record.guard.method == "knn-catalog"
    assert record.guard.score is not None and record.guard.threshold is not None
    assert record.guard.score < record.guard.threshold
    assert "closest things in our store" in record.reply


async def test_black_hoodie_for_men_is_answered(client: httpx.AsyncClient, services: Services) -> None:
    record = await turn(client, services, "black hoodie for men")
    assert not record.abstained and record.guard is not None
    assert record.guard.score is not None and record.guard.threshold is not None
    assert record.guard.score >= record.guard.threshold
    assert record.shown


async def test_smalltalk_is_not_guarded(client: httpx.AsyncClient, services: Services) -> None:
    record = await turn(client, services, "hi there")
    assert record.guard is None
    assert not record.abstained


async def test_turn_log_holds_score_threshold_and_calibration_version(
    client: httpx.AsyncClient, services: Services
) -> None:
    guard = services.pipeline.guard
    assert isinstance(guard, DensityGuard)
    record = await turn(client, services, "running shorts for women")
    assert record.guard is not None
    assert record.guard.version == guard.calibration.version
    assert record.guard.threshold == round(guard.calibration.min_similarity, 4)
    assert record.guard.score is not None


async def test_a_refinement_is_judged_on_the_remembered_search(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await turn(client, services, "hoodies")
    second = await turn(client, services, "in black", first.conversation_id)
    assert second.guard is not None
    assert second.guard.query == "hoodies black"
    assert not second.abstained


async def test_presented_products_lie_inside_the_fence(client: httpx.AsyncClient, services: Services) -> None:
    guard = services.pipeline.guard
    assert isinstance(guard, DensityGuard) and guard.fence_radius is not None
    record = await turn(client, services, "warm winter jacket for women")
    assert record.shown
    query_vec = services.encoder.encode_query(record.guard.query if record.guard else "")
    vectors = services.index.vectors(record.shown)
    assert all(float(query_vec @ vectors[pid]) >= guard.fence_radius for pid in record.shown)
    assert not set(record.fenced) & set(record.shown)


class RecordingResponder:
    """The rules responder, keeping the context it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.contexts: list[ResponseContext] = []

    async def respond(self, ctx: ResponseContext) -> Reply:
        self.contexts.append(ctx)
        return RulesResponder().compose(ctx)


async def test_out_of_scope_input_never_reaches_llm_reply_generation(services: Services) -> None:
    responder = RecordingResponder()
    pipeline = dataclasses.replace(services.pipeline, responder=responder)
    result = await pipeline.run("a 3-seat sofa")
    (ctx,) = responder.contexts
    assert ctx.guard is not None and ctx.guard.abstain
    assert ctx.products == []
    assert not uses_llm(ctx)
    assert result.record.abstained and result.products == []
