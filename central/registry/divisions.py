"""GB/T 2260 division names: the ``divisions`` table and the lookups pages and exports use.

Projects and supervisors carry six-digit division codes (450102); people read names (兴宁区,
南宁市). The table is filled from the dataset fetched at set-up
(central/registry/division_source.py): at start when it is empty (:func:`ensure_loaded`),
or on demand (``sitegate-central divisions load``), or one division at a time through the
API (:func:`put_division`, ``PUT /api/v1/divisions/{code}``, the admin), e.g. a county
created after the dataset's release. A code with no row is still shown, as its code.

:func:`name_of` is the SQL expression a report puts beside a code column (a correlated
lookup, so a list can sort and export by it); :func:`names` the lookup for rows already read.
"""

import logging
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from central import audit
from central.errors import InvalidInput
from central.registry.division_names import english_name
from central.registry.division_source import FILE, Row, read
from central.storage import Database, schema

log = logging.getLogger(__name__)

#: What a division's name may hold: Chinese characters, Latin letters, spaces.
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z ]{0,99}$")

Level = Literal["province", "city", "county"]


class Division(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")
    name: str
    name_en: str
    level: Level
    parent: str | None


class DivisionIn(BaseModel):
    """A division entered by hand: its Chinese name; the English name defaults to pinyin."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f<>]+$")
    name_en: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f<>]+$")


def level_of(code: str) -> Level:
    """``450000`` province, ``450100`` city, anything else a county."""
    if len(code) != 6 or not code.isdigit() or code[:2] == "00":
        raise InvalidInput(f"division code {code[:12]!r} must be six digits such as 450102")
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == "province":
        return None
    return code[:2] + "0000" if level == "city" else code[:4] + "00"


def load(conn: Connection, rows: Iterable[Row]) -> int:
    """Insert or replace ``rows``; returns how many were written."""
    t = schema.divisions
    by_code = {  # one row per code: a repeated code (a city that is its own county) once
        c: {"code": c, "name": n[:100], "name_en": e[:200], "level": lv, "parent": p}
        for c, n, e, lv, p in reversed(list(rows))
    }
    values = list(by_code.values())
    if not values:
        return 0
    codes = [v["code"] for v in values]
    for start in range(0, len(codes), 500):  # a bounded IN list on either database
        conn.execute(t.delete().where(t.c.code.in_(codes[start : start + 500])))
    conn.execute(t.insert(), values)
    return len(values)


def load_file(db: Database, path: Path = FILE) -> int:
    """(Re)load every division of the set-up file (FileNotFoundError when it was not fetched)."""
    rows = read(path)
    with db.begin() as conn:
        return load(conn, rows)


def ensure_loaded(db: Database, path: Path = FILE) -> int:
    """At start: load the set-up file when the table is empty; 0 when not needed or possible
    (pages then show codes, and the log says how to fix it)."""
    with db.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(schema.divisions)).scalar_one():
            return 0
    try:
        loaded = load_file(db, path)
    except IntegrityError:  # another instance starting at the same moment loaded it first
        return 0
    except FileNotFoundError:
        log.warning(
            "no division names: run ./dev setup (python -m central.registry.division_source) "
            "then sitegate-central divisions load; pages show division codes until then"
        )
        return 0
    log.info("loaded %d division names from %s", loaded, path)
    return loaded


def put_division(conn: Connection, actor: audit.Actor, code: str, data: DivisionIn) -> Division:
    """Enter or rename one division (audited); its level and parent follow from the code."""
    level, parent = level_of(code), parent_of(code)
    division = Division(
        code=code,
        name=data.name.strip(),
        name_en=(data.name_en or "").strip() or english_name(data.name),
        level=level,
        parent=parent,
    )
    load(conn, [(code, division.name, division.name_en, level, parent)])
    audit.record(
        conn,
        actor,
        "division.entered",
        target_kind="division",
        target_id=code,
        detail={"name": division.name, "name_en": division.name_en},
    )
    return division


def divisions(
    conn: Connection, *, parent: str | None = None, codes: Collection[str] | None = None
) -> list[Division]:
    """Divisions by code: the children of ``parent`` (provinces when neither is given), or
    the ``codes`` asked for."""
    d = schema.divisions.c
    q = select(schema.divisions).order_by(d.code)
    if codes is not None:
        q = q.where(d.code.in_(sorted(set(codes))[:1000]))
    elif parent is not None:
        q = q.where(d.parent == parent)
    else:
        q = q.where(d.level == "province")
    return [Division.model_validate(r._mapping) for r in conn.execute(q)]


def names(conn: Connection, codes: Iterable[str | None], english: bool = False) -> dict[str, str]:
    """code → name (or English name) for the ``codes`` that have one."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    d = schema.divisions.c
    column = d.name_en if english else d.name
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            {r[0]: r[1] for r in conn.execute(select(d.code, column).where(d.code.in_(chunk)))}
        )
    return out


def name_of(code: ColumnElement[str] | ColumnElement[str | None]) -> ColumnElement[str]:
    """SQL: the Chinese name of the division ``code`` (NULL when unknown), for a SELECT that a
    page sorts and exports; :func:`english_names` swaps in the English names after reading."""
    d = schema.divisions.c
    return select(d.name).where(d.code == code).scalar_subquery().cast(String)


def english_names(
    conn: Connection, rows: list[dict[str, object]], pairs: Iterable[tuple[str, str]]
) -> None:
    """For English readers: each ``(name_key, code_key)`` name in ``rows`` replaced by the
    division's English name (rows read with :func:`name_of` columns)."""
    pairs = list(pairs)
    lookup = names(conn, (str(r.get(code) or "") for r in rows for _n, code in pairs), True)
    for r in rows:
        for name_key, code_key in pairs:
            code = r.get(code_key)
            if isinstance(code, str) and code in lookup:
                r[name_key] = lookup[code]


def city_code(code: ColumnElement[Any]) -> ColumnElement[str]:
    """SQL: the city of a county or city code (``450102`` → ``450100``); NULL stays NULL.
    Literal positions, not bound parameters: PostgreSQL must see the same expression in a
    SELECT and its GROUP BY."""
    return case(
        (
            code.is_not(None),
            func.substr(code, literal_column("1"), literal_column("4")) + literal("00"),
        ),
        else_=None,
    )


def in_city(code: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """A list's city filter: ``value`` a six-digit city code (450100) or a city's name in
    Chinese or English (南宁市, Nanning City); an unknown name selects nothing."""
    value = value.strip()
    if value.isdigit() and len(value) == 6 and value.endswith("00") and not value.endswith("0000"):
        return code.startswith(value[:4])
    if not _NAME.match(value):
        raise InvalidInput("city must be a city's name or its six-digit code such as 450100")
    d = schema.divisions.c
    cities = select(func.substr(d.code, literal_column("1"), literal_column("4"))).where(
        d.level == "city", or_(d.name == value, func.lower(d.name_en) == value.lower())
    )
    return func.substr(code, literal_column("1"), literal_column("4")).in_(cities)
