"""Getting in on a phone: the worker's sign-in, activation (first PIN or a forgotten one),
sign-out and the language switch, under ``/worker``.

Sign-in takes a phone number or ID number and the PIN and goes through
central/auth/worker_login.py, i.e. the one login of central/auth/users.py (same throttle,
same audit rows, same session cookie as the console's). Activation redeems a one-time code
(central/auth/activation.py) and signs the worker in with their new PIN straight away.
Every refusal names the field and the reason in the reader's language and keeps what was
typed (never the PIN).
"""

from typing import Annotated

from fastapi import Form, Path, Request
from starlette.responses import RedirectResponse, Response

from central.auth.activation import ActivationRefused, activate, code_is_live, normalise
from central.auth.deps import client_address, get_sealer
from central.auth.passwords import MAX_LENGTH, WeakPassword
from central.auth.pins import WeakPin
from central.auth.throttle import Throttled
from central.auth.users import BadCredentials, Role
from central.auth.worker_login import worker_login
from central.errors import NotFound
from central.web.i18n import N_
from central.web.routing import WORKER_PREFIX, web_router
from central.web.sessions import (
    database,
    put_session,
    safe_next,
    session_user,
    sign_in,
    sign_out,
    switch_language,
)
from central.web.worker_layout import (
    ASSETS,
    STATIC,
    WORKER_HOME,
    asset_version,
    render_worker,
)

router = web_router(WORKER_PREFIX)

#: PIN refusals (central/auth/pins.py reasons) as shown to the worker.
BAD_CODE = N_(
    "This code is not valid: it is wrong, used or expired. Ask your site manager for a new one."
)
PIN_REASONS: dict[str, str] = {
    "shape": N_("The PIN must be exactly 6 digits."),
    "trivial": N_(
        "This PIN is too simple (one digit repeated, a run like 123456, "
        "or only two different digits)."
    ),
    "common": N_("This PIN is one of the first ones people guess. Choose another."),
    "birth_date": N_("Do not use your birth date as the PIN."),
    "id_number": N_("Do not use part of your ID number as the PIN."),
    "phone": N_("Do not use part of your phone number as the PIN."),
}  # fmt: skip


@router.get("/assets/{version}/{name}")
def asset(
    version: Annotated[str, Path(max_length=40)], name: Annotated[str, Path(max_length=40)]
) -> Response:
    """A worker page's CSS, icons or script: cached for a year under the current content hash
    (central/web/worker_layout.py); an older hash gets the current file, revalidated."""
    if name not in ASSETS:
        raise NotFound(f"asset {name}")
    current = version == asset_version()
    cache = "public, max-age=31536000, immutable" if current else "no-cache"
    return Response(
        (STATIC / name).read_bytes(),
        media_type=ASSETS[name],
        headers={
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",  # opened on its own: inert
        },
    )


@router.get("")
def front_door(request: Request) -> Response:
    who = session_user(request)
    mine = who is not None and who.role is Role.WORKER and who.worker_id is not None
    return RedirectResponse(WORKER_HOME if mine else f"{WORKER_PREFIX}/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render_worker(
        request, "worker_login.html", None, next=safe_next(next, WORKER_PREFIX) or "", identifier=""
    )


@router.post("/login")
def login_submit(
    request: Request,
    identifier: Annotated[str, Form(max_length=64)] = "",
    pin: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Phone number or ID number + PIN → the worker's session (throttled, audited)."""
    kept = {"next": safe_next(next, WORKER_PREFIX) or "", "identifier": identifier.strip()[:64]}
    if not identifier.strip() or not pin:
        return render_worker(
            request, "worker_login.html", None, status_code=422, error="missing", **kept
        )
    try:
        token, expires, _ = worker_login(
            database(request), get_sealer(request), identifier, pin, client_address(request)
        )
    except Throttled as exc:
        return render_worker(
            request,
            "worker_login.html",
            None,
            status_code=429,
            error="throttled",
            retry_after=exc.retry_after,
            **kept,
        )
    except BadCredentials:
        return render_worker(
            request, "worker_login.html", None, status_code=401, error="bad_credentials", **kept
        )
    response = RedirectResponse(kept["next"] or WORKER_HOME, status_code=303)
    put_session(request, response, token, expires)
    return response


@router.get("/activate")
def activate_form(request: Request, code: str | None = None) -> Response:
    """The page the activation link or QR code opens (the code filled in), or a blank one."""
    typed = (code or "").strip()[:40]
    error = None
    if typed and not code_is_live(database(request), typed):
        error = "code"
    return render_worker(
        request,
        "worker_activate.html",
        None,
        status_code=200,
        code=typed,
        errors={"code": BAD_CODE} if error else {},
    )


@router.post("/activate")
def activate_submit(
    request: Request,
    code: Annotated[str, Form(max_length=40)] = "",
    pin: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
    pin_again: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
) -> Response:
    """Redeem the code with a new PIN: the account is created or re-armed, then signed in."""
    typed = code.strip()[:40]
    errors: dict[str, str] = {}
    if normalise(typed) is None:
        errors["code"] = N_("Type the 12 letters and digits of the code you were given.")
    if not pin:
        errors["pin"] = N_("Choose a 6-digit PIN.")
    elif pin != pin_again:
        errors["pin_again"] = N_("The two PINs are not the same.")
    status = 422
    retry_after = None
    if not errors:
        try:
            done = activate(
                database(request), get_sealer(request), typed, pin, client_address(request)
            )
        except Throttled as exc:
            errors["code"] = N_("Too many attempts. Wait and try again.")
            status, retry_after = 429, exc.retry_after
        except ActivationRefused:
            errors["code"] = BAD_CODE
        except WeakPin as exc:
            errors["pin"] = PIN_REASONS[exc.reason]
        except WeakPassword:
            errors["pin"] = N_("Use a 6-digit PIN, or a password of at least 10 characters.")
        else:
            response = RedirectResponse(f"{WORKER_HOME}?activated=1", status_code=303)
            try:
                sign_in(request, response, done.username, pin)
            except (BadCredentials, Throttled):  # e.g. an account an admin has disabled
                return RedirectResponse(f"{WORKER_PREFIX}/login?activated=1", status_code=303)
            return response
    return render_worker(
        request,
        "worker_activate.html",
        None,
        status_code=status,
        code=typed,
        errors=errors,
        retry_after=retry_after,
    )


@router.post("/logout")
def logout_submit(request: Request) -> Response:
    """Revoke this session's token (audited) and go back to the worker sign-in."""
    response = RedirectResponse(f"{WORKER_PREFIX}/login", status_code=303)
    sign_out(request, response)
    return response


@router.post("/lang")
def choose_language(
    request: Request,
    lang: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Remember the reader's language for a year and show the same page again."""
    return switch_language(request, lang, next, WORKER_PREFIX)
