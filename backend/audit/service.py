"""The audit trail: append-only events chained by SHA-256, written in the same transaction as what they record."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, aliased

from backend.audit.models import AuditChainHead, AuditEvent
from backend.db import utcnow
from backend.pagination import Page, PageParams, paginate
from backend.request_context import current_request_id
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit
from backend.users.models import User

GENESIS = "0" * 64
_EVENT_COLUMNS = tuple(AuditEvent.__table__.columns)  # type: ignore[attr-defined]


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
) -> AuditEvent:
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
    event = AuditEvent(
        seq=0,  # numbered and chained at commit
        at=utcnow(),
        actor_kind=actor.kind if actor else actor_kind or "system",
        actor_id=actor.id if actor else actor_id,
        actor_name=(actor.name if actor else actor_name or "qinghu")[:64],
        unit_id=unit_id or (actor.unit_id if actor else None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        fields=sorted(fields) if fields else None,
        reason=reason,
        request_id=current_request_id(),
        prev_hash="",
        hash="",
    )
    session.info.setdefault(_PENDING, []).append(_Pending(event, durable))
    return event


@dataclass(frozen=True)
class _Pending:
    event: AuditEvent
    durable: bool


_PENDING = "qinghu.audit.pending"


@sa.event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Number, chain and insert the transaction's events, just before its final flush and commit. Runs in
    the session's own (greenlet) context, so the synchronous calls here are the async session's too."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql and not any(item.durable for item in pending):
        session.execute(sa.text("SET LOCAL synchronous_commit TO off"))
    # The head row's lock makes concurrent writers queue here instead of forking the chain.
    head = session.execute(
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_seq=AuditChainHead.last_seq + len(pending))
        .returning(AuditChainHead.last_seq, AuditChainHead.last_hash)
    ).one_or_none()
    if head is None:
        session.add(AuditChainHead(id=1, last_seq=len(pending), last_hash=GENESIS))
        session.flush()
        last_seq, prev_hash = len(pending), GENESIS
    else:
        last_seq, prev_hash = head
    rows = []
    for seq, item in enumerate(pending, start=last_seq - len(pending) + 1):
        event = item.event
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = prev_hash = _digest(event.chained_content())
        rows.append({column.key: getattr(event, column.key) for column in _EVENT_COLUMNS})
    # Plain inserts, not the unit of work (events are never read back or changed here); on PostgreSQL the
    # events and the new head go in one statement.
    inserted = sa.insert(AuditEvent).values(rows)
    advance_head = sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev_hash)
    if postgresql:
        session.execute(advance_head.add_cte(inserted.cte("inserted_events")))
    else:
        session.execute(inserted)
        session.execute(advance_head)


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
                sa.select(AuditEvent).where(AuditEvent.seq > last_seen).order_by(AuditEvent.seq).limit(batch)
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
        .join(Unit, Unit.id == AuditEvent.unit_id)
        .outerjoin(User, sa.and_(AuditEvent.actor_kind == "user", User.id == AuditEvent.actor_id))
        .outerjoin(ActorUnit, ActorUnit.id == User.unit_id)
        .where(within_scope(principal, Unit.path))
    )
    if filters.actor_id:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.object_type:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if filters.since:
        statement = statement.where(AuditEvent.at >= filters.since)
    if filters.until:
        statement = statement.where(AuditEvent.at < filters.until)
    return await paginate(session, statement, page, lambda row: ListedEvent(row[0], row[1]))
