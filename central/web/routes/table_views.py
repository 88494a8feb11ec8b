"""One list page, its JSON twin and its export from one SELECT: the shared last step of the
console's lists.

The SELECT comes from a service function (central/reports/) that the matching ``/api/v1``
route calls too; ``finish`` adds what SQL does not compute (hours from minutes, silent
gates, days overdue) to exactly the rows shown, served or exported.
"""

import re
from collections.abc import Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Connection, Select
from starlette.responses import JSONResponse, Response

from central.auth.users import Principal
from central.errors import InvalidInput
from central.web import i18n, tables
from central.web.i18n import N_
from central.web.tables import Filter, TableSpec, TableState
from central.web.templating import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MONTH = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
_DAY = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

FLAGGED_CHOICES = (("yes", N_("Flagged only")), ("no", N_("Clean only")))

Finish = Callable[[Connection, list[dict[str, Any]]], None]


class ListRows(BaseModel):
    """A list's JSON twin: every row its filters select, in its order (as the export)."""

    rows: list[dict[str, str | int | float | None]]
    total: int


def month_filter(key: str = "month") -> Filter:
    """A ``YYYY-MM`` filter the service function applies (checked by :func:`month_of`)."""
    return Filter(key, N_("Month (YYYY-MM)"))


def day_filter(key: str = "date") -> Filter:
    return Filter(key, N_("Date (YYYY-MM-DD)"))


def month_of(state: TableState, key: str = "month") -> str | None:
    value = state.filters.get(key)
    if value is not None and not _MONTH.match(value):
        raise InvalidInput(f"{key} must look like 2025-06")
    return value


def day_of(state: TableState, key: str = "date") -> str | None:
    value = state.filters.get(key)
    if value is not None and not _DAY.match(value):
        raise InvalidInput(f"{key} must look like 2025-06-30")
    return value


def flagged_of(state: TableState, key: str = "flagged") -> bool | None:
    value = state.filters.get(key)
    return None if value is None else value == "yes"


def show(
    request: Request,
    who: Principal,
    conn: Connection,
    *,
    spec: TableSpec,
    state: TableState,
    base: Select[Any],
    fmt: str,
    title: str,
    name: str,
    finish: Finish | None = None,
    template: str = "table.html",
    rows_model: type[BaseModel] = ListRows,
    **context: Any,
) -> Response:
    """The page (``fmt`` html), its JSON twin (json) or its export (xlsx) of ``base``.

    ``rows_model`` is the JSON twin's declared response model, so the body is what the
    OpenAPI-style contract of that list says."""
    if fmt == "html":
        shown = tables.page(conn, spec, base, state)
        if finish is not None:
            finish(conn, shown.rows)
        return render(request, template, who, title=title, table=shown, name=name, **context)
    rows = tables.all_rows(conn, spec, base, state)
    if finish is not None:
        finish(conn, rows)
    if fmt == "json":
        return JSONResponse(rows_model(rows=rows, total=len(rows)).model_dump(mode="json"))
    t = i18n.translations(i18n.locale_of(request))
    body = tables.xlsx(spec, [t.gettext(c.label) for c in spec.columns], rows)
    filename = name.replace("/", "-")
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )
