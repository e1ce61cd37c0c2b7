"""Durable turn-log spool: a turn whose SQL write fails is kept on local disk and written later.

Why a local directory and not Redis: the spool must survive the failure it covers. PostgreSQL and
Redis fail independently, and Redis state in small deployments often runs without persistence
(the tests' Redis has none), so a spool on Redis would lose turns exactly when Redis restarts too.
A local file that is ``fsync``-ed before the shopper sees the reply survives a PostgreSQL outage, a
Redis restart and a crash of the worker. In Kubernetes the spool directory must be a persistent
volume (or the pod drains it before it exits: the API drains once more on shutdown).

Layout: one file per turn, ``<created_at ns>-<turn_id>.json``, written to a temporary name,
``fsync``-ed, renamed into place and the directory ``fsync``-ed — so a reader never sees half a
record and several worker processes never interleave writes. The record is stored *redacted*
(``app.privacy``): the spool is a log like the table.

Exactly once: the drainer inserts a spooled record only if no row with its ``turn_id`` (the primary
key) exists, and deletes the file only after the insert committed. A crash between commit and
delete leaves a file whose turn is already stored; the next drain sees the row and just deletes the
file. Two drainers racing on one file both try; the primary key lets one insert win and the other
sees ``IntegrityError``, re-checks, and deletes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from anyio import to_thread
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from app.domain.turn import TurnRecord
from app.pipeline.log import TurnLogger, redact_record
from app.pipeline.publish import TurnPublisher

log = logging.getLogger(__name__)

#: SQL failures that mean "the database is not reachable now", worth spooling and retrying.
UNAVAILABLE = (OperationalError, InterfaceError)


class SpoolFailed(RuntimeError):
    """Neither the database nor the spool could take the record."""


class DrainReport(BaseModel):
    written: int = 0  # inserted by this drain
    already: int = 0  # found in the table already (an earlier drain committed, then crashed)
    dead: int = 0  # records the database rejected for a reason other than availability
    remaining: int = 0  # still spooled (database unavailable again)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class TurnSpool:
    """A directory of spooled ``TurnRecord`` files; ``dead/`` holds records the database rejected."""

    directory: Path

    def append(self, record: TurnRecord) -> Path:
        """Durably store ``record`` (redacted). Raises ``OSError`` if the disk refuses it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = int(record.created_at.timestamp() * 1e9)
        final = self.directory / f"{stamp:020d}-{record.turn_id}.json"
        tmp = self.directory / f".{record.turn_id}.tmp"
        data = redact_record(record).model_dump_json().encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        _fsync_dir(self.directory)
        return final

    def files(self) -> list[Path]:
        """Spooled records, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.json") if p.is_file())

    def __len__(self) -> int:
        return len(self.files())

    def records(self) -> Iterator[tuple[Path, TurnRecord]]:
        for path in self.files():
            with contextlib.suppress(FileNotFoundError):  # another drainer took it
                yield path, TurnRecord.model_validate_json(path.read_bytes())

    def bury(self, path: Path) -> None:
        dead = self.directory / "dead"
        dead.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, dead / path.name)


def insert_once(logger: TurnLogger, record: TurnRecord) -> bool:
    """Write ``record`` unless its ``turn_id`` is stored already; True if this call inserted it."""
    if logger.get(record.turn_id) is not None:
        return False
    try:
        logger.write(record)
    except IntegrityError:
        if logger.get(record.turn_id) is None:
            raise  # a different constraint: not a duplicate of this turn
        return False
    return True


def drain(spool: TurnSpool, logger: TurnLogger) -> DrainReport:
    """Write every spooled record once, oldest first; stop at the first availability failure."""
    report = DrainReport()
    for path, record in spool.records():
        try:
            inserted = insert_once(logger, record)
        except UNAVAILABLE:
            report.remaining = len(spool)
            return report
        except Exception:
            log.exception("spooled turn %s rejected by the database: moved to dead/", record.turn_id)
            spool.bury(path)
            report.dead += 1
            continue
        if inserted:
            report.written += 1
        else:
            report.already += 1
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    report.remaining = len(spool)
    return report


class SpoolingTurnLogger(TurnLogger):
    """The turn logger the API uses: SQL first; when the database is unreachable, the spool.

    ``write`` returns normally when the record is in SQL *or* durably spooled, so the shopper gets
    a normal reply; it raises only when both fail (the pipeline turns that into a 503)."""

    def __init__(self, engine: Engine, spool: TurnSpool, publisher: TurnPublisher | None = None) -> None:
        super().__init__(engine, publisher)
        self.spool = spool
        self.spooled = 0

    def write(self, record: TurnRecord) -> None:
        try:
            super().write(record)
        except UNAVAILABLE as exc:
            try:
                self.spool.append(record)
            except OSError as spool_exc:
                raise SpoolFailed(f"database: {exc.__class__.__name__}; spool: {spool_exc}") from exc
            self.spooled += 1
            log.warning(
                "turn %s spooled: the database is unavailable (%s)", record.turn_id, type(exc).__name__
            )

    def drain(self) -> DrainReport:
        """Write the spool through a plain logger: the drainer must not re-spool what it drains."""
        return drain(self.spool, TurnLogger(self.engine, self.publisher))


@dataclass
class Drainer:
    """Background task retrying the spool: every ``interval_s`` while it is empty, with exponential
    backoff (up to ``max_backoff_s``) while the database is still unavailable."""

    logger: SpoolingTurnLogger
    interval_s: float = 1.0
    max_backoff_s: float = 30.0
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        delay = self.interval_s
        while True:
            await asyncio.sleep(delay)
            if not self.logger.spool.files():
                delay = self.interval_s
                continue
            try:
                report = await to_thread.run_sync(self.logger.drain)
            except Exception:
                log.exception("spool drain failed")
                report = DrainReport(remaining=1)
            if report.written or report.already:
                log.info("spool drained: %s", report.model_dump())
            delay = min(delay * 2, self.max_backoff_s) if report.remaining else self.interval_s

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name="turn-spool-drainer")

    async def stop(self) -> None:
        """Cancel the loop and drain one last time (best effort) so a clean shutdown leaves no spool."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.logger.spool.files():
            try:
                await to_thread.run_sync(self.logger.drain)
            except Exception:
                log.exception("final spool drain failed; the records stay spooled for the next start")
