"""Mount the web console on the app: its routers, its static files, offline ``/docs``.

Called once by the app factory (central/api/app.py). The layer rule holds: the web console
imports services (auth, reports, registry …) and never the other way round.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from central.web import errors
from central.web.routes import (
    arrears,
    attendance,
    dust,
    enterprise_attendance,
    enterprise_contracts,
    enterprise_enrollment,
    enterprise_gates,
    enterprise_import,
    enterprise_jobs,
    enterprise_payroll,
    enterprise_projects,
    enterprise_record_actions,
    enterprise_registry,
    enterprise_today,
    enterprise_training,
    lists,
    login,
    overview,
    wage_payment,
    worker_access,
    worker_activation_codes,
    worker_contracts,
    worker_days,
    worker_face,
    worker_help,
    worker_jobs,
    worker_today,
    worker_wages,
)
from central.web.routes import warnings as warning_queue
from central.web.vendor import VENDOR
from central.web.worker_gzip import WorkerPagesGzip

STATIC = Path(__file__).parent / "static"
#: Every console router, listed once.
ROUTERS = (
    login.router,
    overview.router,
    warning_queue.router,  # the warnings queue, before the plain lists
    lists.router,
    dust.router,
    arrears.router,
    attendance.router,
    wage_payment.router,
    enterprise_projects.router,  # the enterprise console: project set-up, gates, today
    enterprise_gates.router,
    enterprise_today.router,
    enterprise_jobs.router,  # 招工宝, the enterprise's side
    enterprise_registry.router,  # the registry: roster, records, add/link, edits
    enterprise_import.router,
    enterprise_enrollment.router,
    enterprise_record_actions.router,  # reveal whole numbers, withdraw face consent
    enterprise_attendance.router,  # attendance grid, corrections, 补卡 queue
    enterprise_payroll.router,  # compute → approve → bank file → result → retry
    worker_access.router,  # the worker pages: sign-in and activation, today, days, wages
    worker_today.router,
    worker_days.router,
    worker_wages.router,
    worker_activation_codes.router,  # the enterprise console's activation codes
    worker_face.router,  # the worker pages: face data, help, jobs
    worker_help.router,
    worker_jobs.router,
    enterprise_contracts.router,  # e-contracts and safety training, both sides
    enterprise_training.router,
    worker_contracts.router,
)


def mount(app: FastAPI) -> None:
    """Add the console to ``app`` (after the API's error handlers are installed)."""
    errors.install(app)
    app.add_middleware(WorkerPagesGzip)  # the worker pages' bytes on Slow 3G
    for router in ROUTERS:
        app.include_router(router)
    # check_dir=False: a tree without the fetched assets still starts (the chart and /docs
    # then lack their scripts); ./dev setup fetches them (central/web/vendor.py).
    app.mount("/static/vendor", StaticFiles(directory=VENDOR, check_dir=False), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/console", status_code=303)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """Swagger UI from central's own files: works on a closed network."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui-dist/favicon-32x32.png",
            # no spec-validator badge: it is fetched from swagger.io on any non-local host
            swagger_ui_parameters={"validatorUrl": None},
        )
