"""School-kept files (学校一人一档, seed 000: 教育部门要针对“双差生”、“重点生”…建立一人一档关爱档案…定期开展回访谈心谈话):
a school's staff open and lead a file of their own for a pupil of their school in a school category, and record
their talks and home visits at the plan's interval. The file is managed by the pupil's station, which sees that
it exists (and reads it), but only the keeping school records in it or changes it. It stands beside any file of
the station: a pupil has at most one open file of each kind (the database says so)."""

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import OPEN_STATUSES, CareFile, CareFileStatus, CareTrigger
from backend.care_files.schemas import SchoolFileCreate
from backend.care_files.service.intervals import effective_intervals, interval_for
from backend.care_files.service.timeline import recompute
from backend.care_files.worklists import LOST_AFTER_INTERVALS, local_date
from backend.db import utcnow
from backend.errors import Conflict, ValidationFailed
from backend.minors.models import Minor
from backend.security import permissions
from backend.security.principals import Principal
from backend.security.roles import Role
from backend.users.models import User


async def _school_staff(session: AsyncSession, *, school_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The user, if they are active staff of this school who can lead its files."""
    user = await session.scalar(
        sa.select(User).where(User.id == user_id, User.unit_id == school_id, User.is_active.is_(True))
    )
    if user is None or not permissions.may_lead_a_school_file(Role(user.role)):
        return None
    return user


async def open_school_file(
    session: AsyncSession, *, principal: Principal, minor: Minor, file_in: SchoolFileCreate
) -> CareFile:
    """Open (or reopen) the school-kept file of a pupil of the caller's school. ``minor`` is the registry's row,
    found in the caller's scope (their own pupils) by the caller."""
    permissions.ensure(
        permissions.may_keep_school_files(principal), "Only a school's staff keep its school files."
    )
    if minor.school_id != principal.unit_id:
        # Reached through another scope (never for school staff, whose scope is their own pupils).
        raise ValidationFailed.field(
            ["body", "minor_id"], "not a pupil of your school", "care_file.not_own_pupil"
        )
    if not permissions.qualifies_for_school_file(minor.risk_categories):
        raise ValidationFailed.field(
            ["body", "minor_id"],
            "a school keeps a file for a pupil recorded as dropped out, out of school or 双差生 only",
            "care_file.school_category",
        )
    school_id = principal.unit_id
    lead_id = file_in.lead_worker_id or principal.id
    names: dict[uuid.UUID, str] = {}
    for loc, person in [(["body", "lead_worker_id"], lead_id)] + [
        (["body", "team", index, "user_id"], member.user_id)
        for index, member in enumerate(file_in.team)
        if member.user_id is not None
    ]:
        user = await _school_staff(session, school_id=school_id, user_id=person)
        if user is None:
            raise ValidationFailed.field(
                loc, "must be an active member of your school's staff", "care_file.school_staff"
            )
        names[user.id] = user.display_name
    existing = await session.scalar(
        sa.select(CareFile.id).where(
            CareFile.minor_id == minor.id,
            CareFile.kept_by_school_id.is_not(None),
            CareFile.status.in_(OPEN_STATUSES),
        )
    )
    if existing is not None:
        raise Conflict("This pupil already has an open school file.", extra={"existing_id": str(existing)})
    intervals, _source = await effective_intervals(session, minor.managing_unit_id)
    interval = file_in.interval_days or interval_for(intervals, minor.risk_level)
    now = utcnow()
    last_closed = await session.scalar(
        sa.select(CareFile)
        .where(CareFile.minor_id == minor.id, CareFile.kept_by_school_id == school_id)
        .order_by(CareFile.closed_at.desc().nulls_last())
        .limit(1)
    )
    if last_closed is not None:
        care_file = last_closed
        care_file.status = CareFileStatus.open
        care_file.reopened_count += 1
        care_file.opened_at = now
        care_file.closed_at = None
        care_file.closure_reason = None
        care_file.version += 1
        care_file.updated_at = now
        action = AuditAction.care_file_reopened
    else:
        care_file = CareFile(
            minor_id=minor.id,
            managing_unit_id=minor.managing_unit_id,
            kept_by_school_id=school_id,
            status=CareFileStatus.open,
            trigger=CareTrigger.school,
            opened_at=now,
            interval_days=interval,
            next_due_on=local_date(now) + timedelta(days=interval),
            lost_contact_on=local_date(now) + timedelta(days=LOST_AFTER_INTERVALS * interval),
        )
        session.add(care_file)
        action = AuditAction.care_file_opened
    care_file.opened_by = principal.id
    care_file.managing_unit_id = minor.managing_unit_id
    care_file.trigger = CareTrigger.school
    care_file.lead_worker_id = lead_id
    care_file.team = [
        {
            "role": member.role.value,
            "user_id": str(member.user_id) if member.user_id else None,
            "name": names[member.user_id] if member.user_id else member.name,
            "organisation": member.organisation,
        }
        for member in file_in.team
    ]
    care_file.goals = file_in.goals
    care_file.measures = file_in.measures
    care_file.interval_days = interval
    # The school's own staff, named by the school: nobody else confirms them, and naming them opens nothing
    # of the pupil beyond what the school's staff see already (docs/privacy.md).
    responsible = sorted({str(lead_id), *(str(m.user_id) for m in file_in.team if m.user_id)})
    care_file.responsible_user_ids = responsible
    care_file.confirmed_responsible_ids = responsible
    await recompute(session, care_file)
    await session.flush()
    await audit.record(
        session,
        action=action,
        actor=principal,
        unit_id=minor.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=CareTrigger.school.value,
    )
    return care_file
