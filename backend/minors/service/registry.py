"""The registry's writes and guarded reads: registration (one person, one record), edits, look-up, reveal and the
daily limits of disclosures, and the changes care work makes to a minor."""

import math
import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_midnight_utc, local_today, utcnow
from backend.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from backend.etag import check_if_match
from backend.identity import IdNumberError, age_on, parse_mainland_id
from backend.messages import Text
from backend.minors.models import (
    DisclosureCount,
    DisclosureKind,
    IdDocumentType,
    Minor,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    raised_risk,
)
from backend.minors.schemas import (
    GuardianIn,
    MinorCreate,
    MinorLookup,
    MinorRead,
    MinorUpdate,
)
from backend.minors.service.keys import number_hash
from backend.minors.service.presenting import ManagingUnit, full_value, present, row_in_scope, scoped_select
from backend.security import permissions, privacy
from backend.security.crypto import FieldCipher, cipher_of
from backend.security.masking import mask_id_number, mask_phone
from backend.security.principals import (
    Principal,
    in_subtree,
    within_minor_scope,
)
from backend.security.roles import Role
from backend.units.models import MANAGING_KINDS, Unit, UnitKind


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


def _parse_identity(minor_in: MinorCreate | MinorLookup) -> tuple[str, date | None, str | None]:
    """The normalised number, and the birth date and gender a mainland number encodes."""
    if minor_in.id_document_type is not IdDocumentType.mainland_id:
        return minor_in.id_number.upper(), None, None
    try:
        parsed = parse_mainland_id(minor_in.id_number, today=local_today())
    except IdNumberError as exc:
        raise ValidationFailed.field(["body", "id_number"], exc.text, exc.problem_type) from exc
    return parsed.number, parsed.birth_date, parsed.gender


async def _area_name(session: AsyncSession, code: str | None) -> str | None:
    """The township (else county) an address lies in: what a masked address shows."""
    if not code:
        return None
    for candidate in (code[:9] + "000", code[:6] + "000000"):
        name = await session.scalar(
            sa.select(Unit.name).where(Unit.division_code == candidate).order_by(Unit.depth).limit(1)
        )
        if name:
            return name
    return None


def _sealed_guardians(guardians: list[GuardianIn], cipher: FieldCipher) -> list[dict[str, Any]]:
    return [
        {
            "relation": guardian.relation.value,
            "name": guardian.name,
            "phone_ciphertext": cipher.encrypt(guardian.phone, context="guardian.phone")
            if guardian.phone
            else None,
            "phone_masked": mask_phone(guardian.phone) if guardian.phone else None,
        }
        for guardian in guardians
    ]


async def _default_managing_unit(session: AsyncSession, principal: Principal) -> uuid.UUID:
    if permissions.registers_for_served_township(principal):
        township = await session.scalar(
            sa.select(Unit.id).where(Unit.path == permissions.registration_root(principal))
        )
        assert township is not None
        return township
    if principal.unit_kind in MANAGING_KINDS:
        return principal.unit_id
    raise ValidationFailed.field(
        ["body", "managing_unit_id"],
        "name the station that will manage the minor",
        "minor.managing_unit_required",
    )


async def _check_managing_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> None:
    root = permissions.registration_root(principal)
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, in_subtree(Unit.path, root)))
    if unit is None:
        raise ValidationFailed.field(
            ["body", "managing_unit_id"], "no such unit in your scope", "unit.not_found"
        )
    if UnitKind(unit.kind) not in MANAGING_KINDS or not unit.is_active:
        raise ValidationFailed.field(
            ["body", "managing_unit_id"],
            "must be an active township, community or county office",
            "unit.kind",
        )


async def _check_school(session: AsyncSession, school_id: uuid.UUID | None) -> None:
    if school_id is None:
        return
    kind = await session.scalar(sa.select(Unit.kind).where(Unit.id == school_id, Unit.is_active.is_(True)))
    if kind != UnitKind.school:
        raise ValidationFailed.field(["body", "school_id"], "no such school", "unit.not_school")


