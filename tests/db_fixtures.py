"""Central's database on both engines: a fresh SQLite file, or a throwaway PostgreSQL database.

Registered from tests/conftest.py (``pytest_plugins``). PostgreSQL is the server on
127.0.0.1:5432 (``SITEGATE_TEST_PG`` overrides the admin URL); the suite creates one database
per session, empties its tables between tests and drops it at the end. Where no server
answers, PostgreSQL cases are skipped with the reason shown by ``-ra``.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url, text

from central.storage import Database

PG_ADMIN_URL = os.environ.get("SITEGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(Exception):
    """No PostgreSQL server answered at the admin URL."""


@contextmanager
def postgres_database(admin_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``admin_url``; drop it (sessions and all) after."""
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise PostgresUnavailable(f"{make_url(admin_url).render_as_string()}: {exc}") from None
    with admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def empty_tables(db: Database) -> None:
    """Every table the migrations made, emptied in one statement (fast on PostgreSQL)."""
    names = [n for n in inspect(db.engine).get_table_names() if n != "alembic_version"]
    if names:
        with db.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for this test session."""
    try:
        with postgres_database(PG_ADMIN_URL, f"sitegate_test_{os.getpid()}") as url:
            db = Database(url)
            db.upgrade()
            db.close()
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL not reachable ({exc})")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy (cheaper than running every migration again)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "central.db"
    db = Database(str(path))
    db.upgrade()
    db.close()
    return path


def fresh_database(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if engine == "sqlite":
        path = tmp_path / "central.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return Database(str(path))
    db = Database(request.getfixturevalue("postgres_url"))
    empty_tables(db)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on an empty SQLite file and on an empty PostgreSQL database."""
    db = fresh_database(request.param, request, tmp_path)
    yield db
    db.close()


@pytest.fixture
def own_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database for one test (migrated by whatever the test runs)."""
    name = f"sitegate_test_{os.getpid()}_{request.node.name[:30].lower()}"
    name = "".join(c if c.isalnum() else "_" for c in name)
    try:
        with postgres_database(PG_ADMIN_URL, name) as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL not reachable ({exc})")
