"""The target units' reports on each task, with evidence files, and the issuer's review."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignTask,
    Comparator,
    EvidenceFile,
    TaskMeasure,
    TaskReport,
    TaskReportAction,
    TaskReportEvent,
    TaskReportStatus,
)
from backend.campaigns.schemas import (
    CampaignSummary,
    EvidenceRead,
    TaskRead,
    TaskReportDetail,
    TaskReportEventRead,
    TaskReportRead,
    TaskReportUpdate,
)
from backend.campaigns.scoping import (
    DUE_SOON_DAYS,
    OPEN_STATUSES,
    IssuerUnit,
    ReportUnit,
    due_expression,
    report_scope,
)
from backend.campaigns.service.campaigns import can_edit, require_editor, require_status
from backend.db import LOCAL_TIMEZONE, AnySelect, local_today, utcnow
from backend.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from backend.etag import check_if_match
from backend.evidence import accept_file
from backend.messages import Text
from backend.pagination import Page, PageParams, SummaryQuery, flags, paginate
from backend.security import permissions
from backend.security.principals import Principal, path_in_subtree
from backend.storage import FileStorage
from backend.units.models import Unit
from backend.units.schemas import UnitSummary

REPORT_SORT_FIELDS = {
    "status": TaskReport.status,
    "updated_at": TaskReport.updated_at,
    "unit": ReportUnit.name,
    "position": CampaignTask.position,
    "due_date": sa.func.coalesce(CampaignTask.due_date, Campaign.report_deadline),
}


def due_of(task: CampaignTask, campaign: Campaign) -> date | None:
    return task.due_date or campaign.report_deadline


def is_late(report: TaskReport, due: date | None, today: date) -> bool:
    if due is None:
        return False
    if report.status in OPEN_STATUSES:
        return today > due
    return report.submitted_at is not None and report.submitted_at.astimezone(LOCAL_TIMEZONE).date() > due


def _is_due_soon(report: TaskReport, due: date | None, today: date) -> bool:
    return (
        due is not None
        and report.status in OPEN_STATUSES
        and today <= due <= today + timedelta(days=DUE_SOON_DAYS)
    )


def meets_target(task: CampaignTask, value: float | None) -> bool | None:
    if value is None:
        return None
    if task.measure == TaskMeasure.done or task.target is None:
        return value >= 1
    comparator = Comparator(task.comparator or Comparator.gte)
    if comparator is Comparator.lte:
        return value <= task.target
    if comparator is Comparator.eq:
        return value == task.target
    return value >= task.target


def campaign_summary(campaign: Campaign, issuer: Unit) -> CampaignSummary:
    return CampaignSummary(
        id=campaign.id,
        title=campaign.title,
        document_number=campaign.document_number,
        status=CampaignStatus(campaign.status),
        issuing_unit=UnitSummary.model_validate(issuer),
        report_deadline=campaign.report_deadline,
    )


def _can_report(principal: Principal, report: TaskReport, campaign: Campaign) -> bool:
    return (
        permissions.may_report_on_task(principal, reporting_unit_id=report.unit_id)
        and campaign.status == CampaignStatus.published
        and report.status in OPEN_STATUSES
    )


def _can_review(principal: Principal, report: TaskReport, campaign: Campaign) -> bool:
    return (
        can_edit(principal, campaign)
        and campaign.status == CampaignStatus.published
        and report.status == TaskReportStatus.submitted
    )


def _report_statement(principal: Principal) -> AnySelect:
    return (
        sa.select(TaskReport, CampaignTask, Campaign, ReportUnit, IssuerUnit)
        .join(CampaignTask, CampaignTask.id == TaskReport.task_id)
        .join(Campaign, Campaign.id == TaskReport.campaign_id)
        .join(ReportUnit, ReportUnit.id == TaskReport.unit_id)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
        .where(report_scope(principal))
    )


def _present_report(principal: Principal, row: Any, evidence_count: int = 0) -> TaskReportRead:
    report, task, campaign, unit, issuer = row
    today = local_today()
    due = due_of(task, campaign)
    return TaskReportRead(
        id=report.id,
        campaign=campaign_summary(campaign, issuer),
        task=TaskRead.model_validate(task),
        unit=UnitSummary.model_validate(unit),
        status=TaskReportStatus(report.status),
        value=report.value,
        note=report.note,
        review_comment=report.review_comment,
        due_date=due,
        late=is_late(report, due, today),
        due_soon=_is_due_soon(report, due, today),
        met=meets_target(task, report.value),
        submitted_at=report.submitted_at,
        reviewed_at=report.reviewed_at,
        can_report=_can_report(principal, report, campaign),
        can_review=_can_review(principal, report, campaign),
        evidence_count=evidence_count,
        version=report.version,
        updated_at=report.updated_at,
    )


@dataclass(frozen=True)
class ReportFilters:
    campaign_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    status: TaskReportStatus | None = None
    due: str | None = None  # "soon" or "late"
    mine: bool | None = None
    to_review: bool | None = None


def _filter_conditions(filters: ReportFilters, today: date) -> list[sa.ColumnElement[bool]]:
    """The filters' conditions apart from whose reports they are (``_principal_conditions``)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.campaign_id:
        conditions.append(TaskReport.campaign_id == filters.campaign_id)
    if filters.task_id:
        conditions.append(TaskReport.task_id == filters.task_id)
    if filters.unit_id:
        conditions.append(TaskReport.unit_id == filters.unit_id)
    if filters.status:
        conditions.append(TaskReport.status == filters.status)
    if filters.to_review:
        conditions.append(TaskReport.status == TaskReportStatus.submitted)
    if filters.due:
        conditions += [
            col(Campaign.status) == CampaignStatus.published,
            col(TaskReport.status).in_(list(OPEN_STATUSES)),
        ]
        if filters.due == "late":
            conditions.append(due_expression() < today)
        else:
            conditions += [
                due_expression() >= today,
                due_expression() <= today + timedelta(days=DUE_SOON_DAYS),
            ]
    return conditions


