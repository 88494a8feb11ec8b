"""The evidence statement for a worker and a date range, as HTML (print to PDF) or .xlsx."""

from datetime import date
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from central.api.deps import DbDep
from central.auth.deps import CurrentUser
from central.auth.scope import require_worker
from central.reports.evidence import gather, render_html, render_xlsx

router = APIRouter(prefix="/api/v1", tags=["evidence"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/workers/{worker_id}/evidence", response_class=HTMLResponse)
def evidence(
    worker_id: str,
    first: date,
    last: date,
    db: DbDep,
    who: CurrentUser,
    format: Literal["html", "xlsx"] = "html",
) -> Response:
    """Every attendance day with its events, every correction, wage line and payment."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
        data = gather(conn, worker_id, first, last)
    name = f"evidence-{worker_id}-{first}-{last}"
    if format == "xlsx":
        return Response(
            render_xlsx(data),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return HTMLResponse(render_html(data))
