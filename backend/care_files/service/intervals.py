"""Default follow-up intervals per risk level, set by a lead for a unit and the units below it."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    CareSettings,
)
from backend.care_files.schemas import (
    CareSettingsRead,
    CareSettingsUpdate,
    Intervals,
)
from backend.db import utcnow
from backend.errors import ValidationFailed
from backend.security import permissions
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit, ids_on_path
from backend.units.schemas import UnitSummary

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


async def _unit_in_scope(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, loc: list[str]
) -> Unit:
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, within_scope(principal, Unit.path)))
    if unit is None:
        raise ValidationFailed.field(loc, "no such unit in your scope", "unit.not_found")
    return unit


async def read_settings(
    session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None
) -> CareSettingsRead:
    unit = await _unit_in_scope(session, principal, unit_id or principal.unit_id, ["query", "unit_id"])
    intervals, source_id = await effective_intervals(session, unit.id)
    source = await session.get(Unit, source_id) if source_id else None
    return CareSettingsRead(
        unit=UnitSummary.model_validate(unit),
        intervals=intervals,
        inherited_from=UnitSummary.model_validate(source) if source else None,
    )


async def update_settings(
    session: AsyncSession, *, principal: Principal, settings_in: CareSettingsUpdate
) -> CareSettingsRead:
    """A lead sets the default intervals for their unit or one below; files opened later use them."""
    permissions.ensure(
        permissions.may_decide_for_care_files(principal), "Only a lead sets the follow-up intervals."
    )
    unit = await _unit_in_scope(
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
