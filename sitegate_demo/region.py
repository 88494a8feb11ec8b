"""A realistic small Guangxi region for the demo's console, seeded through the real services.

Three cities of Guangxi (districts and a county), five projects (general contractors and a
subcontractor), a few hundred workers with valid resident IDs and payroll cards, 60 to 91 days
of signed attendance stored as ingest stores it, paid and overdue payroll batches (one bank line
failed), gates online and one silent, a dust exceedance, and one login per role. It all goes
through the registry, payroll, warnings and ingest functions, so the console shows what a real
deployment would, and a change of rules shows up here too.
"""

import csv
import itertools
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from stdnum import luhn
from stdnum.cn import ric

from central.attendance import closing
from central.auth.users import Role, UserIn, add_user
from central.ingest.validate import Inbound, validate
from central.payroll import bankfiles, batches
from central.registry.divisions import ensure_loaded
from central.registry.employment import ContractIn, EmploymentIn, add_contract, add_employment
from central.registry.organisations import (
    EnterpriseIn,
    ProjectEnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
    register_on_project,
)
from central.registry.sealing import Sealer, sealer_for
from central.registry.workers import WorkerIn, create_worker
from central.storage import Database
from central.storage.database import StoredEvent
from central.wages.holidays import DayKind, official_kind
from central.wages.rules import PayTerms
from central.warnings import devices as device_warnings
from central.warnings.indicators import scan
from central.warnings.late_attendance import after_ingest
from wireproto import (
    AttendanceBody,
    DeviceStatusBody,
    DustAlarmBody,
    DustReadingBody,
    Envelope,
    encode_event,
    new_event_id,
    topics,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SILENT_GATE = ("gl-xiufeng-hospital", "gate-2")
DUST_SITE = "gl-yangshuo-road"


@dataclass(frozen=True)
class Company:
    key: str
    name: str
    uscc: str  # GB 32100 credit code with a valid check character
    kind: str


COMPANIES = (
    Company(
        "gc-jian", "广西建工第一建筑工程集团有限公司", "91450100MA5K00001E", "general_contractor"
    ),
    Company("gc-liu", "柳州城建集团有限公司", "91450200MA5K00002N", "general_contractor"),
    Company("gc-gui", "桂林路桥建设有限公司", "91110000600037341L", "general_contractor"),
    Company("sub-steel", "南宁钢构劳务分包有限公司", "91350100M000100Y43", "subcontractor"),
)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    division: str  # GB/T 2260 county code
    contractor: str
    workers: int
    sub_workers: int  # of which employed by the subcontractor
    gates: tuple[str, ...]
    paid: bool  # the closed month's batch paid through the bank (else overdue)


ONE, TWO = ("gate-1",), ("gate-1", "gate-2")
SITES = (
    Site("nn-qingxiu-tower", "青秀区五象综合楼", "450103", "gc-jian", 70, 30, TWO, True),
    Site("nn-xingning-school", "兴宁区第三小学", "450102", "gc-jian", 50, 0, ONE, True),
    Site("lz-chengzhong-bridge", "城中区柳江大桥", "450202", "gc-liu", 60, 0, ONE, False),
    Site("gl-xiufeng-hospital", "秀峰区人民医院", "450302", "gc-gui", 50, 0, TWO, True),
    Site(DUST_SITE, "阳朔县景区公路", "450321", "gc-gui", 30, 0, ONE, True),
)  # fmt: skip


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str  # demo only: passes the staff password policy, printed for the reader
    scope: str


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗韦覃蒙莫廖黎"
GIVEN = "伟强磊军勇杰涛明超华平刚辉建国志海斌宏春林文荣德福新永"
TRADES = ("钢筋工", "木工", "混凝土工", "架子工", "电工", "焊工", "泥瓦工")


def _ric(division: str, n: int) -> str:
    born = date(1984, 1, 1) + timedelta(days=(n * 97) % 7300)  # places named since 1983
    body = f"{division}{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _card(n: int) -> str:
    body = f"621226{n:012d}"
    return body + luhn.calc_check_digit(body)


def _signed(site: str, device: str, seq: int, body: object, secret: bytes) -> StoredEvent:
    env = Envelope(
        id=new_event_id(),
        site=site,
        device=device,
        seq=seq,
        created_at=datetime.now(SHANGHAI),
        body=body,
    )
    topic = topics.event_topic(site, device, env.kind)
    outcome = validate(Inbound(topic, encode_event(env, secret)), lambda _s, _d: secret)
    if hasattr(outcome, "reason"):
        raise SystemExit(f"demo: seeded event refused by ingest: {outcome}")
    return outcome.stored  # type: ignore[return-value]


def _status(db: Database, site: str, device: str, at: datetime, online: bool = True) -> None:
    state = "online" if online else "offline"  # offline: the broker's last will for the gate
    body = DeviceStatusBody(state=state, outbox_depth=0, camera_ok=online, at=at)
    # stored as the ingest writer stores a gate's signed status
    db.set_device_status(site, device, body.model_dump_json(exclude={"kind"}), at.isoformat())


def _register(db: Database, sealer: Sealer, today: date) -> tuple[dict[str, int], dict[str, bytes]]:
    """Enterprises, projects, gates and workers (sealed IDs, contracts, pay terms) through the
    registry; returns the enterprises' ids and each site's gate signing key."""
    enterprise = {
        c.key: cast(
            int,
            create_enterprise(db, EnterpriseIn(name=c.name, uscc=c.uscc, kind=c.kind))["id"],
        )
        for c in COMPANIES
    }
    rng = random.Random(13)
    start = _first_of(today, 3)
    counter = itertools.count(1)
    keys: dict[str, bytes] = {}
    for site in SITES:
        contractor = enterprise[site.contractor]
        create_project(
            db,
            ProjectIn(
                id=site.id, name=site.name, contractor_id=contractor, division_code=site.division
            ),
        )
        if site.sub_workers:
            register_on_project(
                db,
                site.id,
                ProjectEnterpriseIn(enterprise_id=enterprise["sub-steel"], role="subcontractor"),
                "demo",
            )
        keys[site.id] = secrets.token_bytes(32)  # the site's gates share one signing key
        for gate in site.gates:
            db.add_device(site.id, gate, keys[site.id].hex())
        for i in range(site.workers):
            n = next(counter)
            worker_id = f"GX{n:04d}"
            employer = enterprise["sub-steel"] if i < site.sub_workers else contractor
            daily = rng.random() < 0.6
            terms = (
                PayTerms(pay_kind="daily", rate_fen=rng.choice((22000, 25000, 28000, 32000)))
                if daily
                else PayTerms(pay_kind="hourly", rate_fen=rng.choice((2800, 3200, 3600)))
            )
            create_worker(
                db,
                sealer,
                WorkerIn(
                    id=worker_id,
                    name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
                    id_number=_ric(site.division, n),
                    card_number=_card(n),
                    bank=rng.choice(("中国工商银行", "中国农业银行", "广西农村信用社")),
                ),
            )
            add_employment(
                db,
                EmploymentIn(
                    worker_id=worker_id,
                    project_id=site.id,
                    employer_id=employer,
                    team=f"{i // 10 + 1}班",
                    trade=rng.choice(TRADES),
                    start_date=start,
                    terms=terms,
                ),
            )
            add_contract(
                db,
                ContractIn(
                    worker_id=worker_id,
                    employer_id=employer,
                    project_id=site.id,
                    signed_on=start,
                    document_text=f"劳动合同 {worker_id} {site.name}",
                ),
            )
    return enterprise, keys


def _attendance(db: Database, keys: dict[str, bytes], today: date, now: datetime) -> None:
    """Check-ins since the first of the month before last (60 to 91 days), signed with each
    site's gate key and stored as the ingest writer stores them (validated, stored, the
    touched days refreshed)."""
    from sqlalchemy import select

    from central.storage import schema

    rng = random.Random(60)
    e = schema.employments.c
    with db.engine.connect() as conn:
        staff = conn.execute(select(e.project_id, e.worker_id)).all()
    for site in SITES:
        secret = keys[site.id]
        workers = [w for p, w in staff if p == site.id]
        seq = itertools.count(1)
        stored: list[StoredEvent] = []
        gate = site.gates[0]
        for back in range((today - _first_of(today, 2)).days, -1, -1):
            day = today - timedelta(days=back)
            kind = official_kind(day)
            if kind is DayKind.HOLIDAY:
                continue  # the site stands still on statutory holidays
            for worker in workers:
                if rng.random() < (0.08 if kind is DayKind.WORKDAY else 0.85):
                    continue  # absent, or resting on a rest day
                arrive = datetime.combine(day, time(7, 30), SHANGHAI) + timedelta(
                    minutes=rng.randint(0, 60)
                )
                punches = [("in", arrive)]
                leave = arrive + timedelta(
                    hours=rng.choice((8, 8, 8, 9)), minutes=rng.randint(0, 20)
                )
                if back == 0:
                    if arrive > now:
                        continue
                elif leave < now:
                    punches.append(("out", leave))
                for direction, at in punches:
                    body = AttendanceBody(
                        worker_id=worker,
                        direction=direction,
                        distance=0.31,
                        captured_at=at,
                    )
                    stored.append(_signed(site.id, gate, next(seq), body, secret))
        results = db.store(stored, [], datetime.now(UTC))
        new = {r.event_id for r in results if r.inserted}
        after_ingest(db, [s for s in stored if s.event_id in new])


def _first_of(today: date, months_back: int) -> date:
    """The first day of the month ``months_back`` before today's."""
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _payroll(db: Database, sealer: Sealer, today: date, workdir: Path) -> None:
    """The last two months' batches of each project: computed, closed, approved, exported to
    the bank and paid from its result file (last month, one line refused by the bank); the
    unpaid project's batches are computed and left unpaid (the older one always past due)."""
    for back in (2, 1):
        _pay_month(db, sealer, f"{_first_of(today, back):%Y-%m}", workdir, fail_one=back == 1)


def _pay_month(db: Database, sealer: Sealer, month: str, workdir: Path, fail_one: bool) -> None:
    failed_one = not fail_one
    for site in SITES:
        batch_id = int(batches.compute(db, site.id, month, "demo")["id"])  # type: ignore[call-overload]
        if not site.paid:
            continue
        closing.close(db, site.id, "month", month, "demo")
        batches.approve(db, batch_id, "demo")
        bank_file = workdir / f"bank-{site.id}-{month}.csv"
        bankfiles.export(db, sealer, batch_id, bank_file, "demo")
        with bank_file.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        result = workdir / f"bank-result-{site.id}-{month}.csv"
        lines = ["line_id,card_number,amount_fen,status,bank_ref,message"]
        for n, r in enumerate(rows):
            if not failed_one:
                failed_one = True
                lines.append(
                    f"{r['line_id']},{r['card_number']},{r['amount_fen']},failed,,账户已冻结"
                )
            else:
                lines.append(
                    f"{r['line_id']},{r['card_number']},{r['amount_fen']},paid,B{batch_id}-{n},"
                )
        result.write_text("\n".join(lines) + "\n", encoding="utf-8")
        bankfiles.import_results(db, sealer, batch_id, result, "demo")
        bank_file.unlink()  # it held card numbers in clear: the bank has it now
        result.unlink()


def _heartbeats(db: Database, now: datetime) -> None:
    """Every gate's signed status now: each has delivered everything past last month, so that
    month closes (the silent gate goes silent afterwards, :func:`_gate_lost`; were it silent
    first, last month could not close in the first four hours of a month)."""
    for site in SITES:
        for gate in site.gates:
            _status(db, site.id, gate, now)


def _gate_lost(db: Database, now: datetime) -> None:
    """The silent gate's last words: online four hours ago, then the broker's offline will
    three hours ago."""
    _status(db, *SILENT_GATE, now - timedelta(hours=4))
    _status(db, *SILENT_GATE, now - timedelta(hours=3), online=False)


def _dust(db: Database, keys: dict[str, bytes], now: datetime) -> None:
    """A day of hourly dust means at the Yangshuo road site climbing over the GB 3095 PM10
    limit, and the alarm it raised."""
    stored: list[StoredEvent] = []
    seq = itertools.count(1_000_000)
    secret = keys[DUST_SITE]
    for hour in range(23, -1, -1):
        end = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hour)
        pm10 = 70.0 + (23 - hour) * 5.0
        reading = DustReadingBody(
            sensor="dust0",
            window="1h",
            window_start=end - timedelta(hours=1),
            window_end=end,
            pm2_5=pm10 / 2,
            pm10=pm10,
            samples=3600,
            expected_samples=3600,
        )
        stored.append(_signed(DUST_SITE, "gate-1", next(seq), reading, secret))
    alarm = DustAlarmBody(
        state="raised",
        pollutant="pm10",
        value=163.5,
        limit=150.0,
        profile="gb3095-2012",
        window="24h",
        at=now - timedelta(minutes=20),
        exceedances_today=1,
    )
    stored.append(_signed(DUST_SITE, "gate-1", next(seq), alarm, secret))
    db.store(stored, [], datetime.now(UTC))


