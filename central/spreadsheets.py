"""Cells of the CSV and .xlsx files people open in Excel or WPS: text stays text.

A worker's name, a bank's name or a note is typed by someone, and a spreadsheet program
reads a cell starting with ``= + - @`` (or a tab, CR or LF, or the full-width ``＝ ＋ － ＠``
that a Chinese input method types) as a formula: ``=HYPERLINK("http://x","y")`` in a bank
file becomes a live link on the payroll office's machine. Every file central writes passes
its cells through here:

* CSV (OWASP's rule): a text value starting with one of those characters gets a leading
  ``'``, which Excel and WPS show as text and do not evaluate.
* .xlsx: text is stored as a string cell (``data_type "s"``) with the quote-prefix style, so
  it is a string in the file itself and stays one when someone edits the cell.

Numbers (ints, floats, and text that is just a number such as ``"-12.50"``) pass unchanged:
they cannot be formulas, and a bank must read them as the amounts they are.
"""

import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def is_risky(value: str) -> bool:
    """Would a spreadsheet program read this text as a formula?"""
    return value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value)


def csv_cell(value: object) -> object:
    """One CSV value: risky text gets a leading ``'``; everything else unchanged."""
    if isinstance(value, str) and is_risky(value):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(v) for v in values]


def xlsx_row(sheet: Worksheet, values: Iterable[object]) -> list[object]:
    """A row for ``sheet.append``: every text value as a string cell, never a formula.

    Works for normal and write-only worksheets (both take ``Cell`` objects in ``append``).
    """
    row: list[object] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would store "=…" as a formula ("f")
            if is_risky(value):
                cell.quotePrefix = True
            row.append(cell)
        else:
            row.append(value)
    return row


def text_stays_text(book: Workbook) -> None:
    """Before saving a (normal, not write-only) workbook: every text cell a string cell.

    openpyxl has already typed a text starting with ``=`` as a formula when it was appended;
    this types it back, so a report cannot carry a formula however its rows were built.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if is_risky(cell.value):
                        cell.quotePrefix = True
