"""Dead letters collapsed into counts: a flood from one device costs a row update, not rows.

Every dead letter is counted in ``dead_letter_counts`` under (sender, reason, UTC hour), with
the hour's first payload as a sample. Only the first ``rows_per_hour`` dead letters of each
such key are also kept whole in ``dead_letters`` (payload, detail, time), which is what an
operator needs to see what went wrong; the rest of a flood adds to the count only. The sender
is the topic's site and device when that device is provisioned, and ``-``/``-`` for anything
else (unknown devices, unparseable topics), so made-up ids in topics cannot grow the table
either. Retention (central/ingest/retention.py) bounds both tables by age and rows.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from central.ingest.devices import DeviceDirectory
from central.ingest.limits import Dropped
from central.storage.database import DeadLetter, DeadLetterCount
from wireproto.topics import parse_topic

UNKNOWN = "-"  # never a valid site or device id (ids start with a letter or digit)
RATE_LIMITED = "rate_limited"


def _hour(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H")


class DeadLetterLedger:
    """Decides which dead letters are kept whole and tallies all of them (writer thread)."""

    def __init__(self, directory: DeviceDirectory, rows_per_hour: int = 10) -> None:
        self.directory = directory
        self.rows_per_hour = rows_per_hour
        self._hour = ""
        self._rows: dict[tuple[str, str, str], int] = {}  # rows written this hour, per key

    def sender(self, topic: str) -> tuple[str, str]:
        parts = parse_topic(topic)
        if parts is not None and self.directory.known(parts.site, parts.device):
            return parts.site, parts.device
        return UNKNOWN, UNKNOWN

    def _sender_of(self, site: str, device: str) -> tuple[str, str]:
        if self.directory.known(site, device):
            return site, device
        return UNKNOWN, UNKNOWN

    def _roll(self, now: datetime) -> str:
        hour = _hour(now)
        if hour != self._hour:
            self._hour, self._rows = hour, {}
        return hour

    def split(
        self, dead: Iterable[DeadLetter], now: datetime
    ) -> tuple[list[DeadLetter], list[DeadLetterCount]]:
        """The dead letters to keep as rows, and the counts to add for all of them."""
        hour = self._roll(now)
        stamp = now.isoformat()
        keep: list[DeadLetter] = []
        counts: dict[tuple[str, str, str], DeadLetterCount] = {}
        for d in dead:
            site, device = self.sender(d.topic)
            key = (site, device, d.reason)
            written = self._rows.get(key, 0)
            if written < self.rows_per_hour:
                self._rows[key] = written + 1
                keep.append(d)
            seen = counts.get(key)
            if seen is None:
                counts[key] = DeadLetterCount(
                    site,
                    device,
                    d.reason,
                    hour,
                    1,
                    len(d.payload),
                    stamp,
                    stamp,
                    d.topic,
                    d.payload,
                )
            else:
                counts[key] = DeadLetterCount(
                    site,
                    device,
                    d.reason,
                    hour,
                    seen.count + 1,
                    seen.size + len(d.payload),
                    seen.first_seen,
                    stamp,
                    seen.sample_topic,
                    seen.sample,
                )
        return keep, list(counts.values())

    def dropped(self, drops: Mapping[tuple[str, str], Dropped]) -> list[DeadLetterCount]:
        """Counts for messages the limiter dropped before they were even parsed."""
        merged: dict[tuple[str, str, str], DeadLetterCount] = {}
        for (site, device), d in drops.items():
            who = self._sender_of(site, device)
            hour = d.first_seen[:13]
            key = (*who, hour)
            seen = merged.get(key)
            merged[key] = DeadLetterCount(
                who[0],
                who[1],
                RATE_LIMITED,
                hour,
                d.count + (seen.count if seen else 0),
                d.size + (seen.size if seen else 0),
                seen.first_seen if seen else d.first_seen,
                d.last_seen,
                seen.sample_topic if seen else d.sample_topic,
                seen.sample if seen else d.sample,
            )
        return list(merged.values())
