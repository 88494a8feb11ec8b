"""Contract templates: an enterprise's text with {placeholders} filled from one employment.

Only the names in :data:`FIELDS` may appear in braces (no attribute or index access, so a
template cannot reach into Python objects); a template is checked when it is saved, so a
contract is never generated from a body that cannot be filled.
"""

import string
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, select

from central import audit
from central.auth.scope import enterprise_assets, require_role
from central.auth.users import Principal, Role
from central.clock import now_iso
from central.errors import N_, InvalidInput, InvalidValue, NotFound
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.validation import DbId, clean_line, clean_text

# placeholder → what it is filled with (the contract is a Chinese legal text)
FIELDS: dict[str, str] = {
    "employer": "用人单位（甲方）名称",
    "employer_uscc": "甲方统一社会信用代码",
    "contractor": "工程总承包单位",
    "project": "工程项目名称",
    "project_id": "项目编号",
    "worker": "劳动者（乙方）姓名",
    "id_number": "乙方身份证号（脱敏）",
    "team": "班组",
    "trade": "工种",
    "pay_terms": "工资标准",
    "start_date": "合同开始日期",
    "end_date": "合同结束日期（或“以完成工作任务为期限”）",
    "pay_due_day": "每月工资支付日",
}

DEFAULT_NAME = "建筑工人劳动合同"
DEFAULT_BODY = "\n".join(
    (
        "甲方（用人单位）：{employer}（统一社会信用代码 {employer_uscc}）",
        "乙方（劳动者）：{worker}（身份证号 {id_number}）",
        "",
        "一、工作内容：乙方在 {project}（项目编号 {project_id}，总承包单位 {contractor}）"
        "从事 {trade} 工作，所在班组 {team}。",
        "二、合同期限：自 {start_date} 起至 {end_date} 止。",
        "三、劳动报酬：{pay_terms}。甲方按月足额将工资支付至乙方本人的工资卡，"
        "于次月 {pay_due_day} 日前发放，不得拖欠或克扣。",
        "四、工作时间与休息：执行国家规定的工时制度，延长工作时间按规定支付加班工资。",
        "五、劳动保护：甲方对乙方进行安全教育培训，提供符合国家规定的劳动安全卫生条件和劳动防护用品。",
        "六、实名制管理：乙方同意按《保障农民工工资支付条例》参加实名制考勤管理。",
        "七、本合同经乙方电子签名后生效，甲乙双方各执一份电子文本，具有同等法律效力。",
    )
)


def _placeholders(body: str) -> list[str]:
    """The placeholder names of ``body``; InvalidValue (a msgid the console translates) for
    unbalanced braces or a name not in :data:`FIELDS`."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        raise InvalidValue(N_("the braces do not match: write {{ for a literal brace")) from None
    names = []
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS or spec or conversion:
            raise InvalidValue(
                N_("unknown placeholder %(name)s: use one of %(choices)s"),
                name="{" + name[:40] + "}",
                choices=", ".join("{" + f + "}" for f in FIELDS),
            )
        names.append(name)
    return names


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: DbId | None = Field(None, description="the admin's choice; others: their own")
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_line)]
    body: Annotated[str, Field(min_length=20, max_length=20_000), AfterValidator(clean_text)]

    @field_validator("body")
    @classmethod
    def _fields(cls, value: str) -> str:
        _placeholders(value)
        return value


def fill(body: str, values: dict[str, str]) -> str:
    """The body with every placeholder replaced (checked names only, see :func:`_placeholders`)."""
    _placeholders(body)
    return body.format_map({k: values.get(k, "") for k in FIELDS})


def _owner(who: Principal, data: TemplateIn) -> int:
    require_role(who, Role.CONTRACTOR_ADMIN)
    if who.role is Role.ADMIN:
        if data.enterprise_id is None:
            raise InvalidInput.of(N_("enterprise_id: the admin names the enterprise"))
        return data.enterprise_id
    assert who.enterprise_id is not None
    return who.enterprise_id


def create(db: Database, who: Principal, data: TemplateIn) -> dict[str, Any]:
    owner = _owner(who, data)
    values = {
        "enterprise_id": owner,
        "name": data.name,
        "body": data.body,
        "created_at": now_iso(),
        "created_by": who.username,
        "updated_at": None,
    }
    with db.begin() as conn:
        if (
            conn.execute(
                select(schema.enterprises.c.id).where(schema.enterprises.c.id == owner)
            ).first()
            is None
        ):
            raise NotFound(f"enterprise {owner}")
        new_id = inserted_id(conn.execute(schema.contract_templates.insert().values(**values)))
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value),
            "contract_template.created",
            target_kind="contract_template",
            target_id=new_id,
            detail={"name": data.name, "enterprise_id": owner},
        )
    return {"id": new_id, **values}


def get(conn: Connection, who: Principal, template_id: int) -> dict[str, Any]:
    """One template the caller may use; 404 otherwise."""
    t = schema.contract_templates.c
    row = conn.execute(select(schema.contract_templates).where(t.id == template_id)).first()
    allowed = enterprise_assets(conn, who)
    if row is None or (allowed is not None and row.enterprise_id not in allowed):
        raise NotFound(f"contract template {template_id}")
    return dict(row._mapping)


def update(db: Database, who: Principal, template_id: int, data: TemplateIn) -> dict[str, Any]:
    """Change a template's name and body; contracts already generated keep their own PDF."""
    require_role(who, Role.CONTRACTOR_ADMIN)
    t = schema.contract_templates
    with db.begin() as conn:
        get(conn, who, template_id)
        conn.execute(
            t.update()
            .where(t.c.id == template_id)
            .values(name=data.name, body=data.body, updated_at=now_iso())
        )
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value),
            "contract_template.updated",
            target_kind="contract_template",
            target_id=template_id,
            detail={"name": data.name},
        )
        return get(conn, who, template_id)


def listing(conn: Connection, who: Principal) -> list[dict[str, Any]]:
    """The templates the caller may use, newest first (without their bodies)."""
    t = schema.contract_templates.c
    q = select(t.id, t.enterprise_id, t.name, t.created_at, t.created_by, t.updated_at)
    allowed = enterprise_assets(conn, who)
    if allowed is not None:
        q = q.where(t.enterprise_id.in_(sorted(allowed)))
    return [dict(r._mapping) for r in conn.execute(q.order_by(t.id.desc()))]
