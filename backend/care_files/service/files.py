"""Care files (关爱帮教档案): opening and reopening, the plan and the responsible people, delegation. Every
write is an audit event; reading and listing are in ``reading``."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    OPEN_STATUSES,
    CareDuty,
    CareEntry,
    CareFile,
    CareFileStatus,
    CareTrigger,
    EntryKind,
)
from backend.care_files.schemas import (
    CareFileCreate,
    CareFileUpdate,
    TeamMemberIn,
)
from backend.care_files.service.intervals import effective_intervals, interval_for
from backend.care_files.service.records import (
    display_names,
    eligible_lead,
    lock_file,
)
from backend.care_files.service.timeline import recompute
from backend.care_files.worklists import (
    LOST_AFTER_INTERVALS,
    local_date,
)
from backend.db import insert_many, new_id, utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.minors.models import Minor
from backend.security import permissions
from backend.security.principals import Principal, in_subtree
from backend.units.models import Unit
from backend.users.models import User


async def open_or_reopen_file(
    session: AsyncSession,
    *,
    minor_id: uuid.UUID,
    unit_id: uuid.UUID,
    trigger: str,
    actor: Principal | None,
) -> CareFile:
    """Make sure the minor has an open file managed by ``unit_id``: the open one (moved to the unit if it is
    elsewhere), else the last closed one reopened with its history, else a new one. Called by registration in
    a sensitive category, seizure notices and transfer acceptance (``backend.workflows``), which also make
    the minor active again; the caller has checked scope."""
    trigger = CareTrigger(trigger)
    # Two callers for one minor at once (two notices acknowledged together) queue here rather than both
    # finding no open file and the second breaking the one-open-file rule.
    risk_level = await session.scalar(
        sa.select(Minor.risk_level).where(Minor.id == minor_id).with_for_update()
    )
    if risk_level is None:
        raise NotFound("No such minor.")
    care_file = await session.scalar(
        sa.select(CareFile).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.kept_by_school_id.is_(None),
        )
    )
    if care_file is not None:
        if care_file.managing_unit_id != unit_id:
            care_file.managing_unit_id = unit_id
            # A move ends any delegation of the file; ``delegate_file`` sets it again for a new one.
            care_file.accountable_unit_id = None
            # The old unit's people are no longer responsible; the receiving lead names new ones.
            care_file.lead_worker_id = None
            care_file.team = [member for member in care_file.team if not member.get("user_id")]
            care_file.responsible_user_ids = []
            care_file.confirmed_responsible_ids = []
            await _name_on_duty_worker(session, care_file)
            care_file.version += 1
            care_file.updated_at = utcnow()
            await session.flush()
            await audit.record(
                session,
                action=AuditAction.care_file_updated,
                actor=actor,
                unit_id=unit_id,
                object_type="care_file",
                object_id=care_file.id,
                fields=["managing_unit"],
                reason=trigger.value,
            )
        return care_file

    intervals, _source = await effective_intervals(session, unit_id)
    last_closed = await session.scalar(
        sa.select(CareFile)
        .where(CareFile.minor_id == minor_id, CareFile.kept_by_school_id.is_(None))
        .order_by(CareFile.closed_at.desc().nulls_last(), CareFile.opened_at.desc())
        .limit(1)
    )
    now = utcnow()
    if last_closed is not None:
        care_file = last_closed
        if care_file.managing_unit_id != unit_id:
            # Reopened elsewhere: the old unit's people are no longer responsible.
            care_file.lead_worker_id = None
            care_file.team = [member for member in care_file.team if not member.get("user_id")]
            care_file.responsible_user_ids = []
            care_file.confirmed_responsible_ids = []
        care_file.status = CareFileStatus.open
        care_file.trigger = trigger
        care_file.managing_unit_id = unit_id
        care_file.reopened_count += 1
        care_file.opened_at = now
        care_file.opened_by = actor.id if actor and actor.is_user else None
        for field in (
            "closure_reason",
            "closure_note",
            "closure_requested_at",
            "closure_requested_by",
            "closure_decided_at",
            "closure_decided_by",
            "closure_comment",
            "closed_at",
        ):
            setattr(care_file, field, None)
        care_file.version += 1
        care_file.updated_at = now
        action = AuditAction.care_file_reopened
    else:
        interval = interval_for(intervals, risk_level)
        care_file = CareFile(
            minor_id=minor_id,
            managing_unit_id=unit_id,
            status=CareFileStatus.open,
            trigger=trigger,
            opened_at=now,
            opened_by=actor.id if actor and actor.is_user else None,
            interval_days=interval,
            next_due_on=local_date(now) + timedelta(days=interval),
            lost_contact_on=local_date(now) + timedelta(days=LOST_AFTER_INTERVALS * interval),
        )
        session.add(care_file)
        action = AuditAction.care_file_opened
    await _name_on_duty_worker(session, care_file)
    await recompute(session, care_file)
    await session.flush()
    await audit.record(
        session,
        action=action,
        actor=actor,
        unit_id=unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=trigger.value,
    )
    return care_file


@dataclass(frozen=True)
class NewFile:
    """A minor ``open_new_files`` is to open a file for, at ``unit_id``."""

    minor_id: uuid.UUID
    unit_id: uuid.UUID
    risk_level: str


@dataclass(frozen=True)
class OpenedFile:
    """A file ``open_new_files`` opened, as far as telling its people goes (``notifying``)."""

    id: uuid.UUID
    minor_id: uuid.UUID
    version: int
    lead_worker_id: uuid.UUID | None
    responsible_user_ids: list[str]
    kept_by_school_id: uuid.UUID | None = None

    @classmethod
    def of(cls, care_file: CareFile) -> "OpenedFile":
        return cls(
            id=care_file.id,
            minor_id=care_file.minor_id,
            version=care_file.version,
            lead_worker_id=care_file.lead_worker_id,
            responsible_user_ids=list(care_file.responsible_user_ids),
            kept_by_school_id=care_file.kept_by_school_id,
        )


# Files per multi-row statement (about 30 parameters a row).
_MANY_CHUNK = 500
_CARE_FILES: sa.Table = CareFile.__table__


async def open_new_files(
    session: AsyncSession, *, openings: Sequence[NewFile], trigger: str, actor: Principal | None
) -> list[OpenedFile]:
    """``open_or_reopen_file`` for many minors at once (the registrations of an import): a minor without any file
    of the station gets a new one as ``open_or_reopen_file`` makes it — the plan's interval for the unit and the
    risk level, due dates from the opening day, the unit's on-duty worker as lead, one ``care_file.opened``
    event each — written with multi-row inserts of plain rows (a ``CareFile`` object costs SQLModel about a
    millisecond to build); a minor who has one already goes through ``open_or_reopen_file`` itself. The files,
    in the order of ``openings``."""
    trigger = CareTrigger(trigger)
    minor_ids = [opening.minor_id for opening in openings]
    having: set[uuid.UUID] = set()
    for start in range(0, len(minor_ids), _MANY_CHUNK):
        having.update(
            await session.scalars(
                sa.select(CareFile.minor_id).where(
                    CareFile.minor_id.in_(minor_ids[start : start + _MANY_CHUNK]),
                    CareFile.kept_by_school_id.is_(None),
                )
            )
        )
    intervals: dict[uuid.UUID, Any] = {}
    on_duty: dict[uuid.UUID, uuid.UUID | None] = {}
    now = utcnow()
    opened_on = local_date(now)
    files: list[OpenedFile] = []
    rows: list[dict[str, Any]] = []
    for opening in openings:
        if opening.minor_id in having:
            care_file = await open_or_reopen_file(
                session, minor_id=opening.minor_id, unit_id=opening.unit_id, trigger=trigger, actor=actor
            )
            files.append(OpenedFile.of(care_file))
            continue
        unit_id = opening.unit_id
        if unit_id not in intervals:
            intervals[unit_id] = (await effective_intervals(session, unit_id))[0]
            # ``_name_on_duty_worker``'s choice, looked up once per unit.
            on_duty[unit_id] = await _on_duty_lead(session, unit_id)
        interval = interval_for(intervals[unit_id], opening.risk_level)
        lead_worker_id = on_duty[unit_id]
        named = _responsible_ids_of(lead_worker_id, [])
        row: dict[str, Any] = {column.key: None for column in _CARE_FILES.c}
        row.update(
            id=new_id(),
            version=1,
            created_at=now,
            updated_at=now,
            minor_id=opening.minor_id,
            managing_unit_id=unit_id,
            status=CareFileStatus.open,
            trigger=trigger,
            opened_at=now,
            opened_by=actor.id if actor and actor.is_user else None,
            reopened_count=0,
            lead_worker_id=lead_worker_id,
            team=[],
            responsible_user_ids=named,
            confirmed_responsible_ids=list(named),
            goals="",
            measures="",
            interval_days=interval,
            # No entries yet: the due dates ``recompute`` derives are the plan's from the opening day.
            next_due_on=opened_on + timedelta(days=interval),
            lost_contact_on=opened_on + timedelta(days=LOST_AFTER_INTERVALS * interval),
            failed_attempts=0,
        )
        rows.append(row)
        files.append(
            OpenedFile(
                id=row["id"],
                minor_id=opening.minor_id,
                version=1,
                lead_worker_id=lead_worker_id,
                responsible_user_ids=named,
            )
        )
    await insert_many(session, _CARE_FILES, rows)  # multi-row statements, as ``bulk.register_many``
    for row in rows:
        await audit.record(
            session,
            action=AuditAction.care_file_opened,
            actor=actor,
            unit_id=row["managing_unit_id"],
            object_type="care_file",
            object_id=row["id"],
            reason=trigger.value,
        )
    return files


async def delegate_file(
    session: AsyncSession,
    *,
    minor_id: uuid.UUID,
    to_unit_id: uuid.UUID,
    accountable_unit_id: uuid.UUID,
    actor: Principal,
) -> CareFile:
    """委托管理 accepted: the residence unit manages the minor's file (opened, reopened or moved there, its people
    named anew) while the household-registration unit stays accountable and keeps reading it."""
    care_file = await open_or_reopen_file(
        session, minor_id=minor_id, unit_id=to_unit_id, trigger=CareTrigger.transfer, actor=actor
    )
    care_file.accountable_unit_id = accountable_unit_id
    await session.flush()
    return care_file


async def end_file_delegation(
    session: AsyncSession, *, minor_id: uuid.UUID, accountable_unit_id: uuid.UUID, actor: Principal | None
) -> CareFile | None:
    """A delegation ends (``actor`` None: its period ran out): the open file goes back to the accountable unit
    (its people named anew). A file closed meanwhile stays closed."""
    care_file = await session.scalar(
        sa.select(CareFile).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.accountable_unit_id == accountable_unit_id,
        )
    )
    if care_file is None:
        return None
    return await open_or_reopen_file(
        session, minor_id=minor_id, unit_id=accountable_unit_id, trigger=CareTrigger.transfer, actor=actor
    )


async def _name_on_duty_worker(session: AsyncSession, care_file: CareFile) -> None:
    """A file the unit was given without a lead worker names the unit's on-duty worker, if one is set and can
    still lead its files; the lead chose them in advance, so the assignment counts as confirmed."""
    if care_file.lead_worker_id is not None:
        return
    lead_worker_id = await _on_duty_lead(session, care_file.managing_unit_id)
    if lead_worker_id is None:
        return
    care_file.lead_worker_id = lead_worker_id
    care_file.responsible_user_ids = _responsible_ids(care_file)
    care_file.confirmed_responsible_ids = sorted({*care_file.confirmed_responsible_ids, str(lead_worker_id)})


async def _on_duty_lead(session: AsyncSession, unit_id: uuid.UUID) -> uuid.UUID | None:
    """The unit's on-duty worker, if one is set and can still lead its files."""
    duty = await session.get(CareDuty, unit_id)
    if duty is None:
        return None
    if await eligible_lead(session, unit_id=unit_id, user_id=duty.user_id) is None:
        return None
    return duty.user_id


