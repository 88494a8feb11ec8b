"""The one table component: server-side paging, whitelisted sorting, filters, xlsx export.

A list page declares a :class:`TableSpec` (its columns and filters) and hands a SELECT, already
cut to the caller's scope by a service function, to :func:`page`; the same spec and SELECT give
the page's JSON twin (``<page>.json``) and its export (``<page>.xlsx``) through
:func:`all_rows`, so what a page shows, what its JSON says and what its export holds are the
same rows. The query string is the whole state (``?page=2&size=50&sort=name&desc=1&status=…``),
so every view is a link that can be bookmarked, and every page works without JavaScript.

Only whitelisted columns sort and only declared filters filter; anything else is a 422 (a
clear error, never a 500, never SQL built from input). Exports put every text cell in the
file as text (central/spreadsheets.py), so a worker's name cannot become a formula.
"""

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from sqlalchemy import ColumnElement, Connection, Select, func, select

from central.errors import InvalidInput
from central.spreadsheets import xlsx_row

PAGE_SIZES = (20, 50, 100)
MAX_PAGE = 100_000
EXPORT_LIMIT = 50_000  # rows in one export: a whole province's list, not an unbounded dump
MAX_FILTER_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the label of the SELECT's column
    label: str  # msgid
    sortable: bool = True
    kind: Literal["text", "int", "fen", "date"] = "text"
    labels: tuple[tuple[str, str], ...] = ()  # stored value → msgid shown (e.g. a status)
    # a drill-down link: a path with ``{column}`` placeholders filled from the row (quoted),
    # e.g. ``/console/payroll/{id}``; a row missing a placeholder's value gets no link
    link: str = ""

    def label_of(self, value: object) -> str | None:
        """The msgid shown for a coded value (translated by the template); None if unknown."""
        return next((label for v, label in self.labels if v == value), None)

    def href(self, row: Mapping[str, Any]) -> str | None:
        """The cell's drill-down link for ``row``, every value URL-quoted; None without one."""
        if not self.link:
            return None
        from string import Formatter
        from urllib.parse import quote

        values: dict[str, str] = {}
        for _text, key, _spec, _conv in Formatter().parse(self.link):
            if key is None:
                continue
            if row.get(key) is None:
                return None
            values[key] = quote(str(row[key]), safe="")
        return self.link.format(**values)


@dataclass(frozen=True, slots=True)
class Filter:
    key: str  # the query-string parameter
    label: str  # msgid
    column: ColumnElement[Any] | None = None
    match: Literal["equals", "contains"] = "equals"
    choices: tuple[tuple[str, str], ...] = ()  # (value, msgid or plain text); empty: free text
    # a WHERE clause for the value, when the filter is not a plain comparison of one column
    clause: Callable[[str], ColumnElement[bool]] | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str  # the sheet's name in exports
    columns: tuple[Column, ...]
    default_sort: str
    filters: tuple[Filter, ...] = ()
    default_desc: bool = False

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True, slots=True)
class TableState:
    """What the query string asked for, validated against the spec."""

    page: int
    size: int
    sort: str
    desc: bool
    filters: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: object) -> str:
        """This state as a query string, with ``changes`` (for paging and sorting links)."""
        from urllib.parse import urlencode

        values: dict[str, object] = {
            "page": self.page,
            "size": self.size,
            "sort": self.sort,
            "desc": int(self.desc),
            **self.filters,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass(frozen=True, slots=True)
class TablePage:
    spec: TableSpec
    state: TableState
    rows: list[dict[str, Any]]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.state.size))


def _int(params: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = params.get(key)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{key} must be a whole number from {low} to {high}")
    return int(raw)


def state_from(spec: TableSpec, params: Mapping[str, str]) -> TableState:
    """Validate a query string against ``spec`` (422 on anything it does not declare)."""
    size = _int(params, "size", PAGE_SIZES[0], 1, max(PAGE_SIZES))
    if size not in PAGE_SIZES:
        raise InvalidInput(f"size must be one of {PAGE_SIZES}")
    sort = params.get("sort") or spec.default_sort
    column = spec.column(sort)
    if column is None or not column.sortable:
        raise InvalidInput(f"cannot sort by {sort[:40]!r}")
    desc_raw = params.get("desc", "")
    if desc_raw not in ("", "0", "1"):
        raise InvalidInput("desc must be 0 or 1")
    desc = spec.default_desc if desc_raw == "" else desc_raw == "1"
    filters: dict[str, str] = {}
    for f in spec.filters:
        value = params.get(f.key, "").strip()
        if not value:
            continue
        if len(value) > MAX_FILTER_LENGTH or not value.isprintable():
            raise InvalidInput(f"{f.key} is too long or holds control characters")
        if f.choices and value not in {v for v, _label in f.choices}:
            raise InvalidInput(f"{f.key} is not one of the offered values")
        filters[f.key] = value
    return TableState(_int(params, "page", 1, 1, MAX_PAGE), size, sort, desc, filters)


def _filtered(spec: TableSpec, base: Select[Any], state: TableState) -> Select[Any]:
    query = base
    for f in spec.filters:
        value = state.filters.get(f.key)
        if value is None:
            continue
        if f.clause is not None:
            query = query.where(f.clause(value))
        elif f.column is None:
            continue
        elif f.match == "contains":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(f.column.like(f"%{escaped}%", escape="\\"))
        else:
            query = query.where(f.column == value)
    return query


def _ordered(base: Select[Any], state: TableState, limit: int, offset: int) -> Select[Any]:
    inner = base.subquery()
    key = inner.c[state.sort]
    first = next(iter(inner.c))  # a stable tie-break: the first column (the record's id)
    order = [key.desc() if state.desc else key.asc()]
    if first.key != state.sort:
        order.append(first.asc())
    return select(inner).order_by(*order).limit(limit).offset(offset)


def page(conn: Connection, spec: TableSpec, base: Select[Any], state: TableState) -> TablePage:
    """One page of ``base`` as ``state`` asks (``base`` is already cut to the caller's scope)."""
    query = _filtered(spec, base, state)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    offset = (state.page - 1) * state.size
    rows = [dict(r._mapping) for r in conn.execute(_ordered(query, state, state.size, offset))]
    return TablePage(spec, state, rows, int(total))


def all_rows(
    conn: Connection, spec: TableSpec, base: Select[Any], state: TableState
) -> list[dict[str, Any]]:
    """Every row the filters select, in the page's order (for the JSON twin and the export)."""
    query = _ordered(_filtered(spec, base, state), state, EXPORT_LIMIT, 0)
    return [dict(r._mapping) for r in conn.execute(query)]


def _cell(column: Column, value: object) -> object:
    """An export cell: fen as an exact yuan number (the header says yuan), the rest as is."""
    if column.kind == "fen" and isinstance(value, int):
        return Decimal(value).scaleb(-2)
    return value


def xlsx(spec: TableSpec, headers: Sequence[str], rows: list[dict[str, Any]]) -> bytes:
    """The rows as an .xlsx workbook: translated headers, text cells stored as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(spec.name[:31])
    sheet.append(xlsx_row(sheet, headers))
    for row in rows:
        sheet.append(xlsx_row(sheet, [_cell(c, row.get(c.key)) for c in spec.columns]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
