"""GET /api/v1/dust on SQLite and PostgreSQL: projections of stored events, windows, ranges."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from central.api.app import create_app
from central.ingest.projections import project
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from central.storage.database import StoredEvent
from conftest import api_headers
from wireproto import Envelope, new_event_id
from wireproto.messages import DustAlarmBody, DustReadingBody

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def stored(seq: int, body: DustReadingBody | DustAlarmBody, device: str = "g1") -> StoredEvent:
    env = Envelope(id=new_event_id(), site="s1", device=device, seq=seq, created_at=T0, body=body)
    return StoredEvent(
        env.id, env.site, env.device, seq, env.kind, T0.isoformat(), "{}", project(env)
    )


def reading(minute: int, window: str = "1min", **values: float) -> DustReadingBody:
    start = T0 + timedelta(minutes=minute)
    return DustReadingBody(
        sensor="dust0",
        window=window,  # type: ignore[arg-type]
        window_start=start,
        window_end=start + timedelta(minutes=1),
        samples=60,
        expected_samples=60,
        flags=["humidity_high"] if values.get("humidity", 0) > 70 else [],
        **values,
    )


def test_dust_api_serves_readings_and_alarms_by_site_window_and_range(database: Database) -> None:
    events = [stored(i + 1, reading(i, pm10=50.0 + i, humidity=60.0 + 5 * i)) for i in range(4)]
    events.append(stored(5, reading(0, window="15min", pm10=51.5)))
    events.append(stored(6, reading(2, pm10=999.0), device="g2"))
    alarm = DustAlarmBody(
        state="raised", pollutant="pm10", value=80.5, limit=80, profile="hebei-db13-2934-2019",
        window="1h", at=T0 + timedelta(minutes=2), exceedances_today=3, allowed_per_day=2,
    )  # fmt: skip
    events.append(stored(7, alarm))
    database.store(events, [], datetime.now(UTC))
    service = CentralService(CentralSettings(db=database.url))
    try:
        client = TestClient(create_app(service, manage_service=False))
        assert client.get("/api/v1/dust", params={"site": "s1"}).status_code == 401
        client.headers.update(api_headers(database.url))
        client.headers.update(api_headers(database.url))  # every /api/v1 route needs a token
        data = client.get("/api/v1/dust", params={"site": "s1", "window": "1min"}).json()
        assert [(r["device"], r["pm10"]) for r in data["readings"]] == [
            ("g1", 50.0), ("g1", 51.0), ("g1", 52.0), ("g2", 999.0), ("g1", 53.0)
        ]  # fmt: skip
        assert data["readings"][3]["window_start"] == "2026-03-02T10:02:00+08:00"
        assert data["readings"][4]["flags"] == ["humidity_high"]
        (a,) = data["alarms"]
        assert (a["limit"], a["exceedances_today"], a["allowed_per_day"]) == (80.0, 3, 2)

        ranged = client.get(
            "/api/v1/dust",
            params={"site": "s1", "window": "1min", "device": "g1",
                    "start": "2026-03-02T02:01:00Z", "end": "2026-03-02T10:03:00+08:00"},
        ).json()  # fmt: skip
        assert [r["pm10"] for r in ranged["readings"]] == [51.0, 52.0]
        assert [x["state"] for x in ranged["alarms"]] == ["raised"]
        quarter = client.get("/api/v1/dust", params={"site": "s1"}).json()  # default: 15min
        assert [r["pm10"] for r in quarter["readings"]] == [51.5]
        assert client.get("/api/v1/dust", params={"site": "elsewhere"}).json()["readings"] == []

        naive = client.get("/api/v1/dust", params={"site": "s1", "start": "2026-03-02T10:00:00"})
        assert naive.status_code == 422  # a time without offset is ambiguous across zones
        assert (
            client.get("/api/v1/dust", params={"site": "s1", "window": "5min"}).status_code == 422
        )
    finally:
        service.db.close()
