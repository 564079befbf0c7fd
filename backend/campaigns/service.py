"""Campaigns (专项行动) with their task checklists (任务清单), the target units' reports and their review.

Who may do what:
- read a campaign: its issuing unit's subtree, and once published, the subtrees of the units it went to;
- edit, publish, close, copy, review: people of the issuing unit holding ``campaigns:write`` (supervisors; the
  education bureau for school campaigns — a department reaches only schools);
- report: people of the target unit itself holding ``task_reports:write``.
Outside these, a campaign or report does not exist for the caller (404).
"""

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.evidence import ACCEPTED_DESCRIPTION, detect_media_type
from backend.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
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
    CampaignCounts,
    CampaignCreate,
    CampaignDetail,
    CampaignRead,
    CampaignSummary,
    CampaignUpdate,
    EvidenceRead,
    Phase,
    Progress,
    ProgressCell,
    ProgressRow,
    Recipients,
    Targets,
    TaskIn,
    TaskProgress,
    TaskRead,
    TaskReportDetail,
    TaskReportEventRead,
    TaskReportRead,
    TaskReportUpdate,
)
from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from backend.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from backend.etag import check_if_match
from backend.exports import Sheet
from backend.pagination import Page, PageParams, paginate
from backend.security.principals import Principal, in_subtree, served_path, within_scope
from backend.security.roles import Scope
from backend.storage import FileStorage
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitSummary

DUE_SOON_DAYS = 3
OPEN_STATUSES = (TaskReportStatus.not_started, TaskReportStatus.in_progress, TaskReportStatus.returned)
DONE_STATUSES = (TaskReportStatus.submitted, TaskReportStatus.approved)

IssuerUnit = aliased(Unit, name="issuer_unit")
ReportUnit = aliased(Unit, name="report_unit")

SORT_FIELDS = {
    "title": Campaign.title,
    "status": Campaign.status,
    "issue_date": Campaign.issue_date,
    "report_deadline": Campaign.report_deadline,
    "updated_at": Campaign.updated_at,
    "created_at": Campaign.created_at,
}
REPORT_SORT_FIELDS = {
    "status": TaskReport.status,
    "updated_at": TaskReport.updated_at,
    "unit": ReportUnit.name,
    "position": CampaignTask.position,
    "due_date": sa.func.coalesce(CampaignTask.due_date, Campaign.report_deadline),
}


# --- scope -------------------------------------------------------------------------------------------------


def campaign_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Campaigns issued in the principal's subtree, or published to a unit in it."""
    sent_here = (
        sa.select(CampaignTarget.campaign_id)
        .join(Unit, Unit.id == CampaignTarget.unit_id)
        .where(CampaignTarget.campaign_id == Campaign.id, within_scope(principal, Unit.path))
        .exists()
    )
    return sa.or_(within_scope(principal, IssuerUnit.path), sa.and_(Campaign.status != "draft", sent_here))


def report_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Reports of units in the principal's subtree, and every report on campaigns issued there."""
    return sa.or_(within_scope(principal, ReportUnit.path), within_scope(principal, IssuerUnit.path))


def can_edit(principal: Principal, campaign: Campaign) -> bool:
    return principal.has(Scope.campaigns_write) and principal.unit_id == campaign.issuing_unit_id


def _require_editor(principal: Principal, campaign: Campaign) -> None:
    if not can_edit(principal, campaign):
        raise Forbidden("Only the issuing unit's leads may change or review this campaign.")


def _require_status(campaign: Campaign, *allowed: CampaignStatus, action: str) -> None:
    if campaign.status not in allowed:
        raise Conflict(
            f"The campaign is {campaign.status}; it cannot be {action}.",
            extra={"campaign_status": campaign.status},
        )