def _principal_conditions(principal: Principal, filters: ReportFilters) -> list[sa.ColumnElement[bool]]:
    """``mine``: the reports of the principal's unit; ``to_review``: those on campaigns it issued."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.mine:
        conditions.append(TaskReport.unit_id == principal.unit_id)
    if filters.to_review:
        conditions.append(Campaign.issuing_unit_id == principal.unit_id)
    return conditions


async def list_reports(
    session: AsyncSession, *, principal: Principal, filters: ReportFilters, page: PageParams
) -> Page[TaskReportRead]:
    """The worklist: reports in scope, filtered; ``due=soon|late`` are the reminders."""
    statement = _report_statement(principal).where(
        *_filter_conditions(filters, local_today()), *_principal_conditions(principal, filters)
    )
    rows = await paginate(session, statement, page, lambda row: tuple(row))
    evidence = await _evidence_counts(session, [row[0].id for row in rows.items])
    items = [_present_report(principal, row, evidence.get(row[0].id, 0)) for row in rows.items]
    return Page[TaskReportRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


def _report_rows() -> AnySelect:
    """Reports with what their conditions and scope read (no row presented)."""
    return (
        sa.select()
        .select_from(TaskReport)
        .join(CampaignTask, CampaignTask.id == TaskReport.task_id)
        .join(Campaign, Campaign.id == TaskReport.campaign_id)
        .join(ReportUnit, ReportUnit.id == TaskReport.unit_id)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
    )


def report_query(*, principal: Principal, lists: Mapping[str, ReportFilters]) -> SummaryQuery | None:
    """For each named list, what ``list_reports`` with those filters would total, and the ids of its first reports
    in the order of their ids: one statement, nothing presented (``run_summaries`` runs it, with the other
    domains' for the to-do centre)."""
    if not lists:
        return None
    today = local_today()
    keys = tuple(lists)
    wanted = [
        sa.and_(
            sa.true(),
            *_filter_conditions(lists[key], today),
            *_principal_conditions(principal, lists[key]),
        )
        for key in keys
    ]
    rows = (
        _report_rows()
        .add_columns(
            TaskReport.id.label("id"),
            *flags(wanted),
        )
        .where(report_scope(principal), sa.or_(*wanted))
    )
    return SummaryQuery(keys=keys, parts=(rows,), order=("id",))


async def report_totals(
    session: AsyncSession, asks: Sequence[tuple[Principal, Mapping[str, ReportFilters]]]
) -> list[dict[str, int]]:
    """``report_query``'s totals for many principals at once (the daily digests), set-based: the reports
    counted by every distinct list asked, grouped by reporting and issuing unit; each principal's totals are the
    groups in its scope (``report_scope``) that are its own (``_principal_conditions``)."""
    today = local_today()
    columns: dict[ReportFilters, int] = {}
    for _principal, lists in asks:
        for filters in lists.values():
            columns.setdefault(filters, len(columns))
    rows: list[Any] = []
    if columns:
        wanted = [sa.and_(sa.true(), *_filter_conditions(filters, today)) for filters in columns]
        rows = list(
            await session.execute(
                _report_rows()
                .add_columns(
                    ReportUnit.id,
                    ReportUnit.path,
                    IssuerUnit.id,
                    IssuerUnit.path,
                    *(sa.func.sum(sa.case((condition, 1), else_=0)) for condition in wanted),
                )
                .where(sa.or_(*wanted))
                .group_by(ReportUnit.id, ReportUnit.path, IssuerUnit.id, IssuerUnit.path)
            )
        )
    by_reporting: dict[str, list[Any]] = {}
    by_issuer: dict[str, list[Any]] = {}
    for row in rows:
        by_reporting.setdefault(str(row[0]), []).append(row)
        by_issuer.setdefault(str(row[2]), []).append(row)
    totals = []
    for principal, lists in asks:
        found = {}
        for key, filters in lists.items():
            unit = str(principal.unit_id)
            candidates = (
                by_reporting.get(unit, [])
                if filters.mine
                else by_issuer.get(unit, [])
                if filters.to_review
                else rows
            )
            total = sum(
                row[4 + columns[filters]]
                for row in candidates
                if (
                    path_in_subtree(row[1], principal.unit_path)
                    or path_in_subtree(row[3], principal.unit_path)
                )
                and (not filters.mine or str(row[0]) == unit)
                and (not filters.to_review or str(row[2]) == unit)
            )
            if total:
                found[key] = int(total)
        totals.append(found)
    return totals


async def _evidence_counts(session: AsyncSession, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not report_ids:
        return {}
    return dict(
        (
            await session.execute(
                sa.select(EvidenceFile.task_report_id, sa.func.count())
                .where(EvidenceFile.task_report_id.in_(report_ids))
                .group_by(EvidenceFile.task_report_id)
            )
        ).all()
    )


@dataclass
class LoadedReport:
    report: TaskReport
    task: CampaignTask
    campaign: Campaign
    unit: Unit
    issuer: Unit

    def row(self) -> tuple[Any, ...]:
        return (self.report, self.task, self.campaign, self.unit, self.issuer)


async def get_report(session: AsyncSession, *, principal: Principal, report_id: uuid.UUID) -> LoadedReport:
    row = (await session.execute(_report_statement(principal).where(TaskReport.id == report_id))).first()
    if row is None:
        raise NotFound("No such task report.")
    return LoadedReport(*row)


async def report_detail(
    session: AsyncSession, *, principal: Principal, loaded: LoadedReport
) -> TaskReportDetail:
    evidence = (
        await session.scalars(
            sa.select(EvidenceFile)
            .where(EvidenceFile.task_report_id == loaded.report.id)
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
    ).all()
    history = (
        await session.scalars(
            sa.select(TaskReportEvent)
            .where(TaskReportEvent.task_report_id == loaded.report.id)
            .order_by(TaskReportEvent.at, TaskReportEvent.id)
        )
    ).all()
    read = _present_report(principal, loaded.row(), len(evidence))
    return TaskReportDetail(
        **read.model_dump(),
        evidence=[EvidenceRead.model_validate(item) for item in evidence],
        history=[TaskReportEventRead.model_validate(event) for event in history],
    )


def _require_reporter(principal: Principal, loaded: LoadedReport) -> None:
    permissions.ensure(
        permissions.may_report_on_task(principal, reporting_unit_id=loaded.report.unit_id),
        "Only the target unit itself reports on this task.",
    )
    if loaded.campaign.status != CampaignStatus.published:
        raise Conflict(
            Text(
                "The campaign is {status}; reports are no longer taken.",
                status=CampaignStatus(loaded.campaign.status),
            ),
            extra={"campaign_status": loaded.campaign.status},
        )
    if loaded.report.status not in OPEN_STATUSES:
        raise Conflict(
            Text(
                "The report is {status}; it cannot be changed now.",
                status=TaskReportStatus(loaded.report.status),
            ),
            extra={"report_status": loaded.report.status},
        )


def _check_value(task: CampaignTask, value: float | None) -> None:
    if value is None:
        return
    if task.measure == TaskMeasure.done and value not in (0, 1):
        raise ValidationFailed.field(
            ["body", "value"], "a done/not-done task takes 1 or 0", "task_report.value"
        )
    if task.measure == TaskMeasure.rate and value > 100:
        raise ValidationFailed.field(["body", "value"], "a rate is at most 100 (%)", "task_report.value")


async def _history(
    session: AsyncSession,
    *,
    principal: Principal,
    report: TaskReport,
    action: TaskReportAction,
    audit_action: AuditAction,
    comment: str | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        TaskReportEvent(
            task_report_id=report.id,
            action=action,
            actor_id=principal.id,
            actor_name=principal.display_name[:100],
            value=report.value,
            comment=comment,
        )
    )
    report.version += 1
    report.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=audit_action,
        actor=principal,
        unit_id=report.unit_id,
        object_type="task_report",
        object_id=report.id,
        reason=reason,
    )


async def save_report(
    session: AsyncSession,
    *,
    principal: Principal,
    loaded: LoadedReport,
    report_in: TaskReportUpdate,
    if_match: str | None,
) -> None:
    _require_reporter(principal, loaded)
    check_if_match(if_match, loaded.report.version)
    changes = report_in.model_dump(exclude_unset=True)
    if "value" in changes:
        _check_value(loaded.task, report_in.value)
        loaded.report.value = report_in.value
    if "note" in changes:
        loaded.report.note = report_in.note
    if loaded.report.status == TaskReportStatus.not_started:
        loaded.report.status = TaskReportStatus.in_progress
    await _history(
        session,
        principal=principal,
        report=loaded.report,
        action=TaskReportAction.saved,
        audit_action=AuditAction.task_report_saved,
    )


async def submit_report(
    session: AsyncSession, *, principal: Principal, loaded: LoadedReport, if_match: str | None
) -> None:
    _require_reporter(principal, loaded)
    check_if_match(if_match, loaded.report.version)
    if loaded.report.value is None:
        raise ValidationFailed.field(
            ["body", "value"], "report a value before submitting", "task_report.no_value"
        )
    loaded.report.status = TaskReportStatus.submitted
    loaded.report.submitted_at = utcnow()
    loaded.report.submitted_by_id = principal.id
    await _history(
        session,
        principal=principal,
        report=loaded.report,
        action=TaskReportAction.submitted,
        audit_action=AuditAction.task_report_submitted,
    )


async def review_report(
    session: AsyncSession,
    *,
    principal: Principal,
    loaded: LoadedReport,
    approve: bool,
    comment: str | None,
    if_match: str | None,
) -> None:
    """Approve, or return with a comment the unit reads; a returned report can be resubmitted."""
    require_editor(principal, loaded.campaign)
    check_if_match(if_match, loaded.report.version)
    require_status(loaded.campaign, CampaignStatus.published, action=Text("reviewed"))
    if loaded.report.status != TaskReportStatus.submitted:
        raise Conflict(
            Text(
                "The report is {status}; only a submitted report is reviewed.",
                status=TaskReportStatus(loaded.report.status),
            ),
            extra={"report_status": loaded.report.status},
        )
    loaded.report.status = TaskReportStatus.approved if approve else TaskReportStatus.returned
    loaded.report.review_comment = comment
    loaded.report.reviewed_at = utcnow()
    loaded.report.reviewed_by_id = principal.id
    await _history(
        session,
        principal=principal,
        report=loaded.report,
        action=TaskReportAction.approved if approve else TaskReportAction.returned,
        audit_action=AuditAction.task_report_approved if approve else AuditAction.task_report_returned,
        comment=comment,
    )


async def add_evidence(
    session: AsyncSession,
    *,
    principal: Principal,
    loaded: LoadedReport,
    filename: str | None,
    content: bytes,
    storage: FileStorage,
    max_bytes: int,
) -> EvidenceFile:
    _require_reporter(principal, loaded)
    accepted = accept_file(content, filename=filename, max_bytes=max_bytes)
    key = await storage.put(content)
    evidence = EvidenceFile(
        task_report_id=loaded.report.id,
        storage_key=key,
        filename=accepted.filename,
        media_type=accepted.media_type,
        size=accepted.size,
        sha256=accepted.sha256,
        uploaded_by_id=principal.id,
        uploaded_by_name=principal.display_name[:100],
    )
    session.add(evidence)
    if loaded.report.status == TaskReportStatus.not_started:
        loaded.report.status = TaskReportStatus.in_progress
    await _history(
        session,
        principal=principal,
        report=loaded.report,
        action=TaskReportAction.evidence_added,
        audit_action=AuditAction.evidence_added,
        comment=evidence.filename,
        reason=f"{evidence.filename} sha256:{evidence.sha256}",
    )
    return evidence


async def get_evidence(
    session: AsyncSession, *, loaded: LoadedReport, evidence_id: uuid.UUID
) -> EvidenceFile:
    evidence = await session.scalar(
        sa.select(EvidenceFile).where(
            EvidenceFile.id == evidence_id, EvidenceFile.task_report_id == loaded.report.id
        )
    )
    if evidence is None:
        raise NotFound("No such evidence file.")
    return evidence


async def remove_evidence(
    session: AsyncSession, *, principal: Principal, loaded: LoadedReport, evidence: EvidenceFile
) -> str:
    """Remove the file from the report; the trail keeps its name and hash. Returns the storage key to delete
    once the transaction has committed."""
    _require_reporter(principal, loaded)
    key = evidence.storage_key
    await session.delete(evidence)
    await _history(
        session,
        principal=principal,
        report=loaded.report,
        action=TaskReportAction.evidence_removed,
        audit_action=AuditAction.evidence_removed,
        comment=evidence.filename,
        reason=f"{evidence.filename} sha256:{evidence.sha256}",
    )
    return key
