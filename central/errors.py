"""Central's named failures: one base, mapped to HTTP statuses in one module
(central/api/errors.py) and to CLI messages in one wrapper (central/cli), so no route or command
maps its own.

Messages are shown to the caller as they are: they must never name or confirm a record the
caller may not see (say "worker not found", not "worker WA2 belongs to enterprise 3").
"""


class CentralError(Exception):
    """Base of the expected failures: shown to the user as they are, never as a traceback."""

    code = "error"
    #: fields added to the error body next to ``detail`` and ``code`` (e.g. silent gates)
    extra: dict[str, object] | None = None


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
