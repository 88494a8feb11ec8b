"""The one place where central's expected failures become a CLI message and an exit status.

Every command group of ``sitegate-central`` is a :class:`CliErrors` group, so a command just
calls the service: a :class:`~central.errors.CentralError` (a wrong state, a silent gate, a bad
file, an unknown record) is printed as one ``error: …`` line on stderr and exits with
:data:`EXIT_REFUSED`, never as a traceback. Anything else is a bug and keeps its traceback.
"""

from typing import Any

import typer
from typer.core import TyperGroup

from central.errors import CentralError, NotFound

EXIT_REFUSED = 1


def fail(message: object) -> typer.Exit:
    """Print ``error: message`` on stderr; raise the returned exit from the command."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_REFUSED)


class CliErrors(TyperGroup):
    """A Typer group whose commands' :class:`CentralError` ends as a clean message."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context, not exported by name
        try:
            return super().invoke(ctx)
        except NotFound as exc:  # its message names the record: "payroll batch 7"
            raise fail(f"{exc} not found") from None
        except CentralError as exc:
            raise fail(exc) from None
