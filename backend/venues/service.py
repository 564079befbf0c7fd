"""Venues and their checks, pharmacy checks: unit-scoped records, each change an audit event.

``record_venue_check`` and ``record_pharmacy_check`` are the single places a check is recorded: the record
dialogs and the bulk import of the screening forms (backend/workflows/imports.py) both call them.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import AnySelect, local_today, utcnow, within_days
from backend.errors import NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.evidence import store_upload
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, in_subtree, within_scope
from backend.storage import FileStorage
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitSummary
from backend.venues.models import (
    BuyerAgeBand,
    PharmacyCheck,
    Venue,
    VenueCheck,
    VenueCheckEvidence,
    VenueKind,
    VenueStatus,
)
from backend.venues.schemas import (
    PharmacyCheckIn,
    PharmacyCheckRead,
    PharmacyCheckUpdate,
    VenueCheckEvidenceRead,
    VenueCheckIn,
    VenueCheckRead,
    VenueCreate,
    VenueDetail,
    VenueRead,
    VenueUpdate,
)

VenueUnit = aliased(Unit, name="venue_unit")
SchoolUnit = aliased(Unit, name="school_unit")
CheckUnit = aliased(Unit, name="check_unit")

VENUE_SORT_FIELDS = {
    "name": Venue.name,
    "kind": Venue.kind,
    "updated_at": Venue.updated_at,
    "last_checked_on": Venue.last_checked_on,
    "follow_up_on": Venue.follow_up_on,
}
PHARMACY_SORT_FIELDS = {
    "checked_on": PharmacyCheck.checked_on,
    "pharmacy_name": PharmacyCheck.pharmacy_name,
    "updated_at": PharmacyCheck.updated_at,
}


# --- units ---------------------------------------------------------------------------------------------------


async def _unit_in_scope(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, loc: Sequence[str]
) -> Unit:
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, within_scope(principal, Unit.path)))
    if unit is None:
        raise ValidationFailed.field(list(loc), "no such unit", "unit.not_found")
    return unit


async def _school_in_scope(session: AsyncSession, principal: Principal, school_id: uuid.UUID) -> Unit:
    school = await _unit_in_scope(session, principal, school_id, ["body", "school_id"])
    if school.kind != UnitKind.school:
        raise ValidationFailed.field(["body", "school_id"], "the unit is not a school", "venue.not_a_school")
    return school


# --- venues --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueFilters:
    unit_id: uuid.UUID | None = None
    kind: VenueKind | None = None
    status: VenueStatus | None = None
    near_school: bool | None = None
    follow_up_due: bool | None = None
    checked_from: date | None = None
    checked_to: date | None = None
    q: str | None = None


def _venue_statement(principal: Principal) -> AnySelect:
    checks = (
        sa.select(sa.func.count())
        .where(VenueCheck.venue_id == Venue.id)
        .correlate(Venue)
        .scalar_subquery()
        .label("check_count")
    )
    return (
        sa.select(Venue, VenueUnit, SchoolUnit, checks)
        .join(VenueUnit, VenueUnit.id == Venue.unit_id)
        .outerjoin(SchoolUnit, SchoolUnit.id == Venue.school_id)
        .where(within_scope(principal, VenueUnit.path))
    )


async def _filtered(
    session: AsyncSession,
    principal: Principal,
    statement: AnySelect,
    filters: "VenueFilters | PharmacyFilters",
    *,
    dated: Any,
    searched: Sequence[Any],
) -> AnySelect:
    """What both lists filter by: kept or made in the unit's subtree (a unit in scope), ``dated`` within the
    checked range, and ``q`` a part of one of the ``searched`` columns (its wildcards taken literally)."""
    if filters.unit_id is not None:
        unit = await _unit_in_scope(session, principal, filters.unit_id, ["query", "unit_id"])
        statement = statement.where(in_subtree(VenueUnit.path, unit.path))
    statement = statement.where(*within_days(dated, filters.checked_from, filters.checked_to))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(sa.or_(*(col(column).like(pattern, escape="\\") for column in searched)))
    return statement


async def _filtered_venues(session: AsyncSession, principal: Principal, filters: VenueFilters) -> AnySelect:
    statement = await _filtered(
        session,
        principal,
        _venue_statement(principal),
        filters,
        dated=Venue.last_checked_on,
        searched=(Venue.name, Venue.address),
    )
    if filters.kind is not None:
        statement = statement.where(Venue.kind == filters.kind)
    if filters.status is not None:
        statement = statement.where(Venue.status == filters.status)
    if filters.near_school is not None:
        statement = statement.where(Venue.near_school == filters.near_school)
    if filters.follow_up_due:
        statement = statement.where(col(Venue.follow_up_on) <= local_today())
    elif filters.follow_up_due is False:
        statement = statement.where(
            sa.or_(Venue.follow_up_on.is_(None), col(Venue.follow_up_on) > local_today())
        )
    return statement


def present_venue(row: Any) -> VenueRead:
    """A venue as every reader gets it, in the list, the detail and the export alike."""
    venue, unit, school, check_count = tuple(row)
    return VenueRead(
        id=venue.id,
        name=venue.name,
        kind=VenueKind(venue.kind),
        address=venue.address,
        unit=UnitSummary.model_validate(unit),
        near_school=venue.near_school,
        school=UnitSummary.model_validate(school) if school is not None else None,
        status=VenueStatus(venue.status),
        note=venue.note,
        last_checked_on=venue.last_checked_on,
        follow_up_on=venue.follow_up_on,
        follow_up_due=venue.follow_up_on is not None and venue.follow_up_on <= local_today(),
        check_count=check_count or 0,
        version=venue.version,
        created_at=venue.created_at,
        updated_at=venue.updated_at,
    )


async def list_venues(
    session: AsyncSession, *, principal: Principal, filters: VenueFilters, page: PageParams
) -> Page[VenueRead]:
    statement = await _filtered_venues(session, principal, filters)
    return await paginate(session, statement, page, present_venue)


async def get_venue(session: AsyncSession, *, principal: Principal, venue_id: uuid.UUID) -> VenueRead:
    """The venue if it is in the principal's scope; otherwise it does not exist for them (404)."""
    row = (await session.execute(_venue_statement(principal).where(Venue.id == venue_id))).first()
    if row is None:
        raise NotFound("No such venue.")
    return present_venue(row)


