"""Integers that fit the database, money with a ceiling, floats that fit float32.

``DB_INT_MAX`` is the largest signed 64-bit integer: SQLite's INTEGER and PostgreSQL's
BIGINT hold nothing larger, and a bigger Python int raises OverflowError inside the driver
(a 500). Money ceilings are far above any real wage and far below what a sum of them could
overflow: an adjustment of 9,223,372,036,854,775,807 fen once made every later payroll
compute of its month fail.
"""

from typing import Annotated

from pydantic import Field

DB_INT_MAX = 2**63 - 1

#: A stored row's id (path parameters, foreign keys in bodies): 1 … 2^63 − 1.
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]

#: 100,000 yuan per day or per hour: the ceiling of a pay rate (PayTerms.rate_fen).
MAX_RATE_FEN = 10_000_000
#: 1,000,000 yuan: the ceiling of one piece-rate amount or deduction.
MAX_ADJUSTMENT_FEN = 100_000_000
#: 100,000,000 yuan: the ceiling of any other amount a caller states (a paid amount, a total).
MAX_AMOUNT_FEN = 10_000_000_000

#: A non-negative amount of money in fen, at most ``MAX_AMOUNT_FEN``.
Fen = Annotated[int, Field(ge=0, le=MAX_AMOUNT_FEN, description="integer fen (0.01 yuan)")]
#: One adjustment: 1 fen … 1,000,000 yuan.
AdjustmentFen = Annotated[
    int, Field(gt=0, le=MAX_ADJUSTMENT_FEN, description="integer fen, at most 1,000,000 yuan")
]

_FLOAT32_MAX = 3.4028234663852886e38

#: A float stored as float32 (face encodings): NaN, ±inf and |x| > 3.4e38 are refused.
Float32 = Annotated[float, Field(ge=-_FLOAT32_MAX, le=_FLOAT32_MAX, allow_inf_nan=False)]
