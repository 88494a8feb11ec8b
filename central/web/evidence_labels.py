"""What each key of a warning's evidence is called on the warning page.

The evidence is stored as the raising code wrote it (``wage_warnings.evidence``: JSON, English
keys, fen, ISO moments), and the API returns it so; a person reads labels in their language,
money in yuan and moments on the site clock. Keys not listed here are shown as stored (a kind
added later), and bookkeeping copies no reader needs are left out.
"""

from central.web.i18n import N_
from central.web.routes.lists import GATE_STATES
from firmware_config.dust_profiles import PROFILES

LABELS: dict[str, str] = {
    "allowed_per_day": N_("Exceedances allowed per day"),
    "amount_fen": N_("Amount owed"),
    "arrears_case": N_("Arrears case"),
    "at": N_("Time"),
    "bank_message": N_("Bank's message"),
    "batch_id": N_("Batch"),
    "check_ins": N_("Check-ins"),
    "complaint": N_("Complaint"),
    "complaint_warning": N_("Complaint warning"),
    "date": N_("Date"),
    "day": N_("Date"),
    "days": N_("Attended days"),
    "days_late": N_("Days late"),
    "days_left": N_("Days left"),
    "description": N_("Description"),
    "device": N_("Device"),
    "due_date": N_("Due date"),
    "due_on": N_("Due on"),
    "employer_id": N_("Employer"),
    "exceedances_today": N_("Exceedances today"),
    "extended_minutes": N_("Extended time (minutes)"),
    "failed": N_("Failed lines"),
    "fen_per_hour": N_("Paid per hour (yuan)"),
    "first_check_in": N_("First check-in"),
    "last_heard": N_("Last heard"),
    "last_state": N_("Last state"),
    "limit": N_("Limit"),
    "line_id": N_("Pay line"),
    "minimum_fen_per_hour": N_("Minimum wage per hour (yuan)"),
    "month": N_("Month"),
    "months": N_("Months"),
    "net_fen": N_("Net (yuan)"),
    "overtime_minutes": N_("Overtime (minutes)"),
    "paid_fen": N_("Paid (yuan)"),
    "pollutant": N_("Pollutant"),
    "profile": N_("Standard applied"),
    "reason": N_("Reason"),
    "registered": N_("Registered"),
    "short_fen": N_("Short (yuan)"),
    "silent_minutes": N_("Silent for (minutes)"),
    "site": N_("Site"),
    "state": N_("State"),
    "training_id": N_("Training record"),
    "value": N_("Measured value"),
    "warn_days": N_("Warned days ahead"),
    "window": N_("Window"),
    "worked_minutes": N_("Worked minutes"),
    "worker_id": N_("Worker ID"),
    "workers": N_("Workers"),
}

# Values stored as codes, by key: the code's msgid (what the gates list calls the same state).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "last_state": dict(GATE_STATES),
    # a dust limit profile by its title (msgids: central/web/routes/dust.py PROFILE_TITLES)
    "profile": {name: profile.title for name, profile in PROFILES.items()},
}

# Machine copies of a shown value (the dust reading's time as UTC microseconds).
HIDDEN = frozenset({"at_utc_us"})


def shown(evidence: dict[str, object]) -> list[tuple[str, str | None, object, str | None]]:
    """(key, label msgid or None, value, the value's msgid or None) for each key a reader
    sees, in key order."""
    return [
        (k, LABELS.get(k), v, VALUE_LABELS.get(k, {}).get(str(v)))
        for k, v in sorted(evidence.items())
        if k not in HIDDEN
    ]
