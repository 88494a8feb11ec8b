"""Prometheus metrics of one central instance, served at ``/metrics``.

Each service owns its own :class:`CollectorRegistry` (never the process-global default), so
building two services in one process (tests, benchmarks) gives two independent sets. Labels
are bounded on purpose: dead letters are counted per reason code (a fixed list in
docs/protocol.md), never per device or topic, so a misbehaving gate cannot grow the series.
"""

import queue
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)
# From a live check-in (milliseconds) to a site's backlog after days offline.
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600, 6 * 3600, 86400, 7 * 86400)


class IngestMetrics:
    """The ingest pipeline's counters, histograms and gauges, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter(
            "sitegate_ingest_received", "MQTT messages taken from the broker", registry=r
        )
        self.stored = Counter(
            "sitegate_ingest_stored", "events stored for the first time", ["kind"], registry=r
        )
        self.duplicates = Counter(
            "sitegate_ingest_duplicates", "events already stored (resends), acked again", registry=r
        )
        self.dead_letters = Counter(
            "sitegate_ingest_dead_letters",
            "messages dead-lettered (kept whole, or only counted once a flood passes the "
            "per-hour row cap)",
            ["reason"],
            registry=r,
        )
        self.rate_limited = Counter(
            "sitegate_ingest_rate_limited",
            "messages dropped unparsed by the per-device rate and volume limits (not acked)",
            registry=r,
        )
        self.held = Counter(
            "sitegate_ingest_held",
            "verified attendance stored as evidence but held, not counted",
            ["reason"],
            registry=r,
        )
        self.statuses = Counter(
            "sitegate_ingest_status_updates", "signed device status messages applied", registry=r
        )
        self.acks = Counter(
            "sitegate_ingest_acks_published", "signed ack messages published to devices", registry=r
        )
        self.store_failures = Counter(
            "sitegate_ingest_store_failures",
            "write transactions that failed (database unreachable: retried; a row the database "
            "refuses: isolated and dead-lettered)",
            registry=r,
        )
        self.batch_size = Histogram(
            "sitegate_ingest_batch_size",
            "messages per write transaction",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.write_seconds = Histogram(
            "sitegate_ingest_write_seconds", "duration of one batch's transaction", registry=r
        )
        self.lag = Histogram(
            "sitegate_ingest_lag_seconds",
            "ingest lag: commit time minus the event's created_at on the device",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "sitegate_ingest_queue_depth", "messages received but not yet written", registry=r
        )
        self.queue_capacity = Gauge(
            "sitegate_ingest_queue_capacity", "bound of the ingest queue", registry=r
        )
        self.broker_connected = Gauge(
            "sitegate_broker_connected", "1 while subscribed to the broker", registry=r
        )

    def watch_queue(self, inbox: "queue.Queue[Any]") -> None:
        """Queue depth is read when scraped, so the hot path pays nothing for it."""
        self.queue_depth.set_function(inbox.qsize)
        self.queue_capacity.set(inbox.maxsize)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
