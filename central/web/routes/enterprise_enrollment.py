"""Face enrollment (人脸采集) in the enterprise console: the worker's consent first (the text
shown, who recorded it, when), then photos from the browser's camera or from files, with the
gate's quality answer at once; a gate card for a worker who declines.

The same service functions as the API (central/worker_actions.py: ``give_consent``,
``enroll_photos``, ``add_card``), which do the scope checks, the writes and the gates' notice;
this module only turns their answers into the page (a refused photo by its stable code,
``PhotoRejected.refusals``, translated here). The camera
page's script (static/enrollment-camera.js) posts one captured frame with the CSRF header and
shows the JSON answer; without JavaScript the file form posts the same route and the page
comes back with the answer.
"""

import contextlib
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from central import worker_actions
from central.auth.deps import get_sealer
from central.auth.scope import consent_enterprise, require_worker
from central.auth.users import Principal
from central.errors import CentralError, Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from central.registry import enrollment, gate_cards
from central.registry.enrollment import DuplicateFace, NoConsent, PhotoRejected
from central.registry.photos import MAX_PHOTOS
from central.web import i18n
from central.web.forms import FieldError, field_errors
from central.web.i18n import N_
from central.web.routes.enterprise_registry import BASE, actor_of, form_values, record_page
from central.web.routing import web_router
from central.web.sessions import EnterpriseUser, database

router = web_router()

CONSENT_METHODS = (
    ("signed paper form", N_("Signed paper form")),
    ("signed on the tablet", N_("Signed on the tablet")),
    ("confirmed in the worker's app", N_("Confirmed in the worker's app")),
)
CARD_KINDS = (("id_card", N_("Resident ID card")), ("nfc", N_("Site NFC card")))

#: The gate encoder's refusal codes (edge/recognition/enrollment.py ADVICE's keys, carried
#: by ``PhotoRejected.refusals``) → what the page says.
PHOTO_ANSWERS: dict[str, str] = {
    "no_face": N_("No face found: photograph the worker facing the camera."),
    "two_faces": N_("More than one face: photograph the worker alone."),
    "cut_off": N_("The face is cut off: get the whole face in the picture."),
    "too_small": N_("The face is too small: move the camera closer."),
    "blurred": N_("The photo is blurred: hold the camera still."),
    "off_frontal": N_("The worker is not facing the camera."),
    "unreadable": N_("The photo cannot be read: send a JPEG or PNG."),
}
ANSWERS: dict[str, str] = {
    "accepted": N_("Accepted: the face template is stored and goes to the site's gates."),
    "already_registered": N_("This face is already registered to another worker."),
    "no_consent": N_("Record the worker's consent first, or use a gate card instead."),
    "too_large": N_("The photo is too large: at most 8 MB and 4096 pixels a side."),
    "busy": N_("Photo checking is busy: try again in a moment."),
    "shared": N_("This worker's face is shared with another employer: the admin enrolls photos."),
    **PHOTO_ANSWERS,
}


def photo_answer(exc: CentralError) -> tuple[str, list[tuple[int, str]]]:
    """A refusal as (overall code, [(photo number, code)]) for the page and the script."""
    if isinstance(exc, DuplicateFace):
        return "already_registered", []
    if isinstance(exc, NoConsent):
        return "no_consent", []
    if isinstance(exc, TooLarge):
        return "too_large", []
    if isinstance(exc, PhotoRejected):
        photos = [(n, c if c in PHOTO_ANSWERS else "unreadable") for n, c, _w in exc.refusals]
        return (photos[0][1] if photos else "unreadable"), photos
    if isinstance(exc, Forbidden):
        return "shared", []
    if exc.code == "too_many_requests":
        return "busy", []
    return "unreadable", []


def _page(request: Request, who: Principal, worker_id: str, **extra: Any) -> Response:
    return record_page(
        request,
        who,
        worker_id,
        template="registry_enroll.html",
        consent_text=enrollment.FACE_PURPOSE,
        consent_methods=CONSENT_METHODS,
        method_labels=dict(CONSENT_METHODS),
        card_kinds=CARD_KINDS,
        answers=ANSWERS,
        max_photos=MAX_PHOTOS,
        **extra,
    )


