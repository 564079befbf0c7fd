"""Work records (工作台账): publicity activities, inspection visits and responsibility letters, with their files.

Who reads what: a record is about one unit (the activity's holder, the inspected unit, the letter's signer) and
is read by the subtrees above that unit — the unit itself, its station, the county office. The recording unit
lies at or above it (it records for its own subtree), so it always reads what it recorded.
Who writes: people of the recording unit holding ``work_records:write`` change, attach files to and delete a
record (``permissions.may_edit_work_record``); the inspected unit also marks a visit rectified
(``permissions.may_mark_rectified``). Outside these, a record does not exist for the caller (404).
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import AnySelect, local_today, utcnow, within_days
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.evidence import store_upload
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, in_subtree, within_scope
from backend.storage import FileStorage
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.work_records.models import (
    InspectionKind,
    InspectionVisit,
    PublicityActivity,
    PublicityKind,
    ResponsibilityLetter,
    WorkRecordFile,
    WorkRecordType,
)
from backend.work_records.schemas import (
    InspectionVisitCreate,
    InspectionVisitRead,
    InspectionVisitUpdate,
    PublicityActivityCreate,
    PublicityActivityRead,
    PublicityActivityUpdate,
    ResponsibilityLetterCreate,
    ResponsibilityLetterRead,
    ResponsibilityLetterUpdate,
    WorkRecordFileRead,
    visit_dates_problem,
)

# The unit a record is about: its path decides who reads the record.
SubjectUnit = aliased(Unit, name="subject_unit")

WorkRecord = PublicityActivity | InspectionVisit | ResponsibilityLetter

PUBLICITY_SORT_FIELDS = {
    "held_on": PublicityActivity.held_on,
    "kind": PublicityActivity.kind,
    "participants": PublicityActivity.participants,
    "created_at": PublicityActivity.created_at,
}
INSPECTION_SORT_FIELDS = {
    "visited_on": InspectionVisit.visited_on,
    "rectify_by": InspectionVisit.rectify_by,
    "kind": InspectionVisit.kind,
    "created_at": InspectionVisit.created_at,
}
LETTER_SORT_FIELDS = {
    "year": ResponsibilityLetter.year,
    "signed_on": ResponsibilityLetter.signed_on,
    "created_at": ResponsibilityLetter.created_at,
}


@dataclass(frozen=True)
class Filters:
    """A list's filters: records about ``unit_id``'s subtree, dated within [date_from, date_to], of a kind."""

    unit_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    rectified: bool | None = None  # inspection visits
    overdue: bool | None = None  # inspection visits
    year: int | None = None  # responsibility letters


def _type_of(record: WorkRecord) -> WorkRecordType:
    if isinstance(record, PublicityActivity):
        return WorkRecordType.publicity_activity
    if isinstance(record, InspectionVisit):
        return WorkRecordType.inspection_visit
    return WorkRecordType.responsibility_letter


def can_edit(principal: Principal, record: WorkRecord) -> bool:
    return permissions.may_edit_work_record(
        principal, record_type=_type_of(record).value, recorded_by_unit_id=record.recorded_by_unit_id
    )


def _require_editor(principal: Principal, record: WorkRecord, if_match: str | None = None) -> None:
    """Only the recording unit changes a record; and, with ``if_match``, only the version the caller read."""
    if not can_edit(principal, record):
        raise Forbidden("Only the unit that recorded this may change or delete it.")
    check_if_match(if_match, record.version)


def _require_recorder(principal: Principal, record_type: WorkRecordType) -> None:
    permissions.ensure(
        permissions.may_record_work(principal, record_type=record_type.value),
        "A school's staff record only their school's publicity activities.",
    )


async def _added(session: AsyncSession, principal: Principal, record: WorkRecord) -> Any:
    """A new record stored and its creation audited."""
    session.add(record)
    await session.flush()
    await _record_event(session, principal, record, AuditAction.work_record_created)
    return record


async def _changed(
    session: AsyncSession, principal: Principal, record: WorkRecord, action: AuditAction, **event: Any
) -> Any:
    """A change of the record or of its files: a new version (ETag), stored, audited (``event``: the fields
    changed or the reason)."""
    record.version += 1
    record.updated_at = utcnow()
    await session.flush()
    await _record_event(session, principal, record, action, **event)
    return record


def _not_in_future(loc: list[str | int], value: date | None) -> None:
    if value is not None and value > local_today():
        raise ValidationFailed.field(loc, "the date is in the future", "date.future")


def _required(changes: dict[str, Any], names: Sequence[str]) -> None:
    for name in names:
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(["body", name], "this field cannot be empty", "value.required")


async def _unit_in_scope(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, loc: list[str | int]
) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None or not permissions.covers(principal, unit.path):
        raise ValidationFailed.field(loc, "no such unit in scope", "unit.not_found")
    return unit


async def _units(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, UnitSummary]:
    if not ids:
        return {}
    rows = (await session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))).all()
    return {unit.id: UnitSummary.model_validate(unit) for unit in rows}


async def _shown(
    session: AsyncSession,
    record_type: WorkRecordType,
    records: Sequence[WorkRecord],
    unit_ids: set[uuid.UUID],
) -> tuple[dict[uuid.UUID, UnitSummary], dict[uuid.UUID, list[WorkRecordFileRead]]]:
    """The units records name (``unit_ids`` and the recording units) and each record's files, for presenting."""
    units = await _units(session, unit_ids | {record.recorded_by_unit_id for record in records})
    return units, await _files(session, record_type, [record.id for record in records])


