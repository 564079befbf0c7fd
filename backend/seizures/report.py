"""The daily report (当天上报) for the party committee and government: one day's notices of a unit, with the
masked identity, handling and routing. Rows come already shaped by the privacy policy; hidden facts stay
hidden in the file too."""

from datetime import date

from backend.db import LOCAL_TIMEZONE
from backend.exports import Sheet
from backend.minors.models import Gender, Substance
from backend.seizures.models import (
    FollowupStatus,
    RoutingReason,
    RoutingStatus,
    SeizureMeasure,
    SeizureTestResult,
)
from backend.seizures.schemas import DailyReport, SeizureNoticeRead
from backend.units.models import Unit
from backend.units.schemas import UnitSummary

HIDDEN = "（无权查看）"
COLUMNS = (
    "序号",
    "通知编号",
    "查获时间",
    "查获地点",
    "姓名",
    "身份证号",
    "性别",
    "查获时年龄",
    "涉及物质",
    "检测结果",
    "处置措施",
    "报送单位",
    "分送结果",
    "接收单位/地方",
    "分送依据",
    "签收期限",
    "签收时间",
    "跟进情况",
)


def summarise(*, day: date, unit: Unit, notices: list[SeizureNoticeRead]) -> DailyReport:
    return DailyReport(
        day=day,
        unit=UnitSummary.model_validate(unit),
        total=len(notices),
        routed_out=sum(notice.routing.status is RoutingStatus.routed_out for notice in notices),
        acknowledged=sum(notice.acknowledged_at is not None for notice in notices),
        overdue=sum(notice.overdue for notice in notices),
        items=notices,
    )


def _local(value: object) -> str:
    return value.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M") if value else ""


def _row(index: int, notice: SeizureNoticeRead) -> list[object]:
    def shown(field: str, text: str) -> str:
        return HIDDEN if field in notice.hidden_fields else text

    receiver = (
        notice.routing.place.name
        if notice.routing.place
        else (notice.routing.unit.name if notice.routing.unit else "")
    )
    return [
        index,
        notice.notice_no,
        _local(notice.seized_at),
        shown("place", notice.place or ""),
        notice.person.name,
        notice.person.id_number,
        Gender(notice.person.gender).zh,
        notice.person.age_when_seized,
        shown("substances", "、".join(Substance(code).zh for code in notice.substances or [])),
        shown("test_result", SeizureTestResult(notice.test_result).zh if notice.test_result else ""),
        shown("measures", "、".join(SeizureMeasure(code).zh for code in notice.measures or [])),
        notice.reporting_unit.name,
        RoutingStatus(notice.routing.status).zh,
        receiver,
        RoutingReason(notice.routing.reason).zh,
        _local(notice.ack_deadline_at),
        _local(notice.acknowledged_at)
        if notice.acknowledged_at
        else ("已逾期未签收" if notice.overdue else "未签收"),
        FollowupStatus(notice.followup.status).zh,
    ]


def sheet(report: DailyReport) -> Sheet:
    return Sheet(
        title=f"查获通知日报 {report.day.isoformat()}",
        preamble=(
            f"{report.unit.name} 未成年人吸毒查获情况日报（{report.day:%Y年%m月%d日}）",
            f"共 {report.total} 人次；转外地 {report.routed_out}；已签收 {report.acknowledged}；逾期未签收 {report.overdue}",
        ),
        columns=COLUMNS,
        rows=[_row(index, notice) for index, notice in enumerate(report.items, start=1)],
    )