async def register(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_in: MinorCreate,
    match_elsewhere_limit: int,
) -> Minor:
    """Register a minor: one person, one record. A duplicate in scope names the existing record; one
    managed elsewhere is said to exist and nothing more — and since that tells the caller the person is
    registered, it is an audit event and counts against a daily limit (``_record_match_elsewhere``)."""
    cipher = cipher_of(session)
    number, encoded_birth, encoded_gender = _parse_identity(minor_in)
    if encoded_gender and minor_in.gender and minor_in.gender != encoded_gender:
        raise ValidationFailed.field(
            ["body", "gender"], "does not agree with the ID number", "id_number.gender_mismatch"
        )
    if encoded_birth and minor_in.birth_date and minor_in.birth_date != encoded_birth:
        raise ValidationFailed.field(
            ["body", "birth_date"], "does not agree with the ID number", "id_number.birth_date_mismatch"
        )
    birth_date = encoded_birth or minor_in.birth_date
    gender = encoded_gender or minor_in.gender
    assert birth_date is not None
    assert gender is not None
    if age_on(birth_date, local_today()) >= 18:
        raise ValidationFailed.field(
            ["body", "id_number"], "the person is 18 or older, not a minor", "minor.adult"
        )

    lookup_hash = number_hash(cipher, minor_in.id_document_type, number)
    await _check_matches_elsewhere_left(session, principal=principal, limit=match_elsewhere_limit)
    existing = (
        await session.execute(
            sa.select(Minor.id, Minor.managing_unit_id).where(Minor.id_number_hash == lookup_hash)
        )
    ).first()
    if existing is not None:
        in_scope = await session.scalar(
            sa.select(Minor.id)
            .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
            .where(Minor.id == existing.id, within_minor_scope(principal, ManagingUnit.path, Minor.school_id))
        )
        if in_scope:
            raise Conflict("This person is already registered.", extra={"existing_id": str(existing.id)})
        await _record_match_elsewhere(
            session,
            principal=principal,
            managing_unit_id=existing.managing_unit_id,
            limit=match_elsewhere_limit,
        )

    school_id = principal.unit_id if permissions.reports_own_pupils(principal) else minor_in.school_id
    await _check_school(session, school_id)
    managing_unit_id = minor_in.managing_unit_id or await _default_managing_unit(session, principal)
    await _check_managing_unit(session, principal, managing_unit_id)
    default_source = {Role.school_staff: MinorSource.school_report, Role.police: MinorSource.seizure_notice}
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
        source=minor_in.source or default_source.get(principal.role, MinorSource.screening),
    )


async def _check_matches_elsewhere_left(session: AsyncSession, *, principal: Principal, limit: int) -> None:
    """Once a person has had today's number of "managed by another unit" answers, every registration waits
    until tomorrow: refusing only the matches would answer the same question by another status."""
    used = await session.scalar(
        sa.select(DisclosureCount.used).where(
            DisclosureCount.principal_id == principal.id,
            DisclosureCount.day == local_today(),
            DisclosureCount.kind == DisclosureKind.match_elsewhere,
        )
    )
    if (used or 0) >= limit:
        raise _limit_reached(
            Text(
                "{limit} registrations today matched minors managed by other units, the daily limit; "
                "registering is paused",
                limit=limit,
            )
        )


async def _record_match_elsewhere(
    session: AsyncSession, *, principal: Principal, managing_unit_id: uuid.UUID, limit: int
) -> None:
    """Answer "managed by another unit": recorded for that unit's trail (who asked, never the record) and
    counted; kept although the answer is an error."""
    if (
        await spend_disclosure(session, principal=principal, kind=DisclosureKind.match_elsewhere, limit=limit)
        is None
    ):
        raise _limit_reached(
            Text(
                "{limit} registrations today matched minors managed by other units, the daily limit; "
                "registering is paused",
                limit=limit,
            )
        )
    await audit.record(
        session, action=AuditAction.minor_duplicate_probe, actor=principal, unit_id=managing_unit_id
    )
    raise Conflict("This person is managed by another unit; a transfer can be requested.", keep_changes=True)


