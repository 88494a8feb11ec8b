"""Config push, gallery sync, clock and replay window, each side on its own (no broker).

Central's side runs on SQLite and PostgreSQL (the ``database`` fixture); the gate's on real
SQLite files; messages are the signed bytes that would cross the broker.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from factories import SYNC_DEVICE as DEVICE
from factories import SYNC_SECRET as SECRET
from factories import SYNC_SITE as SITE
from factories import face
from sqlalchemy import select

from central.gate_commands import config_push
from central.gate_commands.gallery import SiteGallery
from central.ingest.validate import Inbound, validate
from central.provisioning.gate_file import starter_config
from central.registry.sealing import Sealer
from central.storage import Database, schema
from edge.clock import ClockMonitor
from edge.gallery_sync import GallerySync
from edge.recognition.gallery import Gallery
from edge.remote_config import ConfigRejected, RemoteConfig, overlay
from firmware_config.model import GateConfig
from wireproto import Envelope, encode_event, new_event_id, topics
from wireproto.commands import RemoteSettings
from wireproto.messages import AttendanceBody, DeviceStatusBody

OTHER = bytes(range(1, 33))


# -- central: galleries by version, sealed at rest ------------------------------------------


def test_site_gallery_versions_tombstones_and_chunks(database: Database) -> None:
    gallery = SiteGallery(database, Sealer(bytes(32)))
    faces = {f"W{i}": face() for i in range(5)}
    for worker, encoding in faces.items():
        gallery.put_worker(SITE, worker, [encoding])
    assert gallery.version(SITE) == 5 and gallery.version("elsewhere") == 0
    assert gallery.remove_worker(SITE, "W1") == 6
    assert gallery.remove_worker(SITE, "W1") is None  # not enrolled any more
    gallery.put_worker(SITE, "W0", [face(), face()])  # re-enrolled: a new version

    # Each worker once, in its latest state, ordered by that state's version: W2 (3), W3 (4),
    # W4 (5), W1 removed (6), W0 re-enrolled (7).
    first = gallery.changes_since(SITE, 0, limit=3)
    assert (first.from_version, first.to_version, first.more) == (0, 5, True)
    assert [w.worker_id for w in first.changes.upserts] == ["W2", "W3", "W4"]
    later = gallery.changes_since(SITE, first.to_version, limit=100)
    assert later.to_version == 7 and not later.more
    assert [w.worker_id for w in later.changes.upserts] == ["W0"]
    assert later.changes.removals == ["W1"] and len(later.changes.upserts[0].templates) == 2
    assert gallery.workers(SITE) == ["W0", "W2", "W3", "W4"]

    # At rest the encodings are sealed: the raw float32 bytes are nowhere in the row.
    raw = np.asarray(faces["W2"], dtype="<f4").tobytes()
    with database.engine.connect() as conn:
        rows = conn.execute(select(schema.site_gallery.c.templates_sealed)).scalars().all()
    assert rows and all(r is None or raw[:64] not in r for r in rows)


def test_desired_config_is_versioned_per_provisioned_device(database: Database) -> None:
    database.add_device(SITE, DEVICE, SECRET.hex())
    with pytest.raises(config_push.UnknownDevice):
        config_push.set_desired(database, SITE, "nope", RemoteSettings())
    first = RemoteSettings.model_validate({"debounce_s": 30})
    second = RemoteSettings.model_validate({"recognition": {"threshold": 0.45}})
    assert config_push.set_desired(database, SITE, DEVICE, first) == 1
    assert config_push.set_desired(database, SITE, DEVICE, second) == 2
    assert config_push.desired(database, SITE, DEVICE) == (2, second)


# -- gate: applying what central sends ----------------------------------------------------


def gate_config(tmp_path: Path) -> GateConfig:
    data = starter_config(SITE, DEVICE, SECRET.hex(), "mqtt://127.0.0.1:1883")
    return GateConfig.model_validate(data).resolve_paths(tmp_path)


def test_remote_config_applies_newer_versions_only_and_survives_restart(tmp_path: Path) -> None:
    base = gate_config(tmp_path)
    applied: list[GateConfig] = []
    remote = RemoteConfig(
        tmp_path / "state.db", SITE, DEVICE, SECRET, lambda s: applied.append(overlay(base, s))
    )
    push = config_push.push_message
    settings = RemoteSettings.model_validate(
        {"recognition": {"threshold": 0.45}, "debounce_s": 10, "liveness": "strict"}
    )
    assert remote.handle(push(SITE, DEVICE, 1, settings, OTHER)) is False  # forged: ignored
    assert remote.handle(push(SITE, "gate-2", 1, settings, SECRET)) is False  # not ours
    assert remote.handle(push(SITE, DEVICE, 1, settings, SECRET)) is True
    assert remote.handle(push(SITE, DEVICE, 1, settings, SECRET)) is False  # redelivered
    assert remote.version == 1 and len(applied) == 1
    config = applied[0]
    assert config.recognition.threshold == 0.45 and config.debounce_s == 10
    assert config.liveness.enabled and config.liveness.strictness == "strict"
    assert config.recognition.margin == base.recognition.margin  # untouched fields stay
    remote.close()

    again: list[RemoteSettings] = []
    restarted = RemoteConfig(tmp_path / "state.db", SITE, DEVICE, SECRET, again.append)
    restarted.restore()
    assert restarted.version == 1 and again == [settings]


def test_a_config_the_gate_cannot_apply_is_reported_not_half_applied(tmp_path: Path) -> None:
    def refuse(_settings: RemoteSettings) -> None:
        raise ConfigRejected("recognition.threshold: too lenient for this site")

    remote = RemoteConfig(tmp_path / "state.db", SITE, DEVICE, SECRET, refuse)
    payload = config_push.push_message(SITE, DEVICE, 3, RemoteSettings(), SECRET)
    assert remote.handle(payload) is True  # something to report
    assert remote.version == 0 and remote.rejected_version == 3
    assert remote.error is not None and remote.error.startswith("version 3:")
    assert remote.handle(payload) is False  # not retried on every redelivery


def test_gallery_deltas_apply_once_in_order_and_only_from_central(
    tmp_path: Path, database: Database
) -> None:
    central = SiteGallery(database, Sealer(bytes(32)))
    alice, bob = face(), face()
    central.put_worker(SITE, "ALICE", [alice])
    central.put_worker(SITE, "BOB", [bob])
    gallery = Gallery(tmp_path / "gallery.db")
    sync = GallerySync(gallery, SITE, DEVICE, SECRET)

    forged = central.update_message(SITE, DEVICE, OTHER, 0)
    assert forged is not None and sync.handle(forged) is False and sync.version == 0
    delta = central.update_message(SITE, DEVICE, SECRET, 0)
    assert delta is not None and sync.handle(delta) is True
    assert sync.version == 2 and gallery.worker_ids() == ["ALICE", "BOB"]
    assert gallery.snapshot().match(np.asarray(bob) + 0.01).worker_id == "BOB"
    assert sync.handle(delta) is False  # already applied

    central.remove_worker(SITE, "BOB")
    central.put_worker(SITE, "CAROL", [face()])
    gap = central.update_message(SITE, DEVICE, SECRET, 3)  # starts after a change we lack
    assert gap is not None and sync.handle(gap) is False and sync.version == 2
    assert sync.handle(central.update_message(SITE, DEVICE, SECRET, 2)) is True  # type: ignore[arg-type]
    assert sync.version == 4 and gallery.worker_ids() == ["ALICE", "CAROL"]
    assert gallery.snapshot().match(bob).worker_id is None
    assert central.update_message(SITE, DEVICE, SECRET, 4) is None  # up to date
    gallery.close()
    assert Gallery(tmp_path / "gallery.db").synced_version == 4  # survives a restart


# -- clock and replay window --------------------------------------------------------------


def test_clock_offset_from_acks_and_what_counts_as_synced() -> None:
    clock = ClockMonitor(tolerance_ms=2000, kernel_check=lambda: False)
    assert clock.state() == {"clock_synced": False, "clock_offset_ms": None, "ntp": "unsynced"}
    central_at = datetime.fromtimestamp(1000.0 + 5.0, UTC)  # central is 5 s ahead
    clock.add(sent_at=999.9, central_at=central_at, received_at=1000.1)
    clock.add(sent_at=999.0, central_at=central_at, received_at=1001.0)  # slower: less precise
    assert clock.best().error_ms == pytest.approx(100)  # type: ignore[union-attr]
    state = clock.state()
    # device minus central: the gate is 5 s behind
    assert state["clock_offset_ms"] == -5000 and state["clock_synced"] is False

    good = ClockMonitor(kernel_check=lambda: False)
    good.add(999.9, datetime.fromtimestamp(1000.3, UTC), 1000.1)
    assert good.state()["clock_synced"] is True  # central agrees, whatever NTP says
    assert ClockMonitor(kernel_check=lambda: None).state()["ntp"] == "unknown"


def signed(body: AttendanceBody | DeviceStatusBody, created: datetime) -> bytes:
    env = Envelope(
        id=new_event_id(), site=SITE, device=DEVICE, seq=1, created_at=created, body=body
    )
    return encode_event(env, SECRET)


def test_events_older_than_the_replay_window_are_dead_lettered_status_is_not() -> None:
    now = datetime.now(UTC)
    secrets = {(SITE, DEVICE): SECRET}.get

    def check(age: timedelta, channel: str = "attendance") -> str:
        at = now - age
        if channel == "status":
            topic, body = (
                topics.status_topic(SITE, DEVICE),
                DeviceStatusBody(state="offline", at=at),
            )
        else:
            topic = topics.event_topic(SITE, DEVICE, "attendance")
            body = AttendanceBody(worker_id="W1", direction="in", captured_at=at)
        outcome = validate(Inbound(topic, signed(body, at)), lambda s, d: secrets((s, d)), now=now)
        return getattr(outcome, "reason", "ok")

    assert check(timedelta(days=29)) == "ok"
    assert check(timedelta(days=31)) == "outside_replay_window"
    assert check(timedelta(days=90), "status") == "ok"  # a last will signed long ago
    assert json.loads(signed(AttendanceBody(worker_id="W", direction="in", captured_at=now), now))


def test_a_sync_without_names_keeps_the_name_enrolled_at_the_gate(tmp_path: Path) -> None:
    """Central sends ids and templates only (least data); a local name must survive it."""
    import numpy as np

    gallery = Gallery(tmp_path / "gallery.db")
    vector = np.full(128, 0.05)
    gallery.add("W1", [vector], name="张三")
    gallery.apply_sync([("W1", None, [vector]), ("W2", None, [vector + 0.5])], [], 1)
    names = dict(gallery.db.execute("SELECT worker_id, name FROM workers").fetchall())
    assert names == {"W1": "张三", "W2": None}
    gallery.close()
