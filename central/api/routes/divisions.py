"""GB/T 2260 divisions by name: what the console shows beside each code (南宁市 for 450100).

Anyone signed in reads them (they are public reference data, not records of anyone); only
the admin enters or renames one, e.g. a county created after the dataset fetched at set-up
was released (central/registry/divisions.py). Entering is audited.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_role
from central.auth.users import Role
from central.errors import InvalidInput
from central.registry import divisions

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions"])

Code = Annotated[str, Path(pattern=r"^[0-9]{6}$", description="six digits, e.g. 450102")]


@router.get("", response_model=list[divisions.Division], responses=error_responses(*AUTHENTICATED))
def list_divisions(
    who: CurrentUser,
    db: DbDep,
    parent: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    code: Annotated[list[str] | None, Query(max_length=200)] = None,
) -> list[divisions.Division]:
    """The provinces; the children of ``parent``; or the divisions ``code`` names (repeat it)."""
    del who  # signed in is enough: names of places are no one's record
    if code is not None and any(len(c) != 6 or not c.isdigit() for c in code):
        raise InvalidInput("code must be six digits such as 450102")
    with db.engine.connect() as conn:
        return divisions.divisions(conn, parent=parent, codes=code)


@router.put(
    "/{code}",
    response_model=divisions.Division,
    responses=error_responses(*AUTHENTICATED, 403),
)
def put_division(
    code: Code, body: divisions.DivisionIn, who: CurrentUser, db: DbDep
) -> divisions.Division:
    """Enter or rename one division (the admin; audited). Level and parent follow from the
    code; the English name defaults to the Chinese name in pinyin."""
    require_role(who, Role.ADMIN)
    with db.begin() as conn:
        return divisions.put_division(conn, who.actor, code, body)