async def get_campaign(session: AsyncSession, *, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    campaign = await session.scalar(
        sa.select(Campaign)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
        .where(Campaign.id == campaign_id, campaign_scope(principal))
    )
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


# --- targets -----------------------------------------------------------------------------------------------


def _reach_path(issuer: Unit) -> str:
    """Where an issuer's campaigns may go: its own subtree; a department (the education bureau) reaches the
    subtree of the office above it, where the schools are."""
    return served_path(issuer.path, issuer.kind)


def _only_schools(issuer: Unit) -> bool:
    return issuer.kind == UnitKind.department


async def _check_targets(session: AsyncSession, *, issuer: Unit, targets: Targets, field: str) -> None:
    reach = _reach_path(issuer)
    if _only_schools(issuer) and any(kind is not UnitKind.school for kind in targets.kinds):
        raise ValidationFailed.field(
            ["body", field, "kinds"], "a department's campaigns go to schools only", "campaign.target_kind"
        )
    if targets.root_id is not None:
        root = await session.get(Unit, targets.root_id)
        if root is None or not root.path.startswith(reach):
            raise ValidationFailed.field(
                ["body", field, "root_id"], "no such unit in reach", "unit.not_found"
            )
    for index, unit_id in enumerate(targets.unit_ids):
        unit = await session.get(Unit, unit_id)
        if unit is None or not unit.path.startswith(reach) or not unit.is_active or unit.id == issuer.id:
            raise ValidationFailed.field(
                ["body", field, "unit_ids", index], "no such active unit in reach", "unit.not_found"
            )
        if _only_schools(issuer) and unit.kind != UnitKind.school:
            raise ValidationFailed.field(
                ["body", field, "unit_ids", index],
                "a department's campaigns go to schools only",
                "campaign.target_kind",
            )


def _targets_of(campaign: Campaign) -> Targets:
    return Targets(
        kinds=[UnitKind(kind) for kind in campaign.target_kinds],
        root_id=campaign.target_root_id,
        unit_ids=[uuid.UUID(unit_id) for unit_id in campaign.target_unit_ids],
    )


async def resolve_targets(session: AsyncSession, *, campaign: Campaign) -> list[Unit]:
    """The concrete active units the campaign's targets name now (the issuer itself never)."""
    issuer = await session.get(Unit, campaign.issuing_unit_id)
    assert issuer is not None
    conditions = []
    if campaign.target_kinds:
        root_path = _reach_path(issuer)
        if campaign.target_root_id:
            root = await session.get(Unit, campaign.target_root_id)
            root_path = root.path if root else root_path
        conditions.append(sa.and_(in_subtree(Unit.path, root_path), Unit.kind.in_(campaign.target_kinds)))
    if campaign.target_unit_ids:
        ids = [uuid.UUID(unit_id) for unit_id in campaign.target_unit_ids]
        conditions.append(sa.and_(Unit.id.in_(ids), in_subtree(Unit.path, _reach_path(issuer))))
    if not conditions:
        return []
    statement = (
        sa.select(Unit)
        .where(sa.or_(*conditions), Unit.is_active.is_(True), Unit.id != issuer.id)
        .order_by(Unit.path)
    )
    return list((await session.scalars(statement)).all())


async def recipients(session: AsyncSession, *, campaign: Campaign) -> Recipients:
    if campaign.status == CampaignStatus.draft:
        units = await resolve_targets(session, campaign=campaign)
        return Recipients(resolved_at_publish=False, units=[UnitSummary.model_validate(u) for u in units])
    units = (
        await session.scalars(
            sa.select(Unit)
            .join(CampaignTarget, CampaignTarget.unit_id == Unit.id)
            .where(CampaignTarget.campaign_id == campaign.id)
            .order_by(Unit.path)
        )
    ).all()
    return Recipients(resolved_at_publish=True, units=[UnitSummary.model_validate(u) for u in units])


# --- campaigns ---------------------------------------------------------------------------------------------


def _phases_json(phases: list[Phase]) -> list[dict[str, Any]]:
    return [phase.model_dump(mode="json") for phase in phases]


def _apply_targets(campaign: Campaign, targets: Targets) -> None:
    campaign.target_kinds = [kind.value for kind in targets.kinds]
    campaign.target_root_id = targets.root_id
    campaign.target_unit_ids = [str(unit_id) for unit_id in targets.unit_ids]


def _task_rows(campaign_id: uuid.UUID, tasks: list[TaskIn]) -> list[CampaignTask]:
    return [
        CampaignTask(campaign_id=campaign_id, position=position, **task.model_dump())
        for position, task in enumerate(tasks, start=1)
    ]


async def create_campaign(
    session: AsyncSession, *, principal: Principal, campaign_in: CampaignCreate
) -> Campaign:
    """A draft issued by the principal's unit."""
    issuer = await session.get(Unit, principal.unit_id)
    assert issuer is not None
    await _check_targets(session, issuer=issuer, targets=campaign_in.targets, field="targets")
    campaign = Campaign(
        issuing_unit_id=issuer.id,
        title=campaign_in.title,
        document_number=campaign_in.document_number,
        issue_date=campaign_in.issue_date,
        description=campaign_in.description,
        phases=_phases_json(campaign_in.phases),
        report_deadline=campaign_in.report_deadline,
        created_by_id=principal.id,
    )
    _apply_targets(campaign, campaign_in.targets)
    session.add(campaign)
    await session.flush()
    session.add_all(_task_rows(campaign.id, campaign_in.tasks))
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_created,
        actor=principal,
        unit_id=issuer.id,
        object_type="campaign",
        object_id=campaign.id,
    )
    return campaign


