"""A registration checked and turned into a record's values, one registration or many alike: the ID number
parsed and checked (``checked_identity``), or a provisional registration's approximate birth date
(``checked_provisional``, ``birth_window``); the school and managing station (``checked_placement``); the
stored values, encrypted, masked and located (``record_values``)."""

import calendar
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import local_today
from backend.errors import Conflict, FieldError, ValidationFailed
from backend.identity import IdNumberError, age_on, parse_mainland_id
from backend.minors.models import (
    BirthDatePrecision,
    IdDocumentType,
    Minor,
    MinorSource,
    MinorStatus,
    VerificationStatus,
)
from backend.minors.schemas import GuardianIn, MinorCreate
from backend.security import permissions
from backend.security.crypto import FieldCipher
from backend.security.masking import mask_id_number, mask_phone
from backend.security.principals import Principal, in_subtree
from backend.security.roles import Role
from backend.units.models import MANAGING_KINDS, Unit, UnitKind


def parse_identity(document_type: IdDocumentType, raw_number: str) -> tuple[str, date | None, str | None]:
    """The normalised number, and the birth date and gender a mainland number encodes."""
    if document_type is not IdDocumentType.mainland_id:
        return raw_number.upper(), None, None
    try:
        parsed = parse_mainland_id(raw_number, today=local_today())
    except IdNumberError as exc:
        raise ValidationFailed.field(["body", "id_number"], exc.text, exc.problem_type) from exc
    return parsed.number, parsed.birth_date, parsed.gender


async def area_name(session: AsyncSession, code: str | None) -> str | None:
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


def sealed_guardians(guardians: list[GuardianIn], cipher: FieldCipher) -> list[dict[str, Any]]:
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


async def check_school(session: AsyncSession, school_id: uuid.UUID | None) -> None:
    if school_id is None:
        return
    kind = await session.scalar(sa.select(Unit.kind).where(Unit.id == school_id, Unit.is_active.is_(True)))
    if kind != UnitKind.school:
        raise ValidationFailed.field(["body", "school_id"], "no such school", "unit.not_school")


def checked_identity(minor_in: MinorCreate) -> tuple[str, date, str]:
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
    number, encoded_birth, encoded_gender = parse_identity(minor_in.id_document_type, minor_in.id_number)
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


async def checked_placement(
    session: AsyncSession, *, principal: Principal, minor_in: MinorCreate
) -> tuple[uuid.UUID | None, uuid.UUID]:
    """The school (a school's staff register their own pupils) and the managing station, checked."""
    school_id = principal.unit_id if permissions.reports_own_pupils(principal) else minor_in.school_id
    await check_school(session, school_id)
    managing_unit_id = minor_in.managing_unit_id or await _default_managing_unit(session, principal)
    await _check_managing_unit(session, principal, managing_unit_id)
    return school_id, managing_unit_id


def source_of(principal: Principal, minor_in: MinorCreate) -> MinorSource:
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


def checked_provisional(minor_in: MinorCreate) -> date:
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


def record_values(
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
        "guardians": sealed_guardians(minor_in.guardians, cipher),
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


def ensure_not_merged(minor: Minor) -> None:
    if minor.verification_status == VerificationStatus.merged:
        raise Conflict(
            "This record was merged into another and is read-only.",
            extra={"merged_into_id": str(minor.merged_into_id)},
        )