async def _venue_row(session: AsyncSession, principal: Principal, venue_id: uuid.UUID) -> Venue:
    venue = await session.scalar(
        sa.select(Venue)
        .join(VenueUnit, VenueUnit.id == Venue.unit_id)
        .where(Venue.id == venue_id, within_scope(principal, VenueUnit.path))
    )
    if venue is None:
        raise NotFound("No such venue.")
    return venue


async def venue_detail(session: AsyncSession, *, principal: Principal, venue_id: uuid.UUID) -> VenueDetail:
    """The venue with its history of checks, newest first."""
    venue = await get_venue(session, principal=principal, venue_id=venue_id)
    rows = (
        await session.execute(
            sa.select(VenueCheck, CheckUnit)
            .join(CheckUnit, CheckUnit.id == VenueCheck.checked_by_unit_id)
            .where(VenueCheck.venue_id == venue_id)
            .order_by(VenueCheck.checked_on.desc(), VenueCheck.recorded_at.desc(), VenueCheck.id)
        )
    ).all()
    evidence = await _evidence_of(session, [check.id for check, _ in rows])
    checks = [_present_check(check, unit, evidence.get(check.id, [])) for check, unit in rows]
    return VenueDetail(**venue.model_dump(), checks=checks)


def _present_check(check: VenueCheck, unit: Unit, evidence: list[VenueCheckEvidence]) -> VenueCheckRead:
    return VenueCheckRead(
        id=check.id,
        venue_id=check.venue_id,
        checked_on=check.checked_on,
        findings=check.findings,
        hazard_found=check.hazard_found,
        measures=check.measures,
        follow_up_on=check.follow_up_on,
        checked_by_unit=UnitSummary.model_validate(unit),
        checked_by_name=check.checked_by_name,
        recorded_at=check.recorded_at,
        evidence=[VenueCheckEvidenceRead.model_validate(item) for item in evidence],
    )


