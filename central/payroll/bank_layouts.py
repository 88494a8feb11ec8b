"""Column layouts of bank disbursement files and of the banks' result files.

Chinese bank portals (代发工资 batch payments) each want their own columns, header names and
encoding; most read CSV as GB18030, Excel wants UTF-8 with a byte-order mark to show Chinese
names. A layout names which field goes under which header, the encoding, and how to read the
bank's answer in the same terms, so a site configures its bank once (a JSON file) and both
directions follow it. Two presets are built in (docs/wages.md):

* ``sitegate``: sitegate's own columns (``line_id,name,id_number,card_number,bank,
  amount_fen,amount_yuan``), UTF-8 with BOM; result ``line_id,card_number,amount_fen,status,
  bank_ref,message`` with ``paid``/``failed``.
* ``cn-bank``: the usual Chinese portal layout in GB18030: 业务参考号, 收款人账号,
  收款人姓名, 证件号码, 开户行, 金额 (yuan), 用途; result 业务参考号, 收款人账号, 金额,
  处理状态 (成功/失败), 银行流水号, 失败原因.
"""

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from central.errors import InvalidInput

Field_ = Literal[
    "line_id", "name", "id_number", "card_number", "bank", "amount_fen", "amount_yuan", "purpose"
]
Header = Annotated[str, Field(min_length=1, max_length=40)]


class BankColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    header: Header
    field: Field_


class ResultLayout(BaseModel):
    """Which header of the bank's result file holds what; values are matched trimmed."""

    model_config = ConfigDict(extra="forbid")

    line_id: Header | None = Field(None, description="absent: lines are found by card number")
    card_number: Header
    amount: Header
    amount_unit: Literal["fen", "yuan"]
    status: Header
    paid_values: Annotated[list[Annotated[str, Field(max_length=20)]], Field(min_length=1)]
    failed_values: Annotated[list[Annotated[str, Field(max_length=20)]], Field(min_length=1)]
    bank_ref: Header | None = None
    message: Header | None = None


class BankLayout(BaseModel):
    """A bank's file layout, both ways."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=40)]
    encoding: Literal["utf-8-sig", "gb18030"]
    columns: Annotated[list[BankColumn], Field(min_length=1, max_length=30)]
    purpose: Annotated[str, Field(max_length=40)] = "工资"
    result: ResultLayout

    @model_validator(mode="after")
    def _pays_a_card(self) -> "BankLayout":
        fields = {c.field for c in self.columns}
        if "card_number" not in fields or not fields & {"amount_fen", "amount_yuan"}:
            raise ValueError("a disbursement layout needs card_number and an amount column")
        if len({c.header for c in self.columns}) != len(self.columns):
            raise ValueError("column headers must differ")
        return self


SITEGATE_FIELDS = (
    "line_id",
    "name",
    "id_number",
    "card_number",
    "bank",
    "amount_fen",
    "amount_yuan",
)
SITEGATE = BankLayout(
    name="sitegate",
    encoding="utf-8-sig",
    columns=[
        BankColumn(header=f, field=f)
        for f in (
            "line_id",
            "name",
            "id_number",
            "card_number",
            "bank",
            "amount_fen",
            "amount_yuan",
        )
    ],
    result=ResultLayout(
        line_id="line_id",
        card_number="card_number",
        amount="amount_fen",
        amount_unit="fen",
        status="status",
        paid_values=["paid"],
        failed_values=["failed"],
        bank_ref="bank_ref",
        message="message",
    ),
)

CN_BANK = BankLayout(
    name="cn-bank",
    encoding="gb18030",
    columns=[
        BankColumn(header="业务参考号", field="line_id"),
        BankColumn(header="收款人账号", field="card_number"),
        BankColumn(header="收款人姓名", field="name"),
        BankColumn(header="证件号码", field="id_number"),
        BankColumn(header="开户行", field="bank"),
        BankColumn(header="金额", field="amount_yuan"),
        BankColumn(header="用途", field="purpose"),
    ],
    result=ResultLayout(
        line_id="业务参考号",
        card_number="收款人账号",
        amount="金额",
        amount_unit="yuan",
        status="处理状态",
        paid_values=["成功", "交易成功"],
        failed_values=["失败", "交易失败"],
        bank_ref="银行流水号",
        message="失败原因",
    ),
)

PRESETS = {SITEGATE.name: SITEGATE, CN_BANK.name: CN_BANK}


def load_layout(spec: str) -> BankLayout:
    """A preset name, or the path of a JSON file holding a :class:`BankLayout`."""
    if spec in PRESETS:
        return PRESETS[spec]
    path = Path(spec)
    if not path.is_file():
        raise InvalidInput(f"bank layout {spec!r}: not a preset ({', '.join(PRESETS)}) nor a file")
    try:
        return BankLayout.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "layout"
        raise InvalidInput(f"bank layout {path.name}: {where}: {first['msg']}") from None


_YUAN = re.compile(r"^([0-9]{1,12})(?:\.([0-9]{1,2}))?$")


def parse_amount(text: str, unit: Literal["fen", "yuan"]) -> int:
    """``"1234.5"`` yuan → 123450 fen; never through a float. ValueError when malformed."""
    text = text.strip().replace(",", "")
    if unit == "fen":
        if not text.isdigit():
            raise ValueError(text)
        return int(text)
    m = _YUAN.match(text)
    if m is None:
        raise ValueError(text)
    return int(m[1]) * 100 + int((m[2] or "0").ljust(2, "0"))
