"""Care files: opening and reopening, the plan and the responsible people, the timeline, computed due dates
and worklists, closure with a lead's approval. Every write is an audit event; every minor shown goes through
the registry's presenter (the privacy policy)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    CONTACT_KINDS,
    OPEN_STATUSES,
    CareEntry,
    CareFile,
    CareFileStatus,
    CareSettings,
    CareTrigger,
    ClosureReason,
    DueState,
    EntryKind,
    UrineResult,
)
from backend.care_files.responsibility import responsible_condition
from backend.care_files.schemas import (
    Alert,
    CareFileCreate,
    CareFileRead,
    CareFileUpdate,
    CarePlan,
    CareSettingsRead,
    CareSettingsUpdate,
    Closure,
    ClosureRequest,
    EntryCreate,
    EntryRead,
    Intervals,
    PersonRef,
    TeamMemberIn,
    TeamMemberRead,
)
from backend.db import LOCAL_TIMEZONE, local_today, utcnow
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.minors import service as minors
from backend.minors.models import Minor, MinorStatus, RiskLevel
from backend.pagination import Page, PageParams, paginate
from backend.security import privacy
from backend.security.crypto import FieldCipher
from backend.security.masking import mask_name
from backend.security.principals import Principal, in_subtree, within_scope
from backend.security.roles import Role
from backend.transfers.models import PENDING_STATUSES, Transfer
from backend.units.models import Unit, ids_on_path
from backend.units.schemas import UnitSummary
from backend.users.models import User

ManagingUnit = aliased(Unit, name="care_managing_unit")

# Follow-up intervals when no lead has set any for the unit or the units above it.
DEFAULT_INTERVALS = Intervals(low=30, medium=14, high=7)
# A file whose next contact falls within this many days is "due soon".
DUE_SOON_DAYS = 7
# A file is lost from contact after two intervals without contact, or two failed attempts in a row.
LOST_AFTER_INTERVALS = 2
LOST_AFTER_FAILED_ATTEMPTS = 2
# Clock skew allowed between a phone and the server when checking "not in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)

SORT_FIELDS = {
    "next_due_on": CareFile.next_due_on,
    "opened_at": CareFile.opened_at,
    "updated_at": CareFile.updated_at,
    "last_contact_on": CareFile.last_contact_on,
}
LEAD_ROLES = frozenset({Role.caseworker, Role.supervisor})


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIMEZONE).date()


def due_state(care_file: Any, today: date) -> DueState | None:
    """The most pressing of the computed states; closed files have none."""
    if care_file.status == CareFileStatus.closed:
        return None
    if care_file.lost_contact_on < today or care_file.failed_attempts >= LOST_AFTER_FAILED_ATTEMPTS:
        return DueState.lost_contact
    if care_file.next_due_on < today:
        return DueState.overdue
    if care_file.next_due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return DueState.due_soon
    return None


def due_condition(due: DueState, today: date) -> sa.ColumnElement[bool]:
    """The worklist filters, each an indexable comparison on the stored dates."""
    if due is DueState.overdue:
        return CareFile.next_due_on < today
    if due is DueState.due_soon:
        return CareFile.next_due_on.between(today, today + timedelta(days=DUE_SOON_DAYS))
    return sa.or_(CareFile.lost_contact_on < today, CareFile.failed_attempts >= LOST_AFTER_FAILED_ATTEMPTS)


def worklist_counts(today: date) -> dict[str, sa.ColumnElement[int]]:
    """Open files and the overdue and lost-contact worklists as counting columns, for the dashboard: the same
    conditions as ``list_files(due=…)``, so a figure and the list behind it agree."""
    open_file = CareFile.status.in_(OPEN_STATUSES)

    def counting(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    return {
        "open": counting(open_file),
        "overdue": counting(sa.and_(open_file, due_condition(DueState.overdue, today))),
        "lost_contact": counting(sa.and_(open_file, due_condition(DueState.lost_contact, today))),
    }


# ---------------------------------------------------------------------------------------------------------
# Settings: default intervals per risk level


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


def _interval_for(intervals: Intervals, risk_level: str) -> int:
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
    if principal.role is not Role.supervisor:
        raise Forbidden("Only a lead sets the follow-up intervals.")
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


# ---------------------------------------------------------------------------------------------------------
# Derived dates


async def recompute(session: AsyncSession, care_file: CareFile) -> None:
    """Derive last contact, next due date, lost-contact date and failed attempts from the current entries
    and the plan. Recomputed from the timeline, never incremented, so concurrent recordings lose nothing."""
    await session.flush()
    entries = (
        await session.execute(
            sa.select(
                CareEntry.kind,
                CareEntry.occurred_at,
                CareEntry.contact_succeeded,
                CareEntry.next_due_on,
            )
            .where(CareEntry.care_file_id == care_file.id, ~_superseded(CareEntry.id))
            .order_by(CareEntry.occurred_at.desc(), CareEntry.recorded_at.desc())
        )
    ).all()
    last_contact: datetime | None = None
    failed, counting_failures = 0, True
    explicit_due: tuple[datetime, date] | None = None
    for entry in entries:
        if explicit_due is None and entry.next_due_on is not None:
            explicit_due = (entry.occurred_at, entry.next_due_on)
        if entry.kind not in CONTACT_KINDS:
            continue
        if entry.contact_succeeded:
            counting_failures = False
            if last_contact is None:
                last_contact = entry.occurred_at
        elif counting_failures:
            failed += 1
    base = local_date(last_contact) if last_contact else local_date(care_file.opened_at)
    care_file.last_contact_on = local_date(last_contact) if last_contact else None
    care_file.failed_attempts = failed
    interval = timedelta(days=care_file.interval_days)
    if explicit_due is not None and (last_contact is None or explicit_due[0] >= last_contact):
        care_file.next_due_on = explicit_due[1]
    else:
        care_file.next_due_on = base + interval
    care_file.lost_contact_on = max(base + LOST_AFTER_INTERVALS * interval, care_file.next_due_on)


def _superseded(entry_id_column: Any) -> sa.ColumnElement[bool]:
    later = aliased(CareEntry, name="correction")
    return sa.exists(sa.select(later.id).where(later.corrects_id == entry_id_column))


# ---------------------------------------------------------------------------------------------------------
# Opening, reading, listing


async def _pending_transfer_id(session: AsyncSession, minor_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(Transfer.id).where(Transfer.minor_id == minor_id, Transfer.status.in_(PENDING_STATUSES))
    )


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
    a sensitive category, seizure notices and transfer acceptance; the caller has checked scope."""
    trigger = CareTrigger(trigger)
    # Two callers for one minor at once (two notices acknowledged together) queue here rather than both
    # finding no open file and the second breaking the one-open-file rule.
    await session.execute(sa.select(Minor.id).where(Minor.id == minor_id).with_for_update())
    minor = await minors.get_by_id(session, minor_id)
    care_file = await session.scalar(
        sa.select(CareFile).where(CareFile.minor_id == minor_id, CareFile.status.in_(OPEN_STATUSES))
    )
    if care_file is not None:
        if care_file.managing_unit_id != unit_id:
            care_file.managing_unit_id = unit_id
            # The old unit's people are no longer responsible; the receiving lead names new ones.
            care_file.lead_worker_id = None
            care_file.team = [member for member in care_file.team if not member.get("user_id")]
            care_file.responsible_user_ids = []
            care_file.confirmed_responsible_ids = []
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
        .where(CareFile.minor_id == minor_id)
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
        interval = _interval_for(intervals, minor.risk_level)
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
    await recompute(session, care_file)
    await session.flush()
    if minor.status != MinorStatus.active:
        await minors.change_by_care_work(session, minor=minor, actor=actor, status=MinorStatus.active)
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


