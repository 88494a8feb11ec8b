"""Signing in and out, the language switch, and the console's front door."""

from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from central.auth.passwords import MAX_LENGTH
from central.auth.throttle import Throttled
from central.auth.users import BadCredentials
from central.web import i18n
from central.web.routing import PREFIX, web_router
from central.web.sessions import WebUser, secure, session_user, sign_in, sign_out
from central.web.templating import home_for, render

router = web_router()


def safe_next(target: str | None) -> str | None:
    """A redirect target inside the console only (never another site, never ``//host``)."""
    if not target or not target.startswith(PREFIX + "/") or target.startswith("//"):
        return None
    if "\\" in target or any(not ch.isprintable() for ch in target):
        return None
    return target


@router.get("")
def front_door(request: Request) -> Response:
    who = session_user(request)
    target = home_for(who) if who is not None else f"{PREFIX}/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=safe_next(next) or "", username="")


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the credentials through the API's login (throttled, audited); on success the
    session cookie is set and the browser goes where it was headed."""
    response = RedirectResponse("", status_code=303)
    try:
        who = sign_in(request, response, username.strip(), password)
    except Throttled as exc:
        return render(
            request,
            "login.html",
            None,
            status_code=429,
            next=safe_next(next) or "",
            username=username[:64],
            error="throttled",
            retry_after=exc.retry_after,
        )
    except BadCredentials:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            next=safe_next(next) or "",
            username=username[:64],
            error="bad_credentials",
        )
    response.headers["location"] = safe_next(next) or home_for(who)
    return response


@router.post("/logout")
def logout_submit(request: Request) -> Response:
    """Revoke this session's token (audited) and go back to the login page."""
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    sign_out(request, response)
    return response


@router.post("/lang")
def choose_language(
    request: Request,
    lang: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Remember the reader's language for a year and show the same page again."""
    response = RedirectResponse(safe_next(next) or PREFIX, status_code=303)
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


@router.get("/welcome")
def welcome(request: Request, who: WebUser) -> Response:
    """The landing page of a role whose console pages do not exist yet."""
    return render(request, "welcome.html", who)
