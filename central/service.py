"""Central's runtime parts, started in order and stopped in reverse around one stop signal."""

import logging
import os
import queue
from datetime import timedelta
from zoneinfo import ZoneInfo

from central.broker import EmbeddedBroker
from central.gate_commands.channel import CommandChannel
from central.gate_commands.gallery import SiteGallery
from central.ingest.checkers import CheckerPool
from central.ingest.consumer import MqttConsumer
from central.ingest.devices import DeviceDirectory
from central.ingest.limits import DeviceLimiter
from central.ingest.retention import DeadLetterPruner, Retention
from central.ingest.validate import Inbound
from central.ingest.writer import IngestWriter
from central.metrics import IngestMetrics
from central.registry.divisions import ensure_loaded
from central.settings import CentralSettings
from central.storage import Database
from central.storage.database import StoredEvent
from central.training.watch import TrainingGateWatch
from central.warnings import devices as gate_warnings
from central.warnings.late_attendance import after_ingest
from central.warnings.scheduler import GateWatch, WarningScanner
from wireproto.transport import BrokerAddress

log = logging.getLogger(__name__)


def checker_processes(setting: int) -> int:
    """``-1``: a worker per core but the one paho and the writer share (none on one core)."""
    if setting >= 0:
        return setting
    return max(0, (os.cpu_count() or 1) - 1)


class CentralService:
    """Database → (embedded broker) → writer → consumer; nothing touches the network on init."""

    def __init__(self, settings: CentralSettings) -> None:
        self.settings = settings
        self.db = Database(settings.db)
        self.broker: EmbeddedBroker | None = None
        self.consumer: MqttConsumer | None = None
        self.writer: IngestWriter | None = None
        self.directory = DeviceDirectory(self.db)
        self.metrics = IngestMetrics()  # served at /metrics
        self.commands: CommandChannel | None = None  # config push and gallery sync to gates
        self.scanner: WarningScanner | None = None  # arrears indicators on a timer
        self.training_watch: TrainingGateWatch | None = None  # training expiries → gates
        self.gate_watch: GateWatch | None = None  # silent gates and dust alarms on a timer
        self.pruner: DeadLetterPruner | None = None  # dead-letter retention on a timer

    @property
    def broker_url(self) -> str:
        if self.settings.broker:
            return self.settings.broker
        return f"mqtt://{self.settings.embedded_broker_host}:{self.settings.embedded_broker_port}"

    def start(self) -> None:
        self.db.upgrade()
        ensure_loaded(self.db)  # division names on a new database (central/registry/divisions.py)
        self.directory.reload()
        if not self.settings.broker:
            self.broker = EmbeddedBroker(
                self.settings.embedded_broker_host, self.settings.embedded_broker_port
            )
            self.broker.start()
        inbox: queue.Queue[Inbound] = queue.Queue(maxsize=self.settings.queue_size)
        address = BrokerAddress.parse(self.broker_url, self.settings.broker_ca_file)
        s = self.settings
        limiter = DeviceLimiter(
            s.device_rate, s.device_burst, s.device_byte_rate, s.device_byte_burst
        )
        self.consumer = MqttConsumer(
            address,
            f"sitegate-central-{self.settings.instance_id}",
            inbox,
            self.settings.shared_group,
            metrics=self.metrics,
            limiter=limiter,
        )
        self.writer = IngestWriter(
            self.db,
            inbox,
            self.directory,
            self.consumer.publish_ack,
            batch_size=self.settings.batch_size,
            batch_wait=self.settings.batch_wait_ms / 1000,
            metrics=self.metrics,
            after_store=self._after_store,
            limiter=limiter,
            dead_letter_rows_per_hour=s.dead_letter_rows_per_hour,
            max_capture_age=timedelta(days=s.max_capture_age_days),
            checkers=CheckerPool(s.db, checker_processes(s.checkers)),
        )
        self.writer.start()
        self.consumer.start()
        self.commands = CommandChannel(
            address,
            f"sitegate-central-cmd-{self.settings.instance_id}",
            self.db,
            self.directory,
            self.gallery,
            self.settings.shared_group,
        )
        self.commands.start()
        if self.settings.warning_scan_interval_s > 0:
            self.scanner = WarningScanner(
                self.db, self.settings.warning_scan_interval_s, ZoneInfo(self.settings.timezone)
            )
            self.scanner.start()
            commands = self.commands
            self.training_watch = TrainingGateWatch(
                self.db,
                self.gallery,
                commands.gallery_changed,
                self.settings.warning_scan_interval_s,
            )
            self.training_watch.start()
        if s.gate_watch_interval_s > 0:
            self.gate_watch = GateWatch(self.db, s.gate_watch_interval_s, s.gate_silent_after_s)
            self.gate_watch.start()
        self.pruner = DeadLetterPruner(
            self.db,
            Retention(
                timedelta(days=s.dead_letter_max_age_days),
                s.dead_letter_max_rows,
                timedelta(days=s.dead_letter_counts_max_age_days),
            ),
            s.retention_interval_s,
        )
        self.pruner.start()

    def _after_store(self, stored: list[StoredEvent]) -> None:
        """Derived data after a stored batch: attendance days (late changes flagged), then the
        gates heard from and the dust alarms in the warnings queue."""
        try:
            after_ingest(self.db, stored)
        finally:
            gate_warnings.after_ingest(self.db, stored)

    @property
    def gallery(self) -> SiteGallery:
        """Site face galleries, sealed with the deployment's data key (registry/sealing.py)."""
        from central.registry.sealing import sealer_for

        return SiteGallery(self.db, sealer_for(self.settings.db))

    def stop(self) -> None:
        if self.pruner is not None:
            self.pruner.stop()
        if self.training_watch is not None:
            self.training_watch.stop()
        if self.scanner is not None:
            self.scanner.stop()
        if self.gate_watch is not None:
            self.gate_watch.stop()
        if self.commands is not None:
            self.commands.stop()
        if self.consumer is not None:
            self.consumer.stop()
        if self.writer is not None:
            self.writer.stop()
            self.writer.join(timeout=30)
        if self.broker is not None:
            self.broker.stop()
        self.db.close()
        log.info("central stopped")
