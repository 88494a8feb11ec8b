"""What staff do to one worker's record, each as ONE function for the API and the console.

Face consent given and withdrawn, photos enrolled, gate cards registered and removed, a
registered person linked by ID number, whole numbers revealed: each takes the caller
(:class:`Principal`) and does the scope check (central/auth/scope.py), the write, the audit
and the notice to the sites' gates, so a JSON route and a console form cannot drift apart.
Callers only translate: the API into its response models, the console into field errors.
"""

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from central.audit import Actor
from central.auth.scope import (
    consent_enterprise,
    kept_by,
    kept_records,
    may_see_whole_numbers,
    require_employer_on,
    require_worker,
    revealable,
)
from central.auth.users import Principal, Role
from central.errors import Forbidden, InvalidInput, NotFound, TooLarge
from central.registry import employment, enrollment, gate_cards, roster, workers
from central.registry.employment import LinkIn
from central.registry.gate_cards import CardIn, CardOut
from central.registry.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from central.registry.sealing import Sealer
from central.storage import Database

# ---- the sites' gates --------------------------------------------------------------------


class Galleries(enrollment.SiteGalleries, gate_cards.CardGalleries, Protocol):
    """The per-site galleries (faces and cards) the gates sync from."""


class _Commands(Protocol):
    def gallery_changed(self, site: str) -> None: ...


class _Service(Protocol):
    @property
    def gallery(self) -> Galleries: ...

    @property
    def commands(self) -> _Commands | None: ...


@dataclass(frozen=True, slots=True)
class Gates:
    """Where a change goes: the galleries, and ``changed(site)`` telling that site's gates."""

    galleries: Galleries
    changed: Callable[[str], None]


def gates_of(service: _Service) -> Gates:
    """The running service's galleries and its command channel's nudge (none in tests
    without a broker: the gates then see the change at their next poll)."""

    def changed(site: str) -> None:
        if service.commands is not None:
            service.commands.gallery_changed(site)

    return Gates(service.gallery, changed)


# ---- face consent --------------------------------------------------------------------------


def give_consent(
    db: Database, sealer: Sealer, who: Principal, worker_id: str, method: str, gates: Gates
) -> dict[str, object]:
    """Record the worker's consent to face recognition for the caller's enterprise (a site
    manager: the project's general contractor; 404 outside reach, 403 for other roles); an
    already enrolled face then reaches the sites the consent covers. Conflict when this
    employer's consent is live already."""
    with db.engine.connect() as conn:
        enterprise_id = consent_enterprise(conn, who, worker_id)
    recorded = enrollment.record_consent(
        db, worker_id, method, who.username, enterprise_id=enterprise_id
    )
    enrollment.publish_covered(db, sealer, worker_id, gates.galleries, gates.changed)
    return recorded


def withdraw_consent(
    db: Database, who: Principal, worker_id: str, gates: Gates
) -> dict[str, object]:
    """Withdraw consent: the worker (every consent of theirs) or the admin any; an employer
    only the consent given to it, so one employer cannot lock a worker out of another's site.
    The face leaves the gates no consent covers any more; with none left the templates are
    deleted. NotFound when there is no such live consent."""
    only: int | None = None
    with db.engine.connect() as conn:
        if who.role is Role.WORKER:
            require_worker(conn, who, worker_id)  # themselves only
        else:
            only = consent_enterprise(conn, who, worker_id)
    return enrollment.withdraw_consent(
        db, worker_id, who.username, gates.galleries, gates.changed, enterprise_id=only
    )


# ---- photos --------------------------------------------------------------------------------


def enroll_photos(
    db: Database,
    sealer: Sealer,
    who: Principal,
    worker_id: str,
    photos: Sequence[IO[bytes]],
    gates: Gates,
    *,
    keep_photos: bool,
) -> enrollment.Enrolled:
    """Consent, quality (the gate's own encoder), duplicate identity, then every covered
    site's gallery. At most :data:`MAX_PHOTOS` photos of :data:`MAX_PHOTO_BYTES` each (413).

    A worker's templates go to every gate a consent covers, another employer's included, so
    only the record's keepers add faces (403 otherwise: the admin does). The duplicate check
    names another worker only to a caller who may see them. Blocking: run it off the event
    loop.
    """
    with db.engine.connect() as conn:
        acting_for = consent_enterprise(conn, who, worker_id)
        if acting_for is not None and worker_id not in kept_by(conn, acting_for, [worker_id]):
            raise Forbidden(
                "this worker's face is shared with another employer's gates: "
                "the admin enrolls new photos"
            )

    def may_name(other: str) -> bool:
        with db.engine.connect() as conn:
            try:
                require_worker(conn, who, other)
            except NotFound:
                return False
            return True

    if not photos:
        raise InvalidInput("no photos")
    if len(photos) > MAX_PHOTOS:
        raise TooLarge(f"at most {MAX_PHOTOS} photos at a time")
    with tempfile.TemporaryDirectory(prefix="sitegate-enroll-") as tmp:
        paths = []
        for n, photo in enumerate(photos, 1):
            data = photo.read(MAX_PHOTO_BYTES + 1)
            if len(data) > MAX_PHOTO_BYTES:
                raise TooLarge(f"photo {n}: larger than {MAX_PHOTO_BYTES} bytes")
            path = Path(tmp) / f"photo-{n}"  # by position, never the client's file name
            path.write_bytes(data)
            paths.append(path)
        return enrollment.enroll(
            db,
            sealer,
            worker_id,
            paths,
            galleries=gates.galleries,
            changed=gates.changed,
            keep_photos=keep_photos,
            consent_of=None if acting_for is None else {acting_for},
            may_name=may_name,
        )


