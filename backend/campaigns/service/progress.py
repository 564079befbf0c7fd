"""The progress table (各单位工作进展情况统计表): target units × tasks, on screen and as a spreadsheet."""

import uuid
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.models import (
    Campaign,
    TaskMeasure,
    TaskReport,
    TaskReportStatus,
)
from backend.campaigns.schemas import (
    Progress,
    ProgressCell,
    ProgressRow,
    TaskProgress,
    TaskRead,
)
from backend.campaigns.scoping import DONE_STATUSES
from backend.campaigns.service.campaigns import recipients, tasks_of
from backend.campaigns.service.reports import campaign_summary, due_of, is_late, meets_target
from backend.db import local_today
from backend.exports import Sheet
from backend.security.principals import Principal
from backend.units.models import Unit


async def progress(session: AsyncSession, *, campaign: Campaign) -> Progress:
    """Units × tasks: each report's status and value, completion per unit and per task, late ones marked."""
    issuer = await session.get(Unit, campaign.issuing_unit_id)
    assert issuer is not None
    tasks = await tasks_of(session, campaign_id=campaign.id)
    units = (await recipients(session, campaign=campaign)).units if campaign.status != "draft" else []
    reports = {
        (report.unit_id, report.task_id): report
        for report in (
            await session.scalars(sa.select(TaskReport).where(TaskReport.campaign_id == campaign.id))
        ).all()
    }
    today = local_today()
    approved_by_task: Counter[uuid.UUID] = Counter()
    rows = []
    for unit in units:
        cells = []
        for task in tasks:
            report = reports.get((unit.id, task.id))
            if report is None:
                continue
            due = due_of(task, campaign)
            cells.append(
                ProgressCell(
                    report_id=report.id,
                    status=TaskReportStatus(report.status),
                    value=report.value,
                    late=is_late(report, due, today),
                    met=meets_target(task, report.value),
                )
            )
            if report.status == TaskReportStatus.approved:
                approved_by_task[task.id] += 1
        approved = sum(cell.status is TaskReportStatus.approved for cell in cells)
        rows.append(
            ProgressRow(
                unit=unit,
                cells=cells,
                approved=approved,
                submitted=sum(cell.status in DONE_STATUSES for cell in cells),
                late=sum(cell.late for cell in cells),
                completion=round(approved / len(cells), 4) if cells else 0.0,
            )
        )
    total_cells = sum(len(row.cells) for row in rows)
    return Progress(
        campaign=campaign_summary(campaign, issuer),
        tasks=[TaskRead.model_validate(task) for task in tasks],
        rows=rows,
        task_totals=[
            TaskProgress(
                task_id=task.id,
                approved=approved_by_task[task.id],
                completion=round(approved_by_task[task.id] / len(rows), 4) if rows else 0.0,
            )
            for task in tasks
        ],
        completion=round(sum(row.approved for row in rows) / total_cells, 4) if total_cells else 0.0,
    )


async def record_export(session: AsyncSession, *, principal: Principal, campaign: Campaign) -> None:
    await audit.record(
        session,
        action=AuditAction.campaign_exported,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=campaign.id,
    )


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_CELL_STATUS = {
    TaskReportStatus.not_started: "未开始",
    TaskReportStatus.in_progress: "填报中",
    TaskReportStatus.submitted: "已提交",
    TaskReportStatus.returned: "已退回",
    TaskReportStatus.approved: "已完成",
}


def _cell_text(task: TaskRead, cell: ProgressCell) -> str:
    text = _CELL_STATUS[cell.status]
    if cell.value is not None:
        shown = (
            ("是" if cell.value >= 1 else "否") if task.measure is TaskMeasure.done else _number(cell.value)
        )
        text += f"（{shown}{'%' if task.measure is TaskMeasure.rate else ''}）"
    if cell.late:
        text += " 逾期"
    return text


def progress_sheet(table: Progress, campaign: Campaign) -> Sheet:
    """The seeds' 各单位工作进展情况统计表: unit rows, task columns, Chinese headers, totals below."""
    columns = [
        "序号",
        "单位",
        *(f"{task.position}. {task.title}" for task in table.tasks),
        "已完成",
        "逾期",
        "完成率",
    ]
    # Under the header, each task's phase and weight (the points an assessment gives it).
    rows: list[list[Any]] = [
        ["", "所属阶段", *(task.phase.zh if task.phase else "" for task in table.tasks), "", "", ""],
        ["", "权重（分值）", *(_number(task.weight) for task in table.tasks), "", "", ""],
    ]
    for number, row in enumerate(table.rows, start=1):
        rows.append(
            [
                number,
                row.unit.name,
                *(_cell_text(task, cell) for task, cell in zip(table.tasks, row.cells, strict=False)),
                row.approved,
                row.late,
                f"{row.completion * 100:.0f}%",
            ]
        )
    rows.append(
        [
            "",
            "各任务完成率",
            *(f"{total.completion * 100:.0f}%" for total in table.task_totals),
            sum(row.approved for row in table.rows),
            sum(row.late for row in table.rows),
            f"{table.completion * 100:.0f}%",
        ]
    )
    heading = f"{campaign.document_number}" if campaign.document_number else ""
    return Sheet(
        title="各单位工作进展情况统计表",
        columns=columns,
        rows=rows,
        preamble=[
            f"{campaign.title} 各单位工作进展情况统计表",
            f"发文单位：{table.campaign.issuing_unit.name}  {heading}".rstrip(),
            f"统计日期：{local_today().isoformat()}",
        ],
        column_widths=[6, 24, *(18 for _ in table.tasks), 8, 8, 8],
    )