async def _evidence_of(
    session: AsyncSession, check_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[VenueCheckEvidence]]:
    if not check_ids:
        return {}
    found: dict[uuid.UUID, list[VenueCheckEvidence]] = {}
    for item in await session.scalars(
        sa.select(VenueCheckEvidence)
        .where(VenueCheckEvidence.venue_check_id.in_(check_ids))
        .order_by(VenueCheckEvidence.uploaded_at, VenueCheckEvidence.id)
    ):
        found.setdefault(item.venue_check_id, []).append(item)
    return found


async def create_venue(session: AsyncSession, *, principal: Principal, venue_in: VenueCreate) -> Venue:
    """A new venue, kept by ``venue_in.unit_id`` (default: the principal's own unit) in the principal's scope."""
    permissions.ensure(permissions.may_keep_venues(principal), "Only venue checkers keep venues.")
    unit_id = venue_in.unit_id or principal.unit_id
    await _unit_in_scope(session, principal, unit_id, ["body", "unit_id"])
    if venue_in.school_id is not None:
        await _school_in_scope(session, principal, venue_in.school_id)
    venue = Venue(
        unit_id=unit_id,
        name=venue_in.name,
        kind=venue_in.kind,
        address=venue_in.address,
        near_school=venue_in.near_school or venue_in.school_id is not None,
        school_id=venue_in.school_id,
        status=venue_in.status,
        note=venue_in.note,
        created_by_id=principal.id,
    )
    session.add(venue)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.venue_created,
        actor=principal,
        unit_id=unit_id,
        object_type="venue",
        object_id=venue.id,
    )
    return venue


async def find_venue(
    session: AsyncSession, *, principal: Principal, name: str, unit_id: uuid.UUID | None = None
) -> Venue | None:
    """The venue of this exact name kept in the principal's scope (in ``unit_id``'s subtree if given): how an
    imported check row finds the venue it is about."""
    statement = (
        sa.select(Venue)
        .join(VenueUnit, VenueUnit.id == Venue.unit_id)
        .where(Venue.name == name.strip(), within_scope(principal, VenueUnit.path))
        .order_by(Venue.created_at, Venue.id)
    )
    if unit_id is not None:
        statement = statement.where(Venue.unit_id == unit_id)
    return (await session.scalars(statement.limit(1))).first()


async def update_venue(
    session: AsyncSession,
    *,
    principal: Principal,
    venue_id: uuid.UUID,
    venue_in: VenueUpdate,
    if_match: str | None,
) -> None:
    permissions.ensure(permissions.may_keep_venues(principal), "Only venue checkers keep venues.")
    venue = await _venue_row(session, principal, venue_id)
    check_if_match(if_match, venue.version)
    changes = venue_in.model_dump(exclude_unset=True)
    for required in ("name", "kind", "status", "near_school", "unit_id"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.field(["body", required], "this field cannot be emptied", "venue.required")
    if changes.get("unit_id") is not None:
        await _unit_in_scope(session, principal, changes["unit_id"], ["body", "unit_id"])
    if changes.get("school_id") is not None:
        await _school_in_scope(session, principal, changes["school_id"])
        changes["near_school"] = True
    for name, value in changes.items():
        setattr(venue, name, value)
    venue.version += 1
    venue.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.venue_updated,
        actor=principal,
        unit_id=venue.unit_id,
        object_type="venue",
        object_id=venue.id,
        fields=sorted(changes),
    )


async def record_venue_check(
    session: AsyncSession, *, principal: Principal, venue_id: uuid.UUID, check_in: VenueCheckIn
) -> VenueCheck:
    """Record one check of a venue in scope (the 隐患排查表's row): the venue's last check and follow-up date
    follow the newest check. Used by the record dialog and by the bulk import."""
    permissions.ensure(permissions.may_keep_venues(principal), "Only venue checkers record venue checks.")
    venue = await _venue_row(session, principal, venue_id)
    if check_in.checked_on > local_today():
        raise ValidationFailed.field(["body", "checked_on"], "a check cannot be in the future", "date.future")
    unit_id = check_in.checked_by_unit_id or principal.unit_id
    await _unit_in_scope(session, principal, unit_id, ["body", "checked_by_unit_id"])
    check = VenueCheck(
        venue_id=venue.id,
        checked_on=check_in.checked_on,
        findings=check_in.findings,
        hazard_found=check_in.hazard_found,
        measures=check_in.measures,
        follow_up_on=check_in.follow_up_on,
        checked_by_unit_id=unit_id,
        checked_by_name=check_in.checked_by_name or principal.display_name[:100],
        recorded_by_id=principal.id,
    )
    session.add(check)
    if venue.last_checked_on is None or check.checked_on >= venue.last_checked_on:
        venue.last_checked_on = check.checked_on
        venue.follow_up_on = check.follow_up_on
        if check.hazard_found and venue.status == VenueStatus.active:
            venue.status = VenueStatus.rectifying
    venue.version += 1
    venue.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.venue_checked,
        actor=principal,
        unit_id=venue.unit_id,
        object_type="venue",
        object_id=venue.id,
    )
    return check


