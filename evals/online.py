"""Online evals: a Redis Streams consumer that labels every logged turn, off the request path.

Delivery is at-least-once and the writes are idempotent, so the combination is effectively once:

* the log stage ``XADD``s each turn after its row is committed (``app/pipeline/publish.py``);
* the worker reads with ``XREADGROUP`` in a consumer group, loads the turn from the database, runs
  every evaluator, writes the labels (unique per turn × evaluator × version × backend, conflicts
  skipped) and only then ``XACK``s — a crash between write and ack just re-delivers, and the
  rewrite is a no-op;
* entries left pending by a dead or failing consumer are taken over with ``XAUTOCLAIM`` after
  ``min_idle_ms``; an entry delivered ``max_attempts`` times goes to ``<stream>:dead`` with the last
  error and is acked, so one poison turn cannot block the group;
* ``sweep`` labels turns that never reached the stream (publish failed, the stream was trimmed,
  Redis was flushed): it asks the database for turns without a label of each evaluator. The
  worker sweeps on start and every ``sweep_every_s``, so every turn is eventually labelled.

With an ``annotator`` (``CTP_PHOENIX_URL`` set, Phoenix enabled) the worker also posts the labels
to Phoenix as annotations on each turn's span, after they are in SQL and every
``export_every_s``: a label Phoenix did not take (down, span not ingested yet) stays pending in
``phoenix_annotations`` and is retried; the SQL labels never wait for Phoenix.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis
from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from app.catalog.snapshot import CatalogSnapshot
from app.storage.schema import eval_results, turns
from app.telemetry.annotations import SpanAnnotator, export_pending
from evals.context import load_contexts
from evals.evaluators.registry import EvaluatorSpec, evaluate
from evals.store import turns_missing, write_results

log = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]


def _decode(entries: Any) -> list[Entry]:
    out = []
    for entry_id, fields in entries:
        eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        data = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        out.append((eid, data))
    return out


@dataclass
class EvalWorker:
    redis: redis.Redis
    engine: Engine
    catalog: CatalogSnapshot
    specs: list[EvaluatorSpec]
    stream: str
    group: str
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{time.time_ns() % 10**8}")
    max_attempts: int = 5
    min_idle_ms: int = 30_000
    batch: int = 32
    annotator: SpanAnnotator | None = None
    annotation_batch: int = 200
    export_every_s: float = 10.0
    labelled: int = 0
    dead: int = 0
    annotated: int = 0

    @property
    def dead_letter(self) -> str:
        return f"{self.stream}:dead"

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def label_turns(self, turn_ids: Sequence[str]) -> int:
        """Evaluate and store; raises when a turn is missing or an evaluator fails."""
        contexts = load_contexts(self.engine, self.catalog, turn_ids)
        found = {c.record.turn_id for c in contexts}
        missing = [t for t in turn_ids if t not in found]
        results = [r for ctx in contexts for r in evaluate(ctx, self.specs)]
        written = write_results(self.engine, results)
        self.labelled += written
        if missing:
            raise LookupError(f"turns not in the database: {missing[:3]}")
        return written

    def export(self) -> int:
        """Post pending labels to Phoenix (no-op without an annotator); never raises."""
        if self.annotator is None:
            return 0
        n = export_pending(self.engine, self.annotator, self.annotation_batch)
        self.annotated += n
        return n

    def _handle(self, entries: list[Entry]) -> int:
        done = 0
        for entry_id, data in entries:
            try:
                self.label_turns([data["turn_id"]])
            except Exception as exc:  # left pending: XAUTOCLAIM retries it, then dead-letters it
                log.warning("eval of %s failed: %s", data.get("turn_id"), exc)
                self.redis.hset(f"{self.stream}:errors", entry_id, f"{type(exc).__name__}: {exc}"[:500])
                continue
            self.redis.xack(self.stream, self.group, entry_id)
            done += 1
        return done

    def read_new(self, block_ms: int = 1000) -> int:
        resp = self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=block_ms
        )
        if not resp:
            return 0
        # The client speaks RESP2 (redis-py's default protocol), so the answer is the list form
        # ``[[stream, entries], ...]``; redis-py's annotation also allows RESP3's dict form.
        streams = cast("list[list[Any]]", resp)
        return self._handle(_decode(streams[0][1]))

    def retry_stale(self) -> int:
        """Take over entries idle for ``min_idle_ms``; dead-letter the ones out of attempts."""
        _, claimed, *_ = self.redis.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.min_idle_ms,
            start_id="0-0",
            count=self.batch,
        )
        entries = _decode(claimed)
        if not entries:
            return 0
        retry: list[Entry] = []
        for entry_id, data in entries:
            info = self.redis.xpending_range(self.stream, self.group, entry_id, entry_id, 1)
            deliveries = int(info[0]["times_delivered"]) if info else 1
            if deliveries > self.max_attempts:
                error = self.redis.hget(f"{self.stream}:errors", entry_id)
                dead: dict[Any, Any] = {**data, "entry_id": entry_id, "error": error or ""}
                self.redis.xadd(self.dead_letter, dead)
                self.redis.xack(self.stream, self.group, entry_id)
                self.redis.hdel(f"{self.stream}:errors", entry_id)
                self.dead += 1
            else:
                retry.append((entry_id, data))
        return self._handle(retry)

    def sweep(self, limit: int = 500) -> int:
        """Label turns that have no label of some evaluator (they never reached the stream)."""
        todo: set[str] = set()
        for spec in self.specs:
            todo.update(turns_missing(self.engine, spec.name, spec.version, spec.backend, limit))
        written = 0
        for tid in sorted(todo):
            try:
                written += self.label_turns([tid])
            except Exception as exc:
                log.warning("sweep: eval of %s failed: %s", tid, exc)
        return written

    def run(
        self, max_seconds: float | None = None, idle_exit_s: float | None = None, sweep_every_s: float = 300
    ) -> None:
        """Consume until ``max_seconds`` pass or nothing arrives for ``idle_exit_s`` (None: forever)."""
        self.ensure_group()
        start = last_work = last_sweep = last_export = time.monotonic()
        self.sweep()
        self.export()
        while True:
            n = self.retry_stale() + self.read_new()
            now = time.monotonic()
            if n:
                last_work = now
            if now - last_sweep >= sweep_every_s:
                self.sweep()
                last_sweep = now
            if now - last_export >= self.export_every_s:
                self.export()
                last_export = now
            if max_seconds is not None and now - start >= max_seconds:
                self.export()
                return
            if idle_exit_s is not None and now - last_work >= idle_exit_s:
                self.export()
                return


class EvalStatus(BaseModel):
    stream: str
    group: str
    length: int
    pending: int
    lag: int | None
    dead_letter: int
    turns: int
    turns_labelled: int
    labels: int
    labels_last_minute: int
    labels_per_s: float


def status(r: redis.Redis, engine: Engine, stream: str, group: str) -> EvalStatus:
    length = int(r.xlen(stream)) if r.exists(stream) else 0
    pending, lag = 0, None
    if length or r.exists(stream):
        for g in r.xinfo_groups(stream):
            name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
            if name == group:
                pending = int(g["pending"])
                lag = int(g["lag"]) if g.get("lag") is not None else None
    dead = int(r.xlen(f"{stream}:dead")) if r.exists(f"{stream}:dead") else 0
    since = datetime.now(UTC) - timedelta(seconds=60)
    with engine.connect() as conn:
        n_turns = int(conn.execute(select(func.count()).select_from(turns)).scalar_one())
        labelled = int(conn.execute(select(func.count(func.distinct(eval_results.c.turn_id)))).scalar_one())
        labels = int(conn.execute(select(func.count()).select_from(eval_results)).scalar_one())
        recent = int(
            conn.execute(
                select(func.count()).select_from(eval_results).where(eval_results.c.created_at >= since)
            ).scalar_one()
        )
    return EvalStatus(
        stream=stream,
        group=group,
        length=length,
        pending=pending,
        lag=lag,
        dead_letter=dead,
        turns=n_turns,
        turns_labelled=labelled,
        labels=labels,
        labels_last_minute=recent,
        labels_per_s=round(recent / 60.0, 3),
    )
