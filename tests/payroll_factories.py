"""Test factories for the wage side: a registered project with workers, and punches stored
through the real ingest path (signed envelope → validate → Database.store), no hand-made rows.
"""

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from central.ingest.validate import Inbound, validate
from central.registry.employment import ContractIn, EmploymentIn, add_contract, add_employment
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.registry.sealing import Sealer
from central.registry.workers import WorkerIn, create_worker
from central.storage import Database
from central.storage.database import StoredEvent
from central.wages.rules import PayTerms
from wireproto import Envelope, encode_event, new_event_id, topics
from wireproto.messages import AttendanceBody

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = b"k" * 32
# Valid check digits: GB 11643 resident IDs, GB 32100 credit codes, Luhn cards.
CONTRACTOR_USCC = "91110000600037341L"
SUB_USCC = "91350100M000100Y43"
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
) -> dict[str, object]:
    """A general contractor, a project with gates, and one worker per entry of ``terms``."""
    terms = terms or {"W1": PayTerms(pay_kind="daily", rate_fen=36000)}
    contractor = create_enterprise(
        db, EnterpriseIn(name=f"总包 {project_id}", uscc=uscc, kind="general_contractor")
    )
    create_project(
        db, ProjectIn(id=project_id, name=f"项目 {project_id}", contractor_id=contractor["id"])
    )  # type: ignore[arg-type]
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
    """Store (worker, direction, local time) punches through the ingest validation and writer."""
    stored: list[StoredEvent] = []
    for worker, direction, at in punches:
        topic, payload = punch_payload(site, device, worker, direction, at)
        outcome = validate(Inbound(topic, payload), lambda _s, _d: SECRET)
        assert not hasattr(outcome, "reason"), outcome
        stored.append(outcome.stored)  # type: ignore[union-attr]
    db.store(stored, [], datetime.now(UTC))


def local(text: str) -> datetime:
    """``"2025-06-09 08:00"`` in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
