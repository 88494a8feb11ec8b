"""Each site's face gallery at central: templates sealed at rest, every change a new version.

One row per (site, worker) holds the worker's latest state and the site version of that
change; a removal keeps the row with no templates (a tombstone), so "what changed since
version v" is one indexed range query and a gate that was offline for a month gets exactly
the removals it missed. Encodings are 128 float32 (512 bytes each): numbers, not faces, and
no dlib or opencv is needed here.

Cards ride on the same rows: registering or removing a worker's gate card bumps the row of each
site employing them (:meth:`SiteGallery.touch_worker`, templates untouched), and every delta
carries the complete card set of each worker it names, hashed under the receiving device's
card key when the message is built (central/registry/gate_cards.py, wireproto/cards.py).

A worker a site's training rule keeps out (central/training/entry.py) is sent as removed, with
no cards, until their training is recorded: the gates need nothing new to refuse them.
"""

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from central.gate_commands.reports import upsert
from central.registry.gate_cards import numbers_at_site
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.training.entry import barred
from wireproto.cards import card_hash, card_key
from wireproto.commands import (
    TEMPLATE_BYTES,
    GalleryChanges,
    GalleryUpdate,
    GateCard,
    WorkerCards,
    WorkerTemplates,
    encode_signed,
    seal_changes,
    template_to_text,
)

ENCODING_SIZE = 128
MAX_TEMPLATES = 32
CHUNK_WORKERS = 100  # per message: ~100 KB per 100 single-template workers (4 MiB cap)


class BadTemplate(ValueError):
    """An encoding that is not 128 finite numbers."""


def pack(encoding: Sequence[float]) -> bytes:
    if len(encoding) != ENCODING_SIZE:
        raise BadTemplate(f"an encoding has {ENCODING_SIZE} numbers, got {len(encoding)}")
    if any(x != x or x in (float("inf"), float("-inf")) for x in encoding):
        raise BadTemplate("an encoding must be finite")
    return struct.pack(f"<{ENCODING_SIZE}f", *encoding)


@dataclass(frozen=True, slots=True)
class Delta:
    from_version: int
    to_version: int
    changes: GalleryChanges  # faces only: cards are hashed per device in update_message
    more: bool
    workers: tuple[str, ...] = ()  # every worker the delta names, for their card sets


class SiteGallery:
    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    def _context(self, site: str, worker_id: str) -> str:
        return f"gallery:{site}:{worker_id}"  # a sealed row cannot be moved to another worker

    def _next_version(self, conn: Connection, site: str) -> int:
        v = schema.gallery_versions
        bumped = conn.execute(
            v.update()
            .where(v.c.site == site)
            .values(version=v.c.version + 1)
            .returning(v.c.version)
        ).scalar()
        if bumped is None:
            conn.execute(v.insert().values(site=site, version=1))
            bumped = 1
        return int(bumped)

    def _write(self, site: str, worker_id: str, sealed: bytes | None) -> int:
        with self.db.begin() as conn:
            version = self._next_version(conn, site)
            conn.execute(
                upsert(
                    self.db,
                    schema.site_gallery,
                    {"site": site, "worker_id": worker_id},
                    {
                        "templates_sealed": sealed,
                        "version": version,
                        "updated_at": datetime.now(UTC).isoformat(),
                    },
                )
            )
        return version

    def put_worker(self, site: str, worker_id: str, encodings: Sequence[Sequence[float]]) -> int:
        """Enrol or re-enrol a worker at a site (their templates replace any old ones)."""
        if not 1 <= len(encodings) <= MAX_TEMPLATES:
            raise BadTemplate(f"between 1 and {MAX_TEMPLATES} encodings per worker")
        raw = b"".join(pack(e) for e in encodings)
        return self._write(site, worker_id, self.sealer.seal(raw, self._context(site, worker_id)))

    def touch_worker(self, site: str, worker_id: str) -> int:
        """Mark a worker changed at a site without touching their templates (their cards did).

        A worker with no face at the site gets a row without templates: gates read it as "no
        face" and still take the worker's cards.
        """
        with self.db.begin() as conn:
            version = self._next_version(conn, site)
            conn.execute(  # a new row gets no templates; an existing one keeps its own
                upsert(
                    self.db,
                    schema.site_gallery,
                    {"site": site, "worker_id": worker_id},
                    {"version": version, "updated_at": datetime.now(UTC).isoformat()},
                )
            )
        return version

    def remove_worker(self, site: str, worker_id: str) -> int | None:
        """Remove a worker from a site's gates; None when they were not enrolled there."""
        if worker_id not in self.workers(site):
            return None
        return self._write(site, worker_id, None)

    def version(self, site: str) -> int:
        v = schema.gallery_versions
        with self.db.engine.connect() as conn:
            found = conn.execute(select(v.c.version).where(v.c.site == site)).scalar()
        return int(found or 0)

    def workers(self, site: str) -> list[str]:
        g = schema.site_gallery.c
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(g.worker_id)
                .where(g.site == site, g.templates_sealed.is_not(None))
                .order_by(g.worker_id)
            )
            return [r.worker_id for r in rows]

    def changes_since(self, site: str, since: int, limit: int = CHUNK_WORKERS) -> Delta:
        """Changes after ``since``, oldest first, at most ``limit`` workers."""
        g = schema.site_gallery.c
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(g.worker_id, g.templates_sealed, g.version)
                .where(g.site == site, g.version > since)
                .order_by(g.version)
                .limit(limit + 1)
            ).all()
            more = len(rows) > limit
            rows = rows[:limit]
            # kept off the site's gates for want of valid training: sent as removed
            kept_out = barred(conn, site, [r.worker_id for r in rows])
        upserts, removals = [], []
        for r in rows:
            if r.templates_sealed is None or r.worker_id in kept_out:
                removals.append(r.worker_id)
                continue
            raw = self.sealer.open(r.templates_sealed, self._context(site, r.worker_id))
            chunks = [raw[i : i + TEMPLATE_BYTES] for i in range(0, len(raw), TEMPLATE_BYTES)]
            upserts.append(
                WorkerTemplates(
                    worker_id=r.worker_id, templates=[template_to_text(c) for c in chunks]
                )
            )
        to_version = rows[-1].version if rows else since
        changes = GalleryChanges(upserts=upserts, removals=removals)
        return Delta(since, to_version, changes, more, tuple(r.worker_id for r in rows))

    def _cards(self, site: str, workers: tuple[str, ...], secret: bytes) -> list[WorkerCards]:
        with self.db.engine.connect() as conn:
            numbers = numbers_at_site(conn, self.sealer, site, list(workers))
            kept_out = barred(conn, site, list(workers))
        key = card_key(secret)
        return [
            WorkerCards(
                worker_id=w,
                cards=[]
                if w in kept_out
                else [GateCard(hash=card_hash(key, n), hint=m) for n, m in numbers[w]],
            )
            for w in workers
        ]

    def update_message(self, site: str, device: str, secret: bytes, since: int) -> bytes | None:
        """The next signed, sealed delta for a device at ``since``; None when it is current."""
        delta = self.changes_since(site, since)
        if delta.to_version <= since:
            return None
        update = GalleryUpdate(
            site=site,
            device=device,
            from_version=delta.from_version,
            to_version=delta.to_version,
            more=delta.more,
            sealed=seal_changes(
                delta.changes.model_copy(
                    update={"cards": self._cards(site, delta.workers, secret)}
                ),
                secret,
                site,
                device,
                since,
                delta.to_version,
            ),
            issued_at=datetime.now(UTC),
        )
        return encode_signed(update, secret)
