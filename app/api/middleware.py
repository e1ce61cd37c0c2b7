"""Pure ASGI middleware of the app (``create_app`` in ``app/api/main.py`` installs it)."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class WorkerPidHeader:
    """Pure ASGI middleware adding ``X-Worker-Pid`` to every response: which worker process served
    a request (the statelessness test and load-test reports use it). Pure ASGI, not
    ``BaseHTTPMiddleware``, so it adds no task or body copy per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-worker-pid", self.pid)]
            await send(message)

        await self.app(scope, receive, send_with_pid)
