"""A warning's subject as a msgid of the console's catalogue plus structured parameters.

The services that raise warnings store the ``kind`` and the subject's ``params`` (JSON); the
subject is never prose frozen in one language. :func:`english` fills the English msgid (kept
in ``wage_warnings.subject`` for the API's older readers and the CLI); the console passes the
reader's translation of the same msgid to :func:`fill`, so the queue, the warning page, its
history and the export say it in the reader's language.

The msgids are marked with :func:`N_` and extracted with the console's (central/web/babel.cfg
names this file), so ``tests/central/test_web_i18n.py`` checks each has zh-CN and English.
A parameter ``x_fen`` (integer fen) is also offered as ``x_yuan`` (``12.50``); a time
parameter (``*_at``, ``since``) is shown in the deployment's zone when one is given.
"""

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from central.errors import N_
from central.wages.money import yuan
from firmware_config.dust_profiles import PROFILES

#: kind → the subject's msgid; ``%(name)s`` placeholders are the warning's ``params``. The
#: msgids are the English subjects stored before (older readers match on them); the English
#: catalogue may word them better, and any translation may use the ``_yuan`` forms.
SUBJECTS: dict[str, str] = {
    "batch_overdue": N_("%(project)s %(month)s wages not paid by %(due_date)s"),
    "not_paid_monthly": N_(
        "%(project)s: %(workers)s worker(s) worked in %(month)s, no payroll by %(due_date)s"
    ),
    "underpaid": N_("%(worker)s paid %(paid_fen)s of %(net_fen)s fen for %(month)s"),
    "bank_failed": N_("payment to %(worker)s for %(month)s failed at the bank, not retried"),
    "line_disputed": N_("worker %(worker)s disputes the %(month)s line"),
    "no_labour_contract": N_(
        "%(worker)s checked in at %(project)s without a signed labour contract"
    ),
    "training_expiring": N_("%(worker)s's safety training %(course)s expires on %(valid_until)s"),
    "no_valid_payroll_card": N_(
        "%(worker)s checked in at %(project)s without a valid payroll card"
    ),
    "attendance_without_pay_line": N_(
        "%(worker)s worked %(days)s day(s) in %(month)s but has no pay line"
    ),
    "attendance_changed_after_approval": N_(
        "%(worker)s's %(day)s changed after the %(month)s payroll was approved"
    ),
    "below_minimum_wage": N_(
        "%(worker)s is paid %(per_hour_fen)s fen an hour in %(month)s, below the minimum"
    ),
    "overtime_daily_limit": N_(
        "%(worker)s worked %(minutes)s min extended time on %(day)s (limit 180, art. 41)"
    ),
    "overtime_monthly_limit": N_(
        "%(worker)s worked %(minutes)s min overtime in %(month)s (limit 2160, art. 41)"
    ),
    "device_offline": N_("gate %(gate)s silent since %(since)s"),
    "complaint": N_("wage complaint by %(worker)s: %(amount_fen)s fen owed for %(months)s"),
    "complaint_overdue": N_("wage complaint %(complaint)s not handled by %(due_on)s"),
    "dust_exceedance": N_(
        "%(gate)s: %(pollutant)s %(value)s µg/m³ over the %(limit)s limit (%(profile)s, "
        "%(window)s) at %(at)s"
    ),
}

#: Notes central writes itself into a warning's history (``detail.note_kind``).
SYSTEM_NOTES: dict[str, str] = {
    "gate_heard": N_("gate heard from at %(at)s"),
    "gate_sent_events": N_("gate heard from: it sent events again"),
    "dust_cleared": N_("the gate reported the alarm cleared at %(at)s"),
    "complaint_overdue": N_("not handled by %(due_on)s: a complaint_overdue warning was raised"),
}

_TIMES = ("since", "at")

#: The protocol's pollutant keys (wireproto's dust messages) as people write them; the pages
#: use the same names (the ``pollutant`` filter, central/web/templating.py).
POLLUTANT_NAMES = {"pm2_5": "PM2.5", "pm10": "PM10", "tsp": "TSP"}


def _same(text: str) -> str:
    return text


def _shown(
    params: Mapping[str, Any], zone: tzinfo | None, translate: Callable[[str], str] = _same
) -> dict[str, Any]:
    """The parameters as they are printed: fen also in yuan, floats short, times local, codes
    by their names (a pollutant, a dust profile's title in the reader's language)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, float):
            value = f"{value:g}"
        if key == "pollutant" and isinstance(value, str):
            value = POLLUTANT_NAMES.get(value, value)
        if key == "profile" and isinstance(value, str) and value in PROFILES:
            value = translate(PROFILES[value].title)  # a msgid (central/web/routes/dust.py)
        if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
            out[key[: -len("_fen")] + "_yuan"] = yuan(value)
        if zone is not None and (key in _TIMES or key.endswith("_at")) and isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                at = None
            if at is not None and at.tzinfo is not None:
                # As every page shows a moment (the ``moment`` filter): site date and minute.
                value = at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        out[key] = value
    return out


def fill(
    template: str,
    params: Mapping[str, Any],
    zone: tzinfo | None = None,
    translate: Callable[[str], str] = _same,
) -> str | None:
    """``template`` with ``params`` filled in; None when a placeholder has no parameter (an
    older row, a translation naming a parameter the kind does not have)."""
    try:
        return template % _shown(params, zone, translate)
    except (KeyError, ValueError, TypeError):
        return None


def english(kind: str, params: Mapping[str, Any]) -> str:
    """The subject in English (the msgid filled), as stored in ``wage_warnings.subject``."""
    template = SUBJECTS.get(kind)
    text = fill(template, params) if template is not None else None
    if text is None:
        raise ValueError(f"warning kind {kind!r} has no subject for parameters {sorted(params)}")
    return text[:200]


def system_note(note_kind: str, params: Mapping[str, Any]) -> str:
    """A note of :data:`SYSTEM_NOTES` in English (the history row's ``note``)."""
    text = fill(SYSTEM_NOTES[note_kind], params)
    if text is None:
        raise ValueError(f"system note {note_kind!r} lacks parameters {sorted(params)}")
    return text[:500]


def subject_in(
    translate: Callable[[str], str],
    kind: str,
    params: Mapping[str, Any] | None,
    stored: str,
    zone: tzinfo | None = None,
) -> str:
    """The subject in the reader's language (``translate`` is the reader's gettext); the
    stored English subject when the kind is unknown or the row predates parameters."""
    template = SUBJECTS.get(kind)
    if template is None or params is None:
        return stored
    return (
        fill(translate(template), params, zone, translate) or fill(template, params, zone) or stored
    )


def note_in(
    translate: Callable[[str], str],
    detail: Mapping[str, Any],
    stored: str | None,
    zone: tzinfo | None = None,
) -> str | None:
    """A history note central wrote itself, in the reader's language; others as written."""
    template = SYSTEM_NOTES.get(str(detail.get("note_kind")))
    params = detail.get("note_params")
    if template is None or not isinstance(params, Mapping):
        return stored
    return fill(translate(template), params, zone) or stored
