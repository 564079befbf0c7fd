"""Provisional records (待核实, registered without an ID number): the number added (``verify``), the record
merged into another of the same person (``merge_into``, the registry's part of ``workflows.merging``), and the
possible duplicates a worker is shown before registering (``possible_duplicates``)."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_today, utcnow
from backend.errors import Conflict, ValidationFailed
from backend.identity import age_on
from backend.minors.models import BirthDatePrecision, DisclosureKind, Minor, MinorStatus, VerificationStatus
from backend.minors.schemas import DuplicateCheck, MinorVerify, PossibleDuplicates
from backend.minors.service.disclosures import (
    check_matches_elsewhere_left,
    match_limit_reached,
    refuse_registered,
    spend_disclosure,
)
from backend.minors.service.keys import number_hash
from backend.minors.service.presenting import present, scoped_select
from backend.minors.service.recording import birth_window, ensure_not_merged, parse_identity
from backend.security import permissions, privacy
from backend.security.crypto import cipher_of
from backend.security.masking import mask_id_number
from backend.security.principals import Principal


def _ensure_provisional(minor: Minor) -> None:
    ensure_not_merged(minor)
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
    number, encoded_birth, encoded_gender = parse_identity(verify_in.id_document_type, verify_in.id_number)
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
    await refuse_registered(
        session,
        principal=principal,
        lookup_hash=lookup_hash,
        limit=match_elsewhere_limit,
        registered="This person is already registered; merge this record into it.",
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
    await check_matches_elsewhere_left(session, principal=principal, limit=match_elsewhere_limit)
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
            raise match_limit_reached(match_elsewhere_limit)
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
