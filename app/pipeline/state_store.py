"""Where the remember stage keeps conversation state: outside the worker, so any worker can serve
any turn. (What a turn *changes* in the state is ``app.pipeline.remember``, a pure function.)

``RedisStateStore`` is the real store (one JSON document per conversation, with a TTL, and a
per-conversation lock so two concurrent turns of one conversation are serialised across workers).
``MemoryStateStore`` exists only for a demo on a machine without Redis; the API refuses to start
more than one worker on it, because a second worker would not see the first one's conversations.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.domain.turn import ConversationState

log = logging.getLogger(__name__)


class ConversationBusy(RuntimeError):
    """Another turn of the same conversation is still running."""


class StateStore(Protocol):
    name: str
    shared: bool  # True when several processes see the same state

    async def get(self, conversation_id: str) -> ConversationState | None: ...

    async def put(self, state: ConversationState) -> None: ...

    def lock(self, conversation_id: str) -> AbstractLock: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class AbstractLock(Protocol):
    """An async context manager around a critical section: ``RedisLock`` or an ``asynccontextmanager``."""

    async def __aenter__(self) -> None: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> bool | None: ...


class RedisStateStore:
    name = "redis"
    shared = True

    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "ctp:") -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.prefix = prefix

    def _key(self, conversation_id: str) -> str:
        return f"{self.prefix}conv:{conversation_id}"

    async def get(self, conversation_id: str) -> ConversationState | None:
        raw = await self.redis.get(self._key(conversation_id))
        return ConversationState.model_validate_json(raw) if raw else None

    async def put(self, state: ConversationState) -> None:
        await self.redis.set(self._key(state.conversation_id), state.model_dump_json(), ex=self.ttl)

    def lock(self, conversation_id: str, timeout_s: float = 10.0) -> _RedisLock:
        return _RedisLock(self.redis, f"{self.prefix}lock:{conversation_id}", timeout_s)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def close(self) -> None:
        await self.redis.aclose()


class _RedisLock:
    """SET NX PX lock with a token, released only by its owner (a Lua compare-and-delete)."""

    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, redis: Redis, key: str, timeout_s: float) -> None:
        self.redis, self.key, self.timeout_s = redis, key, timeout_s
        self.token = uuid.uuid4().hex

    async def __aenter__(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        while not await self.redis.set(self.key, self.token, nx=True, px=int(self.timeout_s * 3000)):
            if asyncio.get_running_loop().time() > deadline:
                raise ConversationBusy(self.key)
            await asyncio.sleep(0.01)

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Release the lock. When the critical section *succeeded* and only the release fails
        (Redis went away after the turn's writes), the turn stands: failing it here would answer
        503 for a turn whose state and log are already written — a logged turn nobody was told
        about. The unreleased lock expires by itself (``px``). A failing section's own error wins."""
        try:
            await self.redis.eval(self._RELEASE, 1, self.key, self.token)
        except (RedisConnectionError, RedisTimeoutError):
            if exc_type is not None:
                return
            log.warning(
                "lock %s not released (Redis unavailable); it expires in %.0f s", self.key, self.timeout_s * 3
            )


class MemoryStateStore:
    """In-process store for a Redis-less demo. Single worker only (see module docstring)."""

    name = "memory"
    shared = False

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, conversation_id: str) -> ConversationState | None:
        raw = self._data.get(conversation_id)
        return ConversationState.model_validate_json(raw) if raw else None

    async def put(self, state: ConversationState) -> None:
        self._data[state.conversation_id] = state.model_dump_json()

    @asynccontextmanager
    async def _locked(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            yield

    def lock(self, conversation_id: str) -> AbstractLock:
        return self._locked(conversation_id)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


def make_state_store(redis_url: str | None, ttl_seconds: int) -> StateStore:
    if redis_url:
        return RedisStateStore(Redis.from_url(redis_url), ttl_seconds)
    return MemoryStateStore()
