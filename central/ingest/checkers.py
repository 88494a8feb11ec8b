"""Validation and signature checks in worker processes, beside the writer thread.

Checking a message (JSON parse, canonical form, schema, HMAC: :func:`validate`) is about a
third of central's CPU per event, and in one process it shares the interpreter lock with
paho's network thread and the writer. :class:`CheckerPool` runs it in worker processes, one
batch ahead of the writer: while the writer stores and acks batch N, the workers check batch
N + 1. Nothing about what is acked changes: the writer still stores, commits, and only then
acks (central/ingest/writer.py); a worker only turns bytes into :class:`Verified` or
:class:`DeadLetter`, exactly as :func:`validate` does in the writer's own thread.

Each worker opens its own database connection for its :class:`DeviceDirectory` (secrets are
never sent over the pipe), reloading on an unknown device as the writer's directory does.
A verified event travels as plain values (:func:`_pack`), its projection's table by name.

Small batches (a quiet site, the tests) are checked in the writer's thread: a process pool
pays off only under load, so it is started on the first batch of ``min_batch`` messages.
"""

import logging
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound, Verified, validate
from central.storage import Database, schema
from central.storage.database import DeadLetter, StoredEvent
from wireproto import Envelope
from wireproto.messages import AttendanceBody, DustAlarmBody, DustReadingBody

log = logging.getLogger(__name__)

Checked = Verified | DeadLetter
MIN_BATCH = 64  # a batch smaller than this is checked in the writer's thread
RETRY_AFTER_S = 60.0  # after the workers failed, check in the writer's thread this long

# The event kinds whose body the writer never reads (only its kind).
BODIES: dict[str, Any] = {"dust_reading": DustReadingBody, "dust_alarm": DustAlarmBody}

_directory: DeviceDirectory | None = None  # one per worker process


def _start_worker(db_url: str) -> None:
    global _directory
    _directory = DeviceDirectory(Database(db_url))
    _directory.reload()


def _check(messages: list[tuple[str, bytes]], now: datetime) -> list[Any]:
    """In a worker: validate each message; a verified event leaves as plain values."""
    assert _directory is not None
    return [_pack(validate(Inbound(t, p), _directory, now)) for t, p in messages]


def _pack(result: Checked) -> Any:
    """A verified event as a tuple: unpickling a pydantic envelope cost the writer ~60 us,
    half of what checking it in a worker saves. Statuses and dead letters go as they are."""
    if not isinstance(result, Verified) or result.stored is None:
        return result
    if result.stored.kind != "attendance" and result.stored.kind not in BODIES:
        return _whole(result)  # a kind added later: sent whole until it is listed
    env, s = result.envelope, result.stored
    body = env.body
    facts = (
        (body.worker_id, body.direction, body.captured_at)
        if isinstance(body, AttendanceBody)
        else None
    )
    projection = (s.projection[0].name, s.projection[1]) if s.projection else None
    return (
        (s.event_id, s.site, s.device, s.seq, s.kind, s.created_at, s.payload, projection),
        env.created_at,
        facts,
    )


def _whole(result: Verified) -> Verified:
    """``result`` with its projection's table by name (a ``Table`` does not pickle cheaply)."""
    s = result.stored
    if s is None or s.projection is None:
        return result
    name = s.projection[0].name
    return Verified(result.envelope, replace(s, projection=(name, s.projection[1])))  # type: ignore[arg-type]


def _bare(cls: Any, **values: Any) -> Any:
    """A model holding just ``values``: what ``model_construct`` does without filling in
    defaults, which cost ~40 us an event (default factories inspected on every call)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _unpack(packed: Any) -> Checked:
    """In the writer: the event back, with the part of its envelope the writer reads (site,
    device, kind, times; an attendance body's worker, direction and capture time), built
    without validating again: the worker validated all of it."""
    if isinstance(packed, DeadLetter):
        return packed
    if isinstance(packed, Verified):
        s = packed.stored
        if s is not None and s.projection is not None and isinstance(s.projection[0], str):
            table = schema.metadata.tables[s.projection[0]]
            return Verified(packed.envelope, replace(s, projection=(table, s.projection[1])))
        return packed
    fields, created_at, facts = packed
    event_id, site, device, seq, kind, created, payload, projection = fields
    if projection is not None:
        projection = (schema.metadata.tables[projection[0]], projection[1])
    body: Any
    if facts is not None:
        worker_id, direction, captured_at = facts
        body = _bare(
            AttendanceBody,
            kind=kind,
            worker_id=worker_id,
            direction=direction,
            captured_at=captured_at,
        )
    else:
        body = _bare(BODIES[kind], kind=kind)
    env = _bare(
        Envelope, id=event_id, site=site, device=device, seq=seq, created_at=created_at, body=body
    )
    stored = StoredEvent(event_id, site, device, seq, kind, created, payload, projection)
    return Verified(env, stored)


class Pending:
    """A batch handed to the workers; :meth:`results` waits for their verdicts."""

    def __init__(self, batch: list[Inbound], now: datetime, parts: list[Future[list[Any]]]):
        self.batch = batch
        self.now = now
        self._parts = parts

    def results(self) -> list[Checked]:
        """The verdicts in the batch's order; raises if a worker failed or died."""
        return [_unpack(r) for part in self._parts for r in part.result()]


class CheckerPool:
    """``processes`` worker processes checking messages for one writer (0: in the writer)."""

    def __init__(self, db_url: str, processes: int, min_batch: int = MIN_BATCH) -> None:
        self.db_url = db_url
        self.processes = processes
        self.min_batch = min_batch
        self._pool: ProcessPoolExecutor | None = None
        self._failed_at = float("-inf")

    def submit(self, batch: list[Inbound], now: datetime) -> Pending | None:
        """Start checking ``batch`` in the workers; None when it is to be checked in-thread."""
        if self.processes <= 0 or len(batch) < self.min_batch:
            return None
        if time.monotonic() - self._failed_at < RETRY_AFTER_S:
            return None
        if self._pool is None:
            # forkserver: central runs threads (paho, the HTTP server) that a plain fork
            # would copy mid-flight; workers fork from a clean single-threaded server that
            # has imported this module once. A worker that dies breaks the executor (every
            # pending future raises) instead of leaving a batch waiting forever, as
            # multiprocessing.Pool would.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = ProcessPoolExecutor(self.processes, context, _start_worker, (self.db_url,))
            log.info("checking messages in %d worker processes", self.processes)
        size = -(-len(batch) // self.processes)
        parts = [
            self._pool.submit(_check, [(m.topic, m.payload) for m in chunk], now)
            for chunk in (batch[i : i + size] for i in range(0, len(batch), size))
        ]
        return Pending(batch, now, parts)

    def failed(self) -> None:
        """The workers failed: drop them, check in the writer for a while, then try again."""
        log.error("the checker processes failed; checking in the writer for %.0f s", RETRY_AFTER_S)
        self._failed_at = time.monotonic()
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
