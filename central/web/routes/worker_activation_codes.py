"""The enterprise console's page for giving a worker phone access: a one-time activation code.

``/console/enterprise/workers/{worker_id}/activation``: a site manager, contractor admin or
the admin sees whether the worker has an account and the state of the last code, and issues
a new one (central/auth/activation.issue_code, the function behind ``POST
/api/v1/workers/{worker_id}/activation-code``: same scope, same audit). The new code is shown
once, as text, as the link the worker opens and as a QR code of that link; it is never
stored or shown again (only its hash is kept). A worker outside the caller's reach is 404.
"""

from datetime import timedelta
from typing import Any

from fastapi import Request
from starlette.responses import Response

from central.auth.activation import access_state, issue_code
from central.auth.deps import client_address
from central.auth.scope import require_worker
from central.auth.users import Principal
from central.registry import workers
from central.validation import WorkerIdText
from central.web.i18n import N_
from central.web.qr_images import svg_data_uri
from central.web.routing import web_router
from central.web.sessions import EnterpriseUser, database
from central.web.templating import render

router = web_router()

CODE_STATES = {
    "waiting": N_("not used yet"),
    "used": N_("used"),
    "replaced": N_("replaced by a newer code"),
    "expired": N_("expired"),
}


def _page(request: Request, who: Principal, worker_id: str, **extra: Any) -> Response:
    with database(request).engine.connect() as conn:
        require_worker(conn, who, worker_id)  # 404 outside the caller's reach
        person = workers.worker(conn, worker_id)
    state = access_state(database(request), worker_id)
    return render(
        request,
        "worker_activation.html",
        who,
        person=person,
        worker_id=worker_id,
        account=state["account"],
        last_code=state["last_code"],
        code_states=CODE_STATES,
        hours=request.app.state.service.settings.activation_code_hours,
        **extra,
    )


@router.get("/enterprise/workers/{worker_id}/activation")
def activation_page(request: Request, who: EnterpriseUser, worker_id: WorkerIdText) -> Response:
    return _page(request, who, worker_id)


@router.post("/enterprise/workers/{worker_id}/activation")
def issue(request: Request, who: EnterpriseUser, worker_id: WorkerIdText) -> Response:
    """Issue a new code (any older unused one stops working) and show it once."""
    hours = request.app.state.service.settings.activation_code_hours
    issued = issue_code(
        database(request), who, worker_id, timedelta(hours=hours), client_address(request)
    )
    link = f"{str(request.base_url).rstrip('/')}/worker/activate?code={issued.code}"
    return _page(
        request,
        who,
        worker_id,
        issued={
            "code": issued.code,
            "link": link,
            "qr": svg_data_uri(link),
            "expires_at": issued.expires.isoformat(),
        },
    )
