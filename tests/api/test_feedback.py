"""POST /v1/turns/{turn_id}/feedback: thumbs up/down recorded against the turn."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.bootstrap import Services
from app.storage.schema import turn_events


async def a_turn(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/v1/chat", json={"message": "black hoodies for men"})
    assert r.status_code == 200
    return r.json()


def feedback_rows(services: Services, turn_id: str) -> list[dict]:
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(turn_events).where(turn_events.c.turn_id == turn_id, turn_events.c.kind == "feedback")
        )
        return [dict(r._mapping) for r in rows]


async def test_thumbs_down_with_a_reason_is_stored_against_the_turn(
    client: httpx.AsyncClient, services: Services
) -> None:
    turn = await a_turn(client)
    r = await client.post(
        f"/v1/turns/{turn['turn_id']}/feedback", json={"rating": "down", "reason": "not what I asked"}
    )
    assert r.status_code == 201
    assert r.json()["conversation_id"] == turn["conversation_id"]
    [row] = feedback_rows(services, turn["turn_id"])
    assert row["conversation_id"] == turn["conversation_id"]
    assert row["data"] == {"rating": "down", "reason": "not what I asked"}


async def test_a_reason_containing_an_email_is_stored_redacted(
    client: httpx.AsyncClient, services: Services
) -> None:
    turn = await a_turn(client)
    r = await client.post(
        f"/v1/turns/{turn['turn_id']}/feedback", json={"rating": "up", "reason": "mail me: a@b.com"}
    )
    assert r.status_code == 201
    [row] = feedback_rows(services, turn["turn_id"])
    assert row["data"]["reason"] == "mail me: [EMAIL]"


async def test_feedback_on_an_unknown_turn_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/turns/t_doesnotexist/feedback",
        json={"rating": "up"},
        headers={"X-Conversation-Token": "a-token-of-no-conversation"},
    )
    assert r.status_code == 404


async def test_a_rating_other_than_up_or_down_is_422_and_stores_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    turn = await a_turn(client)
    r = await client.post(f"/v1/turns/{turn['turn_id']}/feedback", json={"rating": "meh"})
    assert r.status_code == 422
    assert feedback_rows(services, turn["turn_id"]) == []


async def test_a_reason_over_500_characters_is_422(client: httpx.AsyncClient) -> None:
    turn = await a_turn(client)
    r = await client.post(
        f"/v1/turns/{turn['turn_id']}/feedback", json={"rating": "down", "reason": "x" * 501}
    )
    assert r.status_code == 422
