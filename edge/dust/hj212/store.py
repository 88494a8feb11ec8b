"""The durable queue of HJ 212 packets the platform has not confirmed yet.

Same discipline as the event outbox (sqlite-utils, WAL, ``synchronous=FULL``): a packet is on
disk before anything tries to send it, and leaves only on the platform's data reply, so a
power cut or a week-long platform outage loses nothing. Packets are stored framed (QN, CRC
and all), so a resend is byte-identical and the platform can match its reply by QN.
"""

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from edge.durable_sqlite import open_durable


@dataclass(frozen=True, slots=True)
class Queued:
    id: int
    qn: str
    cn: str
    packet: bytes
    attempts: int


class PacketStore:
    def __init__(self, path: Path) -> None:
        self.db = open_durable(path)
        self._lock = threading.Lock()
        self.db["packets"].create(
            {
                "id": int,
                "qn": str,
                "cn": str,
                "data_time": str,
                "packet": bytes,
                "created_at": str,
                "attempts": int,
            },
            pk="id",
            not_null={"qn", "cn", "packet", "created_at"},
            defaults={"attempts": 0},
            if_not_exists=True,
        )
        self.db["packets"].create_index(["qn"], unique=True, if_not_exists=True)

    def add(self, qn: str, cn: str, data_time: str, packet: bytes, at: datetime) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO packets (qn, cn, data_time, packet, created_at) VALUES (?,?,?,?,?)",
                [qn, cn, data_time, packet, at.isoformat()],
            )

    def oldest(self) -> Queued | None:
        with self._lock:
            row = self.db.execute(
                "SELECT id, qn, cn, packet, attempts FROM packets ORDER BY id LIMIT 1"
            ).fetchone()
        return Queued(*row) if row else None

    def attempted(self, packet_id: int) -> None:
        with self._lock:
            self.db.execute("UPDATE packets SET attempts = attempts + 1 WHERE id = ?", [packet_id])

    def confirm(self, qn: str) -> bool:
        with self._lock:
            return self.db.execute("DELETE FROM packets WHERE qn = ?", [qn]).rowcount > 0

    def depth(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM packets").fetchone()[0]

    def close(self) -> None:
        self.db.conn.close()