async def get_check(
    session: AsyncSession, *, principal: Principal, venue_id: uuid.UUID, check_id: uuid.UUID
) -> VenueCheck:
    venue = await _venue_row(session, principal, venue_id)
    check = await session.scalar(
        sa.select(VenueCheck).where(VenueCheck.id == check_id, VenueCheck.venue_id == venue.id)
    )
    if check is None:
        raise NotFound("No such venue check.")
    return check


async def add_check_evidence(
    session: AsyncSession,
    *,
    principal: Principal,
    check: VenueCheck,
    filename: str | None,
    content: bytes,
    storage: FileStorage,
    max_bytes: int,
) -> VenueCheckEvidence:
    """A photo or document of a check, judged by its content like a campaign report's evidence."""
    permissions.ensure(permissions.may_keep_venues(principal), "Only venue checkers record venue checks.")
    evidence = VenueCheckEvidence(
        venue_check_id=check.id,
        **await store_upload(storage, content, filename=filename, max_bytes=max_bytes),
        uploaded_by_id=principal.id,
    )
    session.add(evidence)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.evidence_added,
        actor=principal,
        object_type="venue_check",
        object_id=check.id,
        reason=evidence.sha256,
    )
    return evidence


async def get_check_evidence(
    session: AsyncSession, *, check: VenueCheck, evidence_id: uuid.UUID
) -> VenueCheckEvidence:
    evidence = await session.scalar(
        sa.select(VenueCheckEvidence).where(
            VenueCheckEvidence.id == evidence_id, VenueCheckEvidence.venue_check_id == check.id
        )
    )
    if evidence is None:
        raise NotFound("No such evidence file.")
    return evidence


# --- pharmacy checks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PharmacyFilters:
    unit_id: uuid.UUID | None = None
    checked_from: date | None = None
    checked_to: date | None = None
    prescription_seen: bool | None = None
    minor_buyer: bool | None = None
    buyer_age_band: BuyerAgeBand | None = None
    q: str | None = None


MINOR_BANDS = (BuyerAgeBand.under_14, BuyerAgeBand.age_14_15, BuyerAgeBand.age_16_17)


def _pharmacy_statement(principal: Principal) -> AnySelect:
    return (
        sa.select(PharmacyCheck, VenueUnit)
        .join(VenueUnit, VenueUnit.id == PharmacyCheck.unit_id)
        .where(within_scope(principal, VenueUnit.path))
    )


async def _filtered_pharmacy_checks(
    session: AsyncSession, principal: Principal, filters: PharmacyFilters
) -> AnySelect:
    statement = await _filtered(
        session,
        principal,
        _pharmacy_statement(principal),
        filters,
        dated=PharmacyCheck.checked_on,
        searched=(PharmacyCheck.pharmacy_name, PharmacyCheck.licence_number),
    )
    if filters.prescription_seen is not None:
        statement = statement.where(PharmacyCheck.prescription_seen == filters.prescription_seen)
    if filters.minor_buyer:
        statement = statement.where(PharmacyCheck.buyer_age_band.in_([band.value for band in MINOR_BANDS]))
    elif filters.minor_buyer is False:
        statement = statement.where(
            sa.or_(
                PharmacyCheck.buyer_age_band.is_(None),
                PharmacyCheck.buyer_age_band.not_in([band.value for band in MINOR_BANDS]),
            )
        )
    if filters.buyer_age_band is not None:
        statement = statement.where(PharmacyCheck.buyer_age_band == filters.buyer_age_band)
    return statement


