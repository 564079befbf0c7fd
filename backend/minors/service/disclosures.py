"""What the registry tells of records beyond the caller's scope, and the daily limits on it: one person, one
record (``refuse_registered``: a number in scope is named, one managed elsewhere is said to exist and nothing
more, audited and counted), the counters (``spend_disclosure``) and the break-the-glass reveal."""

import math
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_midnight_utc, local_today, utcnow
from backend.errors import Conflict, Forbidden, TooManyRequests, ValidationFailed
from backend.messages import Text
from backend.minors.models import DisclosureCount, DisclosureKind, Minor
from backend.minors.service.presenting import ManagingUnit, full_value, row_in_scope
from backend.security import privacy
from backend.security.crypto import cipher_of
from backend.security.principals import Principal, within_minor_scope


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


async def check_matches_elsewhere_left(session: AsyncSession, *, principal: Principal, limit: int) -> None:
    """Once a person has had today's number of "managed by another unit" answers, every registration waits
    until tomorrow: refusing only the matches would answer the same question by another status."""
    if not await matches_elsewhere_left(session, principal=principal, limit=limit):
        raise match_limit_reached(limit)


async def refuse_registered(
    session: AsyncSession, *, principal: Principal, lookup_hash: str, limit: int, registered: str
) -> None:
    """One person, one record, before a number is stored (a registration, a verification): a record of this
    number in the caller's scope is named (409 ``registered`` with ``existing_id``); one managed elsewhere is said
    to exist and nothing more (``record_match_elsewhere``). At the day's limit of those answers every attempt
    waits first, whatever it would find."""
    await check_matches_elsewhere_left(session, principal=principal, limit=limit)
    existing = (
        await session.execute(
            sa.select(Minor.id, Minor.managing_unit_id).where(Minor.id_number_hash == lookup_hash)
        )
    ).first()
    if existing is None:
        return
    in_scope = await session.scalar(
        sa.select(Minor.id)
        .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
        .where(Minor.id == existing.id, within_minor_scope(principal, ManagingUnit.path, Minor.school_id))
    )
    if in_scope:
        raise Conflict(registered, extra={"existing_id": str(existing.id)})
    await record_match_elsewhere(
        session, principal=principal, managing_unit_id=existing.managing_unit_id, limit=limit
    )


async def record_match_elsewhere(
    session: AsyncSession, *, principal: Principal, managing_unit_id: uuid.UUID, limit: int
) -> None:
    """Answer "managed by another unit": recorded for that unit's trail (who asked, never the record) and
    counted; kept although the answer is an error."""
    if (
        await spend_disclosure(session, principal=principal, kind=DisclosureKind.match_elsewhere, limit=limit)
        is None
    ):
        raise match_limit_reached(limit)
    await audit.record(
        session, action=AuditAction.minor_duplicate_probe, actor=principal, unit_id=managing_unit_id
    )
    raise Conflict("This person is managed by another unit; a transfer can be requested.", keep_changes=True)


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


def limit_reached(what: Text) -> TooManyRequests:
    today = local_today()
    seconds = math.ceil((local_midnight_utc(today + timedelta(days=1)) - utcnow()).total_seconds())
    return TooManyRequests(
        Text("{what}; it resets at midnight.", what=what), headers={"Retry-After": str(max(seconds, 1))}
    )


def match_limit_reached(limit: int) -> TooManyRequests:
    """Today's number of "managed by another unit" answers is spent: registering waits until tomorrow."""
    return limit_reached(
        Text(
            "{limit} registrations today matched minors managed by other units, the daily limit; "
            "registering is paused",
            limit=limit,
        )
    )


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
        raise limit_reached(
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
