"""``POST /v1/chat/stream``: products first, then the reply, then the whole turn — logged once."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from app.api.routes.stream import chunk_text
from app.bootstrap import Services
from app.storage.schema import turns


async def stream(client: httpx.AsyncClient, message: str, cid: str | None = None) -> list[dict]:
    body = {"message": message} | ({"conversation_id": cid} if cid else {})
    async with client.stream("POST", "/v1/chat/stream", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) async for line in r.aiter_lines() if line.strip()]


def test_chunks_join_back_into_the_reply() -> None:
    text = "Here are 3 hoodies you might like:\n1. Mona — $57.00\nSay more."
    chunks = chunk_text(text, words=2)
    assert "".join(chunks) == text
    assert len(chunks) == 7  # 13 words, two per chunk


async def test_products_come_first_and_the_turn_last(client: httpx.AsyncClient) -> None:
    lines = await stream(client, "show me hoodies")
    kinds = [line["type"] for line in lines]
    assert kinds[0] == "products"
    assert kinds[-1] == "turn"
    assert set(kinds[1:-1]) == {"reply"}
    first, last = lines[0], lines[-1]
    assert first["turn_id"] == last["turn_id"]
    assert [p["id"] for p in first["products"]] == [p["id"] for p in last["products"]]
    assert "".join(line["text"] for line in lines[1:-1]) == last["reply"]


async def test_a_streamed_turn_is_logged_exactly_once(client: httpx.AsyncClient, services: Services) -> None:
    lines = await stream(client, "black jackets for women")
    turn_id = lines[-1]["turn_id"]
    with services.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(turns).where(turns.c.turn_id == turn_id)
        ).scalar_one()
    assert n == 1


async def test_the_conversation_continues_across_streamed_turns(client: httpx.AsyncClient) -> None:
    first = await stream(client, "show me hoodies")
    cid = first[-1]["conversation_id"]
    second = await stream(client, "in black", cid)
    assert second[-1]["filters"]["category"] == "hoodies"
    assert second[-1]["filters"]["color"] == "black"


async def test_an_abstained_turn_streams_no_products(client: httpx.AsyncClient) -> None:
    lines = await stream(client, "what's the weather in Paris tomorrow?")
    assert lines[0]["products"] == []
    assert lines[-1]["abstained"] is True


async def test_an_unknown_conversation_is_a_404_before_streaming(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/chat/stream",
        json={"message": "hi", "conversation_id": "c_missing"},
        headers={"X-Conversation-Token": "a-token-of-no-conversation"},
    )
    assert r.status_code == 404


async def test_a_too_long_message_is_a_413(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/chat/stream", json={"message": "x" * 2001})
    assert r.status_code == 413