def _touch(campaign: Campaign) -> None:
    campaign.version += 1
    campaign.updated_at = utcnow()


async def update_campaign(
    session: AsyncSession,
    *,
    principal: Principal,
    campaign: Campaign,
    campaign_in: CampaignUpdate,
    if_match: str | None,
) -> Campaign:
    _require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    changes = campaign_in.model_dump(exclude_unset=True)
    if campaign.status != CampaignStatus.draft and set(changes) - {"report_deadline"}:
        raise Conflict(
            "A published campaign can only move its report deadline.",
            extra={"campaign_status": campaign.status},
        )
    if campaign.status == CampaignStatus.closed:
        raise Conflict("The campaign is closed.", extra={"campaign_status": campaign.status})
    if campaign_in.targets is not None:
        issuer = await session.get(Unit, campaign.issuing_unit_id)
        assert issuer is not None
        await _check_targets(session, issuer=issuer, targets=campaign_in.targets, field="targets")
        _apply_targets(campaign, campaign_in.targets)
    for name in ("title", "document_number", "issue_date", "description", "report_deadline"):
        if name in changes:
            setattr(campaign, name, getattr(campaign_in, name))
    if campaign_in.phases is not None:
        campaign.phases = _phases_json(campaign_in.phases)
    _touch(campaign)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_updated,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=campaign.id,
        fields=list(changes),
    )
    return campaign


async def tasks_of(session: AsyncSession, *, campaign_id: uuid.UUID) -> list[CampaignTask]:
    return list(
        (
            await session.scalars(
                sa.select(CampaignTask)
                .where(CampaignTask.campaign_id == campaign_id)
                .order_by(CampaignTask.position)
            )
        ).all()
    )


async def replace_tasks(
    session: AsyncSession,
    *,
    principal: Principal,
    campaign: Campaign,
    tasks: list[TaskIn],
    if_match: str | None,
) -> list[CampaignTask]:
    """The checklist of a draft, replaced as a whole (it bumps the campaign's version)."""
    _require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    _require_status(campaign, CampaignStatus.draft, action="given another checklist")
    await session.execute(sa.delete(CampaignTask).where(CampaignTask.campaign_id == campaign.id))
    session.add_all(_task_rows(campaign.id, tasks))
    _touch(campaign)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_updated,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=campaign.id,
        fields=["tasks"],
    )
    return await tasks_of(session, campaign_id=campaign.id)


async def publish(
    session: AsyncSession, *, principal: Principal, campaign: Campaign, if_match: str | None
) -> Campaign:
    """Fix the recipients and open one report per target unit and task."""
    _require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    _require_status(campaign, CampaignStatus.draft, action="published")
    tasks = await tasks_of(session, campaign_id=campaign.id)
    if not tasks:
        raise ValidationFailed.field(
            ["body", "tasks"], "a campaign needs at least one task", "campaign.no_tasks"
        )
    units = await resolve_targets(session, campaign=campaign)
    if not units:
        raise ValidationFailed.field(
            ["body", "targets"], "the targets name no active unit", "campaign.no_targets"
        )
    session.add_all(CampaignTarget(campaign_id=campaign.id, unit_id=unit.id) for unit in units)
    session.add_all(
        TaskReport(campaign_id=campaign.id, task_id=task.id, unit_id=unit.id)
        for unit in units
        for task in tasks
    )
    campaign.status = CampaignStatus.published
    campaign.published_at = utcnow()
    campaign.issue_date = campaign.issue_date or local_today()
    _touch(campaign)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_published,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=campaign.id,
        reason=f"{len(units)} units × {len(tasks)} tasks",
    )
    return campaign


