"""The registry's writes and guarded reads: registration (one person, one record), edits, look-up, reveal and the
daily limits of disclosures, and the changes care work makes to a minor."""

import calendar
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import insert_many, local_midnight_utc, local_today, new_id, utcnow
from backend.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ProblemError,
    TooManyRequests,
    ValidationFailed,
)
from backend.etag import check_if_match
from backend.identity import IdNumberError, age_on, parse_mainland_id
from backend.messages import Text
from backend.minors.models import (
    BirthDatePrecision,
    DisclosureCount,
    DisclosureKind,
    IdDocumentType,
    Minor,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    VerificationStatus,
    raised_risk,
)
from backend.minors.schemas import (
    DuplicateCheck,
    GuardianIn,
    MinorCreate,
    MinorLookup,
    MinorRead,
    MinorUpdate,
    MinorVerify,
    PossibleDuplicates,
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


def _parse_identity(document_type: IdDocumentType, raw_number: str) -> tuple[str, date | None, str | None]:
    """The normalised number, and the birth date and gender a mainland number encodes."""
    if document_type is not IdDocumentType.mainland_id:
        return raw_number.upper(), None, None
    try:
        parsed = parse_mainland_id(raw_number, today=local_today())
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


def _checked_identity(minor_in: MinorCreate) -> tuple[str, date, str]:
    """A registration with an ID number, checked as ``register`` and ``register_many`` check it: the normalised
    number, and the birth date and gender (from the number where it encodes them, agreeing with those given)."""
    if minor_in.id_number is None:
        raise ValidationFailed.field(
            ["body", "id_number"],
            "required; to register without it, set provisional to true",
            "minor.id_number_required",
        )
    if minor_in.birth_date_precision is not BirthDatePrecision.day:
        raise ValidationFailed.field(
            ["body", "birth_date_precision"],
            "only a provisional registration may give an approximate birth date",
            "minor.birth_date_precision",
        )
    number, encoded_birth, encoded_gender = _parse_identity(minor_in.id_document_type, minor_in.id_number)
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
    return number, birth_date, gender


async def register(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_in: MinorCreate,
    match_elsewhere_limit: int,
) -> Minor:
    """Register a minor: one person, one record. A duplicate in scope names the existing record; one
    managed elsewhere is said to exist and nothing more — and since that tells the caller the person is
    registered, it is an audit event and counts against a daily limit (``_record_match_elsewhere``).
    ``provisional`` registrations (no ID number yet) go to ``register_provisional``."""
    if minor_in.provisional:
        return await register_provisional(session, principal=principal, minor_in=minor_in)
    cipher = cipher_of(session)
    number, birth_date, gender = _checked_identity(minor_in)
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

    school_id, managing_unit_id = await _placement(session, principal=principal, minor_in=minor_in)
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
        source=_source(principal, minor_in),
    )


async def _placement(
    session: AsyncSession, *, principal: Principal, minor_in: MinorCreate
) -> tuple[uuid.UUID | None, uuid.UUID]:
    """The school (a school's staff register their own pupils) and the managing station, checked."""
    school_id = principal.unit_id if permissions.reports_own_pupils(principal) else minor_in.school_id
    await _check_school(session, school_id)
    managing_unit_id = minor_in.managing_unit_id or await _default_managing_unit(session, principal)
    await _check_managing_unit(session, principal, managing_unit_id)
    return school_id, managing_unit_id


def _source(principal: Principal, minor_in: MinorCreate) -> MinorSource:
    default_source = {Role.school_staff: MinorSource.school_report, Role.police: MinorSource.seizure_notice}
    return minor_in.source or default_source.get(principal.role, MinorSource.screening)


def birth_window(birth_date: date, precision: BirthDatePrecision | str) -> tuple[date, date]:
    """The first and last day a birth date of this precision may stand for: a year-only date is 1 January of
    that year up to 31 December, a month-only date the first to the last day of that month."""
    if precision == BirthDatePrecision.year:
        return date(birth_date.year, 1, 1), date(birth_date.year, 12, 31)
    if precision == BirthDatePrecision.month:
        last_day = calendar.monthrange(birth_date.year, birth_date.month)[1]
        return birth_date.replace(day=1), birth_date.replace(day=last_day)
    return birth_date, birth_date


