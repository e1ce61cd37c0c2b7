"""Rate limits per client IP and per conversation token, counted in Redis (issue 9).

**Algorithm: fixed window.** Each ``/v1/*`` request increments one counter per key — the client IP
and, when ``X-Conversation-Token`` is sent, the token — named after the current window
(``floor(now / window_s)``). One Lua script increments both counters and sets their expiry in a
single round trip, so several worker processes share one budget. A fixed window lets a client send
up to twice its limit across a window boundary; for the limits here (hundreds a minute, a flood
guard rather than a billing meter) that is an acceptable price for one ``INCR`` per key instead of a
sorted set per client.

**Keys.** The IP is the ASGI ``client`` host; ``X-Forwarded-For`` is honoured only when
``trust_forwarded_for`` is set, and then only its *last* entry — the address our own (single)
reverse proxy saw, which a client cannot forge. The token is never stored: its key is a SHA-256
prefix (the token itself is stored nowhere server-side, see ``app.api.security``).

**Redis unavailable → fail open** (allow, log a warning at most every 30 s). The limiter guards
against floods; turning a Redis outage into a total outage would be worse, and the routes that
need Redis answer their own 503 anyway (``app.api.faults``). After a failure the limiter skips
Redis for one second so a dead server does not add a connect timeout to every request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import send_json_error
from app.settings import Settings

log = logging.getLogger(__name__)

# INCR every key, set its expiry on first use, return the counts in key order.
_INCR_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  counts[i] = n
end
return counts
"""

SKIP_AFTER_FAILURE_S = 1.0
WARN_EVERY_S = 30.0


@dataclass(frozen=True)
class Verdict:
    """The outcome for one request: allowed, or which limit it broke and when to retry."""

    allowed: bool
    limit_name: str = ""
    retry_after_s: int = 0


def client_ip(scope: Scope, trust_forwarded_for: bool) -> str:
    """The client's address: the socket peer, or the last ``X-Forwarded-For`` hop if trusted."""
    if trust_forwarded_for:
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        for name, value in headers:
            if name == b"x-forwarded-for":
                last = value.decode("latin-1").split(",")[-1].strip()
                if last:
                    return last
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def header(scope: Scope, wanted: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


def retry_after(now: float, window_s: int) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    return max(1, math.ceil((math.floor(now / window_s) + 1) * window_s - now))


@dataclass
class RateLimiter:
    """Counts requests per IP and per token in Redis; see the module docstring for the choices."""

    redis: Redis
    per_ip: int
    per_token: int
    window_s: int
    prefix: str
    trust_forwarded_for: bool
    owns_client: bool = False
    _skip_until: float = field(default=0.0, repr=False)
    _warned_at: float = field(default=-math.inf, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, shared: Redis | None) -> RateLimiter | None:
        """The limiter for one app lifespan, or ``None`` when limiting is off or there is no Redis.

        ``shared`` is the state store's client (already bound to this event loop's lifespan);
        ``rate_limit_redis_url`` forces a dedicated client instead."""
        if not settings.rate_limit_enabled:
            return None
        url = settings.rate_limit_redis_url
        if url is None and shared is None:
            url = settings.redis_url
        if url is None and shared is None:
            log.warning("rate limiting is off: there is no Redis (CTP_REDIS_URL is empty)")
            return None
        client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5) if url else shared
        assert client is not None
        return cls(
            redis=client,
            per_ip=settings.rate_limit_per_ip_per_min,
            per_token=settings.rate_limit_per_token_per_min,
            window_s=settings.rate_limit_window_s,
            prefix=settings.rate_limit_key_prefix,
            trust_forwarded_for=settings.trust_forwarded_for,
            owns_client=url is not None,
        )

    def keys(self, ip: str, token: str | None, window: int) -> list[tuple[str, str, int]]:
        """(redis key, limit name, limit) for every budget this request draws on."""
        out = [(f"{self.prefix}ip:{ip}:{window}", "per-IP", self.per_ip)]
        if token:
            digest = hashlib.sha256(token.encode()).hexdigest()[:32]
            out.append((f"{self.prefix}tok:{digest}:{window}", "per-conversation-token", self.per_token))
        return out

    async def check(self, ip: str, token: str | None) -> Verdict:
        now = time.time()
        if time.monotonic() < self._skip_until:
            return Verdict(allowed=True)
        budgets = self.keys(ip, token, math.floor(now / self.window_s))
        try:
            counts = await self.redis.eval(
                _INCR_ALL, len(budgets), *[k for k, _, _ in budgets], str(self.window_s * 1000)
            )
        except (RedisError, OSError) as exc:
            self._fail_open(exc)
            return Verdict(allowed=True)
        for (_, name, limit), count in zip(budgets, counts, strict=True):
            if int(count) > limit:
                return Verdict(False, name, retry_after(now, self.window_s))
        return Verdict(allowed=True)

    def _fail_open(self, exc: BaseException) -> None:
        mono = time.monotonic()
        self._skip_until = mono + SKIP_AFTER_FAILURE_S
        if mono - self._warned_at >= WARN_EVERY_S:
            self._warned_at = mono
            log.warning("rate limiter: Redis unavailable, allowing requests (fail open): %s", exc)

    async def aclose(self) -> None:
        if self.owns_client:
            await self.redis.aclose()


class RateLimitMiddleware:
    """Pure ASGI middleware applying the lifespan's ``RateLimiter`` to ``/v1/*`` requests.

    The limiter lives in the lifespan state (``scope["state"]["rate_limiter"]``) because its Redis
    client is bound to the event loop the lifespan runs in. No limiter → every request passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = scope.get("state", {}).get("rate_limiter") if scope["type"] == "http" else None
        if limiter is None or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        ip = client_ip(scope, limiter.trust_forwarded_for)
        verdict = await limiter.check(ip, header(scope, b"x-conversation-token"))
        if verdict.allowed:
            await self.app(scope, receive, send)
            return
        await send_json_error(
            send,
            429,
            f"too many requests ({verdict.limit_name} limit); retry in {verdict.retry_after_s} s",
            (b"retry-after", str(verdict.retry_after_s).encode()),
        )
