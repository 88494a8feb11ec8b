"""Named failures of the wage side; the API maps each to one HTTP status (api/wage_errors.py)."""


class WageError(Exception):
    """Base of the expected failures: shown to the user as they are, never as a traceback."""


class NotFound(WageError):
    """The record does not exist (or is outside the caller's scope)."""


class Conflict(WageError):
    """The request contradicts the stored state (duplicate, wrong state for the step)."""


class InvalidInput(WageError):
    """A value that fails validation (check digit, format, range)."""


class Forbidden(WageError):
    """The caller's role or scope does not allow this."""
