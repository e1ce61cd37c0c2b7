"""The LLM judge backend against a scripted local OpenAI-compatible server (no real model)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from app.domain.labels import Backend
from app.domain.turn import Intent, ShoppingTurn, TurnRecord
from app.settings import Settings
from evals.evaluators.llm import LlmJudge, render_prompt
from evals.labels import TurnContext


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /chat/completions with the next scripted JSON content; records the prompts."""

    replies: ClassVar[list[str]] = []
    prompts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).prompts.append(body["messages"][-1]["content"])
        content = type(self).replies.pop(0)
        payload = {
            "id": "cmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    FakeOpenAI.replies, FakeOpenAI.prompts = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def ctx() -> TurnContext:
    rec = TurnRecord(
        turn_id="t_j",
        conversation_id="c_j",
        turn_index=0,
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
        message="black hoodies",
        extraction=ShoppingTurn(intent=Intent.search),
        state_before={},
        state_after={"filters": {"color": "black"}},
        guard=None,
        candidates=[],
        shown=[],
        reply="Here are 0 hoodies.",
        abstained=False,
        latency_ms={},
        versions={},
    )
    return TurnContext(record=rec)


def judge(url: str) -> LlmJudge:
    return LlmJudge(Settings(llm_base_url=url, llm_model="fake-judge", llm_mode="JSON", llm_max_retries=1))


def test_the_judge_returns_the_servers_label_and_explanation(server: str) -> None:
    FakeOpenAI.replies = [json.dumps({"explanation": "nothing unsupported", "label": "grounded"})]
    assert judge(server).judge("hallucination", ctx()) == ("grounded", "nothing unsupported")


def test_a_label_outside_the_literal_is_re_asked(server: str) -> None:
    FakeOpenAI.replies = [
        json.dumps({"explanation": "hmm", "label": "maybe"}),
        json.dumps({"explanation": "it declines", "label": "refused"}),
    ]
    assert judge(server).judge("refusal", ctx()) == ("refused", "it declines")
    assert len(FakeOpenAI.prompts) == 2


def test_the_prompt_carries_the_question_labels_and_turn() -> None:
    prompt = render_prompt("friction", ctx())
    assert "Allowed labels: friction, no_friction" in prompt
    assert "black hoodies" in prompt and "Here are 0 hoodies." in prompt
    assert "{" + "message}" not in prompt


def test_specs_are_versioned_by_prompt_and_model(server: str) -> None:
    specs = judge(server).specs(["toxicity"])
    assert [(s.name, s.backend, s.version) for s in specs] == [
        ("toxicity", Backend.LLM, "judge-v1:fake-judge")
    ]
