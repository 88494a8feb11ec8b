"""Editing a worker's record over HTTP: replacing the payroll card, correcting name, phone
or bank, and the card's history. Each change is audited (central/registry/worker_records.py).

Who may: the admin, and an enterprise admin who may see the worker's whole numbers (its
current employer or the general contractor of a project the worker works on) and keeps the
record (no other employer employs the worker outside its projects: a new card is the one
every employer's bank file pays, scope.require_record_editor); anyone else who can see the worker
gets 403, anyone who cannot, 404.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.registry import WorkerPublic
from central.audit import Actor
from central.auth.deps import CurrentUser, SealerDep, client_address
from central.auth.scope import require_record_editor, require_worker
from central.auth.users import Principal
from central.registry.worker_records import (
    CardReplacement,
    WorkerUpdate,
    card_history,
    replace_card,
    update_worker,
)
from central.storage import Database

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_responses(*AUTHENTICATED))
WorkerPath = Annotated[str, Path(min_length=1, max_length=64)]
EDIT = error_responses(403, 404)


def _may_edit(db: Database, who: Principal, worker_id: str) -> None:
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        require_record_editor(conn, who, worker_id)


def _actor(who: Principal, request: Request) -> Actor:
    return Actor(who.username, who.role.value, client_address(request))


@router.put("/workers/{worker_id}/card", response_model=WorkerPublic, responses=EDIT)
def put_card(
    worker_id: WorkerPath,
    body: CardReplacement,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    request: Request,
) -> WorkerPublic:
    """Replace the payroll card (Luhn-checked) with a reason; valid at once, so a retried
    failed line pays the new card. Audited as ``card.replaced`` with masked numbers."""
    _may_edit(db, who, worker_id)
    return WorkerPublic.model_validate(
        replace_card(db, sealer, worker_id, body, _actor(who, request))
    )


@router.patch("/workers/{worker_id}", response_model=WorkerPublic, responses=EDIT)
def patch_worker(
    worker_id: WorkerPath, body: WorkerUpdate, db: DbDep, who: CurrentUser, request: Request
) -> WorkerPublic:
    """Correct name, phone or bank, with a reason; audited as ``worker.updated``."""
    _may_edit(db, who, worker_id)
    return WorkerPublic.model_validate(update_worker(db, worker_id, body, _actor(who, request)))


class CardChange(BaseModel):
    id: int
    worker_id: str
    old_card_masked: str | None
    new_card_masked: str
    bank: str | None
    reason: str
    by_user: str
    at: str


@router.get(
    "/workers/{worker_id}/card-changes",
    response_model=list[CardChange],
    responses=error_responses(404),
)
def get_card_changes(worker_id: WorkerPath, db: DbDep, who: CurrentUser) -> list[CardChange]:
    """Every replacement of the worker's card: who, when, why (masked numbers)."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        return [CardChange.model_validate(c) for c in card_history(conn, worker_id)]
