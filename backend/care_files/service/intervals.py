"""Default follow-up intervals per risk level, set by a lead for a unit and the units below it."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    CareDuty,
    CareSettings,
)
from backend.care_files.schemas import (
    CareSettingsRead,
    CareSettingsUpdate,
    Intervals,
    OnDutyUpdate,
    PersonRef,
)
from backend.care_files.service.records import eligible_lead
from backend.db import utcnow
from backend.errors import ValidationFailed
from backend.security import permissions
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit, ids_on_path
from backend.units.schemas import UnitSummary
from backend.users.models import User

# Follow-up intervals when no lead has set any for the unit or the units above it.
DEFAULT_INTERVALS = Intervals(low=30, medium=14, high=7)


async def effective_intervals(
    session: AsyncSession, unit_id: uuid.UUID
) -> tuple[Intervals, uuid.UUID | None]:
    """The intervals set for the unit or the nearest unit above it, else the defaults."""
    path = await session.scalar(sa.select(Unit.path).where(Unit.id == unit_id))
    if path is None:
        return DEFAULT_INTERVALS, None
    ancestors = ids_on_path(path)
    settings = (
        await session.scalars(sa.select(CareSettings).where(CareSettings.unit_id.in_(ancestors)))
    ).all()
    if not settings:
        return DEFAULT_INTERVALS, None
    nearest = max(settings, key=lambda item: ancestors.index(item.unit_id))
    return (
        Intervals(low=nearest.interval_low, medium=nearest.interval_medium, high=nearest.interval_high),
        nearest.unit_id,
    )


def interval_for(intervals: Intervals, risk_level: str) -> int:
    return int(getattr(intervals, str(risk_level), intervals.medium))


async def unit_in_scope(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, loc: list[str]
) -> Unit:
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, within_scope(principal, Unit.path)))
    if unit is None:
        raise ValidationFailed.field(loc, "no such unit in your scope", "unit.not_found")
    return unit


async def read_settings(
    session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None
) -> CareSettingsRead:
    unit = await unit_in_scope(session, principal, unit_id or principal.unit_id, ["query", "unit_id"])
    intervals, source_id = await effective_intervals(session, unit.id)
    source = await session.get(Unit, source_id) if source_id else None
    on_duty = (
        await session.execute(
            sa.select(User.id, User.display_name)
            .join(CareDuty, CareDuty.user_id == User.id)
            .where(CareDuty.unit_id == unit.id)
        )
    ).first()
    return CareSettingsRead(
        unit=UnitSummary.model_validate(unit),
        intervals=intervals,
        inherited_from=UnitSummary.model_validate(source) if source else None,
        on_duty_worker=PersonRef(id=on_duty.id, name=on_duty.display_name) if on_duty else None,
    )


async def update_settings(
    session: AsyncSession, *, principal: Principal, settings_in: CareSettingsUpdate
) -> CareSettingsRead:
    """A lead sets the default intervals for their unit or one below; files opened later use them."""
    permissions.ensure(
        permissions.may_decide_for_care_files(principal), "Only a lead sets the follow-up intervals."
    )
    unit = await unit_in_scope(
        session, principal, settings_in.unit_id or principal.unit_id, ["body", "unit_id"]
    )
    row = await session.get(CareSettings, unit.id)
    if row is None:
        row = CareSettings(unit_id=unit.id, interval_low=0, interval_medium=0, interval_high=0, version=0)
        session.add(row)
    row.interval_low = settings_in.intervals.low
    row.interval_medium = settings_in.intervals.medium
    row.interval_high = settings_in.intervals.high
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = principal.id
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.care_settings_updated,
        actor=principal,
        unit_id=unit.id,
        object_type="care_settings",
        object_id=unit.id,
        fields=["intervals"],
    )
    return await read_settings(session, principal=principal, unit_id=unit.id)


async def set_on_duty(
    session: AsyncSession, *, principal: Principal, duty_in: OnDutyUpdate
) -> CareSettingsRead:
    """A lead names the unit's on-duty social worker (or nobody): the lead worker of files the unit is given
    automatically, so none waits unassigned."""
    permissions.ensure(
        permissions.may_decide_for_care_files(principal), "Only a lead names the on-duty social worker."
    )
    unit = await unit_in_scope(session, principal, duty_in.unit_id or principal.unit_id, ["body", "unit_id"])
    row = await session.get(CareDuty, unit.id)
    if duty_in.user_id is None:
        if row is not None:
            await session.delete(row)
    else:
        if await eligible_lead(session, unit_id=unit.id, user_id=duty_in.user_id) is None:
            raise ValidationFailed.field(
                ["body", "user_id"],
                "must be an active social worker or lead of the unit",
                "care_file.lead_worker",
            )
        if row is None:
            row = CareDuty(unit_id=unit.id, user_id=duty_in.user_id)
            session.add(row)
        row.user_id = duty_in.user_id
        row.updated_at = utcnow()
        row.updated_by = principal.id
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.care_duty_updated,
        actor=principal,
        unit_id=unit.id,
        object_type="care_settings",
        object_id=unit.id,
        fields=["on_duty_worker"],
    )
    return await read_settings(session, principal=principal, unit_id=unit.id)
