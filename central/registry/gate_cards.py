"""Gate cards at central: ID and NFC cards registered against a worker, carried to their gates.

A worker without face consent, or whose face the camera does not take, checks in by card.
The site office registers the card here once, instead of at every gate with ``sitegate-edge
add-card``; the gallery sync then gives each gate of each site employing the worker the card's
hash under that gate's own key (wireproto/cards.py), and a removed card stops opening them at
the next sync.

A card belongs to the employer that registered it, as a face consent does
(central/registry/enrollment.py): it opens the gates of the sites where that employer employs
the worker or is the general contractor, and only that employer (or the admin) sees it listed
or removes it. Another employer of the same worker cannot send the card to its own gates or
take it away from the first employer's.

The number is personal data (an ID card's number is the holder's resident ID): sealed at rest,
because every gate needs its own keyed hash of it; a lookup hash under central's key, so one
card belongs to one worker at most; masked to its last four characters on every answer and in
the audit log; never logged. An 18-character ID card number that is a valid resident ID must
be the worker's own: a card that checks in someone else is how a forged attendance starts.
"""

from collections.abc import Callable
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from stdnum.cn import ric

from central.audit import Actor, record
from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.registry.employment import site_employers
from central.registry.sealing import Sealer
from central.registry.workers import ID_CONTEXT
from central.storage import Database, schema
from wireproto.cards import CardError, mask, normalise
from wireproto.commands import MAX_CARDS

LOOKUP_CONTEXT = "gate_card"
CardKind = Literal["id_card", "nfc"]


def _seal_context(worker_id: str) -> str:
    return f"gate_card:{worker_id}"  # a sealed number cannot be moved to another worker's row


class CardIn(BaseModel):
    """A card to register: the number as the reader prints it (spaces and dashes ignored)."""

    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, Field(min_length=4, max_length=80, pattern=r"^[0-9A-Za-z \-:]+$")]
    kind: CardKind = Field(description="id_card: the resident ID card; nfc: a site card")


#: ``enterprise`` argument meaning "every employer's cards" (the admin, the worker themselves)
EVERY_EMPLOYER: int | None = None


class CardOut(BaseModel):
    """A registered card as anyone may see it: masked, never whole."""

    id: int
    worker_id: str
    enterprise_id: int | None = Field(description="the employer that registered it")
    kind: CardKind
    masked: str = Field(description="all but the last four characters hidden")
    added_by: str
    added_at: str


class CardGalleries(Protocol):
    """What card registration needs of the site galleries (central/gate_commands/gallery.py)."""

    def touch_worker(self, site: str, worker_id: str) -> int: ...


SiteChanged = Callable[[str], None]


def _sites(conn: Connection, worker_id: str) -> list[str]:
    return sorted(site_employers(conn, worker_id))


def _worker_id_hash(conn: Connection, worker_id: str) -> str:
    w = schema.workers.c
    found = conn.execute(select(w.id_number_hash).where(w.id == worker_id)).scalar()
    if found is None:
        raise NotFound(f"worker {worker_id}")
    return str(found)


def cards_of(
    conn: Connection, worker_id: str, enterprise: int | None = EVERY_EMPLOYER
) -> list[CardOut]:
    """The worker's cards; with ``enterprise``, only those that employer registered."""
    c = schema.worker_cards.c
    q = (
        select(c.id, c.worker_id, c.enterprise_id, c.kind, c.masked, c.added_by, c.added_at)
        .where(c.worker_id == worker_id)
        .order_by(c.id)
    )
    if enterprise is not None:
        q = q.where(c.enterprise_id == enterprise)
    return [CardOut.model_validate(dict(r._mapping)) for r in conn.execute(q)]


def _publish(
    db: Database, worker_id: str, galleries: CardGalleries, changed: SiteChanged
) -> dict[str, int]:
    with db.engine.connect() as conn:
        sites = _sites(conn, worker_id)
    versions = {}
    for site in sites:
        versions[site] = galleries.touch_worker(site, worker_id)
        changed(site)
    return versions