@router.get("/enterprise/workers/{worker_id}/enroll")
def enroll_page(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    return _page(request, who, worker_id)


@router.post("/enterprise/workers/{worker_id}/consent")
async def give_consent(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    """``POST /api/v1/workers/{id}/face-consent``: the consent is the caller's enterprise's
    (a site manager: the project's general contractor's); an enrolled face then reaches the
    sites it covers."""
    values = await form_values(request, ("method",))
    with database(request).engine.connect() as conn:
        consent_enterprise(conn, who, worker_id)  # 404/403 before the form is judged
    offered = {m for m, _label in CONSENT_METHODS}
    if values["method"] not in offered:
        errors = {"method": FieldError("method", N_("How consent was given"), N_("is required"))}
        return _page(request, who, worker_id, values=values, errors=errors, status_code=422)
    with contextlib.suppress(Conflict):  # live for this employer already: the page shows it
        worker_actions.give_consent(
            database(request),
            get_sealer(request),
            who,
            worker_id,
            values["method"],
            _gates(request),
        )
    return RedirectResponse(f"{BASE}/workers/{worker_id}/enroll?saved=consent", status_code=303)


def _gates(request: Request) -> worker_actions.Gates:
    return worker_actions.gates_of(request.app.state.service)


def _enroll(request: Request, who: Principal, worker_id: str, uploads: list[UploadFile]) -> int:
    """``worker_actions.enroll_photos`` (as the API); the templates the worker now has."""
    done = worker_actions.enroll_photos(
        database(request),
        get_sealer(request),
        who,
        worker_id,
        [upload.file for upload in uploads],
        _gates(request),
        keep_photos=request.app.state.service.settings.keep_enrollment_photos,
    )
    return done.templates


@router.post("/enterprise/workers/{worker_id}/photos")
async def upload_photos(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    """Photos from the camera script (answers JSON) or the file form (answers the page)."""
    wants_json = "application/json" in request.headers.get("accept", "")
    form = await request.form()
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    with database(request).engine.connect() as conn:
        require_worker(conn, who, worker_id)  # 404 before anything else outside reach
    try:
        templates = await run_in_threadpool(_enroll, request, who, worker_id, uploads)
    except NotFound:
        raise
    except CentralError as exc:
        code, photos = photo_answer(exc)
        t = i18n.translations(i18n.locale_of(request))
        if wants_json:
            return JSONResponse(
                {
                    "ok": False,
                    "code": code,
                    "message": t.gettext(ANSWERS[code]),
                    "photos": [
                        {"photo": n, "code": c, "message": t.gettext(ANSWERS[c])} for n, c in photos
                    ],
                },
                status_code=409 if code == "already_registered" else 422,
            )
        return _page(request, who, worker_id, answer=code, photo_answers=photos, status_code=422)
    if wants_json:
        t = i18n.translations(i18n.locale_of(request))
        return JSONResponse(
            {
                "ok": True,
                "code": "accepted",
                "message": t.gettext(ANSWERS["accepted"]),
                "templates": templates,
                # the record's count as the page words it, for the script to put in place
                "templates_text": t.ngettext("%(n)s template", "%(n)s templates", templates)
                % {"n": templates},
            }
        )
    return RedirectResponse(f"{BASE}/workers/{worker_id}/enroll?saved=photos", status_code=303)


@router.post("/enterprise/workers/{worker_id}/cards")
async def add_gate_card(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    """``POST /api/v1/workers/{id}/cards``: a card for a worker who checks in without a face."""
    values = await form_values(request, ("kind", "number"))
    with database(request).engine.connect() as conn:
        consent_enterprise(conn, who, worker_id)  # 404/403 before the form is judged
    labels = {"kind": N_("Card kind"), "number": N_("Card number")}
    try:
        card = gate_cards.CardIn.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc, labels)
        return _page(request, who, worker_id, values=values, errors=errors, status_code=422)
    try:
        worker_actions.add_card(
            database(request),
            get_sealer(request),
            who,
            actor_of(who, request),
            worker_id,
            card,
            _gates(request),
        )
    except Conflict:
        errors = {"number": FieldError("number", labels["number"], N_("is registered already"))}
        return _page(request, who, worker_id, values=values, errors=errors, status_code=422)
    except InvalidInput:
        errors = {"number": FieldError("number", labels["number"], N_("is not a card number"))}
        return _page(request, who, worker_id, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"{BASE}/workers/{worker_id}/enroll?saved=card", status_code=303)
