"""SIGTERM drains in-flight turns: every request the server accepted completes with 200 and is
logged; the server then exits cleanly.

A real ``ctp serve`` runs as a subprocess on the session's catalog (SQLite + Qdrant Edge) and the
real Redis. Many turns are sent concurrently and SIGTERM arrives while they run — no test-only
delay in production code.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.bootstrap import Services
from app.settings import Settings
from tests.reliability.servers import free_port

pytestmark = pytest.mark.slow

CONCURRENT_TURNS = 24
MESSAGES = ["black hoodies", "women's jackets under $80", "yoga pants in blue", "running shoes", "hello"]


def start_server(settings: Settings, log_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "CTP_DATA_DIR": str(settings.data_dir),
        "CTP_VAR_DIR": str(settings.var_dir),
        "CTP_ENCODER": settings.encoder,
        "CTP_DATABASE_URL": settings.resolved_database_url,
        "CTP_REDIS_URL": settings.redis_url or "",
        "CTP_QDRANT_URL": "",
        "CTP_OTLP_ENDPOINT": "",
    }
    ctp = Path(sys.executable).with_name("ctp")
    proc = subprocess.Popen(
        [str(ctp), "serve", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log_file.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ctp serve exited with {proc.returncode}:\n{log_file.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    pytest.fail("ctp serve did not become ready")


async def send(client: httpx.AsyncClient, message: str) -> tuple[int, str | None, float]:
    """(status, turn_id, completion time); status 0 when the server refused the connection."""
    try:
        r = await client.post("/v1/chat", json={"message": message})
    except httpx.TransportError:
        return 0, None, time.monotonic()
    turn_id = r.json().get("turn_id") if r.status_code == 200 else None
    return r.status_code, turn_id, time.monotonic()


async def test_sigterm_lets_every_accepted_turn_finish_and_be_logged(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    proc, base = start_server(settings, tmp_path / "serve.log")
    try:
        limits = httpx.Limits(max_connections=CONCURRENT_TURNS)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            tasks = [
                asyncio.create_task(send(client, MESSAGES[i % len(MESSAGES)]))
                for i in range(CONCURRENT_TURNS)
            ]
            # SIGTERM as soon as the first turn is answered: the others are accepted and still running
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            sigterm_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            results = await asyncio.gather(*tasks)
        # uvicorn re-raises the captured SIGTERM after its graceful shutdown: -15 is a clean exit
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    accepted = [r for r in results if r[0] != 0]
    assert accepted, "no turn reached the server"
    assert [status for status, _, _ in accepted] == [200] * len(accepted)
    assert any(done > sigterm_at for _, _, done in accepted), "no turn was in flight at SIGTERM"
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
    missing = [tid for _, tid, _ in accepted if tid and services.logger.get(tid) is None]
    assert missing == []