async def insert_record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    minor_in: MinorCreate,
    number: str,
    birth_date: date,
    gender: str,
    lookup_hash: str,
    school_id: uuid.UUID | None,
    managing_unit_id: uuid.UUID,
    source: MinorSource,
) -> Minor:
    """Store a checked registration: encrypt, mask, locate, audit. ``actor`` None is the command line."""
    cipher = cipher_of(session)
    minor = Minor(
        name=minor_in.name,
        id_document_type=minor_in.id_document_type,
        id_number_ciphertext=cipher.encrypt(number, context="minor.id_number"),
        id_number_hash=lookup_hash,
        id_number_masked=mask_id_number(number),
        gender=gender,
        birth_date=birth_date,
        phone_ciphertext=cipher.encrypt(minor_in.phone, context="minor.phone") if minor_in.phone else None,
        phone_masked=mask_phone(minor_in.phone) if minor_in.phone else None,
        guardians=_sealed_guardians(minor_in.guardians, cipher),
        household_division_code=minor_in.household_division_code,
        household_area=await _area_name(session, minor_in.household_division_code),
        household_address=minor_in.household_address,
        residence_division_code=minor_in.residence_division_code,
        residence_area=await _area_name(session, minor_in.residence_division_code),
        residence_address=minor_in.residence_address,
        school_id=school_id,
        grade=minor_in.grade,
        schooling_status=minor_in.schooling_status,
        risk_categories=[code.value for code in minor_in.risk_categories],
        substances=[code.value for code in minor_in.substances],
        risk_level=minor_in.risk_level,
        managing_unit_id=managing_unit_id,
        status=MinorStatus.active,
        source=source,
        created_by=actor.id if actor else None,
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
    changes = minor_in.model_dump(exclude_unset=True)
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
        minor.guardians = _sealed_guardians(minor_in.guardians, cipher)
    for prefix in ("household", "residence"):
        if f"{prefix}_division_code" in changes:
            code = changes[f"{prefix}_division_code"]
            setattr(minor, f"{prefix}_division_code", code)
            setattr(minor, f"{prefix}_area", await _area_name(session, code))
    if "school_id" in changes:
        await _check_school(session, minor_in.school_id)
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


async def get_by_id(session: AsyncSession, minor_id: uuid.UUID) -> Minor:
    """The minor as a table row, for other domains' services that have checked scope on their own record."""
    minor = await session.get(Minor, minor_id)
    if minor is None:
        raise NotFound("No such minor.")
    return minor


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


async def lookup(
    session: AsyncSession,
    *,
    principal: Principal,
    lookup_in: MinorLookup,
) -> MinorRead:
    """Exact match by document number, within scope; the search is audited, the number never recorded."""
    cipher = cipher_of(session)
    number, _birth, _gender = _parse_identity(lookup_in)
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


async def reveal(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_id: uuid.UUID,
    reason: str,
    fields: list[str],
    daily_limit: int,
) -> tuple[dict[str, Any], int]:
    """Break the glass: full values of the fields asked for, with a reason, counted and audited."""
    cipher = cipher_of(session)
    row = await row_in_scope(session, principal=principal, minor_id=minor_id)
    allowed = privacy.revealable_fields(principal, sealed=row.is_sealed)
    if not allowed:
        raise Forbidden("Your role may not reveal identities.")
    unknown = sorted(set(fields) - set(privacy.MINOR_FIELDS))
    refused = sorted(set(fields) - allowed - set(unknown))
    if unknown or refused:
        names = ", ".join(unknown or refused)
        problem = (
            Text("unknown field: {fields}", fields=names)
            if unknown
            else Text("not revealable for you: {fields}", fields=names)
        )
        raise ValidationFailed.field(["body", "fields"], problem, "reveal.field_not_allowed")
    used = await spend_disclosure(session, principal=principal, kind=DisclosureKind.reveal, limit=daily_limit)
    if used is None:
        raise _limit_reached(
            Text("You have revealed {limit} records today, the daily limit", limit=daily_limit)
        )
    values = {field: full_value(row, field, cipher) for field in fields}
    await audit.record(
        session,
        action=AuditAction.minor_revealed,
        actor=principal,
        unit_id=row.managing_unit_id,
        object_type="minor",
        object_id=row.id,
        fields=fields,
        reason=reason,
    )
    return values, daily_limit - used


async def spend_disclosure(
    session: AsyncSession, *, principal: Principal, kind: DisclosureKind, limit: int
) -> int | None:
    """Count one more disclosure of this kind today for this person, unless that would pass ``limit``: the
    number used with this one, or None at the limit. One upsert whose update refuses to pass the limit: the
    database serialises concurrent requests on the counter's row, so 40 parallel reveals with a limit of 20
    give exactly 20 (a count of today's events followed by an insert let most of them through)."""
    table: sa.Table = DisclosureCount.__table__
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(table)
        .values(principal_id=principal.id, day=local_today(), kind=kind.value, used=1)
        .on_conflict_do_update(
            index_elements=[table.c.principal_id, table.c.day, table.c.kind],
            set_={"used": table.c.used + 1},
            where=table.c.used < limit,
        )
        .returning(table.c.used)
    )
    return await session.scalar(statement)


def _limit_reached(what: Text) -> TooManyRequests:
    today = local_today()
    seconds = math.ceil((local_midnight_utc(today + timedelta(days=1)) - utcnow()).total_seconds())
    return TooManyRequests(
        Text("{what}; it resets at midnight.", what=what), headers={"Retry-After": str(max(seconds, 1))}
    )


async def find_by_lookup_hash(session: AsyncSession, *, lookup_hash: str) -> Minor | None:
    """The one record of this person, wherever it is managed (for matching, not for showing)."""
    return await session.scalar(sa.select(Minor).where(Minor.id_number_hash == lookup_hash))


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