def _scoped() -> sa.Select[Any]:
    return sa.select(CareFile, ManagingUnit.name, ManagingUnit.kind).join(
        ManagingUnit, ManagingUnit.id == CareFile.managing_unit_id
    )


async def get_in_scope(session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID) -> CareFile:
    """The file, if its managing unit lies in the principal's subtree; otherwise 404."""
    care_file = await session.scalar(
        sa.select(CareFile)
        .join(ManagingUnit, ManagingUnit.id == CareFile.managing_unit_id)
        .where(CareFile.id == care_file_id, within_scope(principal, ManagingUnit.path))
    )
    if care_file is None:
        raise NotFound("No such care file.")
    return care_file


async def _lock(session: AsyncSession, care_file: CareFile) -> CareFile:
    """Take the file's row for this transaction (a write first, so SQLite queues here too) and read it
    afresh: concurrent writers of one file go one after the other. Bumps the version once."""
    await session.execute(
        sa.update(CareFile).where(CareFile.id == care_file.id).values(version=CareFile.version + 1)
    )
    fresh = await session.scalar(
        sa.select(CareFile).where(CareFile.id == care_file.id).execution_options(populate_existing=True)
    )
    assert fresh is not None
    fresh.updated_at = utcnow()
    return fresh


async def _people(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


async def _present_files(
    session: AsyncSession,
    *,
    principal: Principal,
    rows: list[Any],
    cipher: FieldCipher,
    view: privacy.View,
) -> list[CareFileRead]:
    today = local_today()
    files = [row[0] for row in rows]
    responsible = frozenset(
        care_file.minor_id for care_file in files if str(principal.id) in care_file.confirmed_responsible_ids
    )
    shape = privacy.record_shape(privacy.CARE_FILE_FIELDS, principal)
    shown = await minors.present_related(
        session,
        principal=principal,
        minor_ids=[care_file.minor_id for care_file in files],
        cipher=cipher,
        view=view,
        responsible_ids=responsible,
    )
    people = await _people(
        session,
        {
            person
            for care_file in files
            for person in (
                care_file.lead_worker_id,
                care_file.closure_requested_by,
                care_file.closure_decided_by,
            )
            if person
        },
    )
    pending = dict(
        (
            await session.execute(
                sa.select(Transfer.minor_id, Transfer.id).where(
                    Transfer.minor_id.in_([care_file.minor_id for care_file in files]),
                    Transfer.status.in_(PENDING_STATUSES),
                )
            )
        ).all()
    )
    result = []
    for care_file, unit_name, unit_kind in rows:
        minor = shown[care_file.minor_id]
        # A sealed minor's file keeps its facts from all but whom the seal opens to.
        file_shape = (
            privacy.record_shape(privacy.CARE_FILE_FIELDS, principal, sealed=True)
            if minor.is_sealed or "is_sealed" in minor.hidden_fields
            else shape
        )
        # Outsiders on the team are named as the minor is: a family member's name points at the child.
        names_masked = "name" in minor.masked_fields

        def person(person_id: uuid.UUID | None) -> PersonRef | None:
            return PersonRef(id=person_id, name=people.get(person_id, "?")) if person_id else None

        team = [
            TeamMemberRead(
                role=member["role"],
                user_id=member.get("user_id"),
                name=mask_name(member["name"])
                if names_masked and not member.get("user_id")
                else member["name"],
                organisation=member.get("organisation"),
            )
            for member in care_file.team
        ]
        closure = (
            Closure(
                reason=care_file.closure_reason,
                requested_at=care_file.closure_requested_at,
                requested_by=person(care_file.closure_requested_by),
                decided_at=care_file.closure_decided_at,
                decided_by=person(care_file.closure_decided_by),
                **file_shape.without_hidden(
                    {"closure.note": care_file.closure_note, "closure.comment": care_file.closure_comment},
                    strip_prefix="closure.",
                ),
            )
            if care_file.closure_reason
            else None
        )
        facts = file_shape.without_hidden(
            {
                "trigger": care_file.trigger,
                "alert": Alert(kind=care_file.alert, raised_at=care_file.alert_at)
                if care_file.alert and care_file.alert_at
                else None,
            }
        )
        result.append(
            CareFileRead(
                id=care_file.id,
                version=care_file.version,
                minor=minor,
                managing_unit=UnitSummary(id=care_file.managing_unit_id, name=unit_name, kind=unit_kind),
                status=care_file.status,
                opened_at=care_file.opened_at,
                reopened_count=care_file.reopened_count,
                lead_worker=person(care_file.lead_worker_id),
                assignment_confirmed=set(care_file.responsible_user_ids)
                <= set(care_file.confirmed_responsible_ids),
                team=team,
                plan=CarePlan(
                    interval_days=care_file.interval_days,
                    **file_shape.without_hidden(
                        {"plan.goals": care_file.goals, "plan.measures": care_file.measures},
                        strip_prefix="plan.",
                    ),
                ),
                last_contact_on=care_file.last_contact_on,
                next_due_on=care_file.next_due_on,
                due_state=due_state(care_file, today),
                failed_attempts=care_file.failed_attempts,
                closure=closure,
                closed_at=care_file.closed_at,
                pending_transfer_id=pending.get(care_file.minor_id),
                created_at=care_file.created_at,
                updated_at=care_file.updated_at,
                hidden_fields=file_shape.hidden_fields,
                **facts,
            )
        )
    return result


async def present_file(
    session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID, cipher: FieldCipher
) -> CareFileRead:
    row = (await session.execute(_scoped().where(CareFile.id == care_file_id))).one()
    return (
        await _present_files(
            session, principal=principal, rows=[row], cipher=cipher, view=privacy.View.detail
        )
    )[0]


async def read_file(
    session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID, cipher: FieldCipher
) -> CareFileRead:
    """The file page; the minor in the detail view of the policy. Every read is an audit event."""
    care_file = await get_in_scope(session, principal=principal, care_file_id=care_file_id)
    await audit.record(
        session,
        action=AuditAction.care_file_viewed,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
    )
    return await present_file(session, principal=principal, care_file_id=care_file.id, cipher=cipher)


@dataclass(frozen=True)
class CareFileFilters:
    status: CareFileStatus | None = None
    due: DueState | None = None
    mine: bool = False
    aged_out: bool = False
    alert: bool = False
    minor_id: uuid.UUID | None = None
    within: uuid.UUID | None = None


async def list_files(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: CareFileFilters,
    page: PageParams,
    cipher: FieldCipher,
) -> Page[CareFileRead]:
    """Files in scope; the worklists (``due``) are the subtree for a lead and the files a worker is
    responsible for. Minors are shown in the list view (masked for everyone)."""
    today = local_today()
    statement = _scoped().where(within_scope(principal, ManagingUnit.path))
    if filters.mine or (filters.due and principal.role is Role.caseworker):
        statement = statement.where(responsible_condition(principal))
    if filters.status:
        statement = statement.where(CareFile.status == filters.status)
    if filters.due:
        statement = statement.where(CareFile.status.in_(OPEN_STATUSES), due_condition(filters.due, today))
    if filters.alert:
        statement = statement.where(CareFile.alert.is_not(None), CareFile.status.in_(OPEN_STATUSES))
    if filters.aged_out:
        statement = statement.where(
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.minor_id.in_(sa.select(Minor.id).where(minors.adult_condition(today))),
        )
    if filters.minor_id:
        statement = statement.where(CareFile.minor_id == filters.minor_id)
    if filters.within:
        anchor = await session.scalar(
            sa.select(Unit.path).where(Unit.id == filters.within, within_scope(principal, Unit.path))
        )
        if anchor is None:
            raise ValidationFailed.field(["query", "within"], "no such unit in your scope", "unit.not_found")
        statement = statement.where(in_subtree(ManagingUnit.path, anchor))
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = (
        await session.execute(statement.order_by(*page.order_by).limit(page.limit).offset(page.offset))
    ).all()
    items = await _present_files(
        session, principal=principal, rows=list(rows), cipher=cipher, view=privacy.View.list
    )
    return Page[CareFileRead](items=items, total=total or 0, limit=page.limit, offset=page.offset)


# ---------------------------------------------------------------------------------------------------------
# Plan and team


async def _check_team(
    session: AsyncSession,
    *,
    managing_unit_id: uuid.UUID,
    lead_worker_id: uuid.UUID | None,
    team: list[TeamMemberIn] | None,
) -> None:
    if lead_worker_id is not None:
        unit_path = await session.scalar(sa.select(Unit.path).where(Unit.id == managing_unit_id))
        assert unit_path is not None
        lead = await session.scalar(
            sa.select(User)
            .join(Unit, Unit.id == User.unit_id)
            .where(User.id == lead_worker_id, User.is_active.is_(True), in_subtree(Unit.path, unit_path))
        )
        if lead is None or Role(lead.role) not in LEAD_ROLES:
            raise ValidationFailed.field(
                ["body", "lead_worker_id"],
                "must be an active social worker or lead of the managing unit",
                "care_file.lead_worker",
            )
    for index, member in enumerate(team or []):
        if member.user_id is not None:
            found = await session.scalar(
                sa.select(User.id).where(User.id == member.user_id, User.is_active.is_(True))
            )
            if found is None:
                raise ValidationFailed.field(
                    ["body", "team", index, "user_id"], "no such active user", "user.not_found"
                )


async def _team_rows(session: AsyncSession, team: list[TeamMemberIn]) -> list[dict[str, Any]]:
    names = await _people(session, {member.user_id for member in team if member.user_id})
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
    ids = [str(care_file.lead_worker_id)] if care_file.lead_worker_id else []
    ids += [member["user_id"] for member in care_file.team if member.get("user_id")]
    return sorted(set(ids))


def _assign(care_file: CareFile, principal: Principal) -> None:
    """Set who is responsible after the lead worker or team changed. What a lead assigns is confirmed; what a
    social worker assigns (herself included) waits for a lead's confirmation before anyone sees the identity
    in full because of it — people already confirmed and still named stay confirmed."""
    care_file.responsible_user_ids = _responsible_ids(care_file)
    if principal.role is Role.supervisor:
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
    if principal.role is not Role.supervisor:
        raise Forbidden("Only a lead confirms who is responsible for a file.")
    care_file = await _lock(session, care_file)
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


async def create_file(session: AsyncSession, *, principal: Principal, file_in: CareFileCreate) -> CareFile:
    """Open a file by hand (or reopen the minor's last one) with its lead worker, team and plan."""
    minor = await minors.get_in_scope(session, principal=principal, minor_id=file_in.minor_id)
    if principal.role not in LEAD_ROLES:
        raise Forbidden("Only the station's social workers and leads keep care files.")
    existing = await session.scalar(
        sa.select(CareFile.id).where(CareFile.minor_id == minor.id, CareFile.status.in_(OPEN_STATUSES))
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
    if principal.role not in LEAD_ROLES:
        raise Forbidden("Only the station's social workers and leads keep care files.")
    care_file = await _lock(session, care_file)
    check_if_match(if_match, care_file.version - 1)
    if care_file.status == CareFileStatus.closed:
        raise Conflict("The file is closed; reopen it before changing the plan.")
    changes = file_in.model_dump(exclude_unset=True)
    await _check_team(
        session,
        managing_unit_id=care_file.managing_unit_id,
        lead_worker_id=file_in.lead_worker_id,
        team=file_in.team,
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
    await recompute(session, care_file)
    await audit.record(
        session,
        action=AuditAction.care_file_updated,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        fields=sorted(changes),
    )
    await session.flush()
    return care_file


# ---------------------------------------------------------------------------------------------------------
# Timeline


async def add_entry(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, entry_in: EntryCreate
) -> CareEntry:
    """Record one entry (or a correction of one). A positive urine test raises the minor's risk level,
    shortens the interval to the high-risk one and alerts the lead."""
    if principal.role not in LEAD_ROLES:
        raise Forbidden("Only the station's social workers and leads record care work.")
    _check_entry_fields(entry_in)
    care_file = await _lock(session, care_file)
    if care_file.status == CareFileStatus.closed:
        raise Conflict("The file is closed; nothing more is recorded on it.")
    minor = await minors.get_by_id(session, care_file.minor_id)
    if entry_in.occurred_at > utcnow() + FUTURE_TOLERANCE:
        raise ValidationFailed.field(["body", "occurred_at"], "must not be in the future", "date.future")
    occurred_on = local_date(entry_in.occurred_at)
    if occurred_on < minor.birth_date:
        raise ValidationFailed.field(
            ["body", "occurred_at"], "must not be before the minor's birth", "date.before_birth"
        )
    if entry_in.next_due_on is not None and entry_in.next_due_on <= occurred_on:
        raise ValidationFailed.field(
            ["body", "next_due_on"], "must be after the day the entry happened", "date.not_after"
        )
    if entry_in.corrects_id is not None:
        corrected = await session.scalar(
            sa.select(CareEntry).where(
                CareEntry.id == entry_in.corrects_id, CareEntry.care_file_id == care_file.id
            )
        )
        if corrected is None:
            raise ValidationFailed.field(
                ["body", "corrects_id"], "no such entry on this file", "entry.not_found"
            )
        if await session.scalar(sa.select(CareEntry.id).where(CareEntry.corrects_id == corrected.id)):
            raise Conflict("This entry has already been corrected; correct the latest version.")
    entry = CareEntry(
        care_file_id=care_file.id,
        kind=entry_in.kind,
        occurred_at=entry_in.occurred_at,
        actor_id=principal.id,
        actor_name=principal.display_name[:100],
        summary=entry_in.summary,
        contact_succeeded=entry_in.contact_succeeded,
        urine_result=entry_in.urine_result,
        referral_kind=entry_in.referral_kind,
        next_due_on=entry_in.next_due_on,
        corrects_id=entry_in.corrects_id,
    )
    session.add(entry)
    await session.flush()
    positive = entry_in.kind is EntryKind.urine_test and entry_in.urine_result is UrineResult.positive
    if positive:
        intervals, _source = await effective_intervals(session, care_file.managing_unit_id)
        care_file.interval_days = min(care_file.interval_days, intervals.high)
        care_file.alert = "positive_urine_test"
        care_file.alert_at = utcnow()
    await recompute(session, care_file)
    await audit.record(
        session,
        action=AuditAction.care_entry_corrected if entry_in.corrects_id else AuditAction.care_entry_added,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        fields=[entry_in.kind.value],
    )
    if positive:
        await minors.change_by_care_work(session, minor=minor, actor=principal, risk_level=RiskLevel.high)
        await audit.record(
            session,
            action=AuditAction.care_alert_raised,
            actor=principal,
            unit_id=care_file.managing_unit_id,
            object_type="care_file",
            object_id=care_file.id,
            reason="positive_urine_test",
        )
    await session.flush()
    return entry


def _check_entry_fields(entry_in: EntryCreate) -> None:
    if entry_in.kind is EntryKind.urine_test and entry_in.urine_result is None:
        raise ValidationFailed.field(
            ["body", "urine_result"], "required for a urine test", "entry.result_required"
        )
    if entry_in.kind is not EntryKind.urine_test and entry_in.urine_result is not None:
        raise ValidationFailed.field(
            ["body", "urine_result"], "only for a urine test", "entry.result_not_allowed"
        )
    if entry_in.kind is EntryKind.referral and entry_in.referral_kind is None:
        raise ValidationFailed.field(
            ["body", "referral_kind"], "required for a referral", "entry.referral_required"
        )
    if entry_in.kind is not EntryKind.referral and entry_in.referral_kind is not None:
        raise ValidationFailed.field(
            ["body", "referral_kind"], "only for a referral", "entry.referral_not_allowed"
        )


ENTRY_SORT_FIELDS = {"occurred_at": CareEntry.occurred_at, "recorded_at": CareEntry.recorded_at}


async def list_entries(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, page: PageParams
) -> Page[EntryRead]:
    """The timeline, a page at a time (newest first by default). Corrected versions stay visible to leads and
    auditors; a worker sees the current version of each entry. Contents are the sensitive class of the privacy
    policy."""
    sealed = await session.scalar(sa.select(Minor.is_sealed).where(Minor.id == care_file.minor_id))
    seen = privacy.timeline_visibility(principal, sealed=bool(sealed))
    show_history = principal.role in (Role.supervisor, Role.auditor)
    correction = aliased(CareEntry, name="correction")
    statement = (
        sa.select(CareEntry, correction.id.label("superseded_by"))
        .outerjoin(correction, correction.corrects_id == CareEntry.id)
        .where(CareEntry.care_file_id == care_file.id)
    )
    if not show_history:
        statement = statement.where(correction.id.is_(None))
    hidden = seen is privacy.Visibility.hidden
    if hidden:  # an entry whose kind tells of drug use is left out altogether (and out of the total)
        statement = statement.where(CareEntry.kind.not_in(privacy.SENSITIVE_ENTRY_KINDS))

    def present(row: Any) -> EntryRead:
        entry, superseded_by = row
        return EntryRead(
            id=entry.id,
            care_file_id=entry.care_file_id,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            actor=entry.actor_name,
            contact_succeeded=entry.contact_succeeded,
            next_due_on=entry.next_due_on,
            corrects_id=entry.corrects_id,
            superseded_by=superseded_by,
            recorded_at=entry.recorded_at,
            hidden_fields=["referral_kind", "summary", "urine_result"] if hidden else [],
            **(
                {}
                if hidden
                else {
                    "summary": entry.summary,
                    "urine_result": entry.urine_result,
                    "referral_kind": entry.referral_kind,
                }
            ),
        )

    return await paginate(session, statement, page, present)


# ---------------------------------------------------------------------------------------------------------
# Alerts and closure


async def acknowledge_alert(session: AsyncSession, *, principal: Principal, care_file: CareFile) -> CareFile:
    if principal.role is not Role.supervisor:
        raise Forbidden("Only a lead acknowledges an alert.")
    care_file = await _lock(session, care_file)
    if care_file.alert is None:
        raise Conflict("The file has no alert.")
    care_file.alert, care_file.alert_at = None, None
    await audit.record(
        session,
        action=AuditAction.care_alert_cleared,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
    )
    await session.flush()
    return care_file


PENDING_TRANSFER_MESSAGE = (
    "A transfer of this minor is pending; it must be accepted, rejected or cancelled before the file closes."
)


async def request_closure(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, closure_in: ClosureRequest
) -> CareFile:
    if principal.role not in LEAD_ROLES:
        raise Forbidden("Only the station's social workers and leads ask to close a file.")
    if closure_in.reason is ClosureReason.other and not closure_in.note:
        raise ValidationFailed.field(
            ["body", "note"], "say why when the reason is other", "closure.note_required"
        )
    care_file = await _lock(session, care_file)
    if care_file.status != CareFileStatus.open:
        raise Conflict(
            "Closure has already been requested for this file."
            if care_file.status == CareFileStatus.closure_requested
            else "The file is already closed."
        )
    if await _pending_transfer_id(session, care_file.minor_id):
        raise Conflict(PENDING_TRANSFER_MESSAGE)
    care_file.status = CareFileStatus.closure_requested
    care_file.closure_reason = closure_in.reason
    care_file.closure_note = closure_in.note
    care_file.closure_requested_at = utcnow()
    care_file.closure_requested_by = principal.id
    care_file.closure_decided_at = care_file.closure_decided_by = care_file.closure_comment = None
    await audit.record(
        session,
        action=AuditAction.care_closure_requested,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=closure_in.reason.value,
    )
    await session.flush()
    return care_file


CLOSED_MINOR_STATUS = {
    ClosureReason.aged_out: MinorStatus.aged_out,
    ClosureReason.moved_out: MinorStatus.transferred_out,
}


async def decide_closure(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, approve: bool, comment: str
) -> CareFile:
    """A lead of the managing unit or above approves (the file closes, the minor's status follows) or
    rejects (the file stays open) with a comment."""
    if principal.role is not Role.supervisor:
        raise Forbidden("Only a lead of the managing unit or above decides on a closure.")
    care_file = await _lock(session, care_file)
    if care_file.status != CareFileStatus.closure_requested:
        raise Conflict("No closure has been requested for this file.")
    now = utcnow()
    care_file.closure_decided_at = now
    care_file.closure_decided_by = principal.id
    care_file.closure_comment = comment
    if approve:
        if await _pending_transfer_id(session, care_file.minor_id):
            raise Conflict(PENDING_TRANSFER_MESSAGE)
        care_file.status = CareFileStatus.closed
        care_file.closed_at = now
        care_file.alert, care_file.alert_at = None, None
        minor = await minors.get_by_id(session, care_file.minor_id)
        await minors.change_by_care_work(
            session,
            minor=minor,
            actor=principal,
            status=CLOSED_MINOR_STATUS.get(ClosureReason(care_file.closure_reason), MinorStatus.closed),
        )
    else:
        care_file.status = CareFileStatus.open
    await audit.record(
        session,
        action=AuditAction.care_closure_approved if approve else AuditAction.care_closure_rejected,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=comment,
    )
    await session.flush()
    return care_file


async def close_for_transfer_out(
    session: AsyncSession, *, minor_id: uuid.UUID, actor: Principal | None, comment: str
) -> None:
    """A minor handed over outside the county: the open file closes as moved out (the notice was delivered)."""
    care_file = await session.scalar(
        sa.select(CareFile).where(CareFile.minor_id == minor_id, CareFile.status.in_(OPEN_STATUSES))
    )
    if care_file is None:
        return
    care_file = await _lock(session, care_file)
    now = utcnow()
    care_file.status = CareFileStatus.closed
    care_file.closure_reason = ClosureReason.moved_out
    care_file.closure_comment = comment
    care_file.closure_decided_at = care_file.closed_at = now
    care_file.closure_decided_by = actor.id if actor and actor.is_user else None
    await audit.record(
        session,
        action=AuditAction.care_closure_approved,
        actor=actor,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=ClosureReason.moved_out.value,
    )
    await session.flush()