def _checked_provisional(minor_in: MinorCreate) -> date:
    """A registration without an ID number, checked: the first day its birth date may stand for."""
    if minor_in.id_number is not None:
        raise ValidationFailed.field(
            ["body", "id_number"],
            "leave it out of a provisional registration, or set provisional to false",
            "minor.provisional_with_id_number",
        )
    missing = [
        FieldError(["body", field], "required for a provisional registration", "minor.provisional_field")
        for field in ("gender", "birth_date")
        if getattr(minor_in, field) is None
    ]
    if missing:
        raise ValidationFailed.of(missing)
    assert minor_in.gender is not None
    assert minor_in.birth_date is not None
    earliest, latest = birth_window(minor_in.birth_date, minor_in.birth_date_precision)
    today = local_today()
    if earliest > today:
        raise ValidationFailed.field(["body", "birth_date"], "is in the future", "minor.birth_date_future")
    if age_on(latest, today) >= 18:
        raise ValidationFailed.field(
            ["body", "birth_date"], "the person is 18 or older, not a minor", "minor.adult"
        )
    return earliest


async def register_provisional(
    session: AsyncSession, *, principal: Principal, minor_in: MinorCreate
) -> Minor:
    """Register a minor whose ID number is not known yet (待核实): name, gender and a birth date of the
    precision known (stored as the first day of the year or month), school or residence, how found. No
    duplicate check can be made without the number: ``possible_duplicates`` shows the worker records of the same
    name and birth date before submitting, and ``verify`` checks the number when it is added. For the
    screening-sheet import too (rows without an ID number)."""
    earliest = _checked_provisional(minor_in)
    assert minor_in.gender is not None
    school_id, managing_unit_id = await _placement(session, principal=principal, minor_in=minor_in)
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
        source=_source(principal, minor_in),
        verification_status=VerificationStatus.provisional,
        birth_date_precision=minor_in.birth_date_precision,
    )


async def matches_elsewhere_left(session: AsyncSession, *, principal: Principal, limit: int) -> bool:
    """Whether the person may still be told "managed by another unit" today. Every channel that could answer
    that question (registration, verification, the duplicate check, imports) asks this first and, once it is
    no, refuses alike whatever the answer would have been."""
    used = await session.scalar(
        sa.select(DisclosureCount.used).where(
            DisclosureCount.principal_id == principal.id,
            DisclosureCount.day == local_today(),
            DisclosureCount.kind == DisclosureKind.match_elsewhere,
        )
    )
    return (used or 0) < limit


