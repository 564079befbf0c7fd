"""The statistics reports as sheets for backend/exports.py: suppressed counts are written as ``*``."""

from typing import Any

from backend.exports import Sheet
from backend.minors.models import RiskCategory
from backend.stats.schemas import (
    AtRiskCounts,
    RegionStatistics,
    RegionStatisticsReport,
    SchoolStatisticsReport,
    StatisticsHeader,
    SuppressedCount,
)

SUPPRESSED_MARK = "*"


def _cell(count: SuppressedCount) -> Any:
    return SUPPRESSED_MARK if count.suppressed else count.value


def _percent(rate: float | None) -> str | None:
    return None if rate is None else f"{rate * 100:.1f}%"


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("是" if flag else "否")


def _preamble(title: str, header: StatisticsHeader) -> list[str]:
    return [
        f"{header.unit.name}{title}（{header.term_label}，{header.school_year}学年）",
        f"重点未成年人数为 {header.at_risk_as_of.isoformat()} 在册帮教人数；一人可属多个类别。",
        f"“{SUPPRESSED_MARK}”表示该数在 1 至 {header.suppression_threshold} 之间，"
        "或可据合计推算出这样的小数，已隐藏。",
    ]


def _at_risk_columns(header: StatisticsHeader) -> list[str]:
    return ["重点未成年人合计"] + [f"其中：{RiskCategory(code).zh}" for code in header.categories]


def _at_risk_cells(header: StatisticsHeader, at_risk: AtRiskCounts) -> list[Any]:
    return [_cell(at_risk.total)] + [_cell(at_risk.by_category[code]) for code in header.categories]


_FIGURE_COLUMNS = [
    "在校学生数",
    "平台注册人数",
    "注册率",
    "完成学习人数",
    "完成率",
    "本学期课时",
    "学年累计课时",
    "课时达标（每学年≥4）",
    "“五个一”活动",
    "含禁毒内容的考试",
    "培训教师",
]


def _region_cells(row: RegionStatistics) -> list[Any]:
    return [
        row.students_enrolled,
        row.students_registered,
        _percent(row.registration_rate),
        row.students_completed,
        _percent(row.completion_rate),
        row.lesson_hours,
        None,
        f"{row.schools_meeting_lesson_target}/{row.schools} 校",
        row.five_one_activities,
        row.exams_with_content,
        row.teachers_trained,
    ]


def school_sheets(report: SchoolStatisticsReport) -> list[Sheet]:
    rows: list[list[Any]] = []
    for item in report.items:
        metrics = item.metrics
        figures = (
            [
                metrics.students_enrolled,
                metrics.students_registered,
                _percent(item.registration_rate),
                metrics.students_completed,
                _percent(item.completion_rate),
                metrics.lesson_hours,
                item.school_year_lesson_hours,
                _yes_no(item.lesson_hours_target_met),
                metrics.five_one_activities,
                metrics.exams_with_content,
                metrics.teachers_trained,
            ]
            if metrics
            else [None] * 6
            + [item.school_year_lesson_hours, _yes_no(item.lesson_hours_target_met)]
            + [None] * 3
        )
        rows.append(
            [
                item.school.name,
                item.parent.name if item.parent else None,
                *figures,
                *_at_risk_cells(report, item.at_risk),
            ]
        )
    rows.append(["合计", None, *_region_cells(report.totals), *_at_risk_cells(report, report.totals.at_risk)])
    columns = ["学校", "所属乡镇（街道）", *_FIGURE_COLUMNS, *_at_risk_columns(report)]
    return [
        Sheet(title="学校统计", columns=columns, rows=rows, preamble=_preamble("学校禁毒教育统计", report))
    ]


def region_sheets(report: RegionStatisticsReport) -> list[Sheet]:
    rows = [
        [
            "　" * item.depth + item.unit.name,
            item.schools,
            item.schools_reporting,
            *_region_cells(item),
            *_at_risk_cells(report, item.at_risk),
        ]
        for item in report.items
    ]
    columns = ["单位", "学校数", "已报送学校", *_FIGURE_COLUMNS, *_at_risk_columns(report)]
    return [
        Sheet(
            title="区域汇总", columns=columns, rows=rows, preamble=_preamble("学校禁毒教育区域汇总", report)
        )
    ]


RATE_LABELS = {
    "care_rate": "帮教率",
    "urine_test_rate": "尿检率",
    "overdue_share": "逾期未回访占比",
    "lost_contact_count": "脱失人数",
    "notice_same_day_rate": "查获通知当日签收率",
    "responsible_share": "明确责任社工占比",
}


def _rate_cells(code: str, cell: Any) -> list[Any]:
    def count(value: int | None) -> Any:
        return SUPPRESSED_MARK if value is None else value

    value = SUPPRESSED_MARK if cell.suppressed else cell.value
    if code != "lost_contact_count" and not cell.suppressed:
        value = _percent(cell.value)
    return [count(cell.numerator), count(cell.denominator), value]


def rate_sheets(report: Any) -> list[Sheet]:
    """``stats/rates`` as one sheet: per unit, each rate's numerator, denominator and value."""
    columns = ["单位", "类型"]
    for code in report.codes:
        label = RATE_LABELS.get(code, code)
        columns += [f"{label}·分子", f"{label}·分母", label]
    rows = [
        [unit.unit_name, unit.kind]
        + [value for code in report.codes for value in _rate_cells(code, unit.rates[code])]
        for unit in report.units
    ]
    period = report.period
    preamble = [
        f"工作指标（{period.start.isoformat()} 至 {period.end.isoformat()}，截至 {period.as_of.isoformat()}）",
        "各单位数字含其下属全部单位；口径见 docs/statistics.md（工作指标）。",
        f"“{SUPPRESSED_MARK}”表示该数在 1 至 {report.suppression_threshold} 之间，或可据其他数推算出这样的小数，已隐藏。",
    ]
    return [Sheet(title="工作指标", columns=columns, rows=rows, preamble=preamble)]
