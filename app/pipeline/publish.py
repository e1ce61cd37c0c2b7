"""Publish each logged turn on a Redis Stream for the online eval worker.

The message carries ids only (turn, conversation, time); the worker reads the redacted record from
the ``turns`` table, which stays the single source of truth. ``MAXLEN ~`` caps the stream so a
stopped worker cannot grow Redis without bound — a turn trimmed before it was labelled is found
again by the worker's sweep for turns without labels (``evals/online.py``).
"""

from __future__ import annotations

from typing import Protocol

import redis
from redis.typing import EncodableT, FieldT

from app.domain.turn import TurnRecord


class TurnPublisher(Protocol):
    def publish(self, record: TurnRecord) -> None: ...


def stream_fields(record: TurnRecord) -> dict[FieldT, EncodableT]:
    """The entry's fields, typed as ``xadd`` takes them (a ``dict[str, str]`` would not do: dict is
    invariant in its value type)."""
    return {
        "turn_id": record.turn_id,
        "conversation_id": record.conversation_id,
        "created_at": record.created_at.isoformat(),
    }


class RedisStreamPublisher:
    def __init__(self, url: str, stream: str, maxlen: int) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.stream = stream
        self.maxlen = maxlen

    def publish(self, record: TurnRecord) -> None:
        self.client.xadd(self.stream, stream_fields(record), maxlen=self.maxlen, approximate=True)

    def publish_many(self, records: list[TurnRecord]) -> None:
        """Every record's entry in one round trip (a pipeline, not a transaction)."""
        pipe = self.client.pipeline(transaction=False)
        for record in records:
            pipe.xadd(self.stream, stream_fields(record), maxlen=self.maxlen, approximate=True)
        pipe.execute()

    def close(self) -> None:
        self.client.close()
