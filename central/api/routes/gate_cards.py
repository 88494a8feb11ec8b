"""Gate cards over HTTP: register, list and remove a worker's ID/NFC cards.

Staff over the worker (their employer's admin, the site manager) register and remove cards,
scoped like every other write about a worker (central/auth/scope.py), and act for their own
employer only: a card registered by one employer opens that employer's sites, and another
employer of the same worker neither sees nor removes it (as with face consent). The worker
themselves may list their own. Numbers go in once, in a request body, and never come back:
answers and the audit log carry the masked form, and a card is removed by its id, so no
number ever appears in a URL or an access log.
"""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from central import worker_actions
from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.audit import Actor
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import consent_enterprise, require_worker
from central.auth.users import Principal, Role
from central.registry import gate_cards
from central.registry.gate_cards import CardIn, CardOut

router = APIRouter(prefix="/api/v1", tags=["gate cards"], responses=error_responses(*AUTHENTICATED))
STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


class CardChange(BaseModel):
    """A registered or removed card, and the gallery version each site's gates will reach."""

    card: CardOut
    sites: dict[str, int] = Field(description="site → its new gallery version")


def _actor(who: Principal, request: Request) -> Actor:
    return Actor(who.username, who.role.value, request.client.host if request.client else None)


@router.post(
    "/workers/{worker_id}/cards",
    status_code=201,
    response_model=CardChange,
    responses=error_responses(403, 404, 409),
)
def add_card(
    worker_id: str,
    body: CardIn,
    request: Request,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> CardChange:
    """Register an ID or NFC card to the worker; the gates of their sites take it at the next
    sync."""
    card, sites = worker_actions.add_card(
        db, sealer, who, _actor(who, request), worker_id, body, worker_actions.gates_of(service)
    )
    return CardChange(card=card, sites=sites)


@router.get(
    "/workers/{worker_id}/cards",
    response_model=list[CardOut],
    responses=error_responses(404),
)
def list_cards(worker_id: str, db: DbDep, who: CurrentUser) -> list[CardOut]:
    """The worker's cards, masked: staff see those their employer registered; the worker,
    a supervisor and the admin see all of them."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        staff = who.role in STAFF
        enterprise = consent_enterprise(conn, who, worker_id) if staff else None
        return gate_cards.cards_of(conn, worker_id, enterprise)


@router.delete(
    "/workers/{worker_id}/cards/{card_id}",
    response_model=CardChange,
    responses=error_responses(403, 404),
)
def remove_card(
    worker_id: str,
    card_id: int,
    request: Request,
    db: DbDep,
    who: CurrentUser,
    service: ServiceDep,
) -> CardChange:
    """Remove a card: it stops opening the worker's gates at their next sync."""
    card, sites = worker_actions.remove_card(
        db, who, _actor(who, request), worker_id, card_id, worker_actions.gates_of(service)
    )
    return CardChange(card=card, sites=sites)
