"""The export columns of the three work-record lists: the same shaped rows the JSON lists answer, streamed by
``workflows.exporting.export_list`` like every other list (docs/work-records.md, "Exports")."""

from backend.exports import Column
from backend.work_records.schemas import InspectionVisitRead, PublicityActivityRead, ResponsibilityLetterRead


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


ACTIVITY_COLUMNS: tuple[Column[PublicityActivityRead], ...] = (
    Column("活动日期", lambda item: item.held_on, 12),
    Column("活动类型", lambda item: item.kind.zh, 18),
    Column("举办单位", lambda item: item.unit.name, 20),
    Column("活动地点", lambda item: item.place, 24),
    Column("参与人数", lambda item: item.participants, 10),
    Column("发放资料（份）", lambda item: item.materials, 14),
    Column("活动情况", lambda item: item.description or "", 40),
    Column("附件数", lambda item: len(item.files), 8),
)

VISIT_COLUMNS: tuple[Column[InspectionVisitRead], ...] = (
    Column("检查日期", lambda item: item.visited_on, 12),
    Column("检查方式", lambda item: item.kind.zh, 12),
    Column("检查单位", lambda item: item.inspecting_unit.name, 20),
    Column("被检查单位", lambda item: item.inspected_unit.name, 20),
    Column("发现问题", lambda item: item.findings or "", 40),
    Column("整改要求", lambda item: item.rectification or "", 40),
    Column("整改期限", lambda item: item.rectify_by, 12),
    Column("是否整改", lambda item: _yes_no(item.rectified), 10),
    Column("整改日期", lambda item: item.rectified_on, 12),
    Column("是否逾期", lambda item: _yes_no(item.overdue), 10),
)

LETTER_COLUMNS: tuple[Column[ResponsibilityLetterRead], ...] = (
    Column("年度", lambda item: item.year, 8),
    Column("发出单位", lambda item: item.issuer_unit.name, 20),
    Column("签订单位", lambda item: item.signer_unit.name, 24),
    Column("签订日期", lambda item: item.signed_on, 12),
    Column("备注", lambda item: item.note or "", 40),
    Column("附件数", lambda item: len(item.files), 8),
)
