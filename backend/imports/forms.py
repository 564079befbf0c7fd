"""The screening forms (seed 000's annexes) as columns: header, what a cell holds, and how it is read.

One table per kind drives the template, the header matching and the checks, so a column is declared once.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache
from typing import Any

from backend.identity import IdNumberError, parse_mainland_id
from backend.imports.models import ImportKind
from backend.messages import Text
from backend.minors.models import Gender, RiskCategory, RiskLevel, SchoolingStatus, Substance
from backend.reference import LabelledEnum
from backend.venues.models import BuyerAgeBand, VenueKind


class CellKind(StrEnum):
    text = "text"
    id_number = "id_number"
    date = "date"
    code = "code"
    codes = "codes"  # several codes in one cell, separated by 、 , ; or a space
    whole_number = "whole_number"
    yes_no = "yes_no"
    division_code = "division_code"
    phone = "phone"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: CellKind
    required: bool = False
    codes: type[LabelledEnum] | None = None
    max_length: int = 200
    example: Any = None
    note: str = ""
    aliases: tuple[str, ...] = field(default=())


DATE_NOTE = "日期格式：2024-05-10，也可写 2024年5月10日、2024.5.10、2024/05/10"
SCREENING_COLUMNS = (
    Column("name", "姓名", CellKind.text, required=True, max_length=50, example="张小明"),
    Column(
        "id_number",
        "身份证号",
        CellKind.id_number,
        example="330381201001011234",
        note="18位居民身份证号，请设为文本格式；不知道可留空（登记为待核实身份），此时须填性别和出生日期",
        aliases=("公民身份号码", "身份证号码"),
    ),
    Column(
        "gender", "性别", CellKind.code, codes=Gender, example="男", note="有身份证号时可不填，须与号码一致"
    ),
    Column(
        "birth_date", "出生日期", CellKind.date, example="2010-01-01", note="有身份证号时可不填；" + DATE_NOTE
    ),
    Column("phone", "联系电话", CellKind.phone, example="13812345678"),
    Column(
        "household_division_code",
        "户籍地区划代码",
        CellKind.division_code,
        example="330381005001",
        note="12位统计用区划代码",
    ),
    Column("household_address", "户籍地址", CellKind.text, example="锦湖街道滨江社区12幢301室"),
    Column(
        "residence_division_code",
        "居住地区划代码",
        CellKind.division_code,
        example="330381005002",
        note="12位统计用区划代码",
    ),
    Column(
        "residence_address", "现居住地址", CellKind.text, example="锦湖街道锦园路8号", aliases=("居住地址",)
    ),
    Column(
        "schooling_status",
        "就学情况",
        CellKind.code,
        required=True,
        codes=SchoolingStatus,
        example="辍学",
        aliases=("就学状况",),
    ),
    Column("grade", "年级", CellKind.text, max_length=20, example="初二"),
    Column(
        "risk_categories",
        "人员类别",
        CellKind.codes,
        required=True,
        codes=RiskCategory,
        example="辍学、双差生",
        note="可填多项，用顿号、逗号分隔",
        aliases=("风险类别",),
    ),
    Column(
        "substances",
        "涉及物质",
        CellKind.codes,
        codes=Substance,
        example="",
        note="滥用新型成瘾物质时填写；可填多项，用顿号分隔",
    ),
    Column("risk_level", "风险等级", CellKind.code, codes=RiskLevel, example="中风险", note="不填为低风险"),
    Column(
        "managing_division_code",
        "管理单位区划代码",
        CellKind.division_code,
        example="330381005000",
        note="负责帮教的街道、社区的区划代码；不填为本单位",
    ),
)
PHARMACY_COLUMNS = (
    Column("pharmacy", "药店名称", CellKind.text, required=True, max_length=200, example="瑞安市锦湖大药房"),
    Column("licence_number", "药品经营许可证号", CellKind.text, max_length=100, example="浙CB5770123"),
    Column("address", "药店地址", CellKind.text, example="锦湖街道锦园路18号"),
    Column("checked_on", "检查日期", CellKind.date, required=True, example="2024-05-10", note=DATE_NOTE),
    Column(
        "buyer_age_band",
        "购买人年龄段",
        CellKind.code,
        codes=BuyerAgeBand,
        example="16-17周岁",
        note="购买人为未成年人时必填年龄段",
    ),
    Column("quantity", "销售数量（盒）", CellKind.whole_number, required=True, example=2, aliases=("数量",)),
    Column(
        "prescription_seen", "是否查验处方", CellKind.yes_no, required=True, example="否", note="填 是 或 否"
    ),
    Column("findings", "发现问题", CellKind.text, max_length=4000, example="未查验处方向未成年人销售"),
)
VENUE_COLUMNS = (
    Column("place", "场所名称", CellKind.text, required=True, max_length=200, example="星光KTV"),
    Column("venue_kind", "场所类型", CellKind.code, required=True, codes=VenueKind, example="KTV"),
    Column("address", "场所地址", CellKind.text, max_length=300, example="锦湖街道安康路66号"),
    Column("checked_on", "检查日期", CellKind.date, required=True, example="2024-05-10", note=DATE_NOTE),
    Column(
        "findings",
        "检查情况",
        CellKind.text,
        required=True,
        max_length=4000,
        example="包厢内发现笑气气罐",
        aliases=("发现问题",),
    ),
    Column("hazard_found", "是否发现隐患", CellKind.yes_no, example="是", note="填 是 或 否；不填为否"),
    Column("measures", "整改措施", CellKind.text, max_length=4000, example="责令整改，通报文化市场执法队"),
    Column("follow_up_on", "复查日期", CellKind.date, example="2024-05-24", note=DATE_NOTE),
)
COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.screening_minors: SCREENING_COLUMNS,
    ImportKind.pharmacy_checks: PHARMACY_COLUMNS,
    ImportKind.venue_checks: VENUE_COLUMNS,
}
TITLES: dict[ImportKind, str] = {
    ImportKind.screening_minors: "滥用新型毒品、新型成瘾物质排查表（排查发现的未成年人）",
    ImportKind.pharmacy_checks: "右美沙芬处方药品使用情况排查表",
    ImportKind.venue_checks: "新型毒品、新型成瘾物质隐患排查表（场所）",
}


def header_key(text: str) -> str:
    """A header as matched: full-width forms folded, spaces, asterisks and brackets' notes dropped."""
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = folded.rstrip("*").strip()
    return re.sub(r"\s+", "", folded)


