"""A care file's timeline: entries written once (a correction is a new entry), and the due dates derived from it."""

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    CONTACT_KINDS,
    CareEntry,
    CareFile,
    CareFileStatus,
    EntryKind,
    UrineResult,
)
from backend.care_files.schemas import (
    EntryCreate,
    EntryRead,
)
from backend.care_files.service.intervals import effective_intervals
from backend.care_files.service.records import keeps_as_school, lock_file, team_roles_of
from backend.care_files.worklists import LOST_AFTER_INTERVALS, local_date
from backend.db import utcnow
from backend.errors import Conflict, ValidationFailed
from backend.minors.models import Minor
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions, privacy
from backend.security.principals import Principal

# Clock skew allowed between a phone and the server when checking "not in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)


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


async def add_entry(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, entry_in: EntryCreate
) -> CareEntry:
    """Record one entry (or a correction of one). A positive urine test shortens the interval to the
    high-risk one and alerts the lead (``backend.workflows.followup`` raises the minor's risk level too)."""
    if care_file.kept_by_school_id is not None:
        permissions.ensure(
            permissions.may_record_on_school_file(
                principal, kind=entry_in.kind.value, kept_by_school_id=care_file.kept_by_school_id
            ),
            "A school file records talks, home visits, school and family contacts, education and notes.",
        )
    else:
        permissions.ensure(
            permissions.may_record_care_entry(
                principal, kind=entry_in.kind.value, team_roles=team_roles_of(care_file, principal)
            ),
            "A team member records only the entries of their role on the team (a police officer: urine tests "
            "and home visits; a teacher: school contacts, talks and education).",
        )
    _check_entry_fields(entry_in)
    care_file = await lock_file(session, care_file)
    if care_file.status == CareFileStatus.closed:
        raise Conflict("The file is closed; nothing more is recorded on it.")
    birth_date = await session.scalar(sa.select(Minor.birth_date).where(Minor.id == care_file.minor_id))
    assert birth_date is not None
    if entry_in.occurred_at > utcnow() + FUTURE_TOLERANCE:
        raise ValidationFailed.field(["body", "occurred_at"], "must not be in the future", "date.future")
    occurred_on = local_date(entry_in.occurred_at)
    if occurred_on < birth_date:
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
        permissions.ensure(
            permissions.may_keep_care_files(principal) or corrected.actor_id == principal.id,
            "A team member corrects only the entries they recorded.",
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
    shape = privacy.school_file_shape(
        privacy.CARE_ENTRY_FIELDS,
        principal,
        keeps_it=keeps_as_school(care_file, principal),
        sealed=bool(sealed),
    )
    show_history = permissions.sees_corrected_versions(principal)
    correction = aliased(CareEntry, name="correction")
    statement = (
        sa.select(CareEntry, correction.id.label("superseded_by"))
        .outerjoin(correction, correction.corrects_id == CareEntry.id)
        .where(CareEntry.care_file_id == care_file.id)
    )
    if not show_history:
        statement = statement.where(correction.id.is_(None))
    if not privacy.shows_sensitive_entry_kinds(shape):
        # An entry whose kind tells of drug use is left out altogether (and out of the total).
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
            hidden_fields=shape.hidden_fields,
            **shape.without_hidden(
                {
                    "summary": entry.summary,
                    "urine_result": entry.urine_result,
                    "referral_kind": entry.referral_kind,
                }
            ),
        )

    return await paginate(session, statement, page, present)
