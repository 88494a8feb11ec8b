"""Gzip for the worker pages only: every byte counts on a worker's Slow 3G phone.

Measured (tests/integration/test_worker_pages_browser.py, DevTools' Slow 3G, empty cache):
the worker pages, stylesheet and icons inline, are 14–23 KB as sent and 4.7–7.7 KB gzipped,
which brings their first paint from 2.30–2.46 s to 2.14–2.38 s. Starlette's
``GZipMiddleware`` does the work; this wrapper only limits it to ``/worker`` so the API's
JSON, the exports and the consoles are answered exactly as before (no compression cost on
the gates' ingest path, no change to what other clients receive).

Compressed pages that carry a per-session secret next to attacker-reflected text invite
BREACH; the CSRF token is therefore masked afresh on every page under ``/worker``
(central/web/csrf.py), and the session token only ever travels in a cookie.
"""

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

WORKER_PREFIX = "/worker"
#: Below this a response gains nothing from compression (the headers dominate).
MINIMUM_SIZE = 1000


def compressed(path: str) -> bool:
    """Whether answers at ``path`` may be gzipped (so their pages mask the CSRF token)."""
    return path == WORKER_PREFIX or path.startswith(WORKER_PREFIX + "/")


class WorkerPagesGzip:
    """ASGI middleware: gzip (when the browser accepts it) for paths under ``/worker``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and compressed(scope.get("path", "")):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
