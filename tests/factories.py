"""Test factories, one module: registered projects and workers, signed punches, simulated gates.

Tests build their data through these (and through the real services they call) instead of
hand-writing rows: a change of schema or rules is then mended in one place.
"""

import itertools
import os
import queue
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from central.ingest.devices import DeviceDirectory
from central.ingest.validate import Inbound, validate
from central.ingest.writer import IngestWriter
from central.registry.employment import ContractIn, EmploymentIn, add_contract, add_employment
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.registry.sealing import Sealer
from central.registry.workers import WorkerIn, create_worker
from central.storage import Database, schema
from central.storage.database import StoredEvent
from central.wages.rules import PayTerms
from central.warnings.late_attendance import after_ingest
from wireproto import (
    Ack,
    AttendanceBody,
    DeviceStatusBody,
    DustReadingBody,
    Envelope,
    decode_ack,
    encode_event,
    new_event_id,
    topics,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = b"k" * 32
# Valid check digits: GB 11643 resident IDs, GB 32100 credit codes, Luhn cards.
CONTRACTOR_USCC = "91110000600037341L"
SUB_USCC = "91350100M000100Y43"
THIRD_USCC = "91450100MA5K00001E"
FOURTH_USCC = "91450200MA5K00002N"
_seq = itertools.count(1)


def new_db(tmp_path: Path) -> tuple[Database, Sealer]:
    db = Database(str(tmp_path / "central.db"))
    db.upgrade()
    return db, Sealer.from_file(tmp_path / "central.key")


def registered_project(
    db: Database,
    sealer: Sealer,
    project_id: str = "site-a",
    terms: dict[str, PayTerms] | None = None,
    start: date = date(2025, 1, 1),
    gates: Iterable[str] = ("gate-1",),
    uscc: str = CONTRACTOR_USCC,
    offset: int = 0,
    division: str = "450102",
) -> dict[str, object]:
    """A general contractor, a project with gates, and one worker per entry of ``terms``.

    ``division``: the project's GB/T 2260 code (default Nanning's Xingning district, 450102).
    """
    terms = terms or {"W1": PayTerms(pay_kind="daily", rate_fen=36000)}
    contractor = create_enterprise(
        db, EnterpriseIn(name=f"总包 {project_id}", uscc=uscc, kind="general_contractor")
    )
    create_project(
        db,
        ProjectIn(
            id=project_id,
            name=f"项目 {project_id}",
            contractor_id=contractor["id"],  # type: ignore[arg-type]
            division_code=division,
        ),
    )
    for gate in gates:
        db.add_device(project_id, gate, SECRET.hex())
    for n, (worker_id, worker_terms) in enumerate(terms.items()):
        create_worker(
            db,
            sealer,
            WorkerIn(
                id=worker_id,
                name=f"工人{n}",
                id_number=valid_ric(n + offset),
                card_number=valid_card(n + offset),
                bank="中国工商银行",
            ),
        )
        add_employment(
            db,
            EmploymentIn(
                worker_id=worker_id,
                project_id=project_id,
                employer_id=contractor["id"],  # type: ignore[arg-type]
                team="一班",
                trade="钢筋工",
                start_date=start,
                terms=worker_terms,
            ),
        )
        add_contract(
            db,
            ContractIn(
                worker_id=worker_id,
                employer_id=contractor["id"],  # type: ignore[arg-type]
                project_id=project_id,
                signed_on=start,
                document_text=f"劳动合同 {worker_id}",
            ),
        )
    return contractor


def second_project(
    db: Database,
    contractor_id: int,
    project_id: str,
    terms: dict[str, PayTerms],
    start: date = date(2025, 1, 1),
    gates: Iterable[str] = ("gate-1",),
    division: str = "450102",
) -> None:
    """Another project of an existing general contractor, employing already registered
    workers (one employer, two sites: hours count per employer per day)."""
    create_project(
        db,
        ProjectIn(
            id=project_id,
            name=f"项目 {project_id}",
            contractor_id=contractor_id,
            division_code=division,
        ),
    )
    for gate in gates:
        db.add_device(project_id, gate, SECRET.hex())
    for worker_id, worker_terms in terms.items():
        add_employment(
            db,
            EmploymentIn(
                worker_id=worker_id,
                project_id=project_id,
                employer_id=contractor_id,
                start_date=start,
                terms=worker_terms,
            ),
        )


def subcontractor_on(
    db: Database, project_id: str, uscc: str = THIRD_USCC, role: str = "subcontractor"
) -> dict[str, object]:
    """A subcontractor enterprise registered on a project (as its general contractor would)."""
    from central.registry.organisations import ProjectEnterpriseIn, register_on_project

    sub = create_enterprise(
        db, EnterpriseIn(name=f"分包 {uscc[-4:]}", uscc=uscc, kind="subcontractor")
    )
    register_on_project(
        db,
        project_id,
        ProjectEnterpriseIn(enterprise_id=sub["id"], role=role),
        "factory",  # type: ignore[arg-type]
    )
    return sub


def bare_workers(db: Database, ids: Iterable[str], at: str = "2025-05-01T00:00:00+08:00") -> None:
    """Workers with only what the schema requires (a sealed placeholder, no card): enough for
    the rows that refer to them (employments, days, trainings) in set-based comparisons."""
    with db.begin() as conn:
        conn.execute(
            schema.workers.insert(),
            [
                {
                    "id": w,
                    "name": w,
                    "id_number_sealed": b"x",
                    "id_number_hash": f"hash-{w}",
                    "id_number_masked": "1****",
                    "created_at": at,
                }
                for w in ids
            ],
        )


def valid_ric(n: int) -> str:
    from stdnum.cn import ric

    """A resident ID with a valid birth date, place and check digit, distinct for each n."""
    d = n // 1000 % 336
    body = f"110105{1970 + n // 336_000 % 30:04d}{d // 28 + 1:02d}{d % 28 + 1:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_card(n: int) -> str:
    from stdnum import luhn

    """A 19-digit card number passing the Luhn check, distinct for each n."""
    body = f"621700{n:012d}"
    return body + luhn.calc_check_digit(body)


def punch_payload(
    site: str, device: str, worker: str, direction: str, at: datetime, seq: int | None = None
) -> tuple[str, bytes]:
    """The topic and signed bytes a gate would publish for this check-in."""
    env = Envelope(
        id=new_event_id(),
        site=site,
        device=device,
        seq=next(_seq) if seq is None else seq,
        created_at=datetime.now(at.tzinfo),
        body=AttendanceBody(worker_id=worker, direction=direction, distance=0.3, captured_at=at),  # type: ignore[arg-type]
    )
    return topics.event_topic(site, device, "attendance"), encode_event(env, SECRET)


def store_punches(
    db: Database, site: str, punches: Iterable[tuple[str, str, datetime]], device: str = "gate-1"
) -> None:
    """Store (worker, direction, local time) punches as ingest does: validated, stored, then
    the days they touch refreshed (the writer's after-store step)."""
    stored: list[StoredEvent] = []
    for worker, direction, at in punches:
        topic, payload = punch_payload(site, device, worker, direction, at)
        outcome = validate(Inbound(topic, payload), lambda _s, _d: SECRET)
        assert not hasattr(outcome, "reason"), outcome
        stored.append(outcome.stored)  # type: ignore[union-attr]
    results = db.store(stored, [], datetime.now(UTC))
    new = {r.event_id for r in results if r.inserted}
    after_ingest(db, [s for s in stored if s.event_id in new])


def stored_without_refresh(db: Database, site: str, *punches: tuple[str, str, str]) -> None:
    """(worker, direction, "YYYY-MM-DD HH:MM" Shanghai) punches committed by an ingest whose
    refresh after the commit never ran (it failed, or the process died): stored, days untouched."""
    stored = []
    for worker, direction, at in punches:
        topic, payload = punch_payload(site, "gate-1", worker, direction, local(at))
        outcome = validate(Inbound(topic, payload), lambda _s, _d: SECRET)
        assert not hasattr(outcome, "reason"), outcome
        stored.append(outcome.stored)  # type: ignore[union-attr]
    db.store(stored, [], local("2025-07-01 09:00"))


def local(text: str) -> datetime:
    """``"2025-06-09 08:00"`` in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# --- simulated gates for ingest ---

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Gate:
    """A provisioned device that signs events the way edge/outbox.py does."""

    site: str
    device: str
    secret: bytes = field(default_factory=lambda: os.urandom(32))
    seq: int = 0

    def attendance(self, worker_id: str = "W1", age: timedelta = timedelta(minutes=1)) -> Inbound:
        at = datetime.now(ZONE) - age
        body = AttendanceBody(worker_id=worker_id, direction="in", captured_at=at)
        return self._event(body, age)

    def status(self, state: str = "online") -> Inbound:
        """A signed status message (a real gate counts status in its own sequence space)."""
        at = datetime.now(ZONE)
        body = DeviceStatusBody(state=state, at=at)  # type: ignore[arg-type]
        env = Envelope(
            id=new_event_id(), site=self.site, device=self.device, seq=1, created_at=at, body=body
        )
        return Inbound(topics.status_topic(self.site, self.device), encode_event(env, self.secret))

    def dust(self, sensor: str = "pm-1") -> Inbound:
        end = datetime.now(ZONE) - timedelta(minutes=1)
        body = DustReadingBody(
            sensor=sensor,
            window="1min",
            window_start=end - timedelta(minutes=1),
            window_end=end,
            pm10=80.5,
            samples=60,
            expected_samples=60,
        )
        return self._event(body)

    def _event(
        self, body: AttendanceBody | DustReadingBody, age: timedelta = timedelta(minutes=1)
    ) -> Inbound:
        self.seq += 1
        env = Envelope(
            id=new_event_id(),
            site=self.site,
            device=self.device,
            seq=self.seq,
            created_at=datetime.now(ZONE) - age,
            body=body,
        )
        topic = topics.event_topic(self.site, self.device, body.kind)
        return Inbound(topic, encode_event(env, self.secret))

    def acks(self, published: list[tuple[str, str, bytes]]) -> list[Ack]:
        """The acks central published to this gate, verified with its secret."""
        return [
            decode_ack(payload, self.secret)
            for site, device, payload in published
            if (site, device) == (self.site, self.device)
        ]


def provision(db: Database, *gates: Gate) -> None:
    for g in gates:
        db.add_device(g.site, g.device, g.secret.hex())


def writer_for(db: Database, *gates: Gate) -> tuple[IngestWriter, list[tuple[str, str, bytes]]]:
    """A writer on ``db`` (not started: tests call ``process``) and the acks it publishes."""
    provision(db, *gates)
    published: list[tuple[str, str, bytes]] = []
    directory = DeviceDirectory(db)
    directory.reload()
    writer = IngestWriter(db, queue.Queue(), directory, lambda s, d, p: published.append((s, d, p)))
    return writer, published


class GateLink:
    """The gates' side of the broker: publishes their messages, collects central's acks."""

    def __init__(self, broker_url: str, gates: list[Gate]) -> None:
        import threading

        from wireproto.transport import BrokerAddress, new_client

        self.gates = {(g.site, g.device): g for g in gates}
        self.verdicts: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        subscribed = threading.Event()
        address = BrokerAddress.parse(broker_url)
        self.client = new_client(
            address, f"test-gates-{os.getpid()}-{id(self)}", clean_session=True
        )
        self.client.on_connect = lambda c, *_: c.subscribe(f"{topics.ROOT}/+/+/ack", qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_ack
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        assert subscribed.wait(10), "no SUBACK for the ack listener"

    def _on_ack(self, _c, _u, msg) -> None:  # type: ignore[no-untyped-def]
        parts = topics.parse_topic(msg.topic)
        assert parts is not None
        ack = decode_ack(bytes(msg.payload), self.gates[(parts.site, parts.device)].secret)
        with self._lock:
            for r in ack.acks:
                self.verdicts.setdefault(r.id, []).append(r.result)

    def publish(self, *messages: Inbound) -> None:
        """QoS 1, returning once the broker has every one (its PUBACK)."""
        infos = [self.client.publish(m.topic, m.payload, qos=1) for m in messages]
        for info in infos:
            info.wait_for_publish(30)

    def acked(self) -> dict[str, list[str]]:
        with self._lock:
            return {k: list(v) for k, v in self.verdicts.items()}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# --- a small supervised region, for the console's tests ---


@dataclass(frozen=True)
class Region:
    """Two cities' projects, as :func:`console_region` registered them."""

    nanning: str = "nn-1"  # Nanning, Xingning district (450102)
    liuzhou: str = "lz-1"  # Liuzhou, Chengzhong district (450202)
    nanning_workers: tuple[str, ...] = ("NN1", "NN2", "NN3")
    liuzhou_workers: tuple[str, ...] = ("LZ1", "LZ2")
    paid_month: str = "2025-06"


def console_region(db: Database, sealer: Sealer, workdir: Path) -> Region:
    """Two projects in two cities through the real services: workers, a June 2025 batch on the
    Nanning project computed, approved, exported and paid from a bank result file, an unpaid
    (overdue) June batch on the Liuzhou project, check-ins today on both, one gate online,
    and the arrears indicators run (open warnings)."""
    import csv

    from central.attendance import closing
    from central.payroll import bankfiles, batches
    from central.registry.divisions import ensure_loaded
    from central.warnings.indicators import scan

    ensure_loaded(db)  # the GB/T 2260 names fetched at set-up, as central loads them at start
    region = Region()
    daily = PayTerms(pay_kind="daily", rate_fen=36000)
    registered_project(db, sealer, region.nanning, dict.fromkeys(region.nanning_workers, daily))
    registered_project(
        db,
        sealer,
        region.liuzhou,
        dict.fromkeys(region.liuzhou_workers, daily),
        uscc=FOURTH_USCC,
        offset=10,
        division="450202",
    )
    june = []
    for d in range(9, 14):
        for worker in region.nanning_workers[:2]:
            june += [
                (worker, "in", local(f"2025-06-{d:02d} 08:00")),
                (worker, "out", local(f"2025-06-{d:02d} 16:00")),
            ]
    store_punches(db, region.nanning, june)
    batch_id = int(batches.compute(db, region.nanning, region.paid_month, "boss")["id"])
    closing.close(db, region.nanning, "month", region.paid_month, "boss")
    batches.approve(db, batch_id, "boss")
    bank_file = workdir / "bank.csv"
    bankfiles.export(db, sealer, batch_id, bank_file, "boss")
    rows = list(csv.DictReader(bank_file.open(encoding="utf-8-sig")))
    result = workdir / "bank-result.csv"
    result.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        + "".join(
            f"{r['line_id']},{r['card_number']},{r['amount_fen']},paid,B-{n},\n"
            for n, r in enumerate(rows)
        )
    )
    bankfiles.import_results(db, sealer, batch_id, result, "boss")
    # Liuzhou's June batch is computed and never paid: overdue, an open warning
    store_punches(
        db,
        region.liuzhou,
        [
            (region.liuzhou_workers[0], "in", local("2025-06-10 08:00")),
            (region.liuzhou_workers[0], "out", local("2025-06-10 16:00")),
        ],
    )
    batches.compute(db, region.liuzhou, region.paid_month, "boss")
    now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(seconds=5)
    store_punches(db, region.nanning, [(region.nanning_workers[0], "in", now)])
    store_punches(db, region.liuzhou, [(region.liuzhou_workers[0], "in", now)])
    online = DeviceStatusBody(state="online", outbox_depth=0, camera_ok=True, at=now)
    # stored as the ingest writer stores a gate's signed status (central/ingest/writer.py)
    db.set_device_status(
        region.nanning, "gate-1", online.model_dump_json(exclude={"kind"}), now.isoformat()
    )
    scan(db, now.date())
    return region


