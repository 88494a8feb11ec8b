"""A worker's own wages, as their My wages page and ``/api/v1/me/wages`` both show them.

Each month's line (``worker_lines``: gross, deductions, net, overtime by kind, the bank's
answer), the project's name, the card it is paid to (masked, never the number), and the
status of a dispute: the worker's reason and the ``line_disputed`` warning it raised
(central/payroll/batches.flag_dispute) — open until the employer or a supervisor handles it,
then handled with their note. One line in detail adds the per-day breakdown and the
additions and deductions with their reasons (central/payroll/line_days.py, as the
employer's wage sheet shows them). Another worker's line does not exist (404).
"""

from sqlalchemy import Connection, select

from central.errors import NotFound
from central.payroll.line_days import days_of_lines, line_adjustments
from central.payroll.worker_lines import worker_lines
from central.storage import schema


def _disputes(conn: Connection, line_ids: list[int]) -> dict[int, dict[str, object]]:
    w = schema.wage_warnings.c
    keys = {f"line_disputed:{i}": i for i in line_ids}
    out: dict[int, dict[str, object]] = {}
    if not keys:
        return out
    rows = conn.execute(
        select(w.key, w.state, w.handled_at, w.note, w.created_at).where(w.key.in_(list(keys)))
    )
    for r in rows:
        out[keys[r.key]] = {
            "state": r.state,
            "raised_at": r.created_at,
            "handled_at": r.handled_at,
            "note": r.note if r.state == "handled" else None,
        }
    return out


def card_of(conn: Connection, worker_id: str) -> dict[str, object]:
    """The payroll card as the worker may see it: masked number, bank, whether it works."""
    w = schema.workers.c
    row = conn.execute(select(w.card_masked, w.bank, w.card_valid).where(w.id == worker_id)).one()
    return {"masked": row.card_masked, "bank": row.bank, "valid": bool(row.card_valid)}


def my_wages(conn: Connection, worker_id: str) -> dict[str, object]:
    """Every line of the worker, newest month first, with project name and dispute status."""
    lines = worker_lines(conn, worker_id)
    lines.reverse()
    p = schema.projects.c
    ids = sorted({str(x["project_id"]) for x in lines})
    names = {r.id: r.name for r in conn.execute(select(p.id, p.name).where(p.id.in_(ids)))}
    disputes = _disputes(conn, [int(str(x["id"])) for x in lines])
    for x in lines:
        x["project_name"] = names.get(str(x["project_id"]))
        x["dispute"] = disputes.get(int(str(x["id"])))
    return {"card": card_of(conn, worker_id), "lines": lines}


def my_line(conn: Connection, worker_id: str, line_id: int) -> dict[str, object]:
    """One of the worker's lines with its days and adjustments; NotFound for anyone else's."""
    wages = my_wages(conn, worker_id)
    lines = [x for x in wages["lines"] if x["id"] == line_id]  # type: ignore[attr-defined]  # the dict's list
    if not lines:
        raise NotFound(f"payroll line {line_id}")
    line = lines[0]
    return {
        "line": line,
        "card": wages["card"],
        "days": days_of_lines(conn, [line_id])[line_id],
        "adjustments": line_adjustments(
            conn, str(line["project_id"]), worker_id, str(line["month"])
        ),
    }
