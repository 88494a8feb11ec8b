"""Signing in and out, the language switch, and the console's front door."""

from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from central.auth.passwords import MAX_LENGTH
from central.auth.throttle import Throttled
from central.auth.users import BadCredentials
from central.web.routing import PREFIX, web_router
from central.web.sessions import (
    WebUser,
    safe_next,
    session_user,
    sign_in,
    sign_out,
    switch_language,
)
from central.web.templating import home_for, render

router = web_router()


@router.get("")
def front_door(request: Request) -> Response:
    who = session_user(request)
    target = home_for(who) if who is not None else f"{PREFIX}/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=safe_next(next, PREFIX) or "", username="")


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
            next=safe_next(next, PREFIX) or "",
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
            next=safe_next(next, PREFIX) or "",
            username=username[:64],
            error="bad_credentials",
        )
    response.headers["location"] = safe_next(next, PREFIX) or home_for(who)
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
    return switch_language(request, lang, next, PREFIX)


@router.get("/welcome")
def welcome(request: Request, who: WebUser) -> Response:
    """The landing page of a role whose console pages do not exist yet."""
    return render(request, "welcome.html", who)