# --- gallery sync: one gate of one site, and face encodings that are nobody's ---

SYNC_SITE, SYNC_DEVICE = "site-u", "gate-1"
SYNC_SECRET = bytes(range(32))
_FACE_RNG = np.random.default_rng(5)


def face() -> list[float]:
    """A random 128-d encoding with a real face's norm (~0.6): distinct people, no photo."""
    v = _FACE_RNG.normal(size=128)
    return [float(x) for x in v / np.linalg.norm(v) * 0.6]


# --- the console's devices and dust pages: a fleet with statuses, and a day of dust ---


@dataclass(frozen=True)
class DustDay:
    """What :func:`console_fleet_and_dust` stored, for tests to count against."""

    nanning_pm10: tuple[float, ...]  # its 1 h means, oldest first (24 h: the GB 3095 basis)
    nanning_pm2_5: tuple[float, ...]
    alarm_value: float  # the raised PM10 alarm's value


def _signed(site: str, body: object, at: datetime, device: str = "gate-1") -> StoredEvent:
    env = Envelope(
        id=new_event_id(),
        site=site,
        device=device,
        seq=next(_seq),
        created_at=at,
        body=body,  # type: ignore[arg-type]  # a dust reading or alarm body
    )
    topic = topics.event_topic(site, device, env.kind)
    outcome = validate(Inbound(topic, encode_event(env, SECRET)), lambda _s, _d: SECRET)
    assert not hasattr(outcome, "reason"), outcome
    return outcome.stored  # type: ignore[union-attr, return-value]


