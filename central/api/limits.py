"""Request bodies: credentials first, then a size limit, both before a byte of body is read.

FastAPI reads and parses a request's body before it resolves the dependencies that check the
bearer token, so without this an anonymous caller could make central read and parse 50 MB of
JSON and only then be told 401. This pure ASGI middleware sits in front of the app and:

* answers **401** to a request under ``/api/v1/`` (other than the login and the routes in
  ``PUBLIC_PATHS``) that carries no ``Authorization`` header (the console's session cookie
  does not authorise the API), without reading its body. It checks presence only: the token
  itself is verified by the route's dependency, after at most ``JSON_LIMIT`` bytes are read.
* answers **413** when ``Content-Length`` states more than the limit, without reading the body;
* counts the chunks actually received (a chunked body has no ``Content-Length``, and a client
  may send more than it announced) and answers **413** as soon as the count passes the limit;
* answers **422** to a URL whose path or query holds a control character (``%00``, ``%1b``):
  ids, dates and filters never contain one, PostgreSQL cannot even compare text holding a NUL
  (a 500 from any route that looks it up), and no route has to remember this.

Limits: ``JSON_LIMIT`` (1 MiB) for every body except multipart uploads to the routes in
``UPLOAD_PATHS``, which may carry up to ``MAX_PHOTOS`` photos of ``MAX_PHOTO_BYTES`` (8 MiB)
each plus the form's own overhead. The per-photo and photo-count limits themselves are checked
by the enrollment route (413).
"""

import re
import unicodedata
from urllib.parse import unquote_plus

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.registry.photos import MAX_PHOTO_BYTES, MAX_PHOTOS

JSON_LIMIT = 1024 * 1024
MULTIPART_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024

API_PREFIX = "/api/v1/"
#: Routes under /api/v1 that answer without credentials (the logins, and a worker redeeming
#: an activation code: central/api/routes/worker_access.py).
PUBLIC_PATHS = frozenset(
    {"/api/v1/auth/login", "/api/v1/auth/worker-login", "/api/v1/auth/activate"}
)
#: Routes that take photo uploads (multipart): the only bodies above ``JSON_LIMIT``.
#: (the enterprise console's enrollment page posts to its own twin of the API route)
UPLOAD_PATHS = re.compile(r"^/(?:api/v1|console/enterprise)/workers/[^/]+/photos$")
#: A training course's material PDF (central/training/material.py caps the file itself).
MATERIAL_PATHS = re.compile(r"^/(?:api/v1|console/enterprise)/training-courses$")
MATERIAL_LIMIT = 6 * 1024 * 1024


class _BodyTooLarge(Exception):
    """The received chunks passed the limit (raised from the wrapped ``receive``)."""


def _error(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    # The same body as every other error (central/api/errors.py ErrorBody).
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def _has_credentials(headers: Headers) -> bool:
    """A bearer token: the only credential the API takes. The console's session cookie does
    not authorise /api/v1 (another site could make a signed-in browser send it), so a request
    carrying only the cookie is refused here like one carrying nothing."""
    return bool(headers.get("authorization", "").strip())


def _has_control_characters(scope: Scope) -> bool:
    query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
    return any(unicodedata.category(ch) == "Cc" for ch in scope.get("path", "") + query)


def limit_for(path: str, headers: Headers) -> int:
    """The body limit of a request: uploads to an upload route, JSON (or anything) elsewhere."""
    content_type = headers.get("content-type", "").lower()
    if content_type.startswith("multipart/") and UPLOAD_PATHS.match(path):
        return MULTIPART_LIMIT
    if content_type.startswith("multipart/") and MATERIAL_PATHS.match(path):
        return MATERIAL_LIMIT
    return JSON_LIMIT


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


class RequestLimits:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope.get("path", "")
        if (
            path.startswith(API_PREFIX)
            and path not in PUBLIC_PATHS
            and not _has_credentials(headers)
        ):
            await _error(
                401,
                "a valid bearer token is required (POST /api/v1/auth/login)",
                "unauthenticated",
                {"WWW-Authenticate": "Bearer"},
            )(scope, receive, send)
            return
        if _has_control_characters(scope):
            await _error(422, "the URL holds a control character", "invalid_input")(
                scope, receive, send
            )
            return
        limit = limit_for(path, headers)
        declared = _declared_length(headers)
        if declared is not None and declared < 0:
            await _error(422, "Content-Length is not a number", "invalid_input")(
                scope, receive, send
            )
            return
        if declared is not None and declared > limit:
            await self._too_large(limit, scope, receive, send)
            return
        await self._counted(limit, scope, receive, send)

    async def _too_large(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        await _error(413, f"the request body is larger than {limit} bytes", "too_large")(
            scope, receive, send
        )

    async def _counted(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, counting received bytes; past ``limit`` the app's answer becomes 413."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a cut-off body; the 413 below replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._too_large(limit, scope, receive, send)
