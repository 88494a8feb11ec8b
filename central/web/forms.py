"""Console forms: a rejected form names each wrong field and why, and keeps what was typed.

A form's POST handler builds the service's pydantic model from the submitted fields; when
that raises :class:`pydantic.ValidationError`, :func:`field_errors` turns it into one message
per field (the field's label and the reason, both msgids translated by the template), and the
handler renders the same page again with status 422, the messages and the submitted values.
A service's own refusal (``InvalidInput``, ``Conflict``) is shown the same way against the
field it concerns (:func:`refusal`). Reasons are always msgids (with parameters such as a
length limit): a validator's own message is shown when it raised
:class:`central.errors.InvalidValue` with a msgid, else the generic "is not valid" — never
pydantic's English on a Chinese page.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from central.web import i18n
from central.web.i18n import N_
from central.web.refusals import refusal_reason

#: pydantic error types → the reason shown (a msgid without parameters); kept for pages that
#: map a type themselves. :func:`field_errors` prefers :data:`PARAM_REASONS`.
REASONS: dict[str, str] = {
    "missing": N_("is required"),
    "string_too_short": N_("is required"),
    "string_too_long": N_("is too long"),
    "string_pattern_mismatch": N_("has characters or a form that is not allowed"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_parsing": N_("must be a number"),
    "greater_than_equal": N_("is below the smallest value allowed"),
    "greater_than": N_("is below the smallest value allowed"),
    "less_than_equal": N_("is above the largest value allowed"),
    "less_than": N_("is above the largest value allowed"),
    "literal_error": N_("is not one of the choices"),
    "enum": N_("is not one of the choices"),
    "date_from_datetime_parsing": N_("must be a date like 2025-06-30"),
    "date_parsing": N_("must be a date like 2025-06-30"),
    "bool_parsing": N_("must be yes or no"),
    "extra_forbidden": N_("is not expected here"),
}
#: pydantic error types whose reason names a limit from the error's ``ctx`` (e.g. max_length)
PARAM_REASONS: dict[str, str] = {
    "string_too_short": N_("must have at least %(min_length)s characters"),
    "string_too_long": N_("must have at most %(max_length)s characters"),
    "too_short": N_("needs at least %(min_length)s entries"),
    "too_long": N_("may have at most %(max_length)s entries"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "less_than": N_("must be less than %(lt)s"),
    "multiple_of": N_("must be a multiple of %(multiple_of)s"),
    "decimal_max_places": N_("may have at most %(decimal_places)s decimals"),
}
#: more pydantic error types (no parameters) beyond :data:`REASONS`
MORE_REASONS: dict[str, str] = {
    "string_type": N_("must be text"),
    "decimal_parsing": N_("must be a number"),
    "int_type": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "date_type": N_("must be a date like 2025-06-30"),
    "date_future": N_("must be a day in the future"),
    "date_past": N_("must be a day in the past"),
    "datetime_parsing": N_("must be a date and time like 2025-06-30 07:30"),
    "datetime_from_date_parsing": N_("must be a date and time like 2025-06-30 07:30"),
    "time_parsing": N_("must be a time like 07:30"),
    "time_type": N_("must be a time like 07:30"),
    "url_parsing": N_("is not a valid address"),
    "url_scheme": N_("is not a valid address"),
    "uuid_parsing": N_("is not a valid identifier"),
    "bytes_too_long": N_("is too long"),
}
#: what a refusal without a known type says (e.g. a validator's plain ``ValueError``)
NOT_VALID = N_("is not valid")


def catalogued(text: str) -> bool:
    """Whether ``text`` is a msgid of the catalogue (a validator raising ``ValueError(N_(…))``
    with a msgid as its whole text): the default language's translation differs from it."""
    return "%(" not in text and i18n.translations(i18n.DEFAULT).gettext(text) != text


def reason_of(error: Mapping[str, Any]) -> tuple[str, Mapping[str, object]]:
    """The msgid and parameters of one pydantic error (translated by the template)."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), Exception):
        cause: Exception = ctx["error"]
        if isinstance(getattr(cause, "msgid", None), str):
            return refusal_reason(cause)
        text = str(cause)
        return (text, {}) if catalogued(text) else (NOT_VALID, {})
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return REASONS["string_too_short"], {}  # "is required"
    if kind in PARAM_REASONS and ctx:
        try:
            params: dict[str, object] = {k: str(v) for k, v in ctx.items()}
            PARAM_REASONS[kind] % params  # the ctx has what the msgid names
        except (KeyError, ValueError, TypeError):
            pass
        else:
            return PARAM_REASONS[kind], params
    reason = REASONS.get(kind) or MORE_REASONS.get(kind)
    return (reason, {}) if reason else (NOT_VALID, {})


@dataclass(frozen=True, slots=True)
class FieldError:
    """One wrong field: its label and the reason (msgids; the reason's ``params`` are filled in
    after translation), or a reason already translated (``translate=False``)."""

    field: str
    label: str
    reason: str
    translate: bool = True  # False: ``reason`` is text already in the reader's language
    params: Mapping[str, object] | None = None


def field_errors(
    exc: ValidationError, labels: Mapping[str, str], nested: tuple[str, ...] = ()
) -> dict[str, FieldError]:
    """The first error of each field of ``exc``; ``labels`` maps field names to msgids.
    ``nested``: sub-models whose fields the form shows flat (their own names are used)."""
    out: dict[str, FieldError] = {}
    for error in exc.errors():
        loc = tuple(error.get("loc") or ("",))
        if len(loc) > 1 and loc[0] in nested:
            loc = loc[1:]
        name = str(loc[0])
        if name in out:
            continue
        reason, params = reason_of(error)
        out[name] = FieldError(name, labels.get(name, name), reason, params=params or None)
    return out


def refusal(field: str, label: str, message: str | BaseException) -> dict[str, FieldError]:
    """A service's refusal shown against one field: give the exception itself (its msgid and
    parameters, or its kind's generic message) — or text already in the reader's language
    (e.g. from :func:`central.web.refusals.refusal_text`)."""
    if isinstance(message, BaseException):
        reason, params = refusal_reason(message)
        return {field: FieldError(field, label, reason, params=params or None)}
    return {field: FieldError(field, label, message, translate=False)}


async def submitted(request: Request, keys: tuple[str, ...], limit: int = 500) -> dict[str, str]:
    """The posted form's ``keys`` as trimmed text, each cut to ``limit`` characters (a missing
    field is ``""``): the values a page validates and, when refused, shows again. The cut
    keeps an oversized post from being echoed back whole; the service's model still decides
    the real length limit and names the field."""
    form = await request.form()
    return {k: str(form.get(k, "")).strip()[:limit] for k in keys}
