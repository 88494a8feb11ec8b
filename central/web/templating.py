"""Rendering a console page: one Jinja2 environment, one base layout, one ``render`` call.

Templates live in ``central/web/templates/`` and extend ``base.html`` (header with the product
name, the user and role, the language switch and logout; the role's navigation; main;
footer). Every visible string goes through gettext (``{% trans %}`` or ``_()``) in the
reader's language (central/web/i18n.py); ``tests/central/test_web_i18n.py`` fails on literal
prose in a template.

Every page is sent with a strict Content-Security-Policy (scripts, styles, images and data
only from central itself; no inline script), ``no-store`` caching (pages show personal
data), and the pre-session cookie when the page created one for its forms' CSRF token.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from central.auth.users import Principal, Role
from central.clock import zone
from central.wages.money import yuan
from central.warnings.subjects import POLLUTANT_NAMES
from central.web import csrf, i18n
from central.web.i18n import N_
from central.web.sessions import secure

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str  # msgid
    roles: frozenset[Role]


_SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
#: The enterprise console's readers (the admin opens its pages too, by their address)
_ENTERPRISE = frozenset({Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER})
#: The console's navigation, in order; each item is shown to the roles that may open it.
NAV: tuple[NavItem, ...] = (
    NavItem("/console/overview", N_("Overview"), _SUPERVISION),
    NavItem("/console/projects", N_("Projects"), _SUPERVISION),
    NavItem("/console/workers", N_("Workers"), _SUPERVISION),
    NavItem("/console/attendance", N_("Attendance"), _SUPERVISION),
    NavItem("/console/payroll", N_("Wage payment"), _SUPERVISION),
    NavItem("/console/gates", N_("Gates"), _SUPERVISION),
    NavItem("/console/dust", N_("Dust"), _SUPERVISION),
    NavItem("/console/warnings", N_("Warnings"), _SUPERVISION),
    NavItem("/console/arrears", N_("Arrears cases"), _SUPERVISION),
    # ---- the enterprise console: contractor admins and site managers. The first
    # entry is their landing page; other parts insert theirs between the markers.
    NavItem("/console/enterprise/today", N_("Today at the site"), _ENTERPRISE),
    NavItem("/console/enterprise/projects", N_("Project set-up"), _ENTERPRISE),
    NavItem("/console/enterprise/gates", N_("Gates"), _ENTERPRISE),
    NavItem("/console/enterprise/workers", N_("Registry"), _ENTERPRISE),
    NavItem("/console/enterprise/import", N_("Roster import"), frozenset({Role.CONTRACTOR_ADMIN})),
    NavItem("/console/enterprise/jobs", N_("Recruitment"), frozenset({Role.CONTRACTOR_ADMIN})),
    NavItem("/console/enterprise/attendance", N_("Attendance"), _ENTERPRISE),
    NavItem("/console/enterprise/payroll", N_("Payroll"), _ENTERPRISE),
    NavItem("/console/enterprise/contracts", N_("E-contracts"), _ENTERPRISE),
    NavItem("/console/enterprise/training", N_("Safety training"), _ENTERPRISE),
    NavItem("/console/warnings", N_("Warnings"), _ENTERPRISE),
)

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("Administrator"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.CONTRACTOR_ADMIN: N_("Enterprise administrator"),
    Role.SITE_MANAGER: N_("Site manager"),
    Role.WORKER: N_("Worker"),
}


def nav_for(who: Principal | None) -> list[NavItem]:
    if who is None:
        return []
    return [item for item in NAV if who.role in item.roles]


def home_for(who: Principal) -> str:
    """Where a signed-in user lands: the first page of their navigation (a worker: their
    own pages, central/web/worker_layout.py)."""
    if who.role is Role.WORKER and who.worker_id:
        return "/worker/today"
    items = nav_for(who)
    return items[0].path if items else "/console/welcome"


@pass_context
def _gettext(context: Context, message: str) -> str:
    """A msgid in the reader's language. Jinja marks what ``_()`` returns as safe markup (the
    catalogue is ours), so text that is not a msgid — a name from the database passed to
    ``_()`` by mistake — is returned escaped, shown as text, never as markup."""
    locale = context["locale"]
    if message not in i18n.msgids(locale):
        return escape(message)
    return i18n.translations(locale).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(context["locale"]).ngettext(singular, plural, n)


def _yuan(fen: int | None) -> str:
    """Integer fen as yuan with thousands separators: ``123456789`` → ``1,234,567.89``."""
    if fen is None:
        return ""
    whole, cents = yuan(fen).split(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{cents}"


_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_UTC = ("Z", "+00:00")


@pass_context
def _moment(context: Context, value: object) -> object:
    """A stored ISO 8601 moment as a person reads it: ``2025-06-09T08:00:00+08:00`` →
    ``2025-06-09 08:00`` inside a ``<time>`` element that keeps the exact value (and its offset
    as the tooltip). A moment a site recorded keeps that site's clock (it carries the site's
    offset); one central stamped itself in UTC (audit, sent, signed, filed …) is shown on the
    deployment's clock (``settings.timezone``), so nobody reads 14:13 for what happened at
    22:13 in Nanning. Anything else is returned unchanged, so the filter can stand on every
    table cell; JSON twins and exports keep the stored text."""
    if not isinstance(value, str):
        return value
    m = _MOMENT.match(value)
    if m is None:
        return value
    request = context.get("request")
    service = getattr(request.app.state, "service", None) if isinstance(request, Request) else None
    if m[4] in _UTC and service is not None:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        value = at.astimezone(zone(service.settings.timezone)).isoformat(timespec="seconds")
        m = _MOMENT.match(value)
        assert m is not None
    offset = "UTC" if m[4] == "Z" else m[4]
    return Markup('<time datetime="{}" title="{}">{} {}</time>').format(value, offset, m[1], m[2])


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]  # added to the environment by jinja2's i18n extension
    env.filters["yuan"] = _yuan
    env.filters["moment"] = _moment
    env.filters["pollutant"] = lambda key: POLLUTANT_NAMES.get(key, key)
    return env


ENV = _environment()


def render(
    request: Request,
    template: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for this reader, with the layout's context filled in."""
    locale = i18n.locale_of(request)
    html = ENV.get_template(template).render(
        request=request,
        locale=locale,
        html_lang=i18n.HTML_LANG[locale],
        languages=i18n.LANGUAGES,
        who=who,
        role_label=ROLE_LABELS.get(who.role, "") if who else "",
        nav=nav_for(who),
        current=request.url.path,
        # the page with its query string: the language switch comes back to exactly this view
        # (an error page keeps the path only: it never echoes an address's ids back)
        here=request.url.path
        + (f"?{request.url.query}" if request.url.query and status_code < 400 else ""),
        csrf_field=csrf.FIELD,
        csrf_token=csrf.token_for(request),
        **context,
    )
    response = HTMLResponse(Markup(html), status_code=status_code, headers=SECURITY_HEADERS)
    new_secret = getattr(request.state, "new_presession", None)
    if new_secret is not None:
        response.set_cookie(
            csrf.PRESESSION_COOKIE,
            new_secret,
            httponly=True,
            samesite="lax",
            secure=secure(request),
            path="/",
        )
    return response
