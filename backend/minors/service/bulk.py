"""Many registrations at once (a screening sheet's rows, ``workflows.imports``): each row checked as one
registration is, stored with multi-row inserts."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import insert_many, new_id, utcnow
from backend.errors import Conflict, ProblemError
from backend.minors.models import BirthDatePrecision, Minor, VerificationStatus
from backend.minors.schemas import MinorCreate
from backend.minors.service.disclosures import record_match_elsewhere
from backend.minors.service.keys import number_hash
from backend.minors.service.presenting import ManagingUnit
from backend.minors.service.recording import (
    area_name,
    checked_identity,
    checked_placement,
    checked_provisional,
    record_values,
    source_of,
)
from backend.security.crypto import cipher_of
from backend.security.principals import Principal, within_minor_scope


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
    by their triggers (on PostgreSQL once per statement, on SQLite row by row), as for a single insert.

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
                birth_date = checked_provisional(minor_in)
                assert minor_in.gender is not None
                number, gender, lookup_hash = None, minor_in.gender, None
            else:
                number, birth_date, gender = checked_identity(minor_in)
                lookup_hash = number_hash(cipher, minor_in.id_document_type, number)
        except ProblemError as refused:
            results[index] = refused
            continue
        key = (minor_in.school_id, minor_in.managing_unit_id)
        if key not in placements:
            try:
                placements[key] = await checked_placement(session, principal=principal, minor_in=minor_in)
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
                areas[code] = await area_name(session, code)
        values = record_values(
            cipher,
            actor=principal,
            minor_in=minor_in,
            number=found["number"],
            birth_date=found["birth_date"],
            gender=found["gender"],
            lookup_hash=found["lookup_hash"],
            school_id=found["school_id"],
            managing_unit_id=found["managing_unit_id"],
            source=source_of(principal, minor_in),
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
                await record_match_elsewhere(
                    session, principal=principal, managing_unit_id=match.managing_unit_id, limit=limit
                )
            except ProblemError as refused:
                results[index] = refused
            continue
        if lookup_hash:
            seen.add(lookup_hash)
        kept.append((index, found))
    return kept