def console_fleet_and_dust(db: Database, region: Region) -> DustDay:
    """On top of :func:`console_region`: the Nanning gate's full heartbeat (outbox, clock,
    software, mist cannon on), a pushed config it has not applied yet, a Liuzhou gate gone
    offline with a failed camera; 24 h of hourly and 15-minute dust means at both sites
    (signed, validated and stored as ingest stores them) and one PM10 alarm raised at Nanning
    naming its profile; Liuzhou's gates never name theirs."""
    from central.gate_commands import config_push, reports
    from wireproto import DustAlarmBody
    from wireproto.commands import RemoteSettings, SyncReport

    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0) - timedelta(minutes=1)
    heartbeat = DeviceStatusBody(
        state="online",
        software_version="1.4.2",
        outbox_depth=3,
        camera_ok=True,
        sensors={"camera.cam0": "ok", "dust0": "ok", "dust0.mist": "on"},
        clock_synced=True,
        clock_offset_ms=-42,
        at=now,
    )
    db.set_device_status(
        region.nanning, "gate-1", heartbeat.model_dump_json(exclude={"kind"}), now.isoformat()
    )
    gone = now - timedelta(hours=3)
    offline = DeviceStatusBody(state="offline", camera_ok=False, at=gone)
    db.set_device_status(
        region.liuzhou, "gate-1", offline.model_dump_json(exclude={"kind"}), gone.isoformat()
    )
    config_push.set_desired(db, region.nanning, "gate-1", RemoteSettings(debounce_s=30))
    config_push.set_desired(db, region.nanning, "gate-1", RemoteSettings(debounce_s=20))
    reports.record(
        db,
        SyncReport(
            site=region.nanning, device="gate-1", config_version=1, gallery_version=0, at=now
        ),
        datetime.now(UTC),
    )
    stored: list[StoredEvent] = []
    pm10: list[float] = []
    pm25: list[float] = []
    for site, base in ((region.nanning, 60.0), (region.liuzhou, 30.0)):
        for hour in range(23, -1, -1):  # 24 hourly windows ending at most an hour ago
            end = now - timedelta(hours=hour)
            value10, value25 = base + (23 - hour) * 4.0, base / 2 + (23 - hour)
            if site == region.nanning:
                pm10.append(value10)
                pm25.append(value25)
            stored.append(
                _signed(
                    site,
                    DustReadingBody(
                        sensor="dust0",
                        window="1h",
                        window_start=end - timedelta(hours=1),
                        window_end=end,
                        pm2_5=value25,
                        pm10=value10,
                        samples=3600,
                        expected_samples=3600,
                    ),
                    now,
                )
            )
            for quarter in range(4):
                q_end = end - timedelta(minutes=15 * quarter)
                stored.append(
                    _signed(
                        site,
                        DustReadingBody(
                            sensor="dust0",
                            window="15min",
                            window_start=q_end - timedelta(minutes=15),
                            window_end=q_end,
                            pm2_5=value25 + quarter,
                            pm10=value10 + quarter,
                            samples=900,
                            expected_samples=900,
                        ),
                        now,
                    )
                )
    alarm_value = 152.5
    stored.append(
        _signed(
            region.nanning,
            DustAlarmBody(
                state="raised",
                pollutant="pm10",
                value=alarm_value,
                limit=150.0,
                profile="gb3095-2012",
                window="24h",
                at=now - timedelta(minutes=30),
                exceedances_today=1,
            ),
            now,
        )
    )
    db.store(stored, [], datetime.now(UTC))
    return DustDay(tuple(pm10), tuple(pm25), alarm_value)