async def _check_team(
    session: AsyncSession,
    *,
    managing_unit_id: uuid.UUID,
    lead_worker_id: uuid.UUID | None,
    team: list[TeamMemberIn] | None,
) -> None:
    if lead_worker_id is not None and (
        await eligible_lead(session, unit_id=managing_unit_id, user_id=lead_worker_id) is None
    ):
        raise ValidationFailed.field(
            ["body", "lead_worker_id"],
            "must be an active social worker or lead of the managing unit",
            "care_file.lead_worker",
        )
    unit_path = await session.scalar(sa.select(Unit.path).where(Unit.id == managing_unit_id))
    for index, member in enumerate(team or []):
        if member.user_id is not None:
            # A team member with an account works in the file (records entries, reads it): someone of the managing
            # unit's subtree — its police station, schools, community — and nobody from elsewhere.
            found = await session.scalar(
                sa.select(User.id)
                .join(Unit, Unit.id == User.unit_id)
                .where(
                    User.id == member.user_id,
                    User.is_active.is_(True),
                    in_subtree(Unit.path, unit_path or ""),
                )
            )
            if found is None:
                raise ValidationFailed.field(
                    ["body", "team", index, "user_id"],
                    "must be an active user of the managing unit or a unit below it",
                    "care_file.team_member",
                )


