"""Central's named failures: one base, mapped to HTTP statuses in one module
(central/api/errors.py) and to CLI messages in one wrapper (central/cli), so no route or command
maps its own."""


class CentralError(Exception):
    """Base of the expected failures: shown to the user as they are, never as a traceback."""


class NotFound(CentralError):
    """The record does not exist (or is outside the caller's scope)."""


class Conflict(CentralError):
    """The request contradicts the stored state (duplicate, wrong state for the step)."""


class InvalidInput(CentralError):
    """A value that fails validation (check digit, format, range)."""


class Forbidden(CentralError):
    """The caller's role or scope does not allow this."""
