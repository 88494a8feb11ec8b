"""The worker pages' mobile layout: their navigation and the one render call they use.

Worker pages live under ``/worker`` (routers from ``routing.web_router(WORKER_PREFIX)``, so
the CSRF check comes with them), take the ``sessions.WorkerUser`` dependency and render
templates extending ``worker_base.html``: a phone-first layout (360×640 first) with large
type, plain words and icons that always carry their label, and no script but the page's own.

Each worker page adds one :class:`WorkerNavItem` to :data:`WORKER_NAV` (a targeted edit of
the tuple below: the order is the order on screen). The icon names are the ``<symbol>`` ids
in ``static/worker-icons.svg`` without their ``icon-`` prefix.

Why the stylesheet and the icons are inside every page: on Chromium's Slow 3G preset every
request pays 2 s of latency, so a first visit that fetches the page and then its stylesheet
shows nothing for ~4.4 s. ``worker.css`` is therefore sent as the page's one ``<style>``
element, allowed by the hash of its exact bytes in the page's Content-Security-Policy
(``style-src 'self' 'sha256-…'``, computed once from the file, never ``'unsafe-inline'``), and
``worker-icons.svg`` as an inline sprite of ``<symbol>``s used by ``<use href="#icon-x">``.
Scripts stay external files (``script-src 'self'``), loaded without delaying the first paint.
Only the worker pages do this; the consoles keep their external stylesheet.
"""

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from central.auth.users import Principal
from central.web.i18n import N_
from central.web.templating import ENV, SECURITY_HEADERS, render


@dataclass(frozen=True, slots=True)
class WorkerNavItem:
    path: str
    label: str  # msgid
    icon: str  # a symbol id in static/worker-icons.svg


#: The worker pages' navigation, in order (others append their page here).
WORKER_NAV: tuple[WorkerNavItem, ...] = (
    WorkerNavItem("/worker/today", N_("Today"), "today"),
    WorkerNavItem("/worker/days", N_("My days"), "days"),
    WorkerNavItem("/worker/wages", N_("My wages"), "wages"),
    WorkerNavItem("/worker/contracts", N_("Contracts"), "contract"),
    WorkerNavItem("/worker/training", N_("Training"), "training"),
    WorkerNavItem("/worker/face", N_("Face data"), "face"),
    WorkerNavItem("/worker/help", N_("Help"), "help"),
    WorkerNavItem("/worker/jobs", N_("Jobs"), "jobs"),
)

#: Where a signed-in worker lands.
WORKER_HOME = "/worker/today"


def render_worker(
    request: Request,
    template: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A worker page: ``templating.render`` (no-store, CSRF, language) with the worker
    navigation instead of the console's and the CSP that admits its inline stylesheet."""
    response = render(request, template, who, status_code=status_code, **context)
    response.headers["Content-Security-Policy"] = worker_csp()
    return response


def _nav() -> tuple[WorkerNavItem, ...]:
    return WORKER_NAV


STATIC = Path(__file__).parent / "static"
#: The worker pages' own external files (scripts), served under a content-hashed URL with a
#: year's caching (central/web/routes/worker_access.py). The stylesheet and the icons are not
#: among them: they travel inside each page (:func:`inline_style`, :func:`icon_sprite`).
ASSETS: dict[str, str] = {
    "worker-today.js": "text/javascript; charset=utf-8",
}


@cache
def _style_text() -> str:
    css = (STATIC / "worker.css").read_text(encoding="utf-8")
    if "</" in css:  # would end the <style> element early (and change the hashed bytes)
        raise ValueError("worker.css must not contain '</'")
    return css


def inline_style() -> Markup:
    """The content of the worker pages' ``<style>`` element: ``worker.css`` byte for byte
    (its hash in :func:`worker_csp` is of these exact bytes)."""
    return Markup(_style_text())


@cache
def style_hash() -> str:
    """The CSP source of the inline stylesheet: ``'sha256-<base64 of its UTF-8 bytes>'``."""
    digest = hashlib.sha256(_style_text().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@cache
def worker_csp() -> str:
    """The console's policy with one change: styles from central or the worker stylesheet's
    exact bytes. Scripts stay ``'self'`` only."""
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    if "style-src 'self';" not in policy:
        raise ValueError(f"unexpected console CSP: {policy}")
    return policy.replace("style-src 'self';", f"style-src 'self' {style_hash()};")


@cache
def icon_sprite() -> Markup:
    """``worker-icons.svg`` as an inline, invisible ``<svg>`` of ``<symbol>``s (ids
    ``icon-<name>``), placed once at the top of each worker page's body."""
    svg = (STATIC / "worker-icons.svg").read_text(encoding="utf-8").strip()
    if not svg.startswith("<svg ") or "<script" in svg.lower() or "<style" in svg.lower():
        raise ValueError("worker-icons.svg must be a plain <svg> of <symbol>s")
    opening = '<svg class="w-sprite" width="0" height="0" aria-hidden="true" focusable="false" '
    return Markup(opening + svg.removeprefix("<svg "))


@cache
def asset_version() -> str:
    """A hash of the worker assets' contents: a changed file gets a new URL."""
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]


def asset_url(name: str) -> str:
    """The cacheable URL of one of :data:`ASSETS` (templates: ``worker_asset("worker.css")``)."""
    if name not in ASSETS:
        raise KeyError(f"not a worker asset: {name}")
    return f"/worker/assets/{asset_version()}/{name}"


# The layout reads the navigation through a global, so error pages rendered by
# central/web/errors.py (which does not know this module) show it too.
ENV.globals["worker_nav"] = _nav
ENV.globals["worker_asset"] = asset_url
ENV.globals["worker_style"] = inline_style
ENV.globals["worker_icons"] = icon_sprite