LOGINS = (
    Login("province supervisor", "gx-province", "Bagui-Inspect-7314", "division 450000 (Guangxi)"),
    Login("city supervisor", "nanning-city", "Yong-River-Check-2958", "division 450100 (Nanning)"),
    Login("contractor admin", "jian-admin", "Red-Bricks-Pay-6620", COMPANIES[0].name),
    Login("subcontractor admin", "steel-admin", "Rebar-Crew-Ledger-4471", COMPANIES[3].name),
    Login("site manager", "qingxiu-manager", "Tower-Gate-Close-8105", SITES[0].name),
    Login("worker", "worker-gx0001", "My-Own-Wages-5392", "worker GX0001"),
)


def _accounts(db: Database, enterprise: dict[str, int]) -> None:
    """One account per role, made as ``sitegate-central users add`` makes them (the policy
    checked, the creation audited)."""
    scopes: list[dict[str, object]] = [
        {"role": Role.SUPERVISOR, "division_code": "450000"},
        {"role": Role.SUPERVISOR, "division_code": "450100"},
        {"role": Role.CONTRACTOR_ADMIN, "enterprise_id": enterprise["gc-jian"]},
        {"role": Role.CONTRACTOR_ADMIN, "enterprise_id": enterprise["sub-steel"]},
        {"role": Role.SITE_MANAGER, "project_id": SITES[0].id},
        {"role": Role.WORKER, "worker_id": "GX0001"},
    ]
    for login, scope in zip(LOGINS, scopes, strict=True):
        add_user(db, UserIn(username=login.username, password=login.password, **scope))


