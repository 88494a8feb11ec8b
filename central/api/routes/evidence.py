"""The evidence statement for a worker and a date range, as HTML (print to PDF) or .xlsx."""

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, DESCRIPTIONS
from central.auth.deps import CurrentUser
from central.auth.scope import require_worker, worker_projects
from central.reports.evidence import gather, render_html, render_xlsx
from central.validation import LocalDate, WorkerIdText

router = APIRouter(prefix="/api/v1", tags=["evidence"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The success answer is a page or a file, but errors are JSON like everywhere else; a
# ``model`` here would be documented under the page's media type, so the body is named.
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status in (*AUTHENTICATED, 404)
}


def statement_answers(whose: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a statement route (the inspector's and the worker's own):
    ``whose`` statement as HTML or a workbook, errors as JSON."""
    return {
        200: {
            "description": f"{whose}: HTML by default, a workbook with format=xlsx",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        },
        **JSON_ERRORS,
    }


@router.get(
    "/workers/{worker_id}/evidence",
    response_class=HTMLResponse,
    responses=statement_answers("the statement"),
)
def evidence(
    worker_id: WorkerIdText,
    first: LocalDate,
    last: LocalDate,
    db: DbDep,
    who: CurrentUser,
    format: Literal["html", "xlsx"] = "html",
) -> Response:
    """Every attendance day with its events, every correction, wage line and payment."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        data = gather(conn, worker_id, first, last, worker_projects(conn, who, worker_id))
    return statement(data, f"evidence-{worker_id}-{first}-{last}", format)


def statement(data: dict[str, object], name: str, format: Literal["html", "xlsx"]) -> Response:
    """The gathered evidence as the answer asked for: a printable page or a workbook
    downloaded as ``name``.xlsx (the worker's own statement and the inspector's say the same)."""
    if format == "xlsx":
        return Response(
            render_xlsx(data),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return HTMLResponse(render_html(data))
