"""Labels of the job (招工宝) codes, shared by the enterprise console and the worker pages."""

from central.web.i18n import N_

#: central.registry.jobs.TRADES → msgid, in the order a form offers them.
TRADE_LABELS: tuple[tuple[str, str], ...] = (
    ("labourer", N_("General labourer")),
    ("carpenter", N_("Carpenter")),
    ("rebar", N_("Rebar worker")),
    ("concrete", N_("Concrete worker")),
    ("mason", N_("Mason")),
    ("scaffolder", N_("Scaffolder")),
    ("electrician", N_("Electrician")),
    ("welder", N_("Welder")),
    ("plumber", N_("Plumber")),
    ("painter", N_("Painter")),
    ("machine", N_("Machine operator")),
    ("other", N_("Other trade")),
)
POST_STATUSES: tuple[tuple[str, str], ...] = (
    ("open", N_("Open for applications")),
    ("closed", N_("Closed")),
)
APPLICATION_STATUSES: tuple[tuple[str, str], ...] = (
    ("applied", N_("Applied")),
    ("offered", N_("Offered")),
    ("hired", N_("Hired")),
    ("declined", N_("Declined by the worker")),
    ("refused", N_("Not taken")),
)
