"""The audit trail: append-only events chained by SHA-256, written in the same transaction as what they record."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, aliased
from sqlmodel import col

from backend.audit.models import AuditChainHead, AuditEvent, chained_content
from backend.db import utcnow
from backend.pagination import Page, PageParams, paginate
from backend.request_context import current_request_id
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit
from backend.users.models import User

GENESIS = "0" * 64


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor: Principal | None,
    unit_id: uuid.UUID | None = None,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    fields: Sequence[str] | None = None,
    reason: str | None = None,
    actor_kind: str | None = None,
    actor_id: uuid.UUID | None = None,
    actor_name: str | None = None,
    durable: bool = True,
) -> None:
    """Record one event for ``actor``, or for an actor named field by field (a login before there is a
    principal; ``system`` for the command line). ``unit_id`` defaults to the actor's unit.

    The event joins the chain when the transaction commits (``_append_pending``), in the same transaction as
    what it records: a rolled-back transaction leaves no event, and the chain's lock is held only for the
    commit itself rather than for the rest of the request, so concurrent requests do not queue behind it.

    ``durable=False`` is for a request whose only write is this event recording a read (a detail view, a
    look-up): on PostgreSQL its commit then does not wait for the disk flush (``synchronous_commit = off``),
    which is most of such a request's time. The chain stays whole: a server crash can lose only the newest
    fraction of a second of read events, never a record's change, a reveal or an event in the middle.
    """
    event = {
        "seq": 0,  # numbered and chained at commit
        "at": utcnow(),
        "actor_kind": actor.kind if actor else actor_kind or "system",
        "actor_id": actor.id if actor else actor_id,
        "actor_name": (actor.name if actor else actor_name or "qinghu")[:64],
        "unit_id": unit_id or (actor.unit_id if actor else None),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "fields": sorted(fields) if fields else None,
        "reason": reason,
        "request_id": current_request_id(),
        "prev_hash": "",
        "hash": "",
    }
    session.info.setdefault(_PENDING, []).append(_Pending(event, durable))


async def record_export(
    session: AsyncSession, *, actor: Principal, list_name: str, filters: str, export_format: str
) -> None:
    """A working list exported as a file: which list, in which format, with which filters (free text named
    only, ``exports.filters_label``). Recorded in the request's transaction, before the file streams."""
    await record(
        session,
        action="list.exported",
        actor=actor,
        object_type=list_name,
        object_id=export_format,
        reason=filters,
    )


@dataclass(frozen=True)
class _Pending:
    event: dict[str, Any]  # the row, as ``audit_events`` columns
    durable: bool


_PENDING = "qinghu.audit.pending"

# The append's statements are built once, with their values as parameters: SQLAlchemy then reuses their
# compiled form (and their cache key) instead of compiling a fresh statement for every event.
# SQLModel sets ``__table__`` on table classes at runtime without declaring it to type checkers.
_EVENTS: sa.Table = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD: sa.Table = AuditChainHead.__table__  # type: ignore[attr-defined]
_NUMBERS_TAKEN = (_HEAD.c.last_seq, _HEAD.c.last_hash)
# The head row's lock makes concurrent writers queue here instead of forking the chain.
_TAKE_NUMBERS = (
    sa.update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=_HEAD.c.last_seq + sa.bindparam("count", type_=sa.BigInteger))
)
_TAKE_NUMBERS_DURABLY = _TAKE_NUMBERS.returning(*_NUMBERS_TAKEN)
# PostgreSQL, read events only: the same, also telling this transaction's commit not to wait for the disk
# (``set_config(…, true)`` is ``SET LOCAL``), in the same round trip.
_TAKE_NUMBERS_NOT_WAITING = _TAKE_NUMBERS.returning(
    *_NUMBERS_TAKEN, sa.func.set_config("synchronous_commit", "off", True)
)
_ADVANCE_HEAD = sa.update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=sa.bindparam("head_hash"))
# On PostgreSQL up to this many events go in with the new head in one statement; more (a bulk change), in two.
_EVENTS_WITH_HEAD = 4


@cache
def _insert_events_advancing_head(count: int) -> sa.Update:
    """``count`` events and the chain's new head in one PostgreSQL statement: one single-row insert per event
    (parameters ``{column}_{i}``), as CTEs of the head's update. (A multi-row VALUES would not be cached.)"""
    statement = _ADVANCE_HEAD
    for i in range(count):
        values = {column.key: sa.bindparam(f"{column.key}_{i}", type_=column.type) for column in _EVENTS.c}
        statement = statement.add_cte(sa.insert(_EVENTS).values(values).cte(f"event_{i}"))
    return statement


