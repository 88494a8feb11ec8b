"""A service's refusal said in the reader's language, wherever a page shows one.

Services raise :mod:`central.errors` exceptions whose ``str()`` is English (the API's
``detail``). An exception raised with a message id (``Conflict.of(N_("…"), **params)``) is
shown as that msgid's translation with its parameters filled in; one without is shown as the
generic message of its kind (central/web/errors.py ``MESSAGES``), never as raw English on a
zh-CN page. Pages call :func:`refusal_text` (text to show) or :func:`refusal_reason` (a
:class:`~central.web.forms.FieldError`'s msgid and parameters, translated by the template).
"""

from collections.abc import Mapping

from starlette.requests import Request

from central.errors import fill
from central.errors import status_of as _status_of
from central.web import i18n
from central.web.i18n import N_

SOMETHING_WENT_WRONG = N_("Something went wrong.")
#: the generic message of each status (error pages, refusals without a msgid of their own)
MESSAGES: dict[int, str] = {
    401: N_("Please sign in."),
    403: N_("You may not open this page, or the form has expired. Reload and try again."),
    404: N_("There is nothing here, or it is outside what you may see."),
    409: N_("This conflicts with what is already recorded."),
    413: N_("What was sent is too large."),
    422: N_("The request is not valid: check the values and try again."),
    429: N_("Too many attempts. Wait a moment and try again."),
}


def status_of(exc: BaseException) -> int:
    """The HTTP status the API answers ``exc`` with (500 for anything unexpected)."""
    return _status_of(exc, 500)


def generic(status: int) -> str:
    """The msgid shown for a refusal of ``status`` that carries no msgid of its own."""
    return MESSAGES.get(status, SOMETHING_WENT_WRONG)


def refusal_reason(exc: BaseException) -> tuple[str, Mapping[str, object]]:
    """The msgid and parameters that say why ``exc`` refused (generic when unmarked)."""
    msgid = getattr(exc, "msgid", None)
    if isinstance(msgid, str):
        return msgid, dict(getattr(exc, "params", {}) or {})
    return generic(status_of(exc)), {}


def translate(locale: str, msgid: str, params: Mapping[str, object]) -> str:
    """``msgid`` in ``locale`` with ``params`` filled in; a translation whose placeholders do
    not fit the parameters falls back to the English text rather than failing the page."""
    text = i18n.translations(locale).gettext(msgid)
    try:
        return fill(text, params)
    except (KeyError, ValueError, TypeError):
        return fill(msgid, params)


def refusal_text(request: Request, exc: BaseException) -> str:
    """What to show the reader for ``exc``: its msgid translated, else the generic message."""
    msgid, params = refusal_reason(exc)
    return translate(i18n.locale_of(request), msgid, params)
