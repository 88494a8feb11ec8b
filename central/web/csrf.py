"""CSRF protection for every console form: one token per session, checked in one place.

Every form carries a hidden ``csrf_token``; every web router is built by
:func:`central.web.routing.web_router`, which adds :func:`csrf_protect` as a dependency, so
each POST (PUT, PATCH, DELETE) under the console is refused with 403 unless the token is the
one of the browser's session. No route checks it itself, so no route can forget it.

The token is ``HMAC-SHA256(key=session secret, "sitegate-csrf")``: never stored, different
per session, and useless without the session it belongs to. The session secret is the
signed-in session's token (the HttpOnly ``sitegate_session`` cookie) or, before sign-in (the
login form, the language switch), a random pre-session cookie ``sitegate_presession``, so
the login form is protected too (login CSRF). Another site can make a browser send these
cookies, but cannot read them or a page carrying the token, so it cannot forge a form that
passes.

A page sent gzip-compressed (the worker pages, central/web/worker_gzip.py) carries the token
masked afresh (a random 128-bit pad, then the token's first 128 bits XOR the pad, as hex): a
secret that is the same in every compressed response beside text an attacker can reflect
into the page (a path, a query) could be guessed from the responses' sizes (BREACH).
Uncompressed pages (the consoles) carry the token itself, so two answers to the same request
stay byte-identical (what the "404 looks like 404" tests compare). The check accepts either.
"""

import hashlib
import hmac
import secrets

from starlette.requests import Request

from central.errors import Forbidden
from central.web.worker_gzip import compressed

FIELD = "csrf_token"
PRESESSION_COOKIE = "sitegate_presession"
SESSION_COOKIE = "sitegate_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRefused(Forbidden):
    """A form arrived without the token of this browser's session."""

    code = "csrf_refused"


def _derive(secret: str) -> str:
    return hmac.new(secret.encode(), b"sitegate-csrf", hashlib.sha256).hexdigest()


def _secret(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)


def token_for(request: Request) -> str:
    """The token a page renders into its forms.

    A browser with neither cookie gets a new pre-session secret, which the page's response
    sets (``request.state.new_presession``, see central/web/templating.py).
    """
    secret = _secret(request) or getattr(request.state, "new_presession", None)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        request.state.new_presession = secret
    token = _derive(secret)
    return _mask(token) if compressed(request.url.path) else token


#: A masked token is a random pad and the token's first half XOR the pad: 16 + 16 bytes, the
#: same 64 hex characters as the token itself (forms and tests see one length).
_HALF = 16


def _mask(token: str) -> str:
    half = bytes.fromhex(token)[:_HALF]
    pad = secrets.token_bytes(_HALF)
    return (pad + bytes(a ^ b for a, b in zip(half, pad, strict=True))).hex()


def _matches(sent: str, token: str) -> bool:
    """Whether ``sent`` is ``token`` itself or a masking of it."""
    try:
        raw = bytes.fromhex(sent)
    except ValueError:
        return False
    if len(raw) != 2 * _HALF:
        return False
    unmasked = bytes(a ^ b for a, b in zip(raw[_HALF:], raw[:_HALF], strict=True))
    whole = hmac.compare_digest(raw, bytes.fromhex(token))
    return hmac.compare_digest(unmasked, bytes.fromhex(token)[:_HALF]) or whole


async def csrf_protect(request: Request) -> None:
    """The one check: an unsafe method must carry the session's token in its form."""
    if request.method not in UNSAFE:
        return
    secret = _secret(request)
    sent = ""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else ""
    if not sent:
        sent = request.headers.get("x-csrf-token", "")
    if secret is None or not sent or not _matches(sent, _derive(secret)):
        raise CsrfRefused("the form has expired or did not come from this site: reload the page")
