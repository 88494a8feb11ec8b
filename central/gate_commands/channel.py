"""The MQTT side of remote config and gallery sync: hear reports, answer with what is missing.

Its own client (not the ingest consumer): commands are few and small next to the event
stream, and a slow gallery query must never hold up event acks. Invalid reports are
dead-lettered through the same write path as invalid events.
"""

import logging
import threading
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from central.gate_commands import config_push, reports
from central.gate_commands.gallery import SiteGallery
from central.ingest.devices import DeviceDirectory
from central.storage import Database
from central.storage.database import DeadLetter
from wireproto import ProtocolError, topics
from wireproto.commands import CONFIG, GALLERY, SyncReport, decode_signed
from wireproto.transport import BrokerAddress, new_client

log = logging.getLogger(__name__)


class CommandChannel:
    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        db: Database,
        directory: DeviceDirectory,
        gallery: SiteGallery,
        shared_group: str | None = None,
    ) -> None:
        self.address = address
        self.db = db
        self.directory = directory
        self.gallery = gallery
        self.filter = (
            topics.shared(topics.ALL_SYNC, shared_group) if shared_group else topics.ALL_SYNC
        )
        self.client = new_client(address, client_id, clean_session=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.counts = {"reports": 0, "config_pushes": 0, "gallery_pushes": 0, "rejected": 0}

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason_code: ReasonCode, _p: object
    ) -> None:
        if reason_code.is_failure:
            log.error(
                "broker %s refused the command channel: %s", self.address.redacted(), reason_code
            )
            return
        client.subscribe(self.filter, qos=1)
        self.connected.set()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        try:
            report = self._verify(message.topic, payload)
        except ProtocolError as exc:
            self.counts["rejected"] += 1
            log.warning("sync report on %s rejected: %s", message.topic, exc.reason)
            dead = DeadLetter(message.topic, exc.reason, exc.detail, payload)
            self.db.store([], [dead], datetime.now(UTC))
            return
        except Exception:
            log.exception("sync report on %s could not be handled", message.topic)
            return
        self.counts["reports"] += 1
        try:
            reports.record(self.db, report, datetime.now(UTC))
            self.bring_up_to_date(report)
        except Exception:  # the next report retries; the channel must keep running
            log.exception("answering the sync report of %s/%s failed", report.site, report.device)

    def _verify(self, topic: str, payload: bytes) -> SyncReport:
        parts = topics.parse_topic(topic)
        if parts is None or parts.channel != "sync":
            raise ProtocolError("bad_topic")
        secret = self.directory(parts.site, parts.device)
        if secret is None:
            raise ProtocolError("unknown_device", f"{parts.site}/{parts.device}")
        report = decode_signed(payload, SyncReport, secret)
        if (report.site, report.device) != (parts.site, parts.device):
            raise ProtocolError("topic_mismatch", f"topic {parts.site}/{parts.device}")
        return report

    def bring_up_to_date(self, report: SyncReport) -> None:
        site, device = report.site, report.device
        want = config_push.desired(self.db, site, device)
        if want and report.config_version < want[0] and report.config_rejected != want[0]:
            self.send_config(site, device)
        site_version = self.gallery.version(site)
        if report.gallery_version < site_version:
            self.send_gallery(site, device, report.gallery_version)
        elif report.gallery_version > site_version:
            log.error(
                "%s/%s holds gallery version %d, central only %d (database restored?)",
                site,
                device,
                report.gallery_version,
                site_version,
            )

    def send_config(self, site: str, device: str) -> bool:
        want = config_push.desired(self.db, site, device)
        secret = self.directory(site, device)
        if want is None or secret is None:
            return False
        payload = config_push.push_message(site, device, want[0], want[1], secret)
        self.client.publish(topics.command_topic(site, device, CONFIG), payload, qos=1)
        self.counts["config_pushes"] += 1
        return True

    def send_gallery(self, site: str, device: str, since: int) -> bool:
        secret = self.directory(site, device)
        if secret is None:
            return False
        payload = self.gallery.update_message(site, device, secret, since)
        if payload is None:
            return False
        self.client.publish(topics.command_topic(site, device, GALLERY), payload, qos=1)
        self.counts["gallery_pushes"] += 1
        return True

    def gallery_changed(self, site: str) -> None:
        """Push a site's change to each of its gates now, from the version each last reported.

        A gate that is offline or has never reported gets it from its next report instead.
        """
        for device, version in reports.site_devices(self.db, site):
            self.send_gallery(site, device, version)
