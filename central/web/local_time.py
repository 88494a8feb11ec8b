"""The ``local`` template filter: a stored moment (UTC, with its offset) shown on the clock of
the deployment's zone (``settings.timezone``, Asia/Shanghai), offset kept, so a worker reads
16:10 for what happened at 16:10 on site. Chain it with ``moment``:
``{{ complaint.filed_at | local | moment }}``. Anything that is not an ISO moment passes
through unchanged. Registered on the one Jinja environment when this module is imported.
"""

from datetime import datetime

from jinja2 import pass_context
from jinja2.runtime import Context

from central.clock import zone
from central.web.templating import ENV


@pass_context
def local(context: Context, value: object) -> object:
    if not isinstance(value, str) or len(value) < 20 or value[10] != "T":
        return value
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is None:
        return value
    tz = zone(context["request"].app.state.service.settings.timezone)
    return stamp.astimezone(tz).isoformat(timespec="seconds")


ENV.filters["local"] = local
