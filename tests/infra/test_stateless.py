"""The API is stateless: two worker processes serve one conversation and the slots carry over.

A real ``ctp serve --workers 2`` runs as a subprocess on a free loopback port, against the real
Redis, a fresh PostgreSQL database and the catalog index the session already built. Every request
opens a new connection, so the kernel hands turns of the same conversation to either worker; each
response names its worker in ``X-Worker-Pid``.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bootstrap import build_catalog
from app.index.embedder import Encoder
from app.settings import Settings

pytestmark = pytest.mark.slow

REFINEMENTS = ["in black", "size M", "under $80", "in blue", "size L", "under $70"]
MAX_TURNS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    settings: Settings,
    pg_url: str,
    redis_url: str,
    encoder: Encoder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """``ctp serve --workers 2`` on the session's index, with its catalog loaded into PostgreSQL."""
    # a new Settings, not model_copy: the copy would keep the cached (SQLite) resolved_database_url
    pg_settings = Settings(
        **{**settings.model_dump(exclude={"resolved_database_url", "edge_path"}), "database_url": pg_url}
    )
    build_catalog(pg_settings, encoder=encoder, progress=False)  # index unchanged: skipped
    port = _free_port()
    env = {
        **os.environ,
        "CTP_DATA_DIR": str(settings.data_dir),
        "CTP_VAR_DIR": str(settings.var_dir),
        "CTP_ENCODER": settings.encoder,
        "CTP_DATABASE_URL": pg_url,
        "CTP_REDIS_URL": redis_url,
        "CTP_QDRANT_URL": "",
        "CTP_OTLP_ENDPOINT": "",
    }
    ctp = Path(sys.executable).with_name("ctp")
    log_file = tmp_path_factory.mktemp("serve") / "serve.log"
    log = log_file.open("w")
    proc = subprocess.Popen(
        [str(ctp), "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"ctp serve exited with {proc.returncode}:\n{log_file.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("ctp serve did not become ready in 180 s")
            time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _post(base: str, body: dict[str, object], token: str = "") -> httpx.Response:
    """One request on its own connection, so the kernel may route it to either worker."""
    headers = {"Connection": "close", **({"X-Conversation-Token": token} if token else {})}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as c:
        return c.post("/v1/chat", json=body)


@pytest.fixture(scope="module")
def conversation(server: str) -> list[httpx.Response]:
    """A women's-hoodies search refined turn after turn until both workers have answered."""
    first = _post(server, {"message": "hoodies for women"})
    assert first.status_code == 200, first.text
    cid, token = first.json()["conversation_id"], first.json()["conversation_token"]
    responses = [first]
    for i in range(MAX_TURNS):
        r = _post(server, {"conversation_id": cid, "message": REFINEMENTS[i % len(REFINEMENTS)]}, token)
        assert r.status_code == 200, r.text
        responses.append(r)
        if i >= len(REFINEMENTS) and len({x.headers["x-worker-pid"] for x in responses}) == 2:
            break
    return responses


def test_every_response_names_its_worker(conversation: list[httpx.Response]) -> None:
    assert all(r.headers["x-worker-pid"].isdigit() for r in conversation)


def test_both_workers_served_the_conversation(conversation: list[httpx.Response]) -> None:
    assert len({r.headers["x-worker-pid"] for r in conversation}) == 2


def test_turn_index_advances_by_one_whichever_worker_answers(conversation: list[httpx.Response]) -> None:
    assert [r.json()["turn_index"] for r in conversation] == list(range(len(conversation)))


def test_category_and_gender_carry_over_on_every_worker(conversation: list[httpx.Response]) -> None:
    for r in conversation:
        filters = r.json()["filters"]
        assert (filters["category"], filters["gender"]) == ("hoodies", "women")


def test_a_slot_set_on_one_worker_is_kept_by_the_other(conversation: list[httpx.Response]) -> None:
    handovers = 0
    for before, after in itertools.pairwise(conversation):
        if before.headers["x-worker-pid"] == after.headers["x-worker-pid"]:
            continue
        handovers += 1
        kept = {k: v for k, v in before.json()["filters"].items() if v is not None}
        now = after.json()["filters"]
        # the refinement changes one slot; every other slot comes from the other worker's turn
        assert sum(now.get(k) != v for k, v in kept.items()) <= 1, (kept, now)
    assert handovers >= 1


def test_transcript_from_either_worker_has_every_turn(
    server: str, conversation: list[httpx.Response]
) -> None:
    cid, token = conversation[0].json()["conversation_id"], conversation[0].json()["conversation_token"]
    headers = {"Connection": "close", "X-Conversation-Token": token}
    with httpx.Client(base_url=server, timeout=30, headers=headers) as c:
        transcript = c.get(f"/v1/conversations/{cid}").json()
    assert [t["turn_id"] for t in transcript["turns"]] == [r.json()["turn_id"] for r in conversation]