# --- reading one cell -------------------------------------------------------------------------------------------


class CellProblem(Exception):
    def __init__(self, text: "str | Text", code: str) -> None:
        super().__init__(str(text))
        self.text = text
        self.code = code


_DATE_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_DIVISION = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_YES = {"是", "有", "已查验", "y", "yes", "true", "1", "√"}
_NO = {"否", "无", "未查验", "n", "no", "false", "0", "×"}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def read_date(value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellProblem("a date without a time of day is expected", "cell.date_time")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        raise CellProblem("a date is expected, not a number; format the cell as a date", "cell.date_number")
    text = _text(value)
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        raise CellProblem("not a date; write it as 2024-05-10 or 2024年5月10日", "cell.date_format")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise CellProblem("this day does not exist", "cell.date_invalid") from exc


def _folded(label: str) -> str:
    return unicodedata.normalize("NFKC", label).strip()


@cache
def _choices_of(codes: type[LabelledEnum]) -> dict[str, LabelledEnum]:
    """Every way a cell may name a code: the code, its Chinese label (folded: cells are folded, full-width
    brackets and digits to ASCII), its English label in lower case."""
    found: dict[str, LabelledEnum] = {}
    for member in codes:
        found.setdefault(member.en.lower(), member)
        found.setdefault(_folded(member.zh), member)
        found[member.value] = member
    return found


def read_code(value: Any, codes: type[LabelledEnum]) -> LabelledEnum:
    text = _text(value)
    member = _choices_of(codes).get(text) or _choices_of(codes).get(text.lower())
    if member is not None:
        return member
    raise CellProblem(
        Text("not one of the choices: {choices}", choices="、".join(member.zh for member in codes)),
        "cell.code",
    )


def read_codes(value: Any, codes: type[LabelledEnum]) -> list[LabelledEnum]:
    text = _text(value)
    # Whole labels first: a label may itself hold a separator (重点生（已被训诫/查处）).
    found: list[LabelledEnum] = []
    for part in [text] if text in _choices_of(codes) else _SEPARATORS.split(text):
        if part:
            member = read_code(part, codes)
            if member not in found:
                found.append(member)
    return found


def read_id_number(value: Any) -> str:
    if isinstance(value, (int, float)):
        # 18 digits do not survive a number cell: Excel keeps 15 significant digits.
        raise CellProblem(
            "the ID number was stored as a number and has lost digits; format the column as text",
            "id_number.number_cell",
        )
    text = _text(value).replace(" ", "")
    try:
        return parse_mainland_id(text).number
    except IdNumberError as exc:
        raise CellProblem(exc.text, exc.problem_type) from exc


def read_count(value: Any) -> int:
    if isinstance(value, bool):
        raise CellProblem("a whole number is expected", "cell.count")
    if isinstance(value, (int, float)):
        if float(value).is_integer() and value >= 0:
            return int(value)
        raise CellProblem("a whole number is expected", "cell.count")
    text = _text(value).removesuffix("盒")
    if not text.isdigit():
        raise CellProblem("a whole number is expected", "cell.count")
    return int(text)


def read_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellProblem("write 是 or 否", "cell.yes_no")


def read_division_code(value: Any) -> str:
    text = _text(value)
    if not _DIVISION.fullmatch(text):
        raise CellProblem("a 12-digit division code is expected", "cell.division_code")
    return text


def read_phone(value: Any) -> str:
    text = _text(value).replace(" ", "")
    if not _PHONE.fullmatch(text):
        raise CellProblem(
            "must be an 11-digit mobile number or a landline such as 0577-65812345", "cell.phone"
        )
    return text


def read_text(value: Any, max_length: int) -> str:
    text = _text(value)
    if len(text) > max_length:
        raise CellProblem(Text("at most {max_length} characters", max_length=max_length), "cell.too_long")
    return text


_READERS: dict[CellKind, Callable[[Any], Any]] = {
    CellKind.id_number: read_id_number,
    CellKind.date: read_date,
    CellKind.whole_number: read_count,
    CellKind.yes_no: read_yes_no,
    CellKind.division_code: read_division_code,
    CellKind.phone: read_phone,
}


def read_cell(column: Column, value: Any) -> Any:
    """The cell's value as the form means it, or ``CellProblem``."""
    if column.kind is CellKind.text:
        return read_text(value, column.max_length)
    if column.kind is CellKind.code:
        assert column.codes is not None
        return read_code(value, column.codes)
    if column.kind is CellKind.codes:
        assert column.codes is not None
        return read_codes(value, column.codes)
    return _READERS[column.kind](value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
