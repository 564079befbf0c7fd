"""Idempotent POSTs for machine clients (docs/integration.md, Pushing safely): a retry with the same ``Idempotency-Key`` and the same
body gets the first answer again; the same key with another body is refused.

Generic on purpose: any route that takes pushes from other systems (seizure notices, school-metrics batches)
uses it the same way, and a key belongs to one principal on one route, so two clients — or one client on two
routes — never collide.

    key = require_key(idempotency_key, principal)          # 422 for a machine client without one
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    stored = await find_answer(session, principal=principal, route=ROUTE, key=key, fingerprint=fingerprint)
    if stored: return stored                              # the first answer; IdempotencyKeyReused if the body differs
    ... do the work, flush ...
    await remember_answer(session, principal=principal, route=ROUTE, key=key, fingerprint=fingerprint,
                          status_code=201, body=answer)

The stored answer is written in the same transaction as the work, so either both are kept or neither is. Two
concurrent first tries race on the unique (principal, route, key): the loser's transaction fails with an
IntegrityError and the route retries, finding the winner's answer. Keys are kept at least ``RETENTION``;
``qinghu purge-idempotency`` removes older ones.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, utcnow
from backend.errors import Conflict, ValidationFailed
from backend.security.principals import Principal

RETENTION = timedelta(days=7)
HEADER = "Idempotency-Key"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Required for machine clients: a retry with the same key and body gets the first answer "
        "again (200); the same key with another body is a 409. Keys are kept for at least 7 days.",
        examples=["6f1c2d1e-8a4b-4f7e-9c1d-2b3a4c5d6e7f"],
    ),
]


class IdempotencyRecord(SQLModel, table=True):
    """One answered request of one principal on one route, kept so that a retry gets the same answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("principal_id", "route", "key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    principal_kind: str = Field(sa_type=sa.String(10), nullable=False)
    principal_id: uuid.UUID = Field(nullable=False)
    route: str = Field(sa_type=sa.String(100), nullable=False)
    key: str = Field(sa_type=sa.String(100), nullable=False)
    request_hash: str = Field(sa_type=sa.String(64), nullable=False)
    status_code: int = Field(nullable=False)
    response_body: dict[str, Any] = Field(sa_type=sa.JSON, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)


class IdempotencyKeyReused(Conflict):
    slug, title = "idempotency-key-reused", "Idempotency key reused with another request"


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def request_fingerprint(payload: Any) -> str:
    """SHA-256 of the request in a canonical JSON form: key order and spacing never make two bodies differ."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(key: str | None, principal: Principal) -> str | None:
    """Machine clients must send a key; people in the web app may (their form sends one)."""
    if key is None and principal.kind == "client":
        raise ValidationFailed.field(
            ["header", HEADER], "required for machine clients", "idempotency_key.missing"
        )
    return key


async def find_answer(
    session: AsyncSession, *, principal: Principal, route: str, key: str | None, fingerprint: str
) -> StoredAnswer | None:
    """The answer stored for this key, if the request is a replay; raises when the key came with another body."""
    if key is None:
        return None
    record = await session.scalar(
        sa.select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal.id,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at >= utcnow() - RETENTION,
        )
    )
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request; use a new key for a new request."
        )
    return StoredAnswer(status_code=record.status_code, body=record.response_body)


async def remember_answer(
    session: AsyncSession,
    *,
    principal: Principal,
    route: str,
    key: str | None,
    fingerprint: str,
    status_code: int,
    body: dict[str, Any],
) -> None:
    """Store the first answer to this key (in the request's transaction). Nothing is stored without a key."""
    if key is None:
        return
    # An expired record with the same key would block the unique constraint: it is past keeping anyway.
    await session.execute(
        sa.delete(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal.id,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < utcnow() - RETENTION,
        )
    )
    session.add(
        IdempotencyRecord(
            principal_kind=principal.kind,
            principal_id=principal.id,
            route=route,
            key=key,
            request_hash=fingerprint,
            status_code=status_code,
            response_body=body,
        )
    )
    await session.flush()


async def purge_expired(session: AsyncSession, *, older_than: timedelta = RETENTION) -> int:
    """Remove keys older than ``older_than`` (never less than the retention). Returns how many went."""
    cutoff = utcnow() - max(older_than, RETENTION)
    result = await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0