async def _check_matches_elsewhere_left(session: AsyncSession, *, principal: Principal, limit: int) -> None:
    """Once a person has had today's number of "managed by another unit" answers, every registration waits
    until tomorrow: refusing only the matches would answer the same question by another status."""
    if not await matches_elsewhere_left(session, principal=principal, limit=limit):
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
        **_record_values(
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
            household_area=await _area_name(session, minor_in.household_division_code),
            residence_area=await _area_name(session, minor_in.residence_division_code),
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


@dataclass(frozen=True)
class Registered:
    """A record ``register_many`` stored: what the caller goes on with (a care file, a notification)."""

    id: uuid.UUID
    name: str
    managing_unit_id: uuid.UUID
    risk_categories: tuple[str, ...]
    risk_level: str


# ID numbers per look-up of those registered already.
_MANY_CHUNK = 500
_MINORS: sa.Table = Minor.__table__


async def register_many(
    session: AsyncSession,
    *,
    principal: Principal,
    rows: Sequence[MinorCreate],
    match_elsewhere_limit: int,
) -> list[Registered | ProblemError]:
    """Register many minors at once (a screening sheet's rows) in the caller's transaction: each row checked as
    ``register`` (or ``register_provisional``) checks one — the ID number, age, school and managing station, one
    person one record — and stored as ``insert_record`` stores one (encrypted, hashed, masked, located, one
    ``minor.created`` event each), but with multi-row inserts. The counters and tallies of ``minors`` follow
    by their triggers, row by row, as for a single insert.

    Answers per row, in order: the record stored, or the refusal (nothing of that row written); whether a
    refusal undoes the others is the caller's transaction's choice. The caller has matched the rows against the
    registry beforehand (``matching.match_numbers``, which counts the "managed elsewhere" answers against the
    daily limit), so the limit does not pause the whole batch as it pauses ``register``; a match found here
    (registered in between, or twice in ``rows``) is refused as ``register`` refuses it."""
    cipher = cipher_of(session)
    results: list[Registered | ProblemError | None] = [None] * len(rows)
    # The school and station of rows that name the same ones are checked once.
    placements: dict[tuple[Any, Any], tuple[uuid.UUID | None, uuid.UUID] | ProblemError] = {}
    accepted: list[tuple[int, dict[str, Any]]] = []
    for index, minor_in in enumerate(rows):
        number: str | None
        gender: str
        lookup_hash: str | None
        try:
            if minor_in.provisional:
                birth_date = _checked_provisional(minor_in)
                assert minor_in.gender is not None
                number, gender, lookup_hash = None, minor_in.gender, None
            else:
                number, birth_date, gender = _checked_identity(minor_in)
                lookup_hash = number_hash(cipher, minor_in.id_document_type, number)
        except ProblemError as refused:
            results[index] = refused
            continue
        key = (minor_in.school_id, minor_in.managing_unit_id)
        if key not in placements:
            try:
                placements[key] = await _placement(session, principal=principal, minor_in=minor_in)
            except ProblemError as refused:
                placements[key] = refused
        placement = placements[key]
        if isinstance(placement, ProblemError):
            results[index] = placement
            continue
        accepted.append(
            (
                index,
                {
                    "minor_in": minor_in,
                    "number": number,
                    "birth_date": birth_date,
                    "gender": gender,
                    "lookup_hash": lookup_hash,
                    "school_id": placement[0],
                    "managing_unit_id": placement[1],
                },
            )
        )
    accepted = await _refuse_registered(
        session, principal=principal, accepted=accepted, results=results, limit=match_elsewhere_limit
    )
    areas: dict[str | None, str | None] = {None: None}
    now = utcnow()
    stored: list[dict[str, Any]] = []
    for index, found in accepted:
        minor_in = found["minor_in"]
        for code in (minor_in.household_division_code, minor_in.residence_division_code):
            if code not in areas:
                areas[code] = await _area_name(session, code)
        values = _record_values(
            cipher,
            actor=principal,
            minor_in=minor_in,
            number=found["number"],
            birth_date=found["birth_date"],
            gender=found["gender"],
            lookup_hash=found["lookup_hash"],
            school_id=found["school_id"],
            managing_unit_id=found["managing_unit_id"],
            source=_source(principal, minor_in),
            verification_status=VerificationStatus.provisional
            if found["number"] is None
            else VerificationStatus.verified,
            birth_date_precision=minor_in.birth_date_precision
            if found["number"] is None
            else BirthDatePrecision.day,
            household_area=areas[minor_in.household_division_code],
            residence_area=areas[minor_in.residence_division_code],
        )
        # The columns a new ``Minor`` takes by default, as ``insert_record``'s would.
        values.update(
            id=new_id(), version=1, created_at=now, updated_at=now, is_sealed=False, merged_into_id=None
        )
        stored.append(values)
        results[index] = Registered(
            id=values["id"],
            name=values["name"],
            managing_unit_id=values["managing_unit_id"],
            risk_categories=tuple(values["risk_categories"]),
            risk_level=str(values["risk_level"]),
        )
    # Multi-row statements from one compiled INSERT (``db.insert_many``).
    await insert_many(session, _MINORS, stored)
    for values in stored:
        await audit.record(
            session,
            action=AuditAction.minor_created,
            actor=principal,
            unit_id=values["managing_unit_id"],
            object_type="minor",
            object_id=values["id"],
        )
    answers = [result for result in results if result is not None]
    assert len(answers) == len(rows)
    return answers


async def _refuse_registered(
    session: AsyncSession,
    *,
    principal: Principal,
    accepted: list[tuple[int, dict[str, Any]]],
    results: list[Registered | ProblemError | None],
    limit: int,
) -> list[tuple[int, dict[str, Any]]]:
    """``register``'s one person, one record for many rows: a number already registered is refused as there
    (in scope: named; elsewhere: said to exist, audited and counted), and so is a second row of one number."""
    hashes = [found["lookup_hash"] for _index, found in accepted if found["lookup_hash"]]
    existing: dict[str, Any] = {}
    in_scope = within_minor_scope(principal, ManagingUnit.path, Minor.school_id).label("in_scope")
    for start in range(0, len(hashes), _MANY_CHUNK):
        rows = await session.execute(
            sa.select(Minor.id_number_hash, Minor.id, Minor.managing_unit_id, in_scope)
            .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
            .where(Minor.id_number_hash.in_(hashes[start : start + _MANY_CHUNK]))
        )
        existing.update({row.id_number_hash: row for row in rows})
    kept: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for index, found in accepted:
        lookup_hash = found["lookup_hash"]
        match = existing.get(lookup_hash) if lookup_hash else None
        if lookup_hash in seen or (match is not None and match.in_scope):
            extra = {"existing_id": str(match.id)} if match is not None else None
            results[index] = Conflict("This person is already registered.", extra=extra)
            continue
        if match is not None:
            try:
                await _record_match_elsewhere(
                    session, principal=principal, managing_unit_id=match.managing_unit_id, limit=limit
                )
            except ProblemError as refused:
                results[index] = refused
            continue
        if lookup_hash:
            seen.add(lookup_hash)
        kept.append((index, found))
    return kept


def _record_values(
    cipher: FieldCipher,
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
    verification_status: VerificationStatus,
    birth_date_precision: BirthDatePrecision,
    household_area: str | None,
    residence_area: str | None,
) -> dict[str, Any]:
    """A new record's stored values (encrypted, masked, located), one registration or many alike."""
    return {
        "name": minor_in.name,
        "id_document_type": minor_in.id_document_type if number else None,
        "id_number_ciphertext": cipher.encrypt(number, context="minor.id_number") if number else None,
        "id_number_hash": lookup_hash,
        "id_number_masked": mask_id_number(number) if number else None,
        "gender": gender,
        "birth_date": birth_date,
        "birth_date_precision": birth_date_precision,
        "verification_status": verification_status,
        "found_by": minor_in.found_by,
        "phone_ciphertext": cipher.encrypt(minor_in.phone, context="minor.phone") if minor_in.phone else None,
        "phone_masked": mask_phone(minor_in.phone) if minor_in.phone else None,
        "guardians": _sealed_guardians(minor_in.guardians, cipher),
        "household_division_code": minor_in.household_division_code,
        "household_area": household_area,
        "household_address": minor_in.household_address,
        "residence_division_code": minor_in.residence_division_code,
        "residence_area": residence_area,
        "residence_address": minor_in.residence_address,
        "school_id": school_id,
        "grade": minor_in.grade,
        "schooling_status": minor_in.schooling_status,
        "risk_categories": [code.value for code in minor_in.risk_categories],
        "substances": [code.value for code in minor_in.substances],
        "risk_level": minor_in.risk_level,
        "managing_unit_id": managing_unit_id,
        "status": MinorStatus.active,
        "source": source,
        "created_by": actor.id if actor else None,
    }


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
    _ensure_not_merged(minor)
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
    number, _birth, _gender = _parse_identity(lookup_in.id_document_type, lookup_in.id_number)
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


def _ensure_not_merged(minor: Minor) -> None:
    if minor.verification_status == VerificationStatus.merged:
        raise Conflict(
            "This record was merged into another and is read-only.",
            extra={"merged_into_id": str(minor.merged_into_id)},
        )


def _ensure_provisional(minor: Minor) -> None:
    _ensure_not_merged(minor)
    if minor.verification_status != VerificationStatus.provisional:
        raise Conflict("This record already has its ID number.")


async def verify(
    session: AsyncSession,
    *,
    principal: Principal,
    minor: Minor,
    verify_in: MinorVerify,
    match_elsewhere_limit: int,
) -> Minor:
    """Add the ID number to a provisional record: the number is checked, gives the birth date and gender (a
    disagreement with what was recorded is a 422, nothing changed), and is looked for like a registration's:
    a record in the caller's scope is named (409 with ``existing_id``: merge into it), one managed elsewhere is
    said to exist and nothing more (409, audited and counted as registration's answer is)."""
    permissions.ensure(
        permissions.may_edit_minors(principal),
        "Only the station's social workers and leads edit a registered minor.",
    )
    _ensure_provisional(minor)
    cipher = cipher_of(session)
    number, encoded_birth, encoded_gender = _parse_identity(verify_in.id_document_type, verify_in.id_number)
    birth_date = encoded_birth or verify_in.birth_date
    gender = encoded_gender or verify_in.gender
    assert birth_date is not None
    assert gender is not None
    number_loc = ["body", "id_number"] if encoded_gender else ["body", "gender"]
    if gender != minor.gender:
        raise ValidationFailed.field(
            number_loc,
            "the gender it gives differs from the record's; check the number or correct the record first",
            "id_number.gender_mismatch",
        )
    if age_on(birth_date, local_today()) >= 18:
        raise ValidationFailed.field(
            ["body", "id_number"], "the person is 18 or older, not a minor", "minor.adult"
        )
    lookup_hash = number_hash(cipher, verify_in.id_document_type, number)
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
            raise Conflict(
                "This person is already registered; merge this record into it.",
                extra={"existing_id": str(existing.id)},
            )
        await _record_match_elsewhere(
            session,
            principal=principal,
            managing_unit_id=existing.managing_unit_id,
            limit=match_elsewhere_limit,
        )
    # The record's birth date (identity) is compared last, once no other record can answer first: before the
    # look-up, the number of a record in scope would make a silent oracle of it (409 when the date fits, 422
    # when not, nothing written either way).
    earliest, latest = birth_window(minor.birth_date, minor.birth_date_precision)
    if not earliest <= birth_date <= latest:
        raise ValidationFailed.field(
            ["body", "id_number"] if encoded_birth else ["body", "birth_date"],
            "the birth date it gives is outside the record's approximate birth date; check the number",
            "id_number.birth_date_mismatch",
        )
    minor.id_document_type = verify_in.id_document_type
    minor.id_number_ciphertext = cipher.encrypt(number, context="minor.id_number")
    minor.id_number_hash = lookup_hash
    minor.id_number_masked = mask_id_number(number)
    minor.birth_date = birth_date
    minor.birth_date_precision = BirthDatePrecision.day
    minor.verification_status = VerificationStatus.verified
    minor.version += 1
    minor.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.minor_verified,
        actor=principal,
        unit_id=minor.managing_unit_id,
        object_type="minor",
        object_id=minor.id,
        fields=["id_number", "birth_date", "verification_status"],
    )
    return minor


