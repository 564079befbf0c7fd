"""The task-report worklist's export columns (a campaign's reports with ``campaign_id``): the reports as the
list answers them."""

from backend.campaigns.schemas import TaskReportRead
from backend.exports import Column

TASK_REPORT_COLUMNS: tuple[Column[TaskReportRead], ...] = (
    Column("专项行动", lambda report: report.campaign.title, 30),
    Column("序号", lambda report: report.task.position),
    Column("任务", lambda report: report.task.title, 40),
    Column("报送单位", lambda report: report.unit.name, 20),
    Column("状态", lambda report: report.status.zh),
    Column("完成情况", lambda report: report.value),
    Column("是否达标", lambda report: report.met),
    Column("截止日期", lambda report: report.due_date, 14),
    Column("是否逾期", lambda report: report.late),
    Column("佐证材料数", lambda report: report.evidence_count),
    Column("情况说明", lambda report: report.note, 30),
    Column("审核意见", lambda report: report.review_comment, 30),
    Column("提交时间", lambda report: report.submitted_at, 20),
)