async def _team_rows(session: AsyncSession, team: list[TeamMemberIn]) -> list[dict[str, Any]]:
    names = await display_names(session, {member.user_id for member in team if member.user_id})
    return [
        {
            "role": member.role.value,
            "user_id": str(member.user_id) if member.user_id else None,
            "name": names[member.user_id] if member.user_id else member.name,
            "organisation": member.organisation,
        }
        for member in team
    ]


def _responsible_ids(care_file: CareFile) -> list[str]:
    return _responsible_ids_of(care_file.lead_worker_id, care_file.team)


def _responsible_ids_of(lead_worker_id: uuid.UUID | None, team: list[dict[str, Any]]) -> list[str]:
    ids = [str(lead_worker_id)] if lead_worker_id else []
    ids += [member["user_id"] for member in team if member.get("user_id")]
    return sorted(set(ids))


def _assign(care_file: CareFile, principal: Principal) -> None:
    """Set who is responsible after the lead worker or team changed. What a lead assigns is confirmed; what a
    social worker assigns (herself included) waits for a lead's confirmation before anyone sees the identity
    in full because of it — people already confirmed and still named stay confirmed."""
    care_file.responsible_user_ids = _responsible_ids(care_file)
    if permissions.assignment_is_confirmed_by(principal):
        care_file.confirmed_responsible_ids = list(care_file.responsible_user_ids)
    else:
        care_file.confirmed_responsible_ids = [
            person
            for person in care_file.confirmed_responsible_ids
            if person in care_file.responsible_user_ids
        ]


