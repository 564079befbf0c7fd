"""The registry's writes and guarded reads: registration (one person, one record; provisionally without an ID
number), edits, look-up, and the changes care work makes to a minor. Provisional records' verification, merge
and the duplicate check are in ``provisional``, many registrations at once in ``bulk``, reveal and the daily
limits of disclosures in ``disclosures``."""

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_today, utcnow
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.minors.models import (
    BirthDatePrecision,
    Minor,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    VerificationStatus,
    raised_risk,
)
from backend.minors.schemas import MinorCreate, MinorLookup, MinorRead, MinorUpdate
from backend.minors.service.disclosures import refuse_registered
from backend.minors.service.keys import number_hash
from backend.minors.service.presenting import ManagingUnit, present, scoped_select
from backend.minors.service.recording import (
    area_name,
    check_school,
    checked_identity,
    checked_placement,
    checked_provisional,
    ensure_not_merged,
    parse_identity,
    record_values,
    sealed_guardians,
    source_of,
)
from backend.security import permissions, privacy
from backend.security.crypto import cipher_of
from backend.security.masking import mask_phone
from backend.security.principals import Principal, within_minor_scope


async def get_in_scope(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> Minor:
    """The minor as a table row, if in the principal's scope; otherwise 404."""
    minor = await session.scalar(
        sa.select(Minor)
        .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
        .where(Minor.id == minor_id, within_minor_scope(principal, ManagingUnit.path, Minor.school_id))
    )
    if minor is None:
        raise NotFound("No such minor.")
    return minor


async def get_by_id(session: AsyncSession, minor_id: uuid.UUID) -> Minor:
    """The minor as a table row, for other domains' services that have checked scope on their own record."""
    minor = await session.get(Minor, minor_id)
    if minor is None:
        raise NotFound("No such minor.")
    return minor


async def find_by_lookup_hash(session: AsyncSession, *, lookup_hash: str) -> Minor | None:
    """The one record of this person, wherever it is managed (for matching, not for showing)."""
    return await session.scalar(sa.select(Minor).where(Minor.id_number_hash == lookup_hash))


async def register(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_in: MinorCreate,
    match_elsewhere_limit: int,
) -> Minor:
    """Register a minor: one person, one record. A duplicate in scope names the existing record; one
    managed elsewhere is said to exist and nothing more — and since that tells the caller the person is
    registered, it is an audit event and counts against a daily limit (``refuse_registered``).
    ``provisional`` registrations (no ID number yet) go to ``register_provisional``."""
    if minor_in.provisional:
        return await register_provisional(session, principal=principal, minor_in=minor_in)
    cipher = cipher_of(session)
    number, birth_date, gender = checked_identity(minor_in)
    lookup_hash = number_hash(cipher, minor_in.id_document_type, number)
    await refuse_registered(
        session,
        principal=principal,
        lookup_hash=lookup_hash,
        limit=match_elsewhere_limit,
        registered="This person is already registered.",
    )
    school_id, managing_unit_id = await checked_placement(session, principal=principal, minor_in=minor_in)
    return await insert_record(
        session,
        actor=principal,
        minor_in=minor_in,
        number=number,
        birth_date=birth_date,
        gender=gender,
        lookup_hash=lookup_hash,
        school_id=school_id,
        managing_unit_id=managing_unit_id,
        source=source_of(principal, minor_in),
    )


async def register_provisional(
    session: AsyncSession, *, principal: Principal, minor_in: MinorCreate
) -> Minor:
    """Register a minor whose ID number is not known yet (待核实): name, gender and a birth date of the
    precision known (stored as the first day of the year or month), school or residence, how found. No
    duplicate check can be made without the number: ``possible_duplicates`` shows the worker records of the same
    name and birth date before submitting, and ``verify`` checks the number when it is added. For the
    screening-sheet import too (rows without an ID number)."""
    earliest = checked_provisional(minor_in)
    assert minor_in.gender is not None
    school_id, managing_unit_id = await checked_placement(session, principal=principal, minor_in=minor_in)
    return await insert_record(
        session,
        actor=principal,
        minor_in=minor_in,
        number=None,
        birth_date=earliest,
        gender=minor_in.gender,
        lookup_hash=None,
        school_id=school_id,
        managing_unit_id=managing_unit_id,
        source=source_of(principal, minor_in),
        verification_status=VerificationStatus.provisional,
        birth_date_precision=minor_in.birth_date_precision,
    )


async def insert_record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    minor_in: MinorCreate,
    number: str | None,
    birth_date: date,
    gender: str,
    lookup_hash: str | None,
    school_id: uuid.UUID | None,
    managing_unit_id: uuid.UUID,
    source: MinorSource,
    verification_status: VerificationStatus = VerificationStatus.verified,
    birth_date_precision: BirthDatePrecision = BirthDatePrecision.day,
) -> Minor:
    """Store a checked registration: encrypt, mask, locate, audit. ``actor`` None is the command line.
    ``number`` None: a provisional record."""
    minor = Minor(
        **record_values(
            cipher_of(session),
            actor=actor,
            minor_in=minor_in,
            number=number,
            birth_date=birth_date,
            gender=gender,
            lookup_hash=lookup_hash,
            school_id=school_id,
            managing_unit_id=managing_unit_id,
            source=source,
            verification_status=verification_status,
            birth_date_precision=birth_date_precision,
            household_area=await area_name(session, minor_in.household_division_code),
            residence_area=await area_name(session, minor_in.residence_division_code),
        )
    )
    session.add(minor)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.minor_created,
        actor=actor,
        unit_id=managing_unit_id,
        object_type="minor",
        object_id=minor.id,
    )
    return minor


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    minor: Minor,
    minor_in: MinorUpdate,
    if_match: str | None,
) -> Minor:
    cipher = cipher_of(session)
    check_if_match(if_match, minor.version)
    permissions.ensure(
        permissions.may_edit_minors(principal),
        "Only the station's social workers and leads edit a registered minor.",
    )
    ensure_not_merged(minor)
    changes = minor_in.model_dump(exclude_unset=True)
    if changes.get("status") == MinorStatus.merged:
        raise ValidationFailed.field(
            ["body", "status"],
            "records are merged through the merge action, not by status",
            "minor.status_merged",
        )
    if {"status", "is_sealed"} & changes.keys():
        permissions.ensure(
            permissions.may_change_minor_status(principal),
            "Only a lead changes the status or seals a record.",
        )
    touches_sensitive = "substances" in changes or (
        "risk_categories" in changes
        and (set(changes["risk_categories"] or []) ^ set(minor.risk_categories))
        & privacy.SENSITIVE_RISK_CATEGORIES
    )
    if minor.is_sealed and touches_sensitive and not privacy.can_reveal_sealed(principal):
        raise Forbidden("The record is sealed; its drug-use facts are changed only by a county-level lead.")
    for field in ("name", "household_address", "residence_address", "grade"):
        if field in changes:
            setattr(minor, field, changes[field])
    for field in ("schooling_status", "risk_level", "status", "is_sealed"):
        if changes.get(field) is not None:
            setattr(minor, field, changes[field])
    if "phone" in changes:
        phone = minor_in.phone
        minor.phone_ciphertext = cipher.encrypt(phone, context="minor.phone") if phone else None
        minor.phone_masked = mask_phone(phone) if phone else None
    if minor_in.guardians is not None:
        minor.guardians = sealed_guardians(minor_in.guardians, cipher)
    for prefix in ("household", "residence"):
        if f"{prefix}_division_code" in changes:
            code = changes[f"{prefix}_division_code"]
            setattr(minor, f"{prefix}_division_code", code)
            setattr(minor, f"{prefix}_area", await area_name(session, code))
    if "school_id" in changes:
        await check_school(session, minor_in.school_id)
        minor.school_id = minor_in.school_id
    if minor_in.risk_categories is not None:
        minor.risk_categories = [code.value for code in minor_in.risk_categories]
    if minor_in.substances is not None:
        minor.substances = [code.value for code in minor_in.substances]
    if session.is_modified(minor):
        await _record_change(session, minor, actor=principal, fields=sorted(changes))
    await session.flush()
    return minor


