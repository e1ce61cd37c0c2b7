"""Group commit of the turn log: the turns that finish together are written in one transaction.

Every answered turn must be a row of ``turns`` *before* its reply leaves the service
(``TurnPipeline._commit``): a turn whose log write fails is answered 503 and its state put back.
That rules out writing the log after the reply (a worker that dies in between would have answered
turns nobody can review). What it does not rule out is writing several finished turns at once.

``GroupCommit.write`` queues the record and waits for it to be stored. One flusher task per event
loop takes everything queued, writes it with ``write_many`` (one thread hop, one ``INSERT`` of all
rows, one commit, one pipelined publish) and wakes each waiting turn with its own outcome. A turn
that arrives while a batch is being written waits for the next batch, which starts as soon as the
current one is stored, so nothing waits on a timer: alone, a turn is written exactly as before;
under load, the turns that finished during one write share the next. The load test measured the
per-turn cost of the log (docs/performance.md, "Turn at the hardware's limit, second pass").

What is kept:

* a turn is answered only after its row is committed (or durably spooled), as before;
* each turn gets its own outcome: if the shared transaction fails, ``write_many`` writes each
  record on its own, so a duplicate turn fails alone and an outage spools each record;
* a request that is cancelled while its turn is being written does not cancel the write (as with
  the single ``to_thread`` write before); at shutdown the lifespan awaits the flusher
  (``flush``), so no queued turn is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

from anyio import to_thread

from app.domain.turn import TurnRecord

#: Turns written in one transaction at most (a full batch is ~1 MB of JSON).
MAX_BATCH = 64


class RecordWriter(Protocol):
    def write(self, record: TurnRecord) -> None: ...


class GroupCommit:
    """Queue of turn records in front of a ``TurnLogger``; see the module docstring."""

    def __init__(self, logger: RecordWriter, max_batch: int = MAX_BATCH) -> None:
        self.logger = logger
        self.max_batch = max_batch
        self.batches = 0  # transactions written (for tests and the load test's profile)
        self.records = 0
        self._queue: list[tuple[TurnRecord, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def write(self, record: TurnRecord) -> None:
        """Return once ``record`` is stored; raise what writing it raised."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing of the old one can be awaited
            self._loop, self._queue, self._task = loop, [], None
        done: asyncio.Future[None] = loop.create_future()
        self._queue.append((record, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._flush(), name="turn-log-group-commit")
        await asyncio.shield(done)

    async def flush(self) -> None:
        """Wait until every queued record is written (the lifespan calls it at shutdown)."""
        task = self._task
        if task is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            records = [r for r, _ in batch]
            try:
                outcomes = await to_thread.run_sync(self._write, records)
            except Exception as exc:  # _write reports per record; this is a failure of the hop itself
                outcomes = [exc] * len(batch)
            self.batches += 1
            self.records += len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)

    def _write(self, records: Sequence[TurnRecord]) -> list[Exception | None]:
        many = getattr(self.logger, "write_many", None)
        if many is not None:
            outcomes: list[Exception | None] = many(records)
            return outcomes
        out: list[Exception | None] = []
        for record in records:
            try:
                self.logger.write(record)
            except Exception as exc:
                out.append(exc)
            else:
                out.append(None)
        return out