# --- the enterprise console's set-up pages: two enterprises' projects and a subcontractor ---


@dataclass(frozen=True)
class EnterpriseWorld:
    """What :func:`enterprise_world` registered (ids and usernames tests look for)."""

    project: str  # general contractor A's project; subcontractor S is registered on it
    other: str  # enterprise B's project: nothing of it may show to A, S or A's site manager
    contractor_id: int
    sub_id: int
    other_id: int
    spare_uscc: str  # an enterprise on no project yet (the subcontractor form registers it)
    gc_workers: tuple[str, ...] = ("EA1", "EA2")
    sub_workers: tuple[str, ...] = ("ES1",)
    other_workers: tuple[str, ...] = ("EB1",)
    users: tuple[str, ...] = ("gc-admin", "sub-admin", "site-mgr", "other-admin")
    turned_away: tuple[tuple[str, int], ...] = (("face_unknown", 4), ("card_refused", 1))


def _today_minus(now: datetime, back: timedelta) -> datetime:
    """``now - back``, but never before today's local midnight (a test run just after it)."""
    at = now - back
    midnight = now.replace(hour=0, minute=0, second=1, microsecond=0)
    return at if at.date() == now.date() else midnight


def enterprise_world(db: Database, sealer: Sealer, password: str) -> EnterpriseWorld:
    """General contractor A's project ``ent-a`` (gates gate-1 and gate-2, workers EA1, EA2)
    with subcontractor S registered and employing ES1; enterprise B's project ``ent-b`` (EB1);
    an enterprise on no project; check-ins today; gate statuses with today's turned-away
    counts (gate-2 behind: 50 events waiting); warnings about A's, S's and B's workers; an
    account for each of A's admin, S's admin, A's site manager on ``ent-a`` and B's admin."""
    from central.auth.users import UserIn, add_user
    from central.warnings.store import raise_warning

    daily = PayTerms(pay_kind="daily", rate_fen=30000)
    a = registered_project(
        db, sealer, "ent-a", {"EA1": daily, "EA2": daily}, gates=("gate-1", "gate-2"), offset=40
    )
    sub = subcontractor_on(db, "ent-a", uscc=THIRD_USCC)
    create_worker(
        db,
        sealer,
        WorkerIn(
            id="ES1",
            name="分包工人",
            id_number=valid_ric(50),
            card_number=valid_card(50),
            bank="中国建设银行",
        ),
    )
    add_employment(
        db,
        EmploymentIn(
            worker_id="ES1",
            project_id="ent-a",
            employer_id=sub["id"],  # type: ignore[arg-type]
            team="木工班",
            trade="木工",
            start_date=date(2025, 1, 1),
            terms=daily,
        ),
    )
    b = registered_project(
        db, sealer, "ent-b", {"EB1": daily}, uscc=FOURTH_USCC, offset=60, division="450202"
    )
    create_enterprise(db, EnterpriseIn(name="劳务分包 乙", uscc=SUB_USCC, kind="subcontractor"))
    now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(seconds=5)
    store_punches(
        db,
        "ent-a",
        [
            ("EA1", "in", _today_minus(now, timedelta(hours=2))),
            ("EA2", "in", _today_minus(now, timedelta(hours=2, minutes=30))),
            ("EA2", "out", _today_minus(now, timedelta(minutes=20))),
        ],
    )
    store_punches(db, "ent-a", [("ES1", "in", _today_minus(now, timedelta(hours=1)))], "gate-2")
    store_punches(db, "ent-b", [("EB1", "in", _today_minus(now, timedelta(hours=1)))])
    day = now.date().isoformat()
    for site, device, depth, offset, counts in (
        ("ent-a", "gate-1", 2, 12, {"face_unknown": 4, "card_refused": 1}),
        ("ent-a", "gate-2", 50, 8000, {"face_refused": 2}),
        ("ent-b", "gate-1", 0, 5, {"face_unknown": 9}),
    ):
        body = DeviceStatusBody(
            state="online",
            outbox_depth=depth,
            camera_ok=True,
            clock_offset_ms=offset,
            turned_away=counts,
            turned_away_day=day,
            at=now,
        )
        db.set_device_status(site, device, body.model_dump_json(exclude={"kind"}), now.isoformat())
    with db.begin() as conn:
        for key, project, worker in (
            ("ent-test-a", "ent-a", "EA1"),
            ("ent-test-s", "ent-a", "ES1"),
            ("ent-test-b", "ent-b", "EB1"),
        ):
            raise_warning(
                conn,
                key=key,
                kind="no_labour_contract",
                severity="medium",
                project_id=project,
                evidence={"worker": worker},
                subject=f"worker {worker} has no labour contract",
                worker_id=worker,
            )
    for username, scope in (
        ("gc-admin", {"role": "contractor_admin", "enterprise_id": a["id"]}),
        ("sub-admin", {"role": "contractor_admin", "enterprise_id": sub["id"]}),
        ("site-mgr", {"role": "site_manager", "project_id": "ent-a"}),
        ("other-admin", {"role": "contractor_admin", "enterprise_id": b["id"]}),
    ):
        add_user(db, UserIn(username=username, password=password, **scope))  # type: ignore[arg-type]
    return EnterpriseWorld(
        project="ent-a",
        other="ent-b",
        contractor_id=int(a["id"]),  # type: ignore[call-overload]
        sub_id=int(sub["id"]),  # type: ignore[call-overload]
        other_id=int(b["id"]),  # type: ignore[call-overload]
        spare_uscc=SUB_USCC,
    )


