"""Errors on console pages: the same exceptions as the API, answered as pages.

Services raise :mod:`central.errors` exceptions; the API turns them into its JSON error body
(central/api/errors.py). Under ``/console`` the same exceptions become an HTML page with the
same status and a message in the reader's language: a missing session sends the browser to
the login page; a bad query string (an unknown sort column, a page number out of range) is a
422 page, never a 500; an unknown console address is a 404 page. Paths outside the console
keep the API's handlers untouched.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from central.errors import CentralError, TooManyRequests
from central.web.refusals import MESSAGES, SOMETHING_WENT_WRONG, refusal_reason
from central.web.sessions import LoginRequired, session_user
from central.web.templating import render
from central.web.worker_layout import render_worker

PREFIX = "/console"
Handler = Callable[[Request, Exception], Awaitable[Response]]

# MESSAGES (the generic message of each status) lives in central/web/refusals.py now


WORKER_PREFIX = "/worker"  # the worker pages (central/web/worker_layout.py)


def is_worker_page(request: Request) -> bool:
    path = request.url.path
    return path == WORKER_PREFIX or path.startswith(WORKER_PREFIX + "/")


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/") or is_worker_page(request)


def error_page(
    request: Request,
    status: int,
    headers: dict[str, str] | None = None,
    exc: BaseException | None = None,
) -> Response:
    """The error page of ``status``; a refusal raised with a msgid says its own reason."""
    message: str = MESSAGES.get(status, SOMETHING_WENT_WRONG)
    params: Mapping[str, object] = {}
    if exc is not None and isinstance(getattr(exc, "msgid", None), str):
        message, params = refusal_reason(exc)
    response = (render_worker if is_worker_page(request) else render)(
        request,
        "worker_error.html" if is_worker_page(request) else "error.html",
        session_user(request),
        status_code=status,
        status=status,
        message=message,
        params=params,
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
            door = WORKER_PREFIX if is_worker_page(request) else PREFIX
            return RedirectResponse(f"{door}/login?next={target}", status_code=303)
        response = await api_central(request, exc)  # the status the API would answer
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
        return error_page(request, response.status_code, headers, exc)

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