def seeded(db: Database) -> bool:
    """Whether the region is there already (the seed runs once per database)."""
    from sqlalchemy import select

    from central.storage import schema

    p = schema.projects.c
    with db.engine.connect() as conn:
        return conn.execute(select(p.id).where(p.id == SITES[0].id)).first() is not None


def seed(
    db_path: Path,
    gate_silent_after: timedelta = timedelta(minutes=30),
    now: datetime | None = None,
) -> bool:
    """Seed the region into central's database at ``db_path`` (its sealing key beside it);
    False when it was seeded before, so a re-run changes nothing. ``now``: the moment the
    region is seeded at (tests pin it; the demo seeds the present)."""
    db = Database(str(db_path))
    db.upgrade()
    ensure_loaded(db)  # 南宁市, 兴宁区 …: the division names fetched at set-up
    if seeded(db):
        return False
    sealer = sealer_for(str(db_path))
    if now is None:
        now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(seconds=5)
    today = now.date()
    enterprise, keys = _register(db, sealer, today)
    _attendance(db, keys, today, now)
    _heartbeats(db, now)
    _payroll(db, sealer, today, db_path.parent)
    _gate_lost(db, now)
    _dust(db, keys, now)
    _accounts(db, enterprise)
    scan(db, today)
    device_warnings.watch(db, now, gate_silent_after)
    return True


def describe(base: str, admin: tuple[str, str]) -> str:
    """The console's address and one login per role, for the demo's closing words."""
    rows = [("admin", *admin, "everything")]
    rows += [(x.role, x.username, x.password, x.scope) for x in LOGINS]
    text = [
        f"\nweb console: {base}/console/login  (demo-only passwords; the worker lands on the"
        f" phone pages, {base}/worker/today)"
    ]
    text += [f"  {role:20} {user:16} {password:24} {scope}" for role, user, password, scope in rows]
    return "\n".join(text)
