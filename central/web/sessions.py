"""Console sessions: the API's bearer tokens, carried in an HttpOnly cookie.

Signing in through the console calls the same service function as ``POST /api/v1/auth/login``
(:func:`central.auth.users.login`): the same login throttle, the same audit rows
(``login.succeeded``, ``login.failed``, ``login.throttled``), the same token row in
``api_tokens`` (its SHA-256 only). So a session expires, idles out, and is revoked by logout,
a password change, a reset or disabling the account exactly like an API token.

The cookie is ``sitegate_session``: HttpOnly (no script reads it), SameSite=Lax (no other
site's form or image sends it on a POST), path ``/``, and Secure when the request came over
TLS (directly, or through a trusted proxy that uvicorn believes) or when the
``secure_cookies`` setting says the console is only ever served over TLS.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from central.auth.deps import client_address
from central.auth.users import Principal, Role, login, logout, principal_for_token
from central.errors import Forbidden, Unauthenticated
from central.storage import Database
from central.web import i18n
from central.web.csrf import PRESESSION_COOKIE, SESSION_COOKIE


class LoginRequired(Unauthenticated):
    """No live session: the console answers with the login page (central/web/errors.py)."""

    code = "login_required"


def database(request: Request) -> Database:
    return request.app.state.service.db


def secure(request: Request) -> bool:
    """Whether cookies set on this response must be Secure."""
    settings = request.app.state.service.settings
    return request.url.scheme == "https" or settings.secure_cookies


def sign_in(request: Request, response: Response, username: str, password: str) -> Principal:
    """Check the credentials (throttled, audited) and put the new session on ``response``.

    Raises what the API login raises: ``BadCredentials`` (401), ``Throttled`` (429).
    """
    token, expires, who = login(database(request), username, password, client_address(request))
    put_session(request, response, token, expires)
    return who


def put_session(request: Request, response: Response, token: str, expires: datetime) -> None:
    """Put a token from a login (the console's or a worker's, central/auth/worker_login.py)
    on ``response`` as this browser's session."""
    max_age = max(0, int((expires - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    # the pre-session secret has done its job (the login form's CSRF token): forget it
    response.delete_cookie(PRESESSION_COOKIE, path="/")


def session_user(request: Request) -> Principal | None:
    """The signed-in caller of this request, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    return principal_for_token(database(request), token)


def sign_out(request: Request, response: Response) -> None:
    """Revoke this browser's session (audited as ``logout``) and drop its cookie."""
    who = session_user(request)
    if who is not None:
        logout(database(request), who, client_address(request))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def require_user(request: Request) -> Principal:
    """The signed-in caller; the login page otherwise (central/web/errors.py)."""
    who = session_user(request)
    if who is None:
        raise LoginRequired("please sign in")
    if who.must_change_password:
        raise Forbidden("this account's password was reset: set a new one first")
    return who


def require_supervision(who: Annotated[Principal, Depends(require_user)]) -> Principal:
    """The supervision console's pages: supervisors (their jurisdiction) and the admin."""
    if who.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("the supervision console is for supervisors")
    return who


def require_enterprise(who: Annotated[Principal, Depends(require_user)]) -> Principal:
    """The enterprise console's pages: contractor admins (their enterprise's projects, as
    general contractor or subcontractor), site managers (their project) and the admin. What
    each may see is the API's scope (central/auth/scope.py), never decided here."""
    if who.role not in (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER, Role.ADMIN):
        raise Forbidden("the enterprise console is for contractors and site managers")
    return who


def require_worker(who: Annotated[Principal, Depends(require_user)]) -> Principal:
    """The worker pages: a worker account, which only ever sees its own worker's records."""
    if who.role is not Role.WORKER or who.worker_id is None:
        raise Forbidden("these pages are for workers")
    return who


def require_warning_staff(who: Annotated[Principal, Depends(require_user)]) -> Principal:
    """The warnings queue: supervisors and the admin, and the enterprise console's staff for
    their own projects' warnings (central/auth/scope.py ``warnings_filter``)."""
    if who.role is Role.WORKER:
        raise Forbidden("the warnings queue is for supervisors and enterprise staff")
    return who


WebUser = Annotated[Principal, Depends(require_user)]
Supervisor = Annotated[Principal, Depends(require_supervision)]
EnterpriseUser = Annotated[Principal, Depends(require_enterprise)]
WorkerUser = Annotated[Principal, Depends(require_worker)]
WarningStaff = Annotated[Principal, Depends(require_warning_staff)]


def safe_next(target: str | None, door: str) -> str | None:
    """A redirect target under ``door`` (``/console`` or ``/worker``) only: never another
    site, never ``//host``, never a backslash or control character a browser may reinterpret."""
    if not target or not target.startswith(door + "/") or target.startswith("//"):
        return None
    if "\\" in target or any(not ch.isprintable() for ch in target):
        return None
    return target


def switch_language(request: Request, lang: str, next: str, door: str) -> Response:
    """Remember the reader's language for a year (an offered one only) and show ``next``
    again (the front door of ``door`` when ``next`` is not one of its pages)."""
    response = RedirectResponse(safe_next(next, door) or door, status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=i18n.COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=secure(request),
            path="/",
        )
    return response
