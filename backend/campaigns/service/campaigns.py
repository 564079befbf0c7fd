"""Campaigns (专项行动) and their task checklists (任务清单): issuing, targets, editing, publishing, closing,
copying, reading and listing.

Who may do what:
- read a campaign: its issuing unit's subtree, and once published, the subtrees of the units it went to;
- edit, publish, close, copy, review: people of the issuing unit holding ``campaigns:write`` (supervisors; the
  education bureau for school campaigns — a department reaches only schools);
- report: people of the target unit itself holding ``task_reports:write``.
Outside these, a campaign or report does not exist for the caller (404)."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CampaignTask,
    TaskReport,
)
from backend.campaigns.schemas import (
    CampaignCounts,
    CampaignCreate,
    CampaignDetail,
    CampaignRead,
    CampaignUpdate,
    Phase,
    Recipients,
    Targets,
    TaskIn,
    TaskRead,
)
from backend.campaigns.scoping import DUE_SOON_DAYS, OPEN_STATUSES, IssuerUnit, campaign_scope, due_expression
from backend.db import local_today, utcnow
from backend.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from backend.etag import check_if_match
from backend.messages import Text
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, in_subtree, served_path
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitSummary

SORT_FIELDS = {
    "title": Campaign.title,
    "status": Campaign.status,
    "issue_date": Campaign.issue_date,
    "report_deadline": Campaign.report_deadline,
    "updated_at": Campaign.updated_at,
    "created_at": Campaign.created_at,
}


def can_edit(principal: Principal, campaign: Campaign) -> bool:
    return permissions.may_edit_campaign(principal, issuing_unit_id=campaign.issuing_unit_id)


def require_editor(principal: Principal, campaign: Campaign) -> None:
    if not can_edit(principal, campaign):
        raise Forbidden("Only the issuing unit's leads may change or review this campaign.")


def require_status(campaign: Campaign, *allowed: CampaignStatus, action: Text) -> None:
    if campaign.status not in allowed:
        raise Conflict(
            Text(
                "The campaign is {status}; it cannot be {action}.",
                status=CampaignStatus(campaign.status),
                action=action,
            ),
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
        if root is None or not permissions.path_in_subtree(root.path, reach):
            raise ValidationFailed.field(
                ["body", field, "root_id"], "no such unit in reach", "unit.not_found"
            )
    for index, unit_id in enumerate(targets.unit_ids):
        unit = await session.get(Unit, unit_id)
        if (
            unit is None
            or not permissions.path_in_subtree(unit.path, reach)
            or not unit.is_active
            or unit.id == issuer.id
        ):
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
        targets = await resolve_targets(session, campaign=campaign)
        return Recipients(resolved_at_publish=False, units=[UnitSummary.model_validate(u) for u in targets])
    units = (
        await session.scalars(
            sa.select(Unit)
            .join(CampaignTarget, CampaignTarget.unit_id == Unit.id)
            .where(CampaignTarget.campaign_id == campaign.id)
            .order_by(Unit.path)
        )
    ).all()
    return Recipients(resolved_at_publish=True, units=[UnitSummary.model_validate(u) for u in units])


def _phases_json(phases: list[Phase]) -> list[dict[str, Any]]:
    return [phase.model_dump(mode="json") for phase in phases]


def _stages(phases: list[dict[str, Any]]) -> set[str]:
    """The stage codes a campaign's phases name (stored phases without a code get it from their name)."""
    return {code for phase in phases if (code := Phase.model_validate(phase).code) is not None}


def _check_task_phases(phases: list[dict[str, Any]], tasks: list[TaskIn], *, loc: list[str | int]) -> None:
    """A task names one of its campaign's phases, or none."""
    stages = _stages(phases)
    for index, task in enumerate(tasks):
        if task.phase is not None and task.phase.value not in stages:
            raise ValidationFailed.field(
                [*loc, index, "phase"],
                Text("the campaign has no phase {phase}", phase=task.phase),
                "task.phase",
            )


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
    _check_task_phases(_phases_json(campaign_in.phases), campaign_in.tasks, loc=["body", "tasks"])
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
    require_editor(principal, campaign)
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
        stages = _stages(_phases_json(campaign_in.phases))
        tasks = await tasks_of(session, campaign_id=campaign.id)
        if any(task.phase is not None and task.phase not in stages for task in tasks):
            raise ValidationFailed.field(
                ["body", "phases"], "a task names a phase the campaign would no longer have", "task.phase"
            )
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
    require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    require_status(campaign, CampaignStatus.draft, action=Text("given another checklist"))
    _check_task_phases(campaign.phases, tasks, loc=["body", "tasks"])
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
    require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    require_status(campaign, CampaignStatus.draft, action=Text("published"))
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
    require_editor(principal, campaign)
    check_if_match(if_match, campaign.version)
    require_status(campaign, CampaignStatus.published, action=Text("closed"))
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
    "phase",
)


async def copy(session: AsyncSession, *, principal: Principal, campaign: Campaign) -> Campaign:
    """A new draft with the same phases, tasks and targets (next year's plan); no number, no date."""
    require_editor(principal, campaign)
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


async def _counts(session: AsyncSession, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, CampaignCounts]:
    counts = {campaign_id: CampaignCounts() for campaign_id in campaign_ids}
    if not campaign_ids:
        return counts
    rows = (
        await session.execute(
            sa.select(TaskReport.campaign_id, TaskReport.status, due_expression())
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
    task_counts: dict[uuid.UUID, int] = dict(
        (
            await session.execute(
                sa.select(CampaignTask.campaign_id, sa.func.count())
                .where(CampaignTask.campaign_id.in_(ids))
                .group_by(CampaignTask.campaign_id)
            )
        ).all()
    )
    target_counts: dict[uuid.UUID, int] = dict(
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
    return permissions.covers(principal, issuer.path)


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