# ---- gate cards ----------------------------------------------------------------------------


def add_card(
    db: Database,
    sealer: Sealer,
    who: Principal,
    actor: Actor,
    worker_id: str,
    card: CardIn,
    gates: Gates,
) -> tuple[CardOut, dict[str, int]]:
    """Register an ID or NFC card for the caller's employer (the admin: for every one); the
    gates of the worker's sites take it at the next sync. Audited by the registry."""
    with db.engine.connect() as conn:
        enterprise = consent_enterprise(conn, who, worker_id)
    return gate_cards.register(
        db, sealer, worker_id, card, actor, gates.galleries, gates.changed, enterprise
    )


def remove_card(
    db: Database, who: Principal, actor: Actor, worker_id: str, card_id: int, gates: Gates
) -> tuple[CardOut, dict[str, int]]:
    """Remove a card the caller's employer registered: it stops opening the gates."""
    with db.engine.connect() as conn:
        enterprise = consent_enterprise(conn, who, worker_id)
    return gate_cards.remove(
        db, worker_id, card_id, actor, gates.galleries, gates.changed, enterprise
    )


# ---- linking a registered person -----------------------------------------------------------


class NotRegistered(NotFound):
    """No one is registered under the ID number (said only after the employer check)."""


@dataclass(frozen=True, slots=True)
class Linked:
    worker_id: str
    worker: dict[str, object]  # masked, as workers.worker
    employment: dict[str, object]


def link_by_id_number(
    db: Database,
    sealer: Sealer,
    who: Principal,
    link: LinkIn,
    gates: Gates,
    *,
    once: bool = False,
) -> Linked:
    """Employ a registered person, found by resident ID number, on a project (一人一档).

    The employer check comes first (``scope.require_employer_on``: 404 not the caller's
    project, 422 employer not on it, 403 another enterprise), so a caller who may not employ
    there learns nothing about the number; then :class:`NotRegistered`. ``once``: refuse
    (``roster.Refused`` ``employed``) when this employer employs them on the project
    already. Their consented face and their gate cards go to the site's gates.
    """
    with db.engine.connect() as conn:
        require_employer_on(conn, who, link.project_id, link.employer_id)
        worker_id = workers.by_id_number(conn, sealer, link.id_number)
        if worker_id is None:
            raise NotRegistered("no worker is registered with this ID number: register them first")
        found = workers.worker(conn, worker_id)
        if once:
            hire = roster.Hire.model_validate(link.model_dump(exclude={"id_number"}))
            if roster.employed_here(conn, worker_id, hire):
                raise roster.Refused(0, "employed", "this employer employs this person here")
    created = employment.add_employment(db, link.employment(worker_id))
    roster.publish(db, sealer, worker_id, link.project_id, gates.galleries, gates.changed)
    return Linked(worker_id, found, created)


# ---- whole numbers -------------------------------------------------------------------------


def reveal(
    db: Database,
    sealer: Sealer,
    who: Principal,
    actor: Actor,
    worker_id: str,
    reason: str | None = None,
) -> dict[str, str]:
    """The worker's whole ID number (and payroll card, to the record's keepers only), for an
    employer that employs them now; the reveal is audited (with ``reason``) before anything
    is returned. 404 outside reach; 403 for other roles or a caller who does not employ them
    now."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        if not may_see_whole_numbers(who):
            raise Forbidden("whole ID and card numbers are for payroll staff only")
        allowed = revealable(conn, who, [worker_id])
        cards = kept_records(conn, who, sorted(allowed))
    if not allowed:
        raise Forbidden("whole numbers are for an employer that employs this worker now")
    whole = workers.reveal_audited(db, sealer, actor, [worker_id], reason=reason)[worker_id]
    fields = ("id_number", "card_number") if worker_id in cards else ("id_number",)
    return {k: whole[k] for k in fields}