def register(
    db: Database,
    sealer: Sealer,
    worker_id: str,
    card: CardIn,
    actor: Actor,
    galleries: CardGalleries,
    changed: SiteChanged,
    enterprise: int | None = EVERY_EMPLOYER,
) -> tuple[CardOut, dict[str, int]]:
    """Register a card to a worker for ``enterprise`` (the acting employer; None: the admin, for
    every employer), then bring every gate of their sites up to date."""
    try:
        number = normalise(card.number)
    except CardError as exc:
        raise InvalidInput(str(exc)) from None
    lookup = sealer.lookup_hash(number, LOOKUP_CONTEXT)
    with db.begin() as conn:
        own_id = _worker_id_hash(conn, worker_id)
        own_card = sealer.lookup_hash(ric.compact(number), ID_CONTEXT) == own_id
        if card.kind == "id_card" and ric.is_valid(number) and not own_card:
            raise InvalidInput("this ID card is not the worker's own resident ID card")
        c = schema.worker_cards.c
        holder = conn.execute(select(c.worker_id).where(c.number_hash == lookup)).scalar()
        if holder == worker_id:
            raise Conflict("this card is already registered to this worker")
        if holder is not None:
            raise Conflict("this card is registered to another worker: remove it there first")
        held = len(cards_of(conn, worker_id))
        if held >= MAX_CARDS:
            raise Conflict(f"a worker holds at most {MAX_CARDS} cards: remove one first")
        values = {
            "worker_id": worker_id,
            "kind": card.kind,
            "number_sealed": sealer.seal(number.encode(), _seal_context(worker_id)),
            "number_hash": lookup,
            "masked": mask(number),
            "enterprise_id": enterprise,
            "added_by": actor.name,
            "added_at": now_iso(),
        }
        try:
            key = conn.execute(schema.worker_cards.insert().values(**values)).inserted_primary_key
        except IntegrityError:  # registered concurrently by someone else
            raise Conflict("this card is already registered") from None
        assert key is not None
        new_id = int(key[0])
        record(
            conn,
            actor,
            "gate_card.added",
            target_kind="worker",
            target_id=worker_id,
            detail={"card_id": new_id, "kind": card.kind, "card": values["masked"]},
        )
    out = CardOut(
        id=int(new_id),
        worker_id=worker_id,
        enterprise_id=enterprise,
        kind=card.kind,
        masked=str(values["masked"]),
        added_by=actor.name,
        added_at=str(values["added_at"]),
    )
    return out, _publish(db, worker_id, galleries, changed)


def remove(
    db: Database,
    worker_id: str,
    card_id: int,
    actor: Actor,
    galleries: CardGalleries,
    changed: SiteChanged,
    enterprise: int | None = EVERY_EMPLOYER,
) -> tuple[CardOut, dict[str, int]]:
    """Remove a card: deleted here, and from every gate of the worker's sites at the next sync.

    With ``enterprise``, only a card that employer registered: another employer's card is
    not found (404), so its existence is not confirmed either."""
    c = schema.worker_cards
    with db.begin() as conn:
        found = next((x for x in cards_of(conn, worker_id, enterprise) if x.id == card_id), None)
        if found is None:
            raise NotFound(f"card {card_id} of worker {worker_id}")
        conn.execute(c.delete().where(c.c.id == card_id))
        record(
            conn,
            actor,
            "gate_card.removed",
            target_kind="worker",
            target_id=worker_id,
            detail={"card_id": card_id, "kind": found.kind, "card": found.masked},
        )
    return found, _publish(db, worker_id, galleries, changed)


def publish_to_site(
    db: Database, worker_id: str, site: str, galleries: CardGalleries, changed: SiteChanged
) -> int | None:
    """A worker employed at another site: their cards go to its gates too (None: no cards)."""
    with db.engine.connect() as conn:
        if not cards_of(conn, worker_id):
            return None
    version = galleries.touch_worker(site, worker_id)
    changed(site)
    return version


def numbers_at_site(
    conn: Connection, sealer: Sealer, site: str, worker_ids: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """(number, masked) of each listed worker's cards, for the workers employed at ``site``.

    Whole numbers leave this function only as keyed hashes for one gate
    (central/gate_commands/gallery.py); a worker not employed at the site gets no cards there.
    """
    out: dict[str, list[tuple[str, str]]] = {w: [] for w in worker_ids}
    if not worker_ids:
        return out
    e, p, c = schema.employments.c, schema.projects.c, schema.worker_cards.c
    contractor = conn.execute(select(p.contractor_id).where(p.id == site)).scalar()
    employers: dict[str, set[int]] = {}
    for worker, employer in conn.execute(
        select(e.worker_id, e.employer_id).where(e.project_id == site, e.worker_id.in_(worker_ids))
    ):
        employers.setdefault(worker, {contractor} if contractor is not None else set()).add(
            employer
        )
    rows = conn.execute(
        select(c.worker_id, c.enterprise_id, c.number_sealed, c.masked)
        .where(c.worker_id.in_(list(employers)))
        .order_by(c.id)
    )
    for r in rows:
        if r.enterprise_id is not None and r.enterprise_id not in employers[r.worker_id]:
            continue  # another employer's card: it opens that employer's sites only
        number = sealer.open(r.number_sealed, _seal_context(r.worker_id)).decode()
        out[r.worker_id].append((number, r.masked))
    return out
