"""The review API: reviewer keys only, filters that return exactly the matching turns, labels kept
with who and when, and a golden-set export whose lines parse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from app.api.security import DEV_REVIEWER_KEY
from app.bootstrap import Services
from app.storage.schema import eval_results

AUTH = {"Authorization": f"Bearer {DEV_REVIEWER_KEY}"}


async def say(client: httpx.AsyncClient, message: str) -> dict[str, Any]:
    r = await client.post("/v1/chat", json={"message": message})
    assert r.status_code == 200
    return dict(r.json())


async def found(client: httpx.AsyncClient, since: datetime, **params: Any) -> list[str]:
    r = await client.get("/v1/review/turns", params={"start": since.isoformat(), **params}, headers=AUTH)
    assert r.status_code == 200, r.text
    return [t["turn_id"] for t in r.json()["turns"]]


@pytest.fixture
async def two_turns(client: httpx.AsyncClient) -> tuple[datetime, dict[str, Any], dict[str, Any]]:
    """(a time just before, an answered jackets turn, an abstained sofa turn)."""
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    answered = await say(client, "women's jackets")
    abstained = await say(client, "a 3-seat sofa")
    assert not answered["abstained"] and abstained["abstained"]
    return since, answered, abstained


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/review/turns"),
        ("GET", "/v1/review/turns/t_x"),
        ("POST", "/v1/review/turns/t_x/labels"),
        ("GET", "/v1/review/export"),
        ("GET", "/v1/review/dashboard"),
        ("GET", "/v1/review/interleaving"),
        ("GET", "/v1/review/me"),
    ],
)
async def test_every_review_route_is_401_without_a_key_or_with_a_wrong_one(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert (await client.request(method, path)).status_code == 401
    wrong = {"Authorization": "Bearer not-a-key"}
    assert (await client.request(method, path, headers=wrong)).status_code == 401


async def test_me_names_the_reviewer(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/review/me", headers=AUTH)
    assert r.json() == {"name": "dev-reviewer", "role": "reviewer"}


async def test_abstained_filter_splits_the_turns_exactly(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, answered, abstained = two_turns
    assert await found(client, since, abstained="true") == [abstained["turn_id"]]
    assert await found(client, since, abstained="false") == [answered["turn_id"]]


async def test_search_is_case_insensitive_over_message_and_reply(
    client: httpx.AsyncClient, two_turns: Any
) -> None:
    since, answered, abstained = two_turns
    assert await found(client, since, q="3-SEAT") == [abstained["turn_id"]]
    reply_words = answered["reply"].split()[0:2]
    assert answered["turn_id"] in await found(client, since, q=" ".join(reply_words).upper())


async def test_like_wildcards_in_the_search_are_literal(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, _, _ = two_turns
    assert await found(client, since, q="%") == []
    assert await found(client, since, q="_") == []


async def test_intent_and_backend_filters(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, answered, abstained = two_turns
    assert set(await found(client, since, backend="rules")) == {answered["turn_id"], abstained["turn_id"]}
    assert await found(client, since, backend="llm") == []
    assert await found(client, since, intent="checkout") == []
    assert answered["turn_id"] in await found(client, since, intent=answered["intent"])


async def test_latency_filter_keeps_turns_strictly_above(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, _answered, _abstained = two_turns
    r = await client.get("/v1/review/turns", params={"start": since.isoformat()}, headers=AUTH)
    latency = {t["turn_id"]: t["latency_ms"] for t in r.json()["turns"]}
    cut = min(latency.values())
    assert await found(client, since, min_latency_ms=cut) == [t for t, ms in latency.items() if ms > cut]


async def test_date_range_excludes_turns_outside_it(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, _, _ = two_turns
    before = (since - timedelta(days=1)).isoformat()
    r = await client.get("/v1/review/turns", params={"start": before, "end": since.isoformat()}, headers=AUTH)
    ids = {t["turn_id"] for t in r.json()["turns"]}
    assert not ids & {two_turns[1]["turn_id"], two_turns[2]["turn_id"]}


async def test_eval_label_filter_matches_judge_labels(
    client: httpx.AsyncClient, services: Services, two_turns: Any
) -> None:
    since, answered, _ = two_turns
    with services.engine.begin() as conn:
        conn.execute(
            insert(eval_results).values(
                turn_id=answered["turn_id"],
                evaluator="hallucination",
                evaluator_version="test",
                backend="CODE",
                label="hallucinated",
                explanation="a price not in the catalog",
                suite="online",
                created_at=datetime.now(UTC),
            )
        )
    assert await found(client, since, label="hallucinated") == [answered["turn_id"]]
    assert await found(client, since, label="hallucinated", evaluator="relevance") == []
    trace = (await client.get(f"/v1/review/turns/{answered['turn_id']}", headers=AUTH)).json()
    assert trace["eval_results"][0]["explanation"] == "a price not in the catalog"


async def test_feedback_filter(client: httpx.AsyncClient, two_turns: Any) -> None:
    since, answered, abstained = two_turns
    r = await client.post(
        f"/v1/turns/{abstained['turn_id']}/feedback",
        json={"rating": "down", "reason": "wanted a sofa"},
        headers={"X-Conversation-Token": abstained["conversation_token"]},
    )
    assert r.status_code == 201
    assert await found(client, since, feedback="down") == [abstained["turn_id"]]
    assert await found(client, since, feedback="up") == []
    assert await found(client, since, feedback="none") == [answered["turn_id"]]


async def test_a_label_is_stored_with_the_reviewer_and_time_and_a_correction_wins(
    client: httpx.AsyncClient, two_turns: Any
) -> None:
    _, answered, _ = two_turns
    url = f"/v1/review/turns/{answered['turn_id']}/labels"
    before = datetime.now(UTC)
    first = await client.post(url, json={"evaluator": "relevance", "label": "irrelevant"}, headers=AUTH)
    assert first.status_code == 201
    assert first.json()["reviewer"] == "dev-reviewer"
    assert datetime.fromisoformat(first.json()["created_at"]) >= before
    await client.post(url, json={"evaluator": "relevance", "label": "relevant", "note": "fine"}, headers=AUTH)
    trace = (await client.get(f"/v1/review/turns/{answered['turn_id']}", headers=AUTH)).json()
    assert trace["latest_human"] == {"relevance": "relevant"}
    assert [h["label"] for h in trace["human_labels"]] == ["relevant", "irrelevant"]


async def test_a_label_outside_the_evaluators_set_is_422(client: httpx.AsyncClient, two_turns: Any) -> None:
    _, answered, _ = two_turns
    r = await client.post(
        f"/v1/review/turns/{answered['turn_id']}/labels",
        json={"evaluator": "relevance", "label": "hallucinated"},
        headers=AUTH,
    )
    assert r.status_code == 422
    assert "irrelevant, relevant, not_applicable" in r.json()["detail"]


async def test_labelling_or_tracing_an_unknown_turn_is_404(client: httpx.AsyncClient) -> None:
    body = {"evaluator": "relevance", "label": "relevant"}
    assert (await client.post("/v1/review/turns/t_nope/labels", json=body, headers=AUTH)).status_code == 404
    assert (await client.get("/v1/review/turns/t_nope", headers=AUTH)).status_code == 404


async def test_export_is_one_parsable_line_per_labelled_turn_with_the_latest_labels(
    client: httpx.AsyncClient, two_turns: Any
) -> None:
    since, _answered, abstained = two_turns
    url = f"/v1/review/turns/{abstained['turn_id']}/labels"
    await client.post(url, json={"evaluator": "refusal", "label": "answered"}, headers=AUTH)
    await client.post(url, json={"evaluator": "refusal", "label": "refused"}, headers=AUTH)
    r = await client.get("/v1/review/export", params={"start": since.isoformat()}, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    docs = [json.loads(line) for line in r.text.splitlines()]
    assert [d["turn_id"] for d in docs] == [abstained["turn_id"]]
    assert docs[0]["labels"]["refusal"]["label"] == "refused"
    assert docs[0]["message"] == "a 3-seat sofa" and docs[0]["abstained"] is True


async def test_dashboard_pairs_the_judge_with_the_latest_human_label(
    client: httpx.AsyncClient, services: Services, two_turns: Any
) -> None:
    since, _, abstained = two_turns
    with services.engine.begin() as conn:
        conn.execute(
            insert(eval_results).values(
                turn_id=abstained["turn_id"], evaluator="refusal", evaluator_version="test", backend="CODE",
                label="refused", explanation="abstained", suite="online", created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    url = f"/v1/review/turns/{abstained['turn_id']}/labels"
    await client.post(url, json={"evaluator": "refusal", "label": "refused"}, headers=AUTH)
    r = await client.get("/v1/review/dashboard", params={"start": since.isoformat()}, headers=AUTH)
    data = r.json()
    assert data["pairs"] == [
        {"turn_id": abstained["turn_id"], "evaluator": "refusal", "judge": "refused", "human": "refused"}
    ]
    assert [g["turn_id"] for g in data["guard"] if g["human_refusal"]] == [abstained["turn_id"]]
    assert sorted(s["abstained"] for s in data["slices"]) == [False, True]