def _recorded(
    principal: Principal,
    record: WorkRecord,
    units: dict[uuid.UUID, UnitSummary],
    files: dict[uuid.UUID, list[WorkRecordFileRead]],
) -> dict[str, Any]:
    """What every work record answers besides its own fields (``schemas._Recorded``)."""
    return {
        "id": record.id,
        "recorded_by_unit": units[record.recorded_by_unit_id],
        "files": files[record.id],
        "can_edit": can_edit(principal, record),
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


async def _files(
    session: AsyncSession, record_type: WorkRecordType, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WorkRecordFileRead]]:
    found: dict[uuid.UUID, list[WorkRecordFileRead]] = {record_id: [] for record_id in ids}
    if not ids:
        return found
    rows = await session.scalars(
        sa.select(WorkRecordFile)
        .where(WorkRecordFile.record_type == record_type.value, WorkRecordFile.record_id.in_(ids))
        .order_by(WorkRecordFile.uploaded_at, WorkRecordFile.id)
    )
    for row in rows:
        found[row.record_id].append(WorkRecordFileRead.model_validate(row))
    return found


async def _record_event(
    session: AsyncSession,
    principal: Principal,
    record: WorkRecord,
    action: AuditAction,
    *,
    fields: list[str] | None = None,
    reason: str | None = None,
) -> None:
    await audit.record(
        session,
        action=action,
        actor=principal,
        unit_id=record.recorded_by_unit_id,
        object_type=_type_of(record).value,
        object_id=record.id,
        fields=fields,
        reason=reason,
    )


# --- reading in scope ------------------------------------------------------------------------------------------


def _subject_column(model: type[WorkRecord]) -> Any:
    if model is PublicityActivity:
        return PublicityActivity.unit_id
    if model is InspectionVisit:
        return InspectionVisit.inspected_unit_id
    return ResponsibilityLetter.signer_unit_id


def _scoped(principal: Principal, model: type[WorkRecord]) -> AnySelect:
    """Records about a unit in the principal's subtree: every query of this domain starts here."""
    return (
        sa.select(model)
        .join(SubjectUnit, SubjectUnit.id == _subject_column(model))
        .where(within_scope(principal, SubjectUnit.path))
    )


async def get_record(
    session: AsyncSession, *, principal: Principal, model: type[WorkRecord], record_id: uuid.UUID
) -> Any:
    record = await session.scalar(_scoped(principal, model).where(model.id == record_id))
    if record is None:
        raise NotFound("No such work record.")
    return record


async def _filtered(
    session: AsyncSession, principal: Principal, model: type[WorkRecord], filters: Filters, dated: Any
) -> AnySelect:
    """A list's records: about units in scope (in ``filters.unit_id``'s subtree if given), ``dated`` within the
    filters' range."""
    statement = _scoped(principal, model)
    if filters.unit_id is not None:
        root = await _unit_in_scope(session, principal, filters.unit_id, ["query", "unit_id"])
        statement = statement.where(in_subtree(SubjectUnit.path, root.path))
    return statement.where(*within_days(dated, filters.date_from, filters.date_to))


