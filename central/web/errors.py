"""Errors on console pages: the same exceptions as the API, answered as pages.

Services raise :mod:`central.errors` exceptions; the API turns them into its JSON error body
(central/api/errors.py). Under ``/console`` the same exceptions become an HTML page with the
same status and a message in the reader's language: a missing session sends the browser to
the login page; a bad query string (an unknown sort column, a page number out of range) is a
422 page, never a 500; an unknown console address is a 404 page. Paths outside the console
keep the API's handlers untouched.
"""

from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from central.errors import CentralError, TooManyRequests
from central.web.i18n import N_
from central.web.sessions import LoginRequired, session_user
from central.web.templating import render

PREFIX = "/console"
Handler = Callable[[Request, Exception], Awaitable[Response]]

MESSAGES: dict[int, str] = {
    401: N_("Please sign in."),
    403: N_("You may not open this page, or the form has expired. Reload and try again."),
    404: N_("There is nothing here, or it is outside what you may see."),
    409: N_("This conflicts with what is already recorded."),
    413: N_("What was sent is too large."),
    422: N_("The request is not valid: check the values and try again."),
    429: N_("Too many attempts. Wait a moment and try again."),
}


def is_console(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    response = render(
        request,
        "error.html",
        session_user(request),
        status_code=status,
        status=status,
        message=MESSAGES.get(status, N_("Something went wrong.")),
    )
    response.headers.update(headers or {})
    return response


def install(app: FastAPI) -> None:
    """Put the console's handlers in front of the API's for console paths."""
    api_central = cast(Handler, app.exception_handlers[CentralError])
    api_invalid = cast(Handler, app.exception_handlers[RequestValidationError])
    api_http = cast(Handler, app.exception_handlers[StarletteHTTPException])

    async def central_error(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await api_central(request, exc)
        if isinstance(exc, LoginRequired):
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)
        response = await api_central(request, exc)  # the status the API would answer
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
        return error_page(request, response.status_code, headers)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await api_invalid(request, exc)
        return error_page(request, 422)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not is_console(request):
            return await api_http(request, exc)
        response = await api_http(request, exc)  # 404 unknown page, 405, an unreadable form
        return error_page(request, response.status_code)

    app.add_exception_handler(CentralError, central_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