async def close(
    session: AsyncSession, *, principal: Principal, campaign: Campaign, if_match: str | None
) -> Campaign:
    _require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    _require_status(campaign, CampaignStatus.published, action="closed")
    campaign.status = CampaignStatus.closed
    campaign.closed_at = utcnow()
    _touch(campaign)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_closed,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=campaign.id,
    )
    return campaign


async def copy(session: AsyncSession, *, principal: Principal, campaign: Campaign) -> Campaign:
    """A new draft with the same phases, tasks and targets (next year's plan); no number, no date."""
    _require_editor(principal, campaign)
    tasks = await tasks_of(session, campaign_id=campaign.id)
    duplicate = Campaign(
        issuing_unit_id=campaign.issuing_unit_id,
        title=campaign.title,
        description=campaign.description,
        phases=list(campaign.phases),
        report_deadline=campaign.report_deadline,
        target_kinds=list(campaign.target_kinds),
        target_root_id=campaign.target_root_id,
        target_unit_ids=list(campaign.target_unit_ids),
        copied_from_id=campaign.id,
        created_by_id=principal.id,
    )
    session.add(duplicate)
    await session.flush()
    session.add_all(
        CampaignTask(
            campaign_id=duplicate.id,
            **{column: getattr(task, column) for column in _TASK_COLUMNS},
        )
        for task in tasks
    )
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.campaign_created,
        actor=principal,
        unit_id=campaign.issuing_unit_id,
        object_type="campaign",
        object_id=duplicate.id,
        reason=f"copy of {campaign.id}",
    )
    return duplicate


_TASK_COLUMNS = (
    "position",
    "title",
    "evidence_required",
    "responsible_department",
    "measure",
    "target",
    "comparator",
    "weight",
    "due_date",
)


# --- presenting campaigns ----------------------------------------------------------------------------------


def _due_expression() -> Any:
    return sa.func.coalesce(CampaignTask.due_date, Campaign.report_deadline)


async def _counts(session: AsyncSession, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, CampaignCounts]:
    counts = {campaign_id: CampaignCounts() for campaign_id in campaign_ids}
    if not campaign_ids:
        return counts
    rows = (
        await session.execute(
            sa.select(TaskReport.campaign_id, TaskReport.status, _due_expression())
            .join(CampaignTask, CampaignTask.id == TaskReport.task_id)
            .join(Campaign, Campaign.id == TaskReport.campaign_id)
            .where(TaskReport.campaign_id.in_(campaign_ids))
        )
    ).all()
    today = local_today()
    for campaign_id, status, due in rows:
        entry = counts[campaign_id]
        entry.reports += 1
        entry.by_status[status] = entry.by_status.get(status, 0) + 1
        if status in OPEN_STATUSES and due is not None:
            if due < today:
                entry.late += 1
            elif due <= today + timedelta(days=DUE_SOON_DAYS):
                entry.due_soon += 1
    return counts