@dataclass(frozen=True)
class TwoSites:
    """Enterprise ids of ``two_sites``: site-a's general contractor, site-b's, and the
    subcontractor on site-a."""

    boss: int
    other: int
    sub: int


def two_sites(
    db: Database,
    sealer: Sealer,
    terms: PayTerms,
    sub_worker: str = "李四",
    sub_start: date = date(2025, 1, 1),
    sub_bank: str = "x",
    **sub_employment: str,
) -> TwoSites:
    """Site A (general contractor A, workers W1 and W2) and site B (contractor B, W3) on
    ``terms``, and a subcontractor on site A employing W4 (``sub_worker``) from ``sub_start``
    (paid to ``sub_bank``; team, trade in ``sub_employment``): the smallest world where
    scope by enterprise shows."""
    a = registered_project(db, sealer, "site-a", {"W1": terms, "W2": terms})
    b = registered_project(db, sealer, "site-b", {"W3": terms}, uscc=SUB_USCC, offset=10)
    sub = subcontractor_on(db, "site-a")
    create_worker(
        db,
        sealer,
        WorkerIn(
            id="W4",
            name=sub_worker,
            id_number=valid_ric(30),
            card_number=valid_card(30),
            bank=sub_bank,
        ),
    )
    add_employment(
        db,
        EmploymentIn(
            worker_id="W4",
            project_id="site-a",
            employer_id=sub["id"],  # type: ignore[arg-type]
            start_date=sub_start,
            terms=terms,
            **sub_employment,  # type: ignore[arg-type]
        ),
    )
    return TwoSites(boss=a["id"], other=b["id"], sub=sub["id"])  # type: ignore[arg-type]


def two_sites_headers(url: str, sites: TwoSites, *roles: str) -> dict[str, dict[str, str]]:
    """API headers for the ``roles`` asked for, by their short names in ``two_sites``' world:
    w1, w2, w4 (workers), manager (site A's), boss, sub, other (the enterprises' admins),
    supervisor (Nanning's Xingning district), admin."""
    from conftest import api_headers

    made = {
        "w1": lambda: api_headers(url, "worker-w1", "worker", worker_id="W1"),
        "w2": lambda: api_headers(url, "worker-w2", "worker", worker_id="W2"),
        "w4": lambda: api_headers(url, "worker-w4", "worker", worker_id="W4"),
        "manager": lambda: api_headers(url, "manager-a", "site_manager", project_id="site-a"),
        "boss": lambda: api_headers(url, "boss-a", "contractor_admin", enterprise_id=sites.boss),
        "sub": lambda: api_headers(url, "sub-a", "contractor_admin", enterprise_id=sites.sub),
        "other": lambda: api_headers(url, "boss-b", "contractor_admin", enterprise_id=sites.other),
        "supervisor": lambda: api_headers(url, "inspector", "supervisor", division_code="450102"),
        "admin": lambda: api_headers(url),
    }
    return {role: made[role]() for role in roles}
