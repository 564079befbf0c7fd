"""Assessment schemes (考核方案): reading in scope (issued in the reader's subtree, or assessing a subtree that
holds the reader's unit), creating, replacing and deleting; who may change, run or score one (``ensure_editor``)."""

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.assessments.models import AssessmentRun, AssessmentScheme, RunStatus
from backend.assessments.schemas import (
    CallIn,
    Grade,
    Indicator,
    SchemeIn,
    SchemeListItem,
    SchemeRead,
    SchemeRunSummary,
    Veto,
)
from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.models import Campaign
from backend.db import utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit, ids_on_path
from backend.units.schemas import UnitSummary

SchemeIssuer = aliased(Unit, name="scheme_issuer")


SchemeRoot = aliased(Unit, name="scheme_root")


SORT_FIELDS = {"updated_at": AssessmentScheme.updated_at, "name": AssessmentScheme.name}


def scheme_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Schemes issued in the principal's subtree, and schemes that assess a subtree holding the principal's
    unit (a township reads the rules it is assessed by)."""
    return sa.or_(
        within_scope(principal, SchemeIssuer.path),
        AssessmentScheme.unit_root_id.in_(ids_on_path(principal.unit_path)),
    )


def _scoped_schemes() -> Any:
    return (
        sa.select(AssessmentScheme, SchemeIssuer, SchemeRoot)
        .join(SchemeIssuer, SchemeIssuer.id == AssessmentScheme.issuing_unit_id)
        .join(SchemeRoot, SchemeRoot.id == AssessmentScheme.unit_root_id)
    )


@dataclass
class LoadedScheme:
    scheme: AssessmentScheme
    issuer: Unit
    root: Unit


async def get_scheme(session: AsyncSession, *, principal: Principal, scheme_id: uuid.UUID) -> LoadedScheme:
    row = (
        await session.execute(
            _scoped_schemes().where(AssessmentScheme.id == scheme_id, scheme_scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound("No such assessment scheme.")
    return LoadedScheme(row[0], row[1], row[2])


def _run_summary(run: AssessmentRun) -> SchemeRunSummary:
    return SchemeRunSummary(
        id=run.id, cut_off=run.cut_off, status=RunStatus(run.status), computed_at=run.computed_at
    )


async def list_schemes(
    session: AsyncSession, *, principal: Principal, page: PageParams
) -> Page[SchemeListItem]:
    statement = _scoped_schemes().where(scheme_scope(principal))
    found = await paginate(session, statement, page, lambda row: row)
    scheme_ids = [row[0].id for row in found.items]
    latest: dict[uuid.UUID, AssessmentRun] = {}
    if scheme_ids:
        runs = await session.scalars(
            sa.select(AssessmentRun)
            .where(AssessmentRun.scheme_id.in_(scheme_ids))
            .order_by(AssessmentRun.computed_at)
        )
        latest = {run.scheme_id: run for run in runs}
    items = [
        SchemeListItem(
            id=scheme.id,
            issuing_unit=UnitSummary.model_validate(issuer),
            name=scheme.name,
            period_start=scheme.period_start,
            period_end=scheme.period_end,
            indicator_count=len(scheme.indicators),
            latest_run=_run_summary(latest[scheme.id]) if scheme.id in latest else None,
            updated_at=scheme.updated_at,
        )
        for scheme, issuer, _root in found.items
    ]
    return Page[SchemeListItem](items=items, total=found.total, limit=found.limit, offset=found.offset)


async def scheme_detail(session: AsyncSession, *, principal: Principal, loaded: LoadedScheme) -> SchemeRead:
    scheme = loaded.scheme
    runs = await session.scalars(
        sa.select(AssessmentRun)
        .where(AssessmentRun.scheme_id == scheme.id)
        .order_by(AssessmentRun.computed_at.desc())
    )
    return SchemeRead(
        id=scheme.id,
        version=scheme.version,
        issuing_unit=UnitSummary.model_validate(loaded.issuer),
        name=scheme.name,
        period_start=scheme.period_start,
        period_end=scheme.period_end,
        unit_root=UnitSummary.model_validate(loaded.root),
        unit_kinds=list(scheme.unit_kinds),
        grades=[Grade.model_validate(grade) for grade in scheme.grades],
        pass_rate_target=scheme.pass_rate_target,
        indicators=[Indicator.model_validate(indicator) for indicator in scheme.indicators],
        vetoes=[Veto.model_validate(veto) for veto in scheme.vetoes],
        call_in=CallIn.model_validate(scheme.call_in),
        runs=[_run_summary(run) for run in runs],
        can_edit=permissions.may_edit_assessment_scheme(principal, issuing_unit_id=scheme.issuing_unit_id),
        created_at=scheme.created_at,
        updated_at=scheme.updated_at,
    )


def ensure_editor(principal: Principal, issuing_unit_id: uuid.UUID) -> None:
    permissions.ensure(
        permissions.may_edit_assessment_scheme(principal, issuing_unit_id=issuing_unit_id),
        "Only the issuing unit's leads may change, run or score this assessment.",
    )


def ensure_may_run(principal: Principal, scheme: AssessmentScheme) -> None:
    ensure_editor(principal, scheme.issuing_unit_id)


async def _root_in_scope(session: AsyncSession, principal: Principal, root_id: uuid.UUID) -> Unit:
    root = await session.scalar(sa.select(Unit).where(Unit.id == root_id, within_scope(principal, Unit.path)))
    if root is None:
        raise ValidationFailed.field(["body", "unit_root_id"], "no such unit in your scope", "unit.not_found")
    return root


async def _campaigns_exist(session: AsyncSession, scheme_in: SchemeIn) -> None:
    """Every campaign an indicator names must exist (its scope is checked when the run reads it)."""
    from_campaigns = {
        indicator.campaign.campaign_id: index
        for index, indicator in enumerate(scheme_in.indicators)
        if indicator.campaign
    }
    if not from_campaigns:
        return
    found = set(await session.scalars(sa.select(Campaign.id).where(Campaign.id.in_(from_campaigns))))
    for campaign_id, index in from_campaigns.items():
        if campaign_id not in found:
            raise ValidationFailed.field(
                ["body", "indicators", index, "campaign", "campaign_id"],
                "no such campaign",
                "campaign.not_found",
            )


def _apply(scheme: AssessmentScheme, scheme_in: SchemeIn, root: Unit) -> None:
    scheme.name = scheme_in.name
    scheme.period_start = scheme_in.period_start
    scheme.period_end = scheme_in.period_end
    scheme.unit_root_id = root.id
    scheme.unit_kinds = [kind.value for kind in scheme_in.unit_kinds]
    scheme.grades = [grade.model_dump(mode="json") for grade in scheme_in.grades]
    scheme.pass_rate_target = scheme_in.pass_rate_target
    scheme.indicators = [
        indicator.model_dump(mode="json", exclude_none=True) for indicator in scheme_in.indicators
    ]
    scheme.vetoes = [veto.model_dump(mode="json") for veto in scheme_in.vetoes]
    scheme.call_in = scheme_in.call_in.model_dump(mode="json")


async def create_scheme(session: AsyncSession, *, principal: Principal, scheme_in: SchemeIn) -> LoadedScheme:
    """A scheme issued by the principal's own unit, assessing units in its subtree."""
    ensure_editor(principal, principal.unit_id)
    root = await _root_in_scope(session, principal, scheme_in.unit_root_id or principal.unit_id)
    await _campaigns_exist(session, scheme_in)
    scheme = AssessmentScheme(
        issuing_unit_id=principal.unit_id,
        name=scheme_in.name,
        period_start=scheme_in.period_start,
        period_end=scheme_in.period_end,
        unit_root_id=root.id,
        created_by_id=principal.id,
    )
    _apply(scheme, scheme_in, root)
    session.add(scheme)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_created,
        actor=principal,
        object_type="assessment_scheme",
        object_id=scheme.id,
    )
    issuer = await session.get(Unit, principal.unit_id)
    assert issuer is not None
    return LoadedScheme(scheme, issuer, root)


