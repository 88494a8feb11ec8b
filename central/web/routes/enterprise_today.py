"""Today at the site (今日现场), the enterprise console's landing page.

One project at a time (``?project=``, central/web/project_picker.py): who is on site now,
arrivals by hour (a chart drawn by the vendored ECharts over the table beside it), what each
gate turned away today (counts, no images) and the gates that are silent or behind. The
figures are :func:`central.reports.site_today.site_today`, as ``GET
/api/v1/projects/{id}/today`` serves them, cut to the caller's workers on the project (a
subcontractor sees its own crew only). ``today.json`` is that answer; ``today.xlsx`` the
on-site list.
"""

from datetime import UTC, datetime

from fastapi import Request
from starlette.responses import JSONResponse, Response

from central.auth.scope import project_worker_cut
from central.auth.users import Principal
from central.reports.site_today import TURNED_AWAY_KINDS, SiteToday, flagged, site_today
from central.web import i18n, tables
from central.web.i18n import N_
from central.web.project_picker import Picked, PickedProject
from central.web.routes.table_views import XLSX
from central.web.routing import web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, TableSpec
from central.web.templating import render

router = web_router()

TURNED_AWAY_LABELS = {
    "face_unknown": N_("Unknown faces"),
    "face_refused": N_("Faces refused (liveness)"),
    "qr_refused": N_("QR codes refused"),
    "card_refused": N_("Unknown cards"),
}
METHODS = {"face": N_("Face"), "card": N_("Card"), "qr": N_("QR code")}

#: The on-site list's export (the page shows the same rows).
ON_SITE = TableSpec(
    name="on_site",
    columns=(
        Column("worker_id", N_("Worker ID")),
        Column("name", N_("Name")),
        Column("employer", N_("Employer")),
        Column("since", N_("Checked in at")),
        Column("gate", N_("Gate")),
        Column("method", N_("Method")),
    ),
    default_sort="since",
)


def _today(request: Request, who: Principal, picked: Picked) -> SiteToday | None:
    if picked.id is None:
        return None
    with database(request).engine.connect() as conn:
        return site_today(
            conn, project_worker_cut(conn, who, picked.id), picked.id, datetime.now(UTC)
        )


@router.get("/enterprise/today")
def today_page(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    today = _today(request, who, picked)
    return render(
        request,
        "enterprise_today.html",
        who,
        picked=picked,
        today=today,
        flagged=flagged(today.gates) if today else [],
        kinds=TURNED_AWAY_KINDS,
        kind_labels=TURNED_AWAY_LABELS,
        methods=METHODS,
        peak=max((h.arrivals for h in today.arrivals_by_hour), default=0) if today else 0,
    )


@router.get("/enterprise/today.json", response_model=SiteToday | None)
def today_json(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    today = _today(request, who, picked)
    return JSONResponse(today.model_dump(mode="json") if today else None)


@router.get("/enterprise/today.xlsx")
def today_xlsx(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    today = _today(request, who, picked)
    rows = [w.model_dump() for w in today.on_site] if today else []
    t = i18n.translations(i18n.locale_of(request))
    for r in rows:
        r["method"] = t.gettext(METHODS.get(r["method"], r["method"]))
    body = tables.xlsx(ON_SITE, [t.gettext(c.label) for c in ON_SITE.columns], rows)
    name = f"on-site-{picked.id or 'none'}.xlsx"
    return Response(
        body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