async def confirm_assignment(session: AsyncSession, *, principal: Principal, care_file: CareFile) -> CareFile:
    """A lead confirms the responsible people a social worker named: from now on the responsible caseworkers
    see the minor's identity in the detail view."""
    permissions.ensure(
        permissions.may_decide_for_care_files(principal),
        "Only a lead confirms who is responsible for a file.",
    )
    care_file = await lock_file(session, care_file)
    if care_file.status == CareFileStatus.closed:
        raise Conflict("The file is closed.")
    if not care_file.responsible_user_ids:
        raise Conflict("The file names nobody responsible yet; name a lead social worker first.")
    care_file.confirmed_responsible_ids = list(care_file.responsible_user_ids)
    await audit.record(
        session,
        action=AuditAction.care_assignment_confirmed,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
    )
    await session.flush()
    return care_file


async def create_file(
    session: AsyncSession, *, principal: Principal, minor: Minor, file_in: CareFileCreate
) -> CareFile:
    """Open a file by hand (or reopen the minor's last one) with its lead worker, team and plan. ``minor`` is
    the registry's row, found in the principal's scope by the caller."""
    permissions.ensure(
        permissions.may_keep_care_files(principal),
        "Only the station's social workers and leads keep care files.",
    )
    existing = await session.scalar(
        sa.select(CareFile.id).where(
            CareFile.minor_id == minor.id,
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.kept_by_school_id.is_(None),
        )
    )
    if existing is not None:
        raise Conflict("This minor already has an open care file.", extra={"existing_id": str(existing)})
    await _check_team(
        session,
        managing_unit_id=minor.managing_unit_id,
        lead_worker_id=file_in.lead_worker_id,
        team=file_in.team,
    )
    care_file = await open_or_reopen_file(
        session,
        minor_id=minor.id,
        unit_id=minor.managing_unit_id,
        trigger=CareTrigger.manual,
        actor=principal,
    )
    care_file.lead_worker_id = file_in.lead_worker_id
    care_file.team = await _team_rows(session, file_in.team)
    _assign(care_file, principal)
    care_file.goals = file_in.goals
    care_file.measures = file_in.measures
    if file_in.interval_days is not None:
        care_file.interval_days = file_in.interval_days
    care_file.urine_test_interval_days = file_in.urine_test_interval_days
    await recompute(session, care_file)
    await session.flush()
    return care_file