async def present(
    session: AsyncSession, *, principal: Principal, campaigns: list[Campaign], with_tasks: bool = False
) -> list[CampaignRead]:
    ids = [campaign.id for campaign in campaigns]
    issuers = {
        unit.id: unit
        for unit in (
            await session.scalars(sa.select(Unit).where(Unit.id.in_({c.issuing_unit_id for c in campaigns})))
        ).all()
    }
    task_counts = dict(
        (
            await session.execute(
                sa.select(CampaignTask.campaign_id, sa.func.count())
                .where(CampaignTask.campaign_id.in_(ids))
                .group_by(CampaignTask.campaign_id)
            )
        ).all()
    )
    target_counts = dict(
        (
            await session.execute(
                sa.select(CampaignTarget.campaign_id, sa.func.count())
                .where(CampaignTarget.campaign_id.in_(ids))
                .group_by(CampaignTarget.campaign_id)
            )
        ).all()
    )
    counts = await _counts(session, ids)
    presented: list[CampaignRead] = []
    for campaign in campaigns:
        editable = can_edit(principal, campaign)
        fields = {
            "id": campaign.id,
            "issuing_unit": UnitSummary.model_validate(issuers[campaign.issuing_unit_id]),
            "title": campaign.title,
            "document_number": campaign.document_number,
            "issue_date": campaign.issue_date,
            "description": campaign.description,
            "phases": [Phase.model_validate(phase) for phase in campaign.phases],
            "report_deadline": campaign.report_deadline,
            "targets": _targets_of(campaign),
            "status": CampaignStatus(campaign.status),
            "copied_from_id": campaign.copied_from_id,
            "published_at": campaign.published_at,
            "closed_at": campaign.closed_at,
            "task_count": task_counts.get(campaign.id, 0),
            "target_count": target_counts.get(campaign.id, 0),
            # The reports' overview is the issuer's: a target unit sees its own in its worklist.
            "counts": counts[campaign.id]
            if editable or within_issuer(principal, issuers[campaign.issuing_unit_id])
            else None,
            "can_edit": editable,
            "version": campaign.version,
            "created_at": campaign.created_at,
            "updated_at": campaign.updated_at,
        }
        if with_tasks:
            tasks = await tasks_of(session, campaign_id=campaign.id)
            presented.append(CampaignDetail(**fields, tasks=[TaskRead.model_validate(t) for t in tasks]))
        else:
            presented.append(CampaignRead(**fields))
    return presented


def within_issuer(principal: Principal, issuer: Unit) -> bool:
    return issuer.path.startswith(principal.unit_path)


@dataclass(frozen=True)
class CampaignFilters:
    status: CampaignStatus | None = None
    q: str | None = None
    issued_by_me: bool | None = None


async def list_campaigns(
    session: AsyncSession, *, principal: Principal, filters: CampaignFilters, page: PageParams
) -> Page[CampaignRead]:
    statement = (
        sa.select(Campaign)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
        .where(campaign_scope(principal))
    )
    if filters.status:
        statement = statement.where(Campaign.status == filters.status)
    if filters.q:
        statement = statement.where(Campaign.title.contains(filters.q, autoescape=True))
    if filters.issued_by_me:
        statement = statement.where(Campaign.issuing_unit_id == principal.unit_id)
    rows = await paginate(session, statement, page, lambda row: row[0])
    items = await present(session, principal=principal, campaigns=rows.items)
    return Page[CampaignRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


async def detail(session: AsyncSession, *, principal: Principal, campaign: Campaign) -> CampaignDetail:
    (presented,) = await present(session, principal=principal, campaigns=[campaign], with_tasks=True)
    assert isinstance(presented, CampaignDetail)
    return presented


# --- reports -----------------------------------------------------------------------------------------------


def _due_of(task: CampaignTask, campaign: Campaign) -> date | None:
    return task.due_date or campaign.report_deadline


def _is_late(report: TaskReport, due: date | None, today: date) -> bool:
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


def _summary(campaign: Campaign, issuer: Unit) -> CampaignSummary:
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
        principal.has(Scope.task_reports_write)
        and principal.unit_id == report.unit_id
        and campaign.status == CampaignStatus.published
        and report.status in OPEN_STATUSES
    )


def _can_review(principal: Principal, report: TaskReport, campaign: Campaign) -> bool:
    return (
        can_edit(principal, campaign)
        and campaign.status == CampaignStatus.published
        and report.status == TaskReportStatus.submitted
    )