def present_pharmacy_check(row: Any) -> PharmacyCheckRead:
    check, unit = tuple(row)
    band = BuyerAgeBand(check.buyer_age_band) if check.buyer_age_band else None
    return PharmacyCheckRead(
        id=check.id,
        pharmacy_name=check.pharmacy_name,
        licence_number=check.licence_number,
        address=check.address,
        checked_on=check.checked_on,
        buyer_age_band=band,
        minor_buyer=band in MINOR_BANDS,
        quantity=check.quantity,
        prescription_seen=check.prescription_seen,
        notes=check.notes,
        unit=UnitSummary.model_validate(unit),
        checked_by_name=check.checked_by_name,
        version=check.version,
        created_at=check.created_at,
        updated_at=check.updated_at,
    )


async def list_pharmacy_checks(
    session: AsyncSession, *, principal: Principal, filters: PharmacyFilters, page: PageParams
) -> Page[PharmacyCheckRead]:
    statement = await _filtered_pharmacy_checks(session, principal, filters)
    return await paginate(session, statement, page, present_pharmacy_check)


async def get_pharmacy_check(
    session: AsyncSession, *, principal: Principal, check_id: uuid.UUID
) -> PharmacyCheckRead:
    row = (await session.execute(_pharmacy_statement(principal).where(PharmacyCheck.id == check_id))).first()
    if row is None:
        raise NotFound("No such pharmacy check.")
    return present_pharmacy_check(row)


async def record_pharmacy_check(
    session: AsyncSession, *, principal: Principal, check_in: PharmacyCheckIn
) -> PharmacyCheck:
    """Record one line of the 右美沙芬 form, for ``check_in.unit_id`` (default: the principal's own unit) in the
    principal's scope. Used by the record dialog and by the bulk import."""
    permissions.ensure(
        permissions.may_record_pharmacy_checks(principal), "Only pharmacy checkers record pharmacy checks."
    )
    if check_in.checked_on > local_today():
        raise ValidationFailed.field(["body", "checked_on"], "a check cannot be in the future", "date.future")
    unit_id = check_in.unit_id or principal.unit_id
    await _unit_in_scope(session, principal, unit_id, ["body", "unit_id"])
    check = PharmacyCheck(
        unit_id=unit_id,
        pharmacy_name=check_in.pharmacy_name,
        licence_number=check_in.licence_number,
        address=check_in.address,
        checked_on=check_in.checked_on,
        buyer_age_band=check_in.buyer_age_band,
        quantity=check_in.quantity,
        prescription_seen=check_in.prescription_seen,
        notes=check_in.notes,
        checked_by_name=check_in.checked_by_name or principal.display_name[:100],
        recorded_by_id=principal.id,
    )
    session.add(check)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.pharmacy_check_recorded,
        actor=principal,
        unit_id=unit_id,
        object_type="pharmacy_check",
        object_id=check.id,
    )
    return check


async def update_pharmacy_check(
    session: AsyncSession,
    *,
    principal: Principal,
    check_id: uuid.UUID,
    check_in: PharmacyCheckUpdate,
    if_match: str | None,
) -> None:
    permissions.ensure(
        permissions.may_record_pharmacy_checks(principal), "Only pharmacy checkers record pharmacy checks."
    )
    check = await session.scalar(
        sa.select(PharmacyCheck)
        .join(VenueUnit, VenueUnit.id == PharmacyCheck.unit_id)
        .where(PharmacyCheck.id == check_id, within_scope(principal, VenueUnit.path))
    )
    if check is None:
        raise NotFound("No such pharmacy check.")
    check_if_match(if_match, check.version)
    changes = check_in.model_dump(exclude_unset=True)
    for required in ("pharmacy_name", "checked_on", "prescription_seen", "checked_by_name"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.field(
                ["body", required], "this field cannot be emptied", "pharmacy_check.required"
            )
    if changes.get("checked_on") is not None and changes["checked_on"] > local_today():
        raise ValidationFailed.field(["body", "checked_on"], "a check cannot be in the future", "date.future")
    for name, value in changes.items():
        setattr(check, name, value)
    check.version += 1
    check.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.pharmacy_check_updated,
        actor=principal,
        unit_id=check.unit_id,
        object_type="pharmacy_check",
        object_id=check.id,
        fields=sorted(changes),
    )
