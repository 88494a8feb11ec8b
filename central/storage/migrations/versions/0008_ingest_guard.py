"""Ingest guards: sealed device secrets, collapsed dead-letter counts, held events.

Revision ID: 0008
Revises: 0007

Device secrets move from clear hex (``secret_hex``) to AES-GCM under the deployment's data
key (``secret_sealed``), bound to the device's ``site/device`` so one row's secret cannot be
copied onto another. The data key comes from ``central.storage.migrate`` (the ``sealer``
attribute, a callable so that a database without devices never needs the key).
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _context(site: str, device: str) -> str:
    """The sealing context of a device secret (``/`` never occurs in an id)."""
    return f"device_secret:{site}/{device}"


def _sealer() -> Any:
    config = op.get_context().config
    make: Callable[[], Any] | None = config.attributes.get("sealer") if config else None
    if make is None:
        raise RuntimeError(
            "converting device secrets needs the data key: run `sitegate-central db upgrade`"
        )
    return make()


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("secret_sealed", sa.LargeBinary, nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT site, device, secret_hex FROM devices")).all()
    if rows:
        sealer = _sealer()
        for site, device, secret_hex in rows:
            sealed = sealer.seal(bytes.fromhex(secret_hex), _context(site, device))
            conn.execute(
                sa.text("UPDATE devices SET secret_sealed = :s WHERE site = :site AND device = :d"),
                {"s": sealed, "site": site, "d": device},
            )
    with op.batch_alter_table("devices") as batch:
        batch.alter_column("secret_sealed", existing_type=sa.LargeBinary, nullable=False)
        batch.drop_column("secret_hex")

    op.create_table(
        "dead_letter_counts",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(64), primary_key=True),
        sa.Column("hour", sa.String(13), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("first_seen", sa.String(40), nullable=False),
        sa.Column("last_seen", sa.String(40), nullable=False),
        sa.Column("sample_topic", sa.String(256), nullable=True),
        sa.Column("sample", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_dead_letter_counts_hour", "dead_letter_counts", ["hour"])
    op.create_index("ix_dead_letters_received", "dead_letters", ["received_at"])

    op.create_table(
        "held_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(256), nullable=True),
        sa.Column("received_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_held_events_site", "held_events", ["site", "received_at"])


def downgrade() -> None:
    op.drop_table("held_events")
    op.drop_index("ix_dead_letters_received", "dead_letters")
    op.drop_table("dead_letter_counts")
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("secret_hex", sa.String(128), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT site, device, secret_sealed FROM devices")).all()
    if rows:
        sealer = _sealer()
        for site, device, sealed in rows:
            secret = sealer.open(bytes(sealed), _context(site, device))
            conn.execute(
                sa.text("UPDATE devices SET secret_hex = :h WHERE site = :site AND device = :d"),
                {"h": secret.hex(), "site": site, "d": device},
            )
    with op.batch_alter_table("devices") as batch:
        batch.alter_column("secret_hex", existing_type=sa.String(128), nullable=False)
        batch.drop_column("secret_sealed")