def _report_statement(principal: Principal) -> sa.Select[Any]:
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
    due = _due_of(task, campaign)
    return TaskReportRead(
        id=report.id,
        campaign=_summary(campaign, issuer),
        task=TaskRead.model_validate(task),
        unit=UnitSummary.model_validate(unit),
        status=TaskReportStatus(report.status),
        value=report.value,
        note=report.note,
        review_comment=report.review_comment,
        due_date=due,
        late=_is_late(report, due, today),
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


async def list_reports(
    session: AsyncSession, *, principal: Principal, filters: ReportFilters, page: PageParams
) -> Page[TaskReportRead]:
    """The worklist: reports in scope, filtered; ``due=soon|late`` are the reminders."""
    statement = _report_statement(principal)
    if filters.campaign_id:
        statement = statement.where(TaskReport.campaign_id == filters.campaign_id)
    if filters.task_id:
        statement = statement.where(TaskReport.task_id == filters.task_id)
    if filters.unit_id:
        statement = statement.where(TaskReport.unit_id == filters.unit_id)
    if filters.status:
        statement = statement.where(TaskReport.status == filters.status)
    if filters.mine:
        statement = statement.where(TaskReport.unit_id == principal.unit_id)
    if filters.to_review:
        statement = statement.where(
            Campaign.issuing_unit_id == principal.unit_id, TaskReport.status == TaskReportStatus.submitted
        )
    if filters.due:
        today = local_today()
        statement = statement.where(
            Campaign.status == CampaignStatus.published, TaskReport.status.in_(list(OPEN_STATUSES))
        )
        if filters.due == "late":
            statement = statement.where(_due_expression() < today)
        else:
            statement = statement.where(
                _due_expression() >= today, _due_expression() <= today + timedelta(days=DUE_SOON_DAYS)
            )
    rows = await paginate(session, statement, page, lambda row: tuple(row))
    evidence = await _evidence_counts(session, [row[0].id for row in rows.items])
    items = [_present_report(principal, row, evidence.get(row[0].id, 0)) for row in rows.items]
    return Page[TaskReportRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


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
    if not principal.has(Scope.task_reports_write) or principal.unit_id != loaded.report.unit_id:
        raise Forbidden("Only the target unit itself reports on this task.")
    if loaded.campaign.status != CampaignStatus.published:
        raise Conflict(
            f"The campaign is {loaded.campaign.status}; reports are no longer taken.",
            extra={"campaign_status": loaded.campaign.status},
        )
    if loaded.report.status not in OPEN_STATUSES:
        raise Conflict(
            f"The report is {loaded.report.status}; it cannot be changed now.",
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
    _require_editor(principal, loaded.campaign)
    check_if_match(if_match, loaded.report.version)
    _require_status(loaded.campaign, CampaignStatus.published, action="reviewed")
    if loaded.report.status != TaskReportStatus.submitted:
        raise Conflict(
            f"The report is {loaded.report.status}; only a submitted report is reviewed.",
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


# --- evidence ----------------------------------------------------------------------------------------------


def _clean_filename(filename: str | None, media_type: str) -> str:
    # Only ever shown and sent back in Content-Disposition, never used as a path.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or f"evidence.{media_type.rsplit('/', 1)[-1]}"


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
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"An evidence file is at most {max_bytes} bytes.")
    if not content:
        raise ValidationFailed.field(["body", "file"], "the file is empty", "evidence.empty")
    media_type = detect_media_type(content)
    if media_type is None:
        raise UnsupportedMediaType(f"The file's content is not one of: {ACCEPTED_DESCRIPTION}.")
    key = await storage.put(content)
    evidence = EvidenceFile(
        task_report_id=loaded.report.id,
        storage_key=key,
        filename=_clean_filename(filename, media_type),
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
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


def published_reports(principal: Principal) -> sa.Select[Any]:
    """Reports of published campaigns the principal reaches (``campaign_scope``) that it may read
    (``report_scope``): the base of the dashboard's completion, approved ÷ all as in ``progress``."""
    return (
        sa.select(TaskReport.campaign_id, TaskReport.status)
        .join(Campaign, Campaign.id == TaskReport.campaign_id)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
        .join(ReportUnit, ReportUnit.id == TaskReport.unit_id)
        .where(
            Campaign.status == CampaignStatus.published.value,
            campaign_scope(principal),
            report_scope(principal),
        )
    )


# --- progress ----------------------------------------------------------------------------------------------


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
            due = _due_of(task, campaign)
            cells.append(
                ProgressCell(
                    report_id=report.id,
                    status=TaskReportStatus(report.status),
                    value=report.value,
                    late=_is_late(report, due, today),
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
        campaign=_summary(campaign, issuer),
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


_CELL_STATUS = {
    TaskReportStatus.not_started: "未开始",
    TaskReportStatus.in_progress: "填报中",
    TaskReportStatus.submitted: "已提交",
    TaskReportStatus.returned: "已退回",
    TaskReportStatus.approved: "已完成",
}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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
    rows: list[list[Any]] = []
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
