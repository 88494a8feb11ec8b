"""Provisioning a gate from the console or the API, and handing its config file over once.

``sitegate-central devices add`` writes the gate's starter config (its HMAC secret and broker
password) to a file on the central machine. Staff provisioning a gate from the enterprise
console cannot reach that machine, so :func:`provision` does the same work (the broker
account, the device row with its sealed secret, the same starter config) and keeps the file,
sealed with the data key, in ``gate_handovers``. :func:`take_config_file` gives it out exactly
once: the sealed copy is erased in the same transaction that records who downloaded it and
when, and every later attempt is refused naming when it was taken (the secret is never shown
again; a lost file means provisioning the gate anew under another device id). Central keeps
the secret sealed for checking signatures and only a hash of the broker password.

Both steps are audited (``gate.provisioned``, ``gate.config_downloaded``) without secrets.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from central import audit
from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, NotFound
from central.provisioning.accounts import AccountExists, add_device_account, remove_account
from central.provisioning.gate_file import config_text, new_secret, starter_config
from central.registry.sealing import Sealer
from central.storage import Database, schema
from wireproto.topics import InvalidIdentifier, check_id
from wireproto.transport import BadBrokerUrl, BrokerAddress


def _context(site: str, device: str) -> str:
    return f"gate_config:{site}/{device}"


@dataclass(frozen=True, slots=True)
class Handover:
    """A provisioned gate's hand-over state (never the file itself)."""

    site: str
    device: str
    provisioned_by: str
    provisioned_at: str
    downloaded_by: str | None
    downloaded_at: str | None

    @property
    def waiting(self) -> bool:
        return self.downloaded_at is None


def gate_broker_url(url: str) -> str:
    """The broker address a gate is given by default: central's, without central's own user."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def check_broker_url(url: str) -> str:
    """``mqtt://host:port`` or ``mqtts://host:port``, with no user or password in it (the
    gate gets its own account); InvalidInput otherwise."""
    try:
        address = BrokerAddress.parse(url)
    except (BadBrokerUrl, ValueError):
        raise InvalidInput.of(N_("expected mqtt://host:port or mqtts://host:port")) from None
    if address.username or address.password:
        raise InvalidInput.of(
            N_("no user or password in the address: the gate gets its own account")
        )
    return url


def check_device_id(device: str) -> str:
    try:
        check_id(device)
    except InvalidIdentifier:
        raise InvalidInput.of(
            N_("letters, digits, dot, dash and underscore only (up to 64 characters)")
        ) from None
    return device


def provision(
    db: Database,
    sealer: Sealer,
    actor: audit.Actor,
    site: str,
    device: str,
    broker_url: str,
    ca_file: str | None = None,
) -> Handover:
    """Provision ``site/device`` (the caller has checked its scope on the site's project):
    Conflict when the device id is taken on the site. The config waits for its download."""
    check_device_id(device)
    check_broker_url(broker_url)
    try:
        username, password = add_device_account(db, site, device)
    except AccountExists:
        raise Conflict.of(
            N_("gate %(device)s is already provisioned on this site"), device=device
        ) from None
    secret = new_secret()
    try:
        db.add_device(site, device, secret)
    except IntegrityError:
        remove_account(db, username)
        raise Conflict.of(
            N_("gate %(device)s is already provisioned on this site"), device=device
        ) from None
    text = config_text(
        starter_config(site, device, secret, broker_url, username, password, ca_file)
    )
    now = now_iso()
    with db.begin() as conn:
        conn.execute(
            schema.gate_handovers.insert().values(
                site=site,
                device=device,
                config_sealed=sealer.seal(text.encode(), _context(site, device)),
                provisioned_by=actor.name,
                provisioned_at=now,
            )
        )
        audit.record(
            conn,
            actor,
            "gate.provisioned",
            target_kind="device",
            target_id=f"{site}/{device}",
            project_id=site,
            detail={"broker": broker_url},
        )
    return Handover(site, device, actor.name, now, None, None)


def handovers(db: Database, site: str) -> dict[str, Handover]:
    """The site's gates provisioned from the console, by device id."""
    h = schema.gate_handovers.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                h.site,
                h.device,
                h.provisioned_by,
                h.provisioned_at,
                h.downloaded_by,
                h.downloaded_at,
            ).where(h.site == site)
        )
        return {r.device: Handover(*r) for r in rows}


class AlreadyDownloaded(Conflict):
    """The config file was handed over already; its secret is not shown again."""

    code = "already_downloaded"

    def __init__(self, handover: Handover) -> None:
        super().__init__(
            f"the config file of gate {handover.device} was downloaded at "
            f"{handover.downloaded_at} by {handover.downloaded_by}; its secret is never shown "
            "again: provision the gate anew under another device id if the file was lost"
        )
        self.handover = handover


def take_config_file(
    db: Database, sealer: Sealer, actor: audit.Actor, site: str, device: str
) -> str:
    """The config file's text, once: erased as it is handed over (audited). NotFound for a
    gate not provisioned from the console; :class:`AlreadyDownloaded` the second time."""
    h = schema.gate_handovers
    now = now_iso()
    with db.begin() as conn:
        row = conn.execute(select(h).where(h.c.site == site, h.c.device == device)).first()
        if row is None:
            raise NotFound(f"gate {device} has no config file waiting")
        # erase first, conditionally: of two simultaneous downloads only one updates the row
        taken = conn.execute(
            update(h)
            .where(h.c.site == site, h.c.device == device, h.c.config_sealed.is_not(None))
            .values(config_sealed=None, downloaded_by=actor.name, downloaded_at=now)
        )
        if taken.rowcount != 1 or row.config_sealed is None:
            raise AlreadyDownloaded(
                Handover(
                    site,
                    device,
                    row.provisioned_by,
                    row.provisioned_at,
                    row.downloaded_by,
                    row.downloaded_at,
                )
            )
        text = sealer.open(bytes(row.config_sealed), _context(site, device)).decode()
        audit.record(
            conn,
            actor,
            "gate.config_downloaded",
            target_kind="device",
            target_id=f"{site}/{device}",
            project_id=site,
        )
    return text


def config_file_response(site: str, device: str, text: str) -> Response:
    """The file as a download nobody caches (the API and the console send the same)."""
    return Response(
        text.encode(),
        media_type="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="{site}-{device}.yaml"',
            "Cache-Control": "no-store",
        },
    )
