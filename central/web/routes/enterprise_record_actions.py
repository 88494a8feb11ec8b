"""Two actions on a worker's record page: show the whole ID and card numbers for a stated
reason, and withdraw the worker's face consent.

Both are the API's own service functions (central/worker_actions.py): ``reveal`` (as ``GET
/api/v1/workers/{id}?reveal=true``: payroll staff of an employer that employs the worker now,
each reveal in the audit log with its reason) and ``withdraw_consent`` (as ``DELETE
/api/v1/workers/{id}/face-consent``: an employer withdraws only the consent given to it). The
whole numbers come back in the POST's own answer (never in a URL, never cached: the layout
sends ``no-store``) and are gone at the next page.
"""

from dataclasses import replace
from typing import Annotated

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import RedirectResponse, Response

from central import worker_actions
from central.auth.deps import get_sealer
from central.auth.scope import require_worker
from central.errors import NotFound
from central.registry.worker_records import Reason
from central.web.forms import FieldError, field_errors
from central.web.i18n import N_
from central.web.routes.enterprise_registry import BASE, actor_of, form_values, record_page
from central.web.routing import web_router
from central.web.sessions import EnterpriseUser, database

router = web_router()
REVEAL_LABEL = N_("Why the whole numbers are needed")
WITHDRAW_LABEL = N_("The worker has asked to withdraw their consent")


class RevealForm(BaseModel):
    """Why the whole numbers are needed (kept in the audit log with the reveal)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Reason, Field(min_length=3, max_length=200)]


@router.post("/enterprise/workers/{worker_id}/reveal")
async def reveal_numbers(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    """The record page with the whole numbers in place of the masks (403 for a caller who
    does not employ the worker now; 404 outside reach)."""
    values = await form_values(request, ("reveal_reason",))
    with database(request).engine.connect() as conn:
        require_worker(conn, who, worker_id)  # 404 before the form is judged
    try:
        form = RevealForm.model_validate({"reason": values["reveal_reason"]})
    except ValidationError as exc:
        (error,) = field_errors(exc, {"reason": REVEAL_LABEL}).values()
        errors = {"reveal_reason": replace(error, field="reveal_reason")}
        return record_page(request, who, worker_id, values=values, errors=errors)
    whole = worker_actions.reveal(
        database(request),
        get_sealer(request),
        who,
        actor_of(who, request),
        worker_id,
        reason=form.reason,
    )
    return record_page(request, who, worker_id, revealed=whole)


@router.post("/enterprise/workers/{worker_id}/consent/withdraw")
async def withdraw_consent(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    """Withdraw the consent given to the caller's enterprise; the face leaves the gates no
    consent covers any more, and with none left the templates are deleted."""
    values = await form_values(request, ("withdraw_confirm",))
    with database(request).engine.connect() as conn:
        require_worker(conn, who, worker_id)  # 404 before the form is judged
    if values["withdraw_confirm"] != "yes":
        errors = {
            "withdraw_confirm": FieldError("withdraw_confirm", WITHDRAW_LABEL, N_("is required"))
        }
        return record_page(request, who, worker_id, values=values, errors=errors)
    gates = worker_actions.gates_of(request.app.state.service)
    try:
        worker_actions.withdraw_consent(database(request), who, worker_id, gates)
    except NotFound:  # withdrawn already (a second click): the record shows no consent
        return RedirectResponse(f"{BASE}/workers/{worker_id}", status_code=303)
    return RedirectResponse(f"{BASE}/workers/{worker_id}?saved=withdrawn", status_code=303)
