"""``column`` is one of the caller's projects, as ONE bound parameter whatever their number.

A province supervisor's scope is every project of the province (central/auth/scope.py hands
over the ids). Written as ``IN (:p1, …, :p1000)`` each statement binds, sends and plans a
thousand parameters: about 15 ms a statement on PostgreSQL, a quarter of the overview's time
over its dozen statements, and past a limit the engine refuses the statement (PostgreSQL's
protocol carries 65,535 parameters; SQLite binds 32,766 as built by default, 250,000 as
Debian builds it): every list a province supervisor opened answered 500. Bound once instead, as
an array on PostgreSQL (``= ANY(:ids)``, which the server hashes) and as a JSON list on
SQLite (``IN (SELECT value FROM json_each(:ids))``). The statement stays
cacheable: the ids are a bound value, never part of the SQL text.
"""

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Dialect, String, bindparam, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator


class _Ids(TypeDecorator[list[str]]):
    """A list of ids bound as one value: a ``VARCHAR[]`` on PostgreSQL, a JSON array elsewhere.

    On PostgreSQL the array must arrive typed (the driver adapts the list), never as text cast
    in the SQL: the planner turns a typed parameter into a constant and hashes ``= ANY`` over
    it, while a cast from text is evaluated at run time and compared element by element (a
    40,000-project scope over as many rows: minutes instead of milliseconds).
    """

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(String()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        ids = list(value or [])
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _AmongIds(ColumnElement[bool]):
    """``column`` among the ids of one bound parameter (compiled per engine below)."""

    __visit_name__ = "among_ids"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012  # SQLAlchemy reads it off the class, as its own do
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[str], ids: list[str]) -> None:
        self.column = column
        self.ids: BindParameter[list[str]] = bindparam(
            "project_ids", ids, type_=_Ids(), unique=True
        )

    @property
    def _from_objects(self) -> list[Any]:  # the column's table joins the statement's FROM
        return self.column._from_objects


@compiles(_AmongIds)
def _json_list(element: _AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, **kw)
    return f"({column} IN (SELECT value FROM json_each({ids})))"


@compiles(_AmongIds, "postgresql")
def _array(element: _AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"({column} = ANY({compiler.process(element.ids, **kw)}))"


def in_scope(column: ColumnElement[str], projects: Collection[str] | None) -> ColumnElement[bool]:
    """``column`` names one of ``projects`` (None: every project, no condition at all)."""
    if projects is None:
        return true()
    return _AmongIds(column, sorted(projects))
