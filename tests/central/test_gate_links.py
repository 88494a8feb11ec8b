"""A gate's "online since" / "offline since": the transitions the silent-gate watcher and
ingest record (central/warnings/gate_links.py), on a real SQLite file, read back through the
fleet query the API and the gates page share.

The story of one gate: heartbeats (online since the first), silence (offline since it was
last heard from, while the watcher keeps passing: no new rows), events again (online since
the first event after the outage), a clean stop (offline since its signed status, as the
fleet's state column says, even if a last event arrives after it), a restart.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import SECRET, _signed, new_db, registered_project
from sqlalchemy import select
from web_client import add_users, console_client, sign_in

from central.clock import zone
from central.reports.fleet import GateRow, fleet_select
from central.storage import Database, schema
from central.storage.database import StoredEvent
from central.warnings import devices
from conftest import api_headers
from wireproto import DustReadingBody

SILENT = timedelta(minutes=30)


def _links(db: Database) -> list[tuple[str, str, str]]:
    g = schema.gate_links.c
    with db.engine.connect() as conn:
        return [
            (r.state, r.since, r.cause)
            for r in conn.execute(
                select(g.state, g.since, g.cause).where(g.device == "gate-1").order_by(g.id)
            )
        ]


def _fleet(db: Database) -> GateRow:
    with db.engine.connect() as conn:
        q = fleet_select(None).subquery()
        row = conn.execute(select(q).where(q.c.device == "gate-1")).one()
    return GateRow.model_validate(dict(row._mapping))


def _reading(at: datetime) -> StoredEvent:
    """A signed 15-minute dust reading of gate-1 ending at ``at``, as ingest stores it."""
    body = DustReadingBody(
        sensor="dust0",
        window="15min",
        window_start=at - timedelta(minutes=15),
        window_end=at,
        pm2_5=20.0,
        pm10=40.0,
        samples=900,
        expected_samples=900,
    )
    return _signed("site-a", body, at)


def _status(db: Database, state: str, at: datetime) -> None:
    db.set_device_status("site-a", "gate-1", f'{{"state":"{state}"}}', at.isoformat())


def test_a_gates_outages_are_recorded_once_each(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, "site-a", {})
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)

    devices.watch(db, start, SILENT)  # never heard from: no row, neither online nor offline
    assert _links(db) == []
    assert (_fleet(db).online_since, _fleet(db).offline_since) == (None, None)

    first_beat = start + timedelta(minutes=1)
    _status(db, "online", first_beat)
    devices.watch(db, first_beat + timedelta(seconds=5), SILENT)
    _status(db, "online", first_beat + timedelta(minutes=5))  # a later heartbeat: no new row
    devices.watch(db, first_beat + timedelta(minutes=6), SILENT)
    assert _links(db) == [("online", first_beat.isoformat(), "status")]
    assert _fleet(db).online_since == first_beat.isoformat() and _fleet(db).offline_since is None

    last_heard = first_beat + timedelta(minutes=5)
    for minutes in (40, 50, 90):  # silent: one row however often the watcher passes
        devices.watch(db, last_heard + timedelta(minutes=minutes), SILENT)
    assert _links(db)[1:] == [("offline", last_heard.isoformat(), "silent")]
    row = _fleet(db)
    assert (row.online_since, row.offline_since) == (None, last_heard.isoformat())

    # events again (a batch of dust readings as ingest stores them): online from the gate's
    # own stamp of the newest event of the batch
    back = last_heard + timedelta(hours=2)
    event = _reading(back)
    db.store([event], [], back)
    devices.after_ingest(db, [event])
    devices.watch(db, back + timedelta(minutes=1), SILENT)  # the watcher agrees: no new row
    assert _links(db)[2:] == [("online", event.created_at, "events")]
    assert _fleet(db).online_since == event.created_at

    stop = back + timedelta(minutes=20)
    _status(db, "offline", stop)  # a clean stop (or its last will): offline since its stamp
    devices.watch(db, stop + timedelta(minutes=1), SILENT)
    assert _links(db)[3:] == [("offline", stop.isoformat(), "status")]
    row = _fleet(db)
    assert (row.state, row.offline_since, row.online_since) == (
        "offline",
        stop.isoformat(),
        None,
    )

    # an event after its own "offline" (a backlog flushed on the way down): the state stays
    # the fleet's, by the signed status, until a heartbeat says online
    late = _reading(stop + timedelta(minutes=1))
    db.store([late], [], stop + timedelta(minutes=1))
    devices.after_ingest(db, [late])
    devices.watch(db, stop + timedelta(minutes=2), SILENT)
    assert len(_links(db)) == 4

    restart = stop + timedelta(minutes=3)
    _status(db, "online", restart)
    devices.watch(db, restart + timedelta(seconds=10), SILENT)
    assert _links(db)[4:] == [("online", restart.isoformat(), "status")]
    assert len(_links(db)) == 5


def test_the_api_and_the_gates_page_carry_the_transition(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, "site-a", {})
    db.add_device("site-a", "gate-2", SECRET.hex())
    add_users(db, {"root": {"role": "admin"}})
    beat = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    _status(db, "online", beat)
    devices.watch(db, datetime.now(UTC), SILENT)
    db.close()
    url = str(tmp_path / "central.db")
    with console_client(url) as client:
        gates = client.get("/api/v1/fleet/gates", headers=api_headers(url)).json()
        by = {g["device"]: g for g in gates}
        assert (by["gate-1"]["online_since"], by["gate-1"]["offline_since"]) == (
            beat.isoformat(),
            None,
        )
        assert (by["gate-2"]["online_since"], by["gate-2"]["offline_since"]) == (None, None)
        page = sign_in(client, "root").get("/console/gates").text
        # central's own stamp, shown on the deployment's clock (Asia/Shanghai by default)
        shown = beat.astimezone(zone("Asia/Shanghai")).isoformat()
        assert f'data-column="online_since"><time datetime="{shown}"' in page
