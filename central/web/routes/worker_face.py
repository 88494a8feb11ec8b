"""The worker's Face data page: what central holds of their face, and withdrawing consent.

The facts come from :func:`central.registry.face_data.face_data` (also ``GET
/api/v1/me/face-data``): the number of templates and when they were made, each consent (to
which employer, how, when), and each gate of each site whose gallery carried the face, with
whether the gate holds it now. Never a template or a photo.

Withdrawing is the worker's right (PIPL art. 15): the same service call as ``DELETE
/api/v1/workers/{me}/face-consent`` by the worker (every consent of theirs: templates deleted,
the face removed from every site's gallery, the gates told to sync). The page explains the
alternatives first (the check-in QR code on the Today page, an ID or NFC card registered by
the site office) and asks for a confirming tick, so a slip of the thumb deletes nothing.
"""

from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from central import worker_actions
from central.errors import NotFound
from central.registry.face_data import face_data
from central.web.i18n import N_
from central.web.routes.enterprise_enrollment import CONSENT_METHODS
from central.web.routing import WORKER_PREFIX, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)

GATE_STATES = {
    "holds": N_("Holds your face"),
    "adding": N_("Receives it at its next sync"),
    "removing": N_("Deletes it at its next sync"),
    "removed": N_("Deleted"),
}


def _page(request: Request, who: WorkerUser, status_code: int = 200, **context: object) -> Response:
    assert who.worker_id is not None  # WorkerUser guarantees it
    with database(request).engine.connect() as conn:
        data = face_data(conn, who.worker_id)
    return render_worker(
        request,
        "worker_face.html",
        who,
        status_code=status_code,
        data=data,
        gate_states=GATE_STATES,
        consent_methods=dict(CONSENT_METHODS),  # the stored method is the enrollment form's value
        **context,
    )


@router.get("/face")
def face_page(request: Request, who: WorkerUser, withdrawn: str = "") -> Response:
    return _page(request, who, withdrawn=withdrawn == "1")


@router.post("/face/withdraw")
def withdraw(
    request: Request,
    who: WorkerUser,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Withdraw every consent of the worker: templates deleted, removed from every gallery."""
    assert who.worker_id is not None
    if confirm != "yes":
        return _page(request, who, status_code=422, confirm_missing=True)
    try:
        worker_actions.withdraw_consent(
            database(request),
            who,
            who.worker_id,
            worker_actions.gates_of(request.app.state.service),
        )
    except NotFound:  # nothing left to withdraw (a second tap): the page says so
        return _page(request, who, status_code=409, nothing_to_withdraw=True)
    return RedirectResponse(f"{WORKER_PREFIX}/face?withdrawn=1", status_code=303)