async def _record_change(
    session: AsyncSession,
    minor: Minor,
    *,
    actor: Principal | None,
    fields: list[str],
    reason: str | None = None,
) -> None:
    """Every change of a minor, whoever makes it: a new version (ETag) and an audit event naming the fields."""
    minor.version += 1
    minor.updated_at = utcnow()
    await audit.record(
        session,
        action=AuditAction.minor_updated,
        actor=actor,
        unit_id=minor.managing_unit_id,
        object_type="minor",
        object_id=minor.id,
        fields=fields,
        reason=reason,
    )


async def change_by_care_work(
    session: AsyncSession,
    *,
    minor: Minor,
    actor: Principal | None,
    risk_level: str | None = None,
    status: MinorStatus | None = None,
    managing_unit_id: uuid.UUID | None = None,
) -> None:
    """A change that follows from care work (a positive urine test, a closure, a transfer): versioned and
    audited like an edit."""
    fields = []
    if risk_level is not None and risk_level != minor.risk_level:
        minor.risk_level = RiskLevel(risk_level)
        fields.append("risk_level")
    if status is not None and status != minor.status:
        minor.status = status
        fields.append("status")
    if managing_unit_id is not None and managing_unit_id != minor.managing_unit_id:
        minor.managing_unit_id = managing_unit_id
        fields.append("managing_unit")
    if not fields:
        return
    await _record_change(session, minor, actor=actor, fields=fields)
    await session.flush()


async def record_seizure(
    session: AsyncSession, *, minor: Minor, substances: list[str], actor: Principal
) -> None:
    """A new seizure of a registered minor: seized for drug use, the substances added, the risk raised."""
    minor.risk_categories = list(dict.fromkeys([*minor.risk_categories, RiskCategory.seized_drug_use.value]))
    minor.substances = list(dict.fromkeys([*minor.substances, *substances]))
    minor.risk_level = raised_risk(minor.risk_level)
    await _record_change(
        session,
        minor,
        actor=actor,
        fields=["risk_categories", "risk_level", "substances"],
        reason="seizure_notice",
    )
    await session.flush()


async def lookup(
    session: AsyncSession,
    *,
    principal: Principal,
    lookup_in: MinorLookup,
) -> MinorRead:
    """Exact match by document number, within scope; the search is audited, the number never recorded."""
    cipher = cipher_of(session)
    number, _birth, _gender = parse_identity(lookup_in.id_document_type, lookup_in.id_number)
    lookup_hash = number_hash(cipher, lookup_in.id_document_type, number)
    row = (await session.execute(scoped_select(principal).where(Minor.id_number_hash == lookup_hash))).first()
    await audit.record(
        session,
        action=AuditAction.minor_looked_up,
        actor=principal,
        durable=False,
        unit_id=row.managing_unit_id if row else None,
        object_type="minor",
        object_id=row.id if row else None,
    )
    if row is None:
        raise NotFound("No minor with this number in your scope.", keep_changes=True)
    return present(row, principal=principal, view=privacy.View.list, cipher=cipher, today=local_today())
