"""The care-file worklists' export columns (due soon, overdue, lost contact, and any other filter of the list):
the files as the list answers them, each minor in the list view (masked for everyone)."""

from backend.care_files.schemas import CareFileRead
from backend.exports import Column

CARE_FILE_COLUMNS: tuple[Column[CareFileRead], ...] = (
    Column("姓名", lambda care_file: care_file.minor.name, 12),
    Column("证件号码", lambda care_file: care_file.minor.id_number, 22),
    Column("年龄", lambda care_file: care_file.minor.age),
    Column("管理单位", lambda care_file: care_file.managing_unit.name, 16),
    Column("档案状态", lambda care_file: care_file.status.zh),
    Column("责任社工", lambda care_file: care_file.lead_worker.name if care_file.lead_worker else None, 12),
    Column("最近联系日期", lambda care_file: care_file.last_contact_on, 14),
    Column("下次回访日期", lambda care_file: care_file.next_due_on, 14),
    Column("回访提醒", lambda care_file: care_file.due_state.zh if care_file.due_state else None),
    Column("连续联系未果次数", lambda care_file: care_file.failed_attempts),
    Column("建档时间", lambda care_file: care_file.opened_at, 20),
)
