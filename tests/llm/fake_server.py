"""A scripted OpenAI-compatible server: real HTTP on 127.0.0.1, real ``/v1/chat/completions``.

Tests queue what the "model" answers next (content, an HTTP status, a delay); the app's real
openai + instructor code path talks to it over a socket, so retries, re-asks, timeouts and status
handling are exercised for real. It is a fake *server* speaking the protocol, not a mock of our
code. Requests are recorded so tests can assert what was sent (and that nothing was).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.llm.breaker import CircuitBreaker
from app.llm.client import LlmClient, LlmConfig


@dataclass
class Scripted:
    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20


@dataclass
class FakeLlm:
    url: str
    script: list[Scripted] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Answers requests once the script is empty (else 503): e.g. a model that complies with anything.
    default: Callable[[dict[str, Any]], str] | None = None

    def answer(self, *contents: str) -> None:
        self.script += [Scripted(content=c) for c in contents]

    def fail(self, status: int, times: int = 1) -> None:
        self.script += [Scripted(status=status) for _ in range(times)]

    def slow(self, delay_s: float, content: str = "{}") -> None:
        self.script.append(Scripted(content=content, delay_s=delay_s))

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()

    def client(
        self, max_retries: int = 2, timeout_s: float = 5.0, breaker: CircuitBreaker | None = None
    ) -> LlmClient:
        config = LlmConfig(
            base_url=self.url,
            api_key="test",
            model="fake-model-2026-01-01",
            timeout_s=timeout_s,
            max_retries=max_retries,
            cost_per_1k_input=0.5,
            cost_per_1k_output=1.5,
        )
        return LlmClient(config, breaker or CircuitBreaker(threshold=3, cooldown_s=60))


def _app(fake: FakeLlm) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        fake.requests.append(body)
        if fake.script:
            step = fake.script.pop(0)
        else:
            step = Scripted(content=fake.default(body)) if fake.default else Scripted(status=503)
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.status != 200:
            error = {"error": {"message": f"scripted {step.status}", "type": "server_error"}}
            return JSONResponse(error, status_code=step.status)
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(fake.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": step.prompt_tokens,
                    "completion_tokens": step.completion_tokens,
                    "total_tokens": step.prompt_tokens + step.completion_tokens,
                },
            }
        )

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(default: Callable[[dict[str, Any]], str] | None = None) -> Iterator[FakeLlm]:
    """The scripted server on a free port in a thread, for as long as the block runs."""
    port = _free_port()
    fake = FakeLlm(url=f"http://127.0.0.1:{port}/v1", default=default)
    server = uvicorn.Server(uvicorn.Config(_app(fake), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLlm]:
    with serving() as fake:
        yield fake


@pytest.fixture
def fake_llm(fake_llm_server: FakeLlm) -> Iterator[FakeLlm]:
    """The scripted server, with an empty script and request log for this test."""
    fake_llm_server.reset()
    yield fake_llm_server
    fake_llm_server.reset()
