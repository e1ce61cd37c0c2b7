"""A thin HTTP client for the chat-to-purchase API, used by the Streamlit pages.

The UI never imports the pipeline: everything it shows came over HTTP, exactly as any other client
of the API would see it.
"""

from __future__ import annotations

import os
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


class ApiClient:
    def __init__(self, base_url: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            r = httpx.request(method, self.base_url + path, timeout=self.timeout, **kw)
        except httpx.HTTPError as exc:
            raise ApiError(503, "The shop is not reachable right now. Please try again in a moment.") from exc
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            raise ApiError(r.status_code, str(detail))
        return dict(r.json())

    def chat(self, message: str, conversation_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        return self._request("POST", "/v1/chat", json=body)

    def transcript(self, conversation_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/conversations/{conversation_id}")

    def checkout(self, conversation_id: str, idempotency_key: str) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/conversations/{conversation_id}/checkout",
            headers={"Idempotency-Key": idempotency_key},
        )