async def _list(
    session: AsyncSession,
    statement: AnySelect,
    page: PageParams,
    present: Callable[[AsyncSession, Principal, Sequence[Any]], Awaitable[list[Any]]],
    principal: Principal,
) -> Page[Any]:
    rows = await paginate(session, statement, page, lambda row: row[0])
    items = await present(session, principal, rows.items)
    return Page[Any](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


# --- files -------------------------------------------------------------------------------------------------------


async def add_file(
    session: AsyncSession,
    *,
    principal: Principal,
    record: WorkRecord,
    filename: str | None,
    content: bytes,
    storage: FileStorage,
    max_bytes: int,
) -> WorkRecordFile:
    """Attach a photo or scan (checked by content, as task report evidence is) to a record of the caller's unit."""
    _require_editor(principal, record)
    stored = WorkRecordFile(
        record_type=_type_of(record).value,
        record_id=record.id,
        **await store_upload(storage, content, filename=filename, max_bytes=max_bytes),
        uploaded_by_id=principal.id,
        uploaded_by_name=principal.display_name[:100],
    )
    session.add(stored)
    await _changed(
        session,
        principal,
        record,
        AuditAction.evidence_added,
        reason=f"{stored.filename} sha256:{stored.sha256}",
    )
    return stored


async def get_file(session: AsyncSession, *, record: WorkRecord, file_id: uuid.UUID) -> WorkRecordFile:
    stored = await session.scalar(
        sa.select(WorkRecordFile).where(
            WorkRecordFile.id == file_id,
            WorkRecordFile.record_type == _type_of(record).value,
            WorkRecordFile.record_id == record.id,
        )
    )
    if stored is None:
        raise NotFound("No such file.")
    return stored


async def remove_file(
    session: AsyncSession, *, principal: Principal, record: WorkRecord, stored: WorkRecordFile
) -> str:
    """Remove a file; the trail keeps its name and hash. Returns the storage key to delete after the commit."""
    _require_editor(principal, record)
    await session.delete(stored)
    await _changed(
        session,
        principal,
        record,
        AuditAction.evidence_removed,
        reason=f"{stored.filename} sha256:{stored.sha256}",
    )
    return stored.storage_key


async def delete_record(
    session: AsyncSession, *, principal: Principal, record: WorkRecord, if_match: str | None
) -> list[str]:
    """Delete a record and its files; returns the storage keys to delete after the commit."""
    _require_editor(principal, record, if_match)
    files = (
        await session.scalars(
            sa.select(WorkRecordFile).where(
                WorkRecordFile.record_type == _type_of(record).value, WorkRecordFile.record_id == record.id
            )
        )
    ).all()
    keys = [stored.storage_key for stored in files]
    for stored in files:
        await session.delete(stored)
    await _record_event(session, principal, record, AuditAction.work_record_deleted)
    await session.delete(record)
    await session.flush()
    return keys


# --- publicity activities ------------------------------------------------------------------------------------


async def _present_activities(
    session: AsyncSession, principal: Principal, records: Sequence[PublicityActivity]
) -> list[PublicityActivityRead]:
    units, files = await _shown(
        session, WorkRecordType.publicity_activity, records, {r.unit_id for r in records}
    )
    return [
        PublicityActivityRead(
            **_recorded(principal, r, units, files),
            unit=units[r.unit_id],
            kind=PublicityKind(r.kind),
            held_on=r.held_on,
            place=r.place,
            participants=r.participants,
            materials=r.materials,
            description=r.description,
        )
        for r in records
    ]


async def list_activities(
    session: AsyncSession, *, principal: Principal, filters: Filters, page: PageParams
) -> Page[PublicityActivityRead]:
    statement = await _filtered(session, principal, PublicityActivity, filters, PublicityActivity.held_on)
    if filters.kind is not None:
        statement = statement.where(PublicityActivity.kind == filters.kind)
    return await _list(session, statement, page, _present_activities, principal)


async def create_activity(
    session: AsyncSession, *, principal: Principal, record_in: PublicityActivityCreate
) -> PublicityActivity:
    _require_recorder(principal, WorkRecordType.publicity_activity)
    unit = await _unit_in_scope(
        session, principal, record_in.unit_id or principal.unit_id, ["body", "unit_id"]
    )
    _not_in_future(["body", "held_on"], record_in.held_on)
    record = PublicityActivity(
        unit_id=unit.id,
        kind=record_in.kind.value,
        held_on=record_in.held_on,
        place=record_in.place,
        participants=record_in.participants,
        materials=record_in.materials,
        description=record_in.description,
        recorded_by_unit_id=principal.unit_id,
        created_by_id=principal.id,
    )
    return await _added(session, principal, record)


# --- inspection visits -----------------------------------------------------------------------------------------


def is_overdue(record: InspectionVisit, today: date) -> bool:
    return not record.rectified and record.rectify_by is not None and record.rectify_by < today


def can_mark_rectified(principal: Principal, record: InspectionVisit) -> bool:
    return permissions.may_mark_rectified(
        principal, inspecting_unit_id=record.inspecting_unit_id, inspected_unit_id=record.inspected_unit_id
    )


async def _present_visits(
    session: AsyncSession, principal: Principal, records: Sequence[InspectionVisit]
) -> list[InspectionVisitRead]:
    ids = {r.inspecting_unit_id for r in records} | {r.inspected_unit_id for r in records}
    units, files = await _shown(session, WorkRecordType.inspection_visit, records, ids)
    today = local_today()
    return [
        InspectionVisitRead(
            **_recorded(principal, r, units, files),
            kind=InspectionKind(r.kind),
            inspecting_unit=units[r.inspecting_unit_id],
            inspected_unit=units[r.inspected_unit_id],
            visited_on=r.visited_on,
            findings=r.findings,
            rectification=r.rectification,
            rectify_by=r.rectify_by,
            rectified=r.rectified,
            rectified_on=r.rectified_on,
            overdue=is_overdue(r, today),
            can_mark_rectified=can_mark_rectified(principal, r),
        )
        for r in records
    ]


async def list_visits(
    session: AsyncSession, *, principal: Principal, filters: Filters, page: PageParams
) -> Page[InspectionVisitRead]:
    statement = await _filtered(session, principal, InspectionVisit, filters, InspectionVisit.visited_on)
    if filters.kind is not None:
        statement = statement.where(InspectionVisit.kind == filters.kind)
    if filters.rectified is not None:
        statement = statement.where(InspectionVisit.rectified.is_(filters.rectified))
    if filters.overdue is not None:
        late = sa.and_(
            InspectionVisit.rectified.is_(False),
            InspectionVisit.rectify_by.is_not(None),
            col(InspectionVisit.rectify_by) < local_today(),
        )
        statement = statement.where(late if filters.overdue else sa.not_(late))
    return await _list(session, statement, page, _present_visits, principal)


async def _inspected_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> Unit:
    """A unit strictly below the caller's: a unit does not inspect itself, nor a unit outside its subtree."""
    unit = await _unit_in_scope(session, principal, unit_id, ["body", "inspected_unit_id"])
    if unit.id == principal.unit_id:
        raise ValidationFailed.field(
            ["body", "inspected_unit_id"], "a unit does not inspect itself", "inspection.self"
        )
    return unit


def _check_rectified_on(rectified_on: date | None) -> None:
    _not_in_future(["body", "rectified_on"], rectified_on)


async def create_visit(
    session: AsyncSession, *, principal: Principal, record_in: InspectionVisitCreate
) -> InspectionVisit:
    _require_recorder(principal, WorkRecordType.inspection_visit)
    unit = await _inspected_unit(session, principal, record_in.inspected_unit_id)
    _not_in_future(["body", "visited_on"], record_in.visited_on)
    rectified_on = record_in.rectified_on or (local_today() if record_in.rectified else None)
    _check_rectified_on(rectified_on)
    record = InspectionVisit(
        kind=record_in.kind.value,
        inspecting_unit_id=principal.unit_id,
        inspected_unit_id=unit.id,
        visited_on=record_in.visited_on,
        findings=record_in.findings,
        rectification=record_in.rectification,
        rectify_by=record_in.rectify_by,
        rectified=record_in.rectified,
        rectified_on=rectified_on,
        recorded_by_unit_id=principal.unit_id,
        created_by_id=principal.id,
    )
    return await _added(session, principal, record)


# What the inspected unit may change on a visit about itself.
RECTIFICATION_FIELDS = frozenset({"rectified", "rectified_on"})


async def _update_visit(
    session: AsyncSession,
    *,
    principal: Principal,
    record: InspectionVisit,
    record_in: InspectionVisitUpdate,
    if_match: str | None,
) -> InspectionVisit:
    changes = record_in.model_dump(exclude_unset=True)
    only_rectifying = set(changes) <= RECTIFICATION_FIELDS and can_mark_rectified(principal, record)
    if not can_edit(principal, record) and not only_rectifying:
        raise Forbidden(
            "Only the inspecting unit may change this visit; the inspected unit marks it rectified."
        )
    check_if_match(if_match, record.version)
    _required(changes, ("kind", "visited_on", "rectified"))
    merged = {
        name: changes.get(name, getattr(record, name))
        for name in ("visited_on", "rectify_by", "rectified", "rectified_on")
    }
    if changes.get("rectified") is False and "rectified_on" not in changes:
        merged["rectified_on"] = None  # no longer rectified: the date goes too
    if merged["rectified"] and merged["rectified_on"] is None and "rectified" in changes:
        merged["rectified_on"] = local_today()
    problem = visit_dates_problem(**merged)
    if problem is not None:
        raise ValidationFailed.field(["body", problem[0]], problem[1], "inspection.dates")
    _not_in_future(["body", "visited_on"], merged["visited_on"])
    _check_rectified_on(merged["rectified_on"])
    for name, value in (changes | merged).items():
        setattr(record, name, value.value if isinstance(value, InspectionKind) else value)
    return await _changed(session, principal, record, AuditAction.work_record_updated, fields=list(changes))


# --- responsibility letters ----------------------------------------------------------------------------------


async def _present_letters(
    session: AsyncSession, principal: Principal, records: Sequence[ResponsibilityLetter]
) -> list[ResponsibilityLetterRead]:
    ids = {r.issuer_unit_id for r in records} | {r.signer_unit_id for r in records}
    units, files = await _shown(session, WorkRecordType.responsibility_letter, records, ids)
    return [
        ResponsibilityLetterRead(
            **_recorded(principal, r, units, files),
            year=r.year,
            issuer_unit=units[r.issuer_unit_id],
            signer_unit=units[r.signer_unit_id],
            signed_on=r.signed_on,
            note=r.note,
        )
        for r in records
    ]


async def list_letters(
    session: AsyncSession, *, principal: Principal, filters: Filters, page: PageParams
) -> Page[ResponsibilityLetterRead]:
    statement = await _filtered(
        session, principal, ResponsibilityLetter, filters, ResponsibilityLetter.signed_on
    )
    if filters.year is not None:
        statement = statement.where(ResponsibilityLetter.year == filters.year)
    return await _list(session, statement, page, _present_letters, principal)


async def create_letter(
    session: AsyncSession, *, principal: Principal, record_in: ResponsibilityLetterCreate
) -> ResponsibilityLetter:
    _require_recorder(principal, WorkRecordType.responsibility_letter)
    issuer = await _unit_in_scope(
        session, principal, record_in.issuer_unit_id or principal.unit_id, ["body", "issuer_unit_id"]
    )
    signer = await session.get(Unit, record_in.signer_unit_id)
    # The signer answers to the issuer: a unit strictly below it.
    if signer is None or signer.id == issuer.id or not permissions.path_in_subtree(signer.path, issuer.path):
        raise ValidationFailed.field(
            ["body", "signer_unit_id"], "no such unit below the issuer", "unit.not_found"
        )
    _not_in_future(["body", "signed_on"], record_in.signed_on)
    record = ResponsibilityLetter(
        year=record_in.year,
        issuer_unit_id=issuer.id,
        signer_unit_id=signer.id,
        signed_on=record_in.signed_on,
        note=record_in.note,
        recorded_by_unit_id=principal.unit_id,
        created_by_id=principal.id,
    )
    return await _added(session, principal, record)


# --- every kind ----------------------------------------------------------------------------------------------


async def present(session: AsyncSession, *, principal: Principal, record: WorkRecord) -> Any:
    """One record as its reader gets it (``PublicityActivityRead``, ``InspectionVisitRead`` or
    ``ResponsibilityLetterRead``)."""
    if isinstance(record, PublicityActivity):
        return (await _present_activities(session, principal, [record]))[0]
    if isinstance(record, InspectionVisit):
        return (await _present_visits(session, principal, [record]))[0]
    return (await _present_letters(session, principal, [record]))[0]


# What a change of an activity or a letter may not empty, and its day that may not lie in the future.
_FIELD_RULES: dict[type[WorkRecord], tuple[tuple[str, ...], str]] = {
    PublicityActivity: (("kind", "held_on", "place", "participants", "materials"), "held_on"),
    ResponsibilityLetter: (("year",), "signed_on"),
}


async def update_record(
    session: AsyncSession,
    *,
    principal: Principal,
    record: WorkRecord,
    record_in: PublicityActivityUpdate | InspectionVisitUpdate | ResponsibilityLetterUpdate,
    if_match: str | None,
) -> Any:
    """Change a record's fields (the recording unit), or mark a visit rectified (the inspected unit too)."""
    if isinstance(record, InspectionVisit):
        assert isinstance(record_in, InspectionVisitUpdate)
        return await _update_visit(
            session, principal=principal, record=record, record_in=record_in, if_match=if_match
        )
    required, dated = _FIELD_RULES[type(record)]
    _require_editor(principal, record, if_match)
    changes = record_in.model_dump(exclude_unset=True)
    _required(changes, required)
    _not_in_future(["body", dated], getattr(record_in, dated))
    for name, value in changes.items():
        setattr(record, name, value.value if isinstance(value, Enum) else value)
    return await _changed(session, principal, record, AuditAction.work_record_updated, fields=list(changes))
