"""The registry list's export columns: the same shaped values the list's pages answer (masked for everyone in
the list view), with codes written as their Chinese labels. A field the policy hides from the caller is absent
from the shaped row and so an empty cell."""

from collections.abc import Mapping
from typing import Any

from backend.exports import Column
from backend.minors.models import Gender, MinorStatus, RiskCategory, RiskLevel, SchoolingStatus, Substance
from backend.reference import LabelledEnum


def _label(enum_class: type[LabelledEnum], value: Any) -> str | None:
    return enum_class(value).zh if value not in (None, "") else None


def _labels(enum_class: type[LabelledEnum], values: Any) -> str | None:
    return "、".join(enum_class(value).zh for value in values) if values else None


def _unit_name(unit: Any) -> str | None:
    if unit is None:
        return None
    return unit["name"] if isinstance(unit, Mapping) else unit.name


MinorRow = Mapping[str, Any]

MINOR_COLUMNS: tuple[Column[MinorRow], ...] = (
    Column("姓名", lambda minor: minor.get("name"), 12),
    Column("证件号码", lambda minor: minor.get("id_number"), 22),
    Column("性别", lambda minor: _label(Gender, minor.get("gender"))),
    Column("年龄", lambda minor: minor.get("age")),
    Column("联系电话", lambda minor: minor.get("phone"), 16),
    Column("学校", lambda minor: _unit_name(minor.get("school")), 22),
    Column("年级", lambda minor: minor.get("grade")),
    Column("就学状态", lambda minor: _label(SchoolingStatus, minor.get("schooling_status"))),
    Column("风险类别", lambda minor: _labels(RiskCategory, minor.get("risk_categories")), 24),
    Column("涉及物质", lambda minor: _labels(Substance, minor.get("substances")), 16),
    Column("风险等级", lambda minor: _label(RiskLevel, minor.get("risk_level"))),
    Column("管理单位", lambda minor: _unit_name(minor.get("managing_unit")), 16),
    Column("状态", lambda minor: _label(MinorStatus, minor.get("status"))),
    Column("90天内满18周岁", lambda minor: minor.get("turns_18_soon")),
    Column("更新时间", lambda minor: minor.get("updated_at"), 20),
)