async def merge_into(session: AsyncSession, *, principal: Principal, minor: Minor, survivor: Minor) -> Minor:
    """The registry's part of a merge (``workflows.merging`` moves the other domains' records): the provisional
    record becomes ``merged``, read-only, pointing at the survivor; both records' trails name the other."""
    permissions.ensure(
        permissions.may_edit_minors(principal),
        "Only the station's social workers and leads edit a registered minor.",
    )
    _ensure_provisional(minor)
    if survivor.id == minor.id or survivor.verification_status == VerificationStatus.merged:
        raise ValidationFailed.field(
            ["body", "into_id"], "must be another record that is not merged", "minor.merge_target"
        )
    if survivor.gender != minor.gender:
        raise ValidationFailed.field(
            ["body", "into_id"], "the two records differ in gender", "minor.merge_gender_mismatch"
        )
    mine = birth_window(minor.birth_date, minor.birth_date_precision)
    theirs = birth_window(survivor.birth_date, survivor.birth_date_precision)
    if mine[1] < theirs[0] or theirs[1] < mine[0]:
        raise ValidationFailed.field(
            ["body", "into_id"],
            "the two records' birth dates do not agree",
            "minor.merge_birth_date_mismatch",
        )
    minor.verification_status = VerificationStatus.merged
    minor.status = MinorStatus.merged
    minor.merged_into_id = survivor.id
    minor.version += 1
    minor.updated_at = utcnow()
    survivor.version += 1
    survivor.updated_at = utcnow()
    await session.flush()
    for subject, other in ((minor, survivor), (survivor, minor)):
        await audit.record(
            session,
            action=AuditAction.minor_merged,
            actor=principal,
            unit_id=subject.managing_unit_id,
            object_type="minor",
            object_id=subject.id,
            reason=str(other.id),
        )
    return survivor


