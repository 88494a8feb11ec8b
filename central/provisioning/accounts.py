"""MQTT accounts in central's database: one per device, plus service accounts (central).

Device usernames are ``<site>.<device>``; a clash (site ``a.b`` + device ``c`` against site
``a`` + device ``b.c``) is refused, never resolved silently, because the ACL is per user.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from central.provisioning.passwords import mosquitto_hash, new_password
from central.storage import Database, schema


class AccountExists(Exception):
    """That MQTT username is already taken."""


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    password_hash: str
    role: str  # "device" or "service"
    site: str | None = None
    device: str | None = None


def device_username(site: str, device: str) -> str:
    return f"{site}.{device}"


def add_device_account(db: Database, site: str, device: str) -> tuple[str, str]:
    """Create the device's broker account; returns (username, password) to give the gate."""
    username, password = device_username(site, device), new_password()
    row = Account(username, mosquitto_hash(password), "device", site, device)
    _insert(db, row)
    return username, password


def set_service_account(db: Database, username: str) -> str:
    """Create or rotate a service account (central's own): full access to ``sitegate/v1/#``."""
    password = new_password()
    with db.begin() as conn:
        existing = conn.execute(
            select(schema.mqtt_accounts.c.role).where(schema.mqtt_accounts.c.username == username)
        ).scalar()
        if existing == "device":
            raise AccountExists(f"{username} is a device account")
        conn.execute(
            delete(schema.mqtt_accounts).where(schema.mqtt_accounts.c.username == username)
        )
    _insert(db, Account(username, mosquitto_hash(password), "service"))
    return password


def _insert(db: Database, account: Account) -> None:
    try:
        with db.begin() as conn:
            conn.execute(
                schema.mqtt_accounts.insert().values(
                    username=account.username,
                    password_hash=account.password_hash,
                    role=account.role,
                    site=account.site,
                    device=account.device,
                    created_at=datetime.now(UTC).isoformat(),
                )
            )
    except IntegrityError:
        raise AccountExists(f"MQTT username {account.username!r} is taken") from None


def remove_account(db: Database, username: str) -> None:
    with db.begin() as conn:
        conn.execute(
            delete(schema.mqtt_accounts).where(schema.mqtt_accounts.c.username == username)
        )


def list_accounts(db: Database) -> list[Account]:
    c = schema.mqtt_accounts.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(c.username, c.password_hash, c.role, c.site, c.device).order_by(c.username)
        )
        return [Account(*r) for r in rows]
