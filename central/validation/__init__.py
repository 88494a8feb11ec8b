"""Bounded input types shared by every request model and path/query parameter.

A value from outside (JSON body, path, query) must fit where it is going before any service
sees it: an id that SQLite and PostgreSQL can hold, a month and a date in the years a payroll
can concern, an amount of money below a stated ceiling, text without control characters.
Declaring these once, as ``Annotated`` types, puts the bound in the OpenAPI schema and answers
422 the same way on every route, instead of a 500 from the database or the wage arithmetic.
"""

from central.validation.dates import (
    FIRST_DAY,
    LAST_DAY,
    LocalDate,
    Month,
    NotFutureDate,
    not_future,
)
from central.validation.numbers import (
    DB_INT_MAX,
    MAX_ADJUSTMENT_FEN,
    MAX_AMOUNT_FEN,
    MAX_RATE_FEN,
    AdjustmentFen,
    DbId,
    Fen,
    Float32,
)
from central.validation.text import (
    Code,
    FreeText,
    Name,
    ProjectId,
    ShortText,
    WorkerIdText,
    clean_line,
    clean_text,
)

__all__ = [
    "DB_INT_MAX",
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_ADJUSTMENT_FEN",
    "MAX_AMOUNT_FEN",
    "MAX_RATE_FEN",
    "AdjustmentFen",
    "Code",
    "DbId",
    "Fen",
    "Float32",
    "FreeText",
    "LocalDate",
    "Month",
    "Name",
    "NotFutureDate",
    "ProjectId",
    "ShortText",
    "WorkerIdText",
    "clean_line",
    "clean_text",
    "not_future",
]