async def possible_duplicates(
    session: AsyncSession, *, principal: Principal, check_in: DuplicateCheck, match_elsewhere_limit: int
) -> PossibleDuplicates:
    """Records of the same name born in the same year (whatever the precision asked or stored): those in scope
    as a list shows them (identity masked), those elsewhere only as "managed elsewhere" — a disclosure like
    registration's, audited and counted against the same daily limit, so that names cannot be tried one after
    another across the county.

    The year, never a finer window: a "no" costs nothing, so answering by month or day would give a named
    child's exact birth date for a few yes answers (none in scope), and with a masked ID number the birth date
    is the whole number. The year is what the list's age says already, give or take.

    Whoever may not search the list by name (a school's staff) gets no records in scope from it either: the
    check would otherwise be that search, a name tied to a masked record. Registering the same ID number twice
    is still refused (409), and "managed elsewhere" is still said."""
    # At the day's limit every check waits, whatever it would find: the status must not answer the question.
    await _check_matches_elsewhere_left(session, principal=principal, limit=match_elsewhere_limit)
    earliest, latest = birth_window(check_in.birth_date, BirthDatePrecision.year)
    # A stored date is the first day of its window, which is at most a year long.
    candidates = sa.and_(
        Minor.name == check_in.name,
        Minor.birth_date >= date(max(earliest.year - 1, 1), 1, 1),
        Minor.birth_date <= latest,
        Minor.status != MinorStatus.merged,
    )
    rows = (await session.execute(scoped_select(principal).where(candidates))).all()
    in_scope = [row for row in rows if _may_be_born_within(row, (earliest, latest))]
    reached = {row.id for row in rows}
    everywhere = (
        await session.execute(
            sa.select(Minor.id, Minor.birth_date, Minor.birth_date_precision, Minor.managing_unit_id).where(
                candidates
            )
        )
    ).all()
    elsewhere = next(
        (row for row in everywhere if row.id not in reached and _may_be_born_within(row, (earliest, latest))),
        None,
    )
    if elsewhere is not None:
        used = await spend_disclosure(
            session, principal=principal, kind=DisclosureKind.match_elsewhere, limit=match_elsewhere_limit
        )
        if used is None:
            raise _limit_reached(
                Text(
                    "{limit} registrations today matched minors managed by other units, the daily limit; "
                    "registering is paused",
                    limit=match_elsewhere_limit,
                )
            )
        await audit.record(
            session,
            action=AuditAction.minor_duplicate_probe,
            actor=principal,
            unit_id=elsewhere.managing_unit_id,
        )
    await audit.record(
        session, action=AuditAction.minor_duplicates_checked, actor=principal, durable=False, unit_id=None
    )
    cipher = cipher_of(session)
    today = local_today()
    return PossibleDuplicates(
        in_scope=[
            present(row, principal=principal, view=privacy.View.list, cipher=cipher, today=today)
            for row in in_scope
        ]
        if privacy.may_search_names(principal)
        else [],
        managed_elsewhere=elsewhere is not None,
    )


def _may_be_born_within(row: Any, window: tuple[date, date]) -> bool:
    """Whether the row's birth date (of its precision) and ``window`` overlap."""
    first, last = birth_window(row.birth_date, row.birth_date_precision)
    return first <= window[1] and window[0] <= last
