"""Roster import (花名册导入) in the enterprise console: the template, the upload, the report.

The same step as ``POST /api/v1/roster/import`` (central/registry/roster_import.py): the
employer check of ``scope.require_employer_on`` first, then every row checked, and nothing
written unless every row passes; the page lists each problem as row, field and reason.
"""

import re

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from central.auth.deps import get_sealer
from central.auth.scope import require_employer_on
from central.auth.users import Principal
from central.errors import Forbidden, InvalidInput, NotFound, TooLarge
from central.registry import roster, roster_import
from central.web import i18n
from central.web.forms import FieldError
from central.web.i18n import N_
from central.web.refusals import refusal_text
from central.web.routes.enterprise_registry import galleries, hiring_choices, may_add
from central.web.routes.registry_checks import LABELS, REASONS, refused
from central.web.routes.table_views import XLSX
from central.web.routing import web_router
from central.web.sessions import EnterpriseUser, database
from central.web.templating import render
from wireproto.topics import ID_PATTERN

router = web_router()
_PROJECT_ID = re.compile(rf"^{ID_PATTERN}$")
FILE_PROBLEMS = {
    "too_large": N_("The file is too large: at most 1 MB and 2,000 rows."),
    "unreadable": N_(
        "This file cannot be read as the roster template: fill in the template and save it "
        "as .xlsx."
    ),
}


def _page(
    request: Request,
    who: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    report: roster_import.Report | None = None,
    file_problem: str = "",
    file_detail: str = "",
    status_code: int = 200,
) -> Response:
    projects, offered = hiring_choices(request, who, "imports rosters")
    return render(
        request,
        "registry_import.html",
        who,
        status_code=status_code,
        values=values or {"employer_id": str(who.enterprise_id or "")},
        errors=errors or {},
        projects=projects,
        employers=offered,
        report=report,
        reasons=REASONS,
        labels=LABELS,
        file_problem=FILE_PROBLEMS.get(file_problem, ""),
        file_detail=file_detail,
        fields=roster_import.FIELDS,
        max_rows=roster_import.MAX_ROWS,
    )


@router.get("/enterprise/import")
def import_page(request: Request, who: EnterpriseUser) -> Response:
    return _page(request, who)


@router.get("/enterprise/import/template.xlsx")
def template(request: Request, who: EnterpriseUser) -> Response:
    """The empty roster in the reader's language (either language's header is accepted)."""
    english = i18n.locale_of(request) == "en"
    return Response(
        roster_import.template(english),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


@router.post("/enterprise/import")
async def upload(request: Request, who: EnterpriseUser) -> Response:
    if not may_add(who):
        raise Forbidden("an enterprise's admin imports rosters")
    form = await request.form()
    values = {k: str(form.get(k, "")).strip()[:64] for k in ("project_id", "employer_id")}
    errors: dict[str, FieldError] = {}
    if not values["project_id"]:
        errors["project_id"] = refused("project_id", "missing")
    elif not _PROJECT_ID.match(values["project_id"]):
        errors["project_id"] = refused("project_id", "not_your_project")
    if not values["employer_id"].isdigit() or len(values["employer_id"]) > 9:
        errors["employer_id"] = refused("employer_id", "missing")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = refused("file", "missing")
    db = database(request)
    if not errors:
        with db.engine.connect() as conn:
            try:
                require_employer_on(conn, who, values["project_id"], int(values["employer_id"]))
            except NotFound:
                errors["project_id"] = refused("project_id", "not_your_project")
            except InvalidInput:
                errors["employer_id"] = refused("employer_id", "employer_not_on_project")
            except Forbidden:
                errors["employer_id"] = refused("employer_id", "own_employer_only")
    if errors or not isinstance(upload, UploadFile):
        return _page(request, who, values=values, errors=errors, status_code=422)
    data = await upload.read(roster_import.MAX_BYTES + 1)
    try:
        if len(data) > roster_import.MAX_BYTES:
            raise TooLarge.of(N_("the workbook is larger than 1 MiB"))
        report = roster_import.import_roster(
            db, get_sealer(request), data, values["project_id"], int(values["employer_id"])
        )
    except TooLarge as exc:
        return _page(
            request,
            who,
            values=values,
            file_problem="too_large",
            file_detail=refusal_text(request, exc) if exc.msgid else "",
            status_code=413,
        )
    except InvalidInput as exc:
        return _page(
            request,
            who,
            values=values,
            file_problem="unreadable",
            file_detail=refusal_text(request, exc) if exc.msgid else "",
            status_code=422,
        )
    for placed in report.placed:
        if placed.how == "linked":
            roster.publish(
                db,
                get_sealer(request),
                placed.worker_id,
                values["project_id"],
                *galleries(request),
            )
    return _page(
        request,
        who,
        values=values,
        report=report,
        status_code=200 if report.imported else 422,
    )
