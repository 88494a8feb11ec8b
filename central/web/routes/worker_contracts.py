"""The worker's Contracts and Training pages: read and sign the e-contract, see the courses
assigned and completed.

Signing: the worker opens the PDF, ticks that they have read it, and re-enters their PIN (or
password); the same service call as ``POST /api/v1/me/econtracts/{id}/sign`` (throttled like a
sign-in, a wrong PIN audited). The signed PDF carries their name and the site time with its
offset; its SHA-256 is shown and written to the audit log. Every query is keyed on the
session's worker: another worker's contract answers 404.
"""

from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from central.auth.deps import client_address
from central.auth.throttle import Throttled
from central.auth.users import WrongPassword
from central.contracts import econtracts
from central.errors import Conflict
from central.training import courses
from central.validation import DbId
from central.web.contract_pdf import contract_pdf as pdf_answer
from central.web.contract_pdf import course_material_pdf
from central.web.i18n import N_
from central.web.routing import WORKER_PREFIX, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)

STATES = {
    "sent": N_("Waiting for your signature"),
    "signed": N_("Signed"),
    "pending": N_("Not completed"),
    "valid": N_("Valid"),
    "expired": N_("Expired"),
}


def _contracts(
    request: Request, who: WorkerUser, status_code: int = 200, **context: object
) -> Response:
    with database(request).engine.connect() as conn:
        rows = econtracts.listing(conn, who)
    return render_worker(
        request,
        "worker_contracts.html",
        who,
        status_code=status_code,
        contracts=rows,
        states=STATES,
        **context,
    )


@router.get("/contracts")
def contracts_page(request: Request, who: WorkerUser, signed: str = "") -> Response:
    return _contracts(request, who, signed=signed if signed.isdigit() else "")


@router.get("/contracts/{contract_id}/document.pdf")
def contract_pdf(request: Request, who: WorkerUser, contract_id: DbId) -> Response:
    return pdf_answer(request, who, contract_id)


@router.post("/contracts/{contract_id}/sign")
def sign(
    request: Request,
    who: WorkerUser,
    contract_id: DbId,
    pin: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    with database(request).engine.connect() as conn:
        econtracts.get(conn, who, contract_id)  # 404 before anything is checked
    problem = ""
    if confirm != "yes":
        problem = N_("Tick the box to confirm that you have read the contract.")
    elif not pin:
        problem = N_("Enter your PIN or password.")
    else:
        try:
            econtracts.sign(database(request), who, contract_id, pin, client_address(request))
        except WrongPassword:
            problem = N_("The PIN or password is wrong. Nothing was signed.")
        except Throttled:
            problem = N_("Too many wrong attempts. Wait a few minutes, then try again.")
        except Conflict:
            problem = N_("This contract is already signed.")
    if problem:
        return _contracts(request, who, status_code=422, failed=contract_id, problem=problem)
    return RedirectResponse(f"{WORKER_PREFIX}/contracts?signed={contract_id}", status_code=303)


@router.get("/training")
def training_page(request: Request, who: WorkerUser) -> Response:
    assert who.worker_id is not None
    with database(request).engine.connect() as conn:
        rows = courses.worker_courses(conn, who.worker_id)
    return render_worker(request, "worker_training.html", who, courses=rows, states=STATES)


@router.get("/training/{course_id}/material.pdf")
def material(request: Request, who: WorkerUser, course_id: DbId) -> Response:
    return course_material_pdf(request, who, course_id)
