"""A thin HTTP client for the chat-to-purchase API, used by the Streamlit pages.

The UI never imports the pipeline: everything it shows came over HTTP, exactly as any other client
of the API would see it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx


class ApiError(RuntimeError):
    """The API answered with an error; ``message`` is safe to show the shopper."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def default_base_url() -> str:
    return os.environ.get("CTP_API_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


#: The header carrying a shopper's conversation token (``app.api.security.TOKEN_HEADER``).
TOKEN_HEADER = "X-Conversation-Token"
UNREACHABLE = "The shop is not reachable right now. Please try again in a moment."


def _error(r: httpx.Response) -> ApiError:
    try:
        detail = r.json().get("detail", r.text)
    except ValueError:
        detail = r.text
    return ApiError(r.status_code, str(detail))


class ApiClient:
    """The shopper-facing calls. ``api_key`` is sent as a bearer token (the review console's)."""

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float = 30.0,
        api_key: str | None = None,
        tokens: dict[str, str] | None = None,
    ) -> None:
        """``tokens``: conversation (and turn) id → conversation token; the page keeps this dict in
        its session state so the tokens outlive one script run, and never shares it between shoppers."""
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.tokens = tokens if tokens is not None else {}

    def token_headers(self, path: str, conversation_id: str | None = None) -> dict[str, str]:
        """``X-Conversation-Token`` for a conversation- or turn-scoped call, when we hold its token."""
        parts = path.strip("/").split("/")
        key = conversation_id or (
            parts[2] if len(parts) > 2 and parts[1] in ("conversations", "turns") else None
        )
        token = self.tokens.get(key) if key else None
        return {TOKEN_HEADER: token} if token else {}

    def remember(self, turn: dict[str, Any]) -> None:
        """Keep a new conversation's token, and map the turn to it (feedback and events need it)."""
        cid = turn.get("conversation_id")
        if turn.get("conversation_token") and cid:
            self.tokens[cid] = turn["conversation_token"]
        if cid in self.tokens and turn.get("turn_id"):
            self.tokens[turn["turn_id"]] = self.tokens[cid]

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        raw = kw.get("json")
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        headers = {
            **self.headers,
            **self.token_headers(path, body.get("conversation_id")),
            **kw.pop("headers", {}),
        }
        try:
            r = httpx.request(method, self.base_url + path, timeout=self.timeout, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise ApiError(503, UNREACHABLE) from exc
        if r.status_code >= 400:
            raise _error(r)
        return r

    def _request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        return dict(self._send(method, path, **kw).json())

    def chat(self, message: str, conversation_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        turn = self._request("POST", "/v1/chat", json=body)
        self.remember(turn)
        return turn

    def transcript(self, conversation_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/conversations/{conversation_id}")

    def checkout(self, conversation_id: str, idempotency_key: str) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/conversations/{conversation_id}/checkout",
            headers={"Idempotency-Key": idempotency_key},
        )

    def chat_stream(self, message: str, conversation_id: str | None) -> Iterator[dict[str, Any]]:
        """The NDJSON lines of ``POST /v1/chat/stream`` as dicts: products, reply chunks, the turn.
        Where the API has no stream endpoint (404/405), the whole ``/v1/chat`` answer is replayed as
        the same three kinds of line, so the page has one code path."""
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        try:
            with httpx.stream(
                "POST",
                self.base_url + "/v1/chat/stream",
                json=body,
                timeout=self.timeout,
                headers={**self.headers, **self.token_headers("/v1/chat/stream", conversation_id)},
            ) as r:
                if r.status_code in (404, 405) and "conversation" not in r.read().decode(errors="replace"):
                    yield from as_stream(self.chat(message, conversation_id))
                    return
                if r.status_code >= 400:
                    r.read()
                    raise _error(r)
                for line in r.iter_lines():
                    if line.strip():
                        doc = json.loads(line)
                        self.remember(doc)
                        yield doc
        except httpx.HTTPError as exc:
            raise ApiError(503, UNREACHABLE) from exc

    def add_to_cart(
        self, conversation_id: str, product_id: str, size: str | None, color: str | None, quantity: int = 1
    ) -> dict[str, Any]:
        body = {"product_id": product_id, "size": size, "color": color, "quantity": quantity}
        return self._request("POST", f"/v1/conversations/{conversation_id}/cart", json=body)

    def feedback(self, turn_id: str, rating: str, reason: str | None = None) -> dict[str, Any]:
        body = {"rating": rating, "reason": reason or None}
        return self._request("POST", f"/v1/turns/{turn_id}/feedback", json=body)

    def event(self, turn_id: str, kind: str, product_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/turns/{turn_id}/events", json={"kind": kind, "product_id": product_id}
        )

    # --- review console (reviewer key required; the API checks it on every call) -------------------

    def whoami(self) -> dict[str, Any]:
        return self._request("GET", "/v1/review/me")

    def review_turns(self, params: dict[str, Any]) -> dict[str, Any]:
        clean = {k: v for k, v in params.items() if v not in (None, "", "any")}
        return self._request("GET", "/v1/review/turns", params=clean)

    def review_trace(self, turn_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/review/turns/{turn_id}")

    def review_label(self, turn_id: str, evaluator: str, label: str, note: str = "") -> dict[str, Any]:
        body = {"evaluator": evaluator, "label": label, "note": note}
        return self._request("POST", f"/v1/review/turns/{turn_id}/labels", json=body)

    def review_export(self) -> bytes:
        return self._send("GET", "/v1/review/export").content

    def review_dashboard(self) -> dict[str, Any]:
        return self._request("GET", "/v1/review/dashboard")

    def review_interleaving(self) -> dict[str, Any]:
        return self._request("GET", "/v1/review/interleaving")

    def review_abstention_png(self) -> bytes | None:
        try:
            return self._send("GET", "/v1/review/abstention.png").content
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise


def as_stream(turn: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A ``/v1/chat`` answer as the stream's lines (the fallback when there is no stream endpoint)."""
    yield {
        "type": "products",
        **{k: turn[k] for k in ("turn_id", "conversation_id", "intent", "abstained", "products")},
    }
    yield {"type": "reply", "text": turn["reply"]}
    yield {"type": "turn", **turn}
