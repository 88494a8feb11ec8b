"""Central's named failures: one base, mapped to HTTP statuses in one module
(central/api/errors.py) and to CLI messages in one wrapper (central/cli), so no route or command
maps its own.

Messages are shown to the caller as they are: they must never name or confirm a record the
caller may not see (say "worker not found", not "worker WA2 belongs to enterprise 3").

A refusal that reaches a console or worker page is said in the reader's language: raise it with
a message id and parameters, ``raise Conflict.of(N_("batch %(batch)s is approved"), batch=b)``.
``str(exc)`` (the API's ``detail``, the CLI, logs) stays the English text, msgid % params; the
pages translate the msgid and fill in the same parameters (central/web/refusals.py). A plain
``raise Conflict("text")`` still works; pages then show their generic message for the status.
A pydantic validator raises :class:`InvalidValue` the same way (a ``ValueError``, so pydantic
reports it as ever) and console forms show its msgid translated. :func:`N_` marks the msgids
for the catalogue's extraction (central/web/babel.cfg reads every module of central).
"""

from collections.abc import Mapping
from typing import Self


def N_(message: str) -> str:
    """Mark a msgid for the console's catalogue; it is translated where it is shown."""
    return message


def fill(msgid: str, params: Mapping[str, object]) -> str:
    """``msgid`` with its ``%(name)s`` parameters filled in (no parameters: as it is)."""
    return msgid % dict(params) if params else msgid


class Marked:
    """A message id and its parameters carried by an exception (none when unmarked)."""

    msgid: str | None = None
    params: Mapping[str, object] = {}

    def marked(self, msgid: str, /, **params: object) -> Self:
        """Attach ``msgid`` and ``params`` (for classes whose constructor takes more, e.g.
        ``FieldInvalid("day", fill(m, p)).marked(m, **p)``); returns the exception itself."""
        self.msgid = msgid
        self.params = dict(params)
        return self


class InvalidValue(Marked, ValueError):
    """A pydantic validator's refusal with a msgid: ``raise InvalidValue(N_("..."), **params)``.
    ``str()`` is the English text, as a plain ``ValueError``'s would be."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        super().__init__(fill(msgid, params))
        self.marked(msgid, **params)

    @classmethod
    def from_error(cls, exc: BaseException) -> "InvalidValue":
        """A validator re-raising a service's refusal keeps its msgid when it has one."""
        msgid = getattr(exc, "msgid", None)
        if isinstance(msgid, str):
            return cls(msgid, **getattr(exc, "params", {}))
        made = cls(str(exc))
        made.msgid = None  # plain text: no msgid to translate
        return made


class CentralError(Marked, Exception):
    """Base of the expected failures: shown to the user as they are, never as a traceback."""

    code = "error"
    #: fields added to the error body next to ``detail`` and ``code`` (e.g. silent gates)
    extra: dict[str, object] | None = None

    @classmethod
    def of(cls, msgid: str, /, **params: object) -> Self:
        """The refusal with a msgid: English text msgid % params, translated on pages."""
        return cls(fill(msgid, params)).marked(msgid, **params)


class Unauthenticated(CentralError):
    """No valid credentials (missing, wrong, expired or revoked)."""

    code = "unauthenticated"


class NotFound(CentralError):
    """The record does not exist (or is outside the caller's scope)."""

    code = "not_found"


class Conflict(CentralError):
    """The request contradicts the stored state (duplicate, wrong state for the step)."""

    code = "conflict"


class InvalidInput(CentralError):
    """A value that fails validation (check digit, format, range)."""

    code = "invalid_input"


class Forbidden(CentralError):
    """The caller's role or scope does not allow this."""

    code = "forbidden"


class TooLarge(CentralError):
    """A request body, upload or file count above the stated limit."""

    code = "too_large"


class TooManyRequests(CentralError):
    """Throttled: too many attempts; ``retry_after`` seconds until the next is accepted."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: the HTTP status of each kind of refusal: the one map, read by the API's error handler
#: (central/api/errors.py) and by the pages (central/web/refusals.py), which may not import
#: each other
STATUS: dict[type[CentralError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    InvalidInput: 422,
    TooManyRequests: 429,
}


def status_of(exc: BaseException, unknown: int) -> int:
    """The HTTP status ``exc`` is answered with; ``unknown`` for an exception of no mapped
    kind (the API says 400 for a bare CentralError, a page 500 for anything unexpected)."""
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), unknown)
