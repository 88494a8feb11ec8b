"""Changing a worker's record: a replaced payroll card, a new phone, a corrected name.

Every change leaves a trail: a card replacement is a row of ``card_changes`` (who, why, the
old and new card masked) and an audit row ``card.replaced``; other edits are an audit row
``worker.updated`` with the fields before and after. Whole card numbers appear in neither:
the new card is sealed like any other. A replaced card is valid at once, so a batch's failed
line retried after the replacement is paid to the new card (central/payroll/bankfiles.py
reads the card at export time).
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, select

from central.audit import Actor, record
from central.clock import now_iso
from central.errors import InvalidInput, NotFound
from central.registry import staff_spans, validation
from central.registry.sealing import Sealer
from central.registry.workers import CARD_CONTEXT, PUBLIC_COLUMNS, worker
from central.storage import Database, schema
from central.validation import FreeText, Name, ShortText

Reason = Annotated[FreeText, Field(description="why, for the trail")]


class CardReplacement(BaseModel):
    """A new payroll card for a worker, with the reason (lost, bank refused, changed bank)."""

    model_config = ConfigDict(extra="forbid")

    card_number: Annotated[str, Field(description="the new payroll card, Luhn-checked")]
    bank: ShortText
    reason: Reason

    @field_validator("card_number")
    @classmethod
    def _card(cls, value: str) -> str:
        return validation.card_number(value)


class WorkerUpdate(BaseModel):
    """Fields of a worker record staff may correct; the ID number is the person and stays."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 -]{6,20}$")] | None = None
    bank: ShortText | None = None
    reason: Reason


def replace_card(
    db: Database, sealer: Sealer, worker_id: str, change: CardReplacement, actor: Actor
) -> dict[str, object]:
    """Seal the new card, mark it valid, keep the trail; returns the worker's masked view."""
    if not change.reason.strip():
        raise InvalidInput("a card replacement needs a reason")
    masked = validation.mask(change.card_number, 4, 4)
    w = schema.workers
    with db.begin() as conn:
        old = conn.execute(select(w.c.card_masked).where(w.c.id == worker_id)).first()
        if old is None:
            raise NotFound(f"worker {worker_id}")
        conn.execute(
            w.update()
            .where(w.c.id == worker_id)
            .values(
                card_sealed=sealer.seal(change.card_number.encode(), CARD_CONTEXT),
                card_hash=sealer.lookup_hash(change.card_number, CARD_CONTEXT),
                card_masked=masked,
                bank=change.bank,
                card_valid=1,
            )
        )
        staff_spans.refresh(conn, [worker_id])
        conn.execute(
            schema.card_changes.insert().values(
                worker_id=worker_id,
                old_card_masked=old.card_masked,
                new_card_masked=masked,
                bank=change.bank,
                reason=change.reason.strip(),
                by_user=actor.name,
                at=now_iso(),
            )
        )
        record(
            conn,
            actor,
            "card.replaced",
            target_kind="worker",
            target_id=worker_id,
            detail={
                "old_card": old.card_masked,
                "new_card": masked,
                "bank": change.bank,
                "reason": change.reason.strip(),
            },
        )
        return worker(conn, worker_id)


def update_worker(
    db: Database, worker_id: str, change: WorkerUpdate, actor: Actor
) -> dict[str, object]:
    """Apply the given fields; the audit row keeps each field's value before and after."""
    values = change.model_dump(exclude={"reason"}, exclude_none=True)
    if not values:
        raise InvalidInput("nothing to change: give name, phone or bank")
    w = schema.workers
    with db.begin() as conn:
        before = worker(conn, worker_id)
        conn.execute(w.update().where(w.c.id == worker_id).values(**values))
        record(
            conn,
            actor,
            "worker.updated",
            target_kind="worker",
            target_id=worker_id,
            detail={
                "reason": change.reason.strip(),
                "changes": {k: {"before": before.get(k), "after": v} for k, v in values.items()},
            },
        )
        return {k: v for k, v in worker(conn, worker_id).items() if k in PUBLIC_COLUMNS}


def card_history(conn: Connection, worker_id: str) -> list[dict[str, object]]:
    """A worker's card replacements, oldest first (masked numbers)."""
    c = schema.card_changes.c
    rows = conn.execute(select(schema.card_changes).where(c.worker_id == worker_id).order_by(c.id))
    return [dict(r._mapping) for r in rows]