async def update_scheme(
    session: AsyncSession, *, principal: Principal, loaded: LoadedScheme, scheme_in: SchemeIn
) -> LoadedScheme:
    """Replace the scheme's rules. Runs already computed keep the rules they were computed with."""
    ensure_editor(principal, loaded.scheme.issuing_unit_id)
    root = await _root_in_scope(session, principal, scheme_in.unit_root_id or loaded.scheme.unit_root_id)
    await _campaigns_exist(session, scheme_in)
    _apply(loaded.scheme, scheme_in, root)
    loaded.scheme.version += 1
    loaded.scheme.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_updated,
        actor=principal,
        object_type="assessment_scheme",
        object_id=loaded.scheme.id,
    )
    return LoadedScheme(loaded.scheme, loaded.issuer, root)


async def delete_scheme(session: AsyncSession, *, principal: Principal, loaded: LoadedScheme) -> None:
    ensure_editor(principal, loaded.scheme.issuing_unit_id)
    has_runs = await session.scalar(
        sa.select(AssessmentRun.id).where(AssessmentRun.scheme_id == loaded.scheme.id).limit(1)
    )
    if has_runs is not None:
        raise Conflict("A scheme that has been run cannot be deleted.")
    await session.delete(loaded.scheme)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_deleted,
        actor=principal,
        object_type="assessment_scheme",
        object_id=loaded.scheme.id,
    )
