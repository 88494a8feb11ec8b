"""The one-parameter project filter (central/storage/project_scope.py) on both engines: exactly
the ids given, whatever characters they hold and however many there are, with the statement's
cached SQL reused for another set of ids."""

from sqlalchemy import func, select

from central.storage import Database, schema
from central.storage.project_scope import in_scope

AWKWARD = ['a"b', "c\\d", "e,f", "{g}", "h i", "南宁-1", "", "NULL", "j'k"]


def _months(database: Database, ids: list[str]) -> None:
    with database.begin() as conn:
        conn.execute(
            schema.paid_months.insert(),
            [{"project_id": p, "month": "2025-06", "paid_fen": 1, "lines": 1} for p in ids],
        )


def _found(database: Database, scope: set[str] | None, negate: bool = False) -> set[str]:
    pm = schema.paid_months.c
    test = in_scope(pm.project_id, scope)
    with database.engine.connect() as conn:
        return set(conn.execute(select(pm.project_id).where(~test if negate else test)).scalars())


def test_exactly_the_given_ids_whatever_their_characters(database: Database) -> None:
    plain = [f"p{n:05d}" for n in range(1, 40_001)]  # beyond SQLite's 32,766 parameters
    _months(database, AWKWARD + plain)
    everything = set(AWKWARD + plain)
    for scope in ({'a"b'}, {"c\\d", "e,f"}, {"{g}", "h i", "南宁-1"}, {""}, {"NULL", "j'k"}):
        assert _found(database, scope) == scope
        assert _found(database, scope, negate=True) == everything - scope
    assert _found(database, {"a", "b", "e", "f", "g"}) == set()
    assert _found(database, set()) == set()
    assert _found(database, None) == everything
    assert _found(database, set(plain)) == set(plain)
    with database.engine.connect() as conn:  # an aggregate over a scope, the overview's shape
        pm = schema.paid_months.c
        total = conn.execute(
            select(func.sum(pm.paid_fen)).where(in_scope(pm.project_id, set(plain[:1000])))
        ).scalar_one()
    assert total == 1000