@sa.event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Number, chain and insert the transaction's events, just before its final flush and commit. Runs in
    the session's own (greenlet) context, so the synchronous calls here are the async session's too."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    waits = not postgresql or any(item.durable for item in pending)
    head = connection.execute(
        _TAKE_NUMBERS_DURABLY if waits else _TAKE_NUMBERS_NOT_WAITING, {"count": len(pending)}
    ).first()
    if head is None:  # the very first events
        connection.execute(sa.insert(_HEAD).values(id=1, last_seq=len(pending), last_hash=GENESIS))
        last_seq, prev_hash = len(pending), GENESIS
    else:
        last_seq, prev_hash = head[0], head[1]
    rows = [item.event for item in pending]
    for seq, row in enumerate(rows, start=last_seq - len(pending) + 1):
        row["seq"], row["prev_hash"] = seq, prev_hash
        row["hash"] = prev_hash = _digest(chained_content(row))
    # Plain inserts, not the unit of work: events are never read back or changed here.
    if postgresql and len(rows) <= _EVENTS_WITH_HEAD:
        parameters = {f"{key}_{i}": value for i, row in enumerate(rows) for key, value in row.items()}
        connection.execute(_insert_events_advancing_head(len(rows)), {**parameters, "head_hash": prev_hash})
    else:
        connection.execute(sa.insert(_EVENTS), rows)
        connection.execute(_ADVANCE_HEAD, {"head_hash": prev_hash})


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing (rolled back, or its session closed) takes its events
    with it. (Savepoints are not used here; an event recorded inside one would outlive its rollback.)"""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken: int | None = None
    problem: str | None = None


async def verify(session: AsyncSession, *, batch: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first event that was edited, removed or moved."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    last_seen = 0
    while True:
        events = (
            await session.scalars(
                sa.select(AuditEvent)
                .where(col(AuditEvent.seq) > last_seen)
                .order_by(col(AuditEvent.seq))
                .limit(batch)
            )
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq:
                return ChainReport(False, count, expected_seq, "an event is missing")
            if event.prev_hash != expected_prev:
                return ChainReport(False, count, event.seq, "the event does not follow the one before it")
            if _digest(event.chained_content()) != event.hash:
                return ChainReport(False, count, event.seq, "the event was changed after it was written")
            expected_prev, expected_seq, count, last_seen = event.hash, event.seq + 1, count + 1, event.seq
    head = await session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != count or head.last_hash != expected_prev):
        return ChainReport(False, count, count + 1, "events after this one were removed")
    return ChainReport(True, count)


@dataclass(frozen=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


SORT_FIELDS = {"seq": AuditEvent.seq, "at": AuditEvent.at}


@dataclass(frozen=True)
class ListedEvent:
    event: AuditEvent
    # The person's unit as it is now (an event's own unit is the object's); None for clients and the system.
    actor_unit: Unit | None


ActorUnit = aliased(Unit, name="actor_unit")


async def list_events(
    session: AsyncSession, *, principal: Principal, filters: AuditFilters, page: PageParams
) -> Page[ListedEvent]:
    """Events of the principal's subtree, newest first by default, each with the acting person's unit."""
    statement = (
        sa.select(AuditEvent, ActorUnit)
        .join(Unit, col(Unit.id) == AuditEvent.unit_id)
        .outerjoin(User, sa.and_(col(AuditEvent.actor_kind) == "user", col(User.id) == AuditEvent.actor_id))
        .outerjoin(ActorUnit, col(ActorUnit.id) == col(User.unit_id))
        .where(within_scope(principal, Unit.path))
    )
    if filters.actor_id:
        statement = statement.where(col(AuditEvent.actor_id) == filters.actor_id)
    if filters.action:
        statement = statement.where(col(AuditEvent.action) == filters.action)
    if filters.object_type:
        statement = statement.where(col(AuditEvent.object_type) == filters.object_type)
    if filters.object_id:
        statement = statement.where(col(AuditEvent.object_id) == filters.object_id)
    if filters.since:
        statement = statement.where(col(AuditEvent.at) >= filters.since)
    if filters.until:
        statement = statement.where(col(AuditEvent.at) < filters.until)
    return await paginate(session, statement, page, lambda row: ListedEvent(row[0], row[1]))