async def update_file(
    session: AsyncSession,
    *,
    principal: Principal,
    care_file: CareFile,
    file_in: CareFileUpdate,
    if_match: str | None,
) -> CareFile:
    permissions.ensure(
        permissions.may_keep_care_files(principal),
        "Only the station's social workers and leads keep care files.",
    )
    care_file = await lock_file(session, care_file)
    check_if_match(if_match, care_file.version - 1)
    if care_file.status == CareFileStatus.closed:
        raise Conflict("The file is closed; reopen it before changing the plan.")
    changes = file_in.model_dump(exclude_unset=True, exclude={"reason"})
    previous_lead, next_lead = care_file.lead_worker_id, file_in.lead_worker_id
    replacement = (
        (previous_lead, next_lead)
        if previous_lead is not None and next_lead is not None and next_lead != previous_lead
        else None
    )
    await _check_team(
        session,
        managing_unit_id=care_file.managing_unit_id,
        lead_worker_id=file_in.lead_worker_id,
        team=file_in.team,
    )
    if replacement is not None and file_in.reason is None:
        raise ValidationFailed.field(
            ["body", "reason"], "give the reason for replacing the lead worker", "care_file.reason_required"
        )
    if file_in.lead_worker_id is not None:
        care_file.lead_worker_id = file_in.lead_worker_id
    if file_in.team is not None:
        care_file.team = await _team_rows(session, file_in.team)
    if file_in.lead_worker_id is not None or file_in.team is not None:
        _assign(care_file, principal)
    for field in ("goals", "measures", "interval_days"):
        if changes.get(field) is not None:
            setattr(care_file, field, changes[field])
    if "urine_test_interval_days" in changes:  # null is a value here: no urine tests required any more
        care_file.urine_test_interval_days = changes["urine_test_interval_days"]
    if replacement is not None:
        names = await display_names(session, set(replacement))
        session.add(
            CareEntry(
                care_file_id=care_file.id,
                kind=EntryKind.note,
                occurred_at=utcnow(),
                actor_id=principal.id if principal.is_user else None,
                actor_name=principal.display_name,
                summary=f"主责社工由{names[replacement[0]]}改为{names[replacement[1]]}。原因：{file_in.reason}",
            )
        )
    await recompute(session, care_file)
    await audit.record(
        session,
        action=AuditAction.care_file_updated,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        fields=sorted(changes),
        reason=file_in.reason,
    )
    await session.flush()
    return care_file
