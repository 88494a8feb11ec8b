"""The registry forms' checks, field by field, in the reader's language.

The rules are the service's (central/registry/validation.py: GB 11643 check digit, the birth
date inside the number, Luhn; the pydantic models of central/registry/); this module only
names, for each field, which rule failed as a msgid, so the form can say "the check digit
does not match" next to the ID number and keep everything that was typed. The same reason
codes label the roster import's row-by-row report.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from central.registry import validation
from central.registry.roster import Hire, fen_of_yuan
from central.registry.roster_import import STAND_IN_ID
from central.registry.workers import WorkerIn
from central.wages.rules import PayKind, PayTerms
from central.web.forms import FieldError, field_errors
from central.web.i18n import N_

LABELS: dict[str, str] = {
    "name": N_("Name"),
    "id_number": N_("ID number"),
    "phone": N_("Phone"),
    "card_number": N_("Payroll card"),
    "bank": N_("Bank"),
    "project_id": N_("Project"),
    "employer_id": N_("Employer"),
    "team": N_("Team"),
    "trade": N_("Trade"),
    "pay_kind": N_("Pay kind"),
    "rate": N_("Rate (yuan)"),
    "start_date": N_("Start date"),
    "worker_id": N_("Worker ID (gates)"),
    "reason": N_("Reason"),
    "row": N_("Row"),
    "file": N_("File"),
}
PAY_KINDS = (("daily", N_("Daily rate")), ("hourly", N_("Hourly rate")))

#: Why a value was refused (the registry's reason codes) → the msgid shown.
REASONS: dict[str, str] = {
    # resident ID numbers (validation.resident_id_problem)
    "length": N_("must have 18 characters"),
    "format": N_("the first 17 characters must be digits and the last a digit or X"),
    "checksum": N_("the check digit does not match: a character is mistyped"),
    "birth_date": N_("the birth date inside the number (characters 7 to 14) is not a real date"),
    "future_birth": N_("the birth date inside the number is in the future"),
    "place": N_("the first six digits are not a known place code"),
    # payroll cards (validation.card_problem)
    "card_digits": N_("must be 12 to 19 digits"),
    "card_checksum": N_("the check digit does not match (Luhn): a digit is mistyped"),
    # the rest of a form or a roster row
    "missing": N_("is required"),
    "rate": N_("must be an amount in yuan above 0 with at most two decimals"),
    "date": N_("must be a date like 2025-06-30"),
    "pay_kind": N_("must be daily or hourly (按日 or 按小时)"),
    "formula": N_("is a formula cell: type the value itself"),
    "number_cell": N_("must be a text cell: as a number the spreadsheet drops digits"),
    "repeated": N_("repeats an earlier row of the file"),
    "registered": N_(
        "is already registered: one person has one record. Link them by ID number instead."
    ),
    "employed": N_("this employer already employs this person on the project"),
    "worker_id": N_("is taken: choose another or leave it empty"),
    "empty": N_("the file has no rows below the header"),
    "not_registered": N_("no one is registered with this ID number: add them as a new worker"),
    "not_your_project": N_("is not one of your projects"),
    "employer_not_on_project": N_(
        "is not registered on this project: its general contractor registers it first"
    ),
    "own_employer_only": N_("a subcontractor employs for its own enterprise only"),
}


def refused(field: str, code: str) -> FieldError:
    """A field refused for one of :data:`REASONS`."""
    return FieldError(field, LABELS.get(field, field), REASONS[code])


def number_errors(values: Mapping[str, str], *, card: bool = True) -> dict[str, FieldError]:
    """The ID number's and the payroll card's own checks (empty card: none given)."""
    errors: dict[str, FieldError] = {}
    number = values.get("id_number", "")
    if not number:
        errors["id_number"] = refused("id_number", "missing")
    elif problem := validation.resident_id_problem(number):
        errors["id_number"] = refused("id_number", problem)
    given = values.get("card_number") if card else None
    if given and (problem := validation.card_problem(given)):
        errors["card_number"] = refused("card_number", f"card_{problem}")
    return errors


def person(
    values: Mapping[str, str], worker_id: str, errors: dict[str, FieldError]
) -> WorkerIn | None:
    """The new worker the form describes, or None with ``errors`` filled per field."""
    errors.update({k: v for k, v in number_errors(values).items() if k not in errors})
    try:
        found = WorkerIn(
            id=values.get("worker_id") or worker_id,
            name=values.get("name", ""),
            id_number=STAND_IN_ID if "id_number" in errors else values["id_number"],
            phone=values.get("phone") or None,
            card_number=None if "card_number" in errors else values.get("card_number") or None,
            bank=values.get("bank") or None,
        )
    except ValidationError as exc:
        renamed = field_errors(exc, LABELS)
        if "id" in renamed:
            renamed["worker_id"] = refused_text("worker_id", renamed.pop("id"))
        errors.update({k: v for k, v in renamed.items() if k not in errors})
        return None
    return None if errors else found


def refused_text(field: str, error: FieldError) -> FieldError:
    return FieldError(field, LABELS.get(field, field), error.reason, error.translate)


def hire(values: Mapping[str, str], errors: dict[str, FieldError]) -> Hire | None:
    """The employment the form describes (pay terms typed in yuan, kept in fen)."""
    rate: int | None = None
    start: date | None = None
    try:
        rate = fen_of_yuan(values.get("rate", ""))
    except ValueError:
        errors["rate"] = refused("rate", "missing" if not values.get("rate") else "rate")
    try:
        start = date.fromisoformat(values.get("start_date", ""))
    except ValueError:
        errors["start_date"] = refused(
            "start_date", "missing" if not values.get("start_date") else "date"
        )
    kind = values.get("pay_kind", "")
    if kind not in {k.value for k in PayKind}:
        errors["pay_kind"] = refused("pay_kind", "pay_kind")
    employer = values.get("employer_id", "")
    if not employer.isdigit():
        errors["employer_id"] = refused("employer_id", "missing")
    if not values.get("project_id"):
        errors["project_id"] = refused("project_id", "missing")
    if errors.keys() & {"rate", "start_date", "pay_kind", "employer_id", "project_id"}:
        return None
    data: dict[str, Any] = {
        "project_id": values["project_id"],
        "employer_id": int(employer),
        "team": values.get("team") or None,
        "trade": values.get("trade") or None,
        "start_date": start,
    }
    try:
        data["terms"] = PayTerms(pay_kind=PayKind(kind), rate_fen=rate or 0)
        return Hire.model_validate(data)
    except ValidationError as exc:
        found = field_errors(exc, LABELS)
        for key, error in found.items():
            name = "rate" if key in ("terms", "rate_fen") else key
            errors.setdefault(name, refused_text(name, error))
        return None
