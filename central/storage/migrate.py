"""Alembic, driven from code: no alembic.ini to find, the same path for `serve` and `db upgrade`."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, sealer: Callable[[], Any] | None = None) -> Config:
    """``sealer`` returns the data-key sealer, for revisions that seal existing rows."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    if sealer is not None:
        cfg.attributes["sealer"] = sealer
    return cfg


def upgrade(
    engine: Engine, revision: str = "head", sealer: Callable[[], Any] | None = None
) -> None:
    command.upgrade(alembic_config(engine, sealer), revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
