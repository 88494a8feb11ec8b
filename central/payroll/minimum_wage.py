"""A project's hourly minimum wage (the province's 小时最低工资标准), set by its general
contractor: a month's line that pays less per plain hour raises ``below_minimum_wage``
(central/warnings/wage_law.py). Each change is audited."""

from central.audit import Actor, record
from central.storage import Database, schema
from central.storage.lookup import by_id


def set_minimum_wage(db: Database, project_id: str, hourly_fen: int | None, actor: Actor) -> None:
    p = schema.projects
    with db.begin() as conn:
        before = by_id(conn, p, project_id, "project")["min_hourly_wage_fen"]
        conn.execute(p.update().where(p.c.id == project_id).values(min_hourly_wage_fen=hourly_fen))
        record(
            conn,
            actor,
            "project.minimum_wage",
            target_kind="project",
            target_id=project_id,
            project_id=project_id,
            detail={"before_fen": before, "after_fen": hourly_fen},
        )
