"""The notes central writes itself into a batch's log, as msgids with their parameters.

A step's note was English prose ("2 line(s) to bank-1.csv"), and the enterprise console showed
it so on its Chinese page. Central now stores the note's parameters beside it
(``payroll_log.params``, JSON): the console fills the reader's translation of the msgid, while
``note`` keeps the English text for the API, the CLI and the rows written before.
A person's own words in the log (a worker's dispute, the bank's message) stay as written.
"""

from collections.abc import Mapping

from central.errors import N_

#: action → the msgid of its note; ``%(name)s`` placeholders are the step's ``params``.
STEP_NOTES: dict[str, str] = {
    "recomputed": N_("%(lines)s line(s) changed by events"),
    "approved": N_("%(held)s disputed line(s) to be held back"),
    "submitted": N_("%(held)s disputed line(s) held back"),
    "retry": N_("%(lines)s failed line(s) back to pending"),
    "exported": N_("%(lines)s line(s) to %(file)s"),
    "bank_result_imported": N_("%(paid)s paid, %(failed)s failed, %(refused)s refused row(s)"),
}


def english(action: str, params: Mapping[str, object]) -> str:
    """The note in English (the msgid filled), as stored in ``payroll_log.note``."""
    return (STEP_NOTES[action] % params)[:500]
