"""Notifications: stored once per (person, kind, dedupe key), listed to their owner only, marked read. Another
person's notification does not exist for the caller (404). Only flushes; the request or command commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.db import new_id, utcnow
from backend.errors import Forbidden, NotFound
from backend.notifications.models import Notification, NotificationAddress
from backend.notifications.schemas import NotificationRead
from backend.pagination import Page, PageParams, paginate
from backend.security.principals import Principal

SORT_FIELDS = {"created_at": Notification.created_at}


@dataclass(frozen=True)
class NewNotification:
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    dedupe_key: str
    digest_day: date | None = None


async def notify(session: AsyncSession, items: list[NewNotification]) -> int:
    """Store each notification unless its (person, kind, dedupe key) is stored already; how many were new.
    One statement with ON CONFLICT DO NOTHING, so two runs at once cannot both insert (nor fail)."""
    return len(await store(session, items))


# Notifications per INSERT: 9 values each, well within SQLite's and PostgreSQL's limits on bound parameters.
STORE_BATCH = 100


async def store(session: AsyncSession, items: Sequence[NewNotification]) -> list[tuple[uuid.UUID, str, str]]:
    """``notify`` for any number of notifications, a statement per ``STORE_BATCH``: the (person, kind, dedupe
    key) of each one stored now (not those stored before)."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    stored: list[tuple[uuid.UUID, str, str]] = []
    for start in range(0, len(items), STORE_BATCH):
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "user_id": item.user_id,
                "kind": item.kind,
                "title": item.title,
                "body": item.body,
                "link": item.link,
                "dedupe_key": item.dedupe_key,
                "digest_day": item.digest_day,
                "created_at": now,
            }
            for item in items[start : start + STORE_BATCH]
        ]
        statement = (
            insert(Notification)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "dedupe_key"])
            .returning(Notification.user_id, Notification.kind, Notification.dedupe_key)
        )
        stored += [
            (uuid.UUID(str(user_id)), kind, key) for user_id, kind, key in await session.execute(statement)
        ]
    return stored


def _read(row: Notification) -> NotificationRead:
    return NotificationRead.model_validate(row, from_attributes=True)


def _mine(principal: Principal) -> sa.ColumnElement[bool]:
    return col(Notification.user_id) == principal.id


async def list_mine(
    session: AsyncSession, *, principal: Principal, unread_only: bool, page: PageParams
) -> Page[NotificationRead]:
    statement = sa.select(Notification).where(_mine(principal))
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return await paginate(session, statement, page, lambda row: _read(row[0]))


async def unread_count(session: AsyncSession, *, principal: Principal) -> int:
    count = await session.scalar(
        sa.select(sa.func.count()).where(_mine(principal), Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, *, principal: Principal, notification_id: uuid.UUID
) -> NotificationRead:
    row = await session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, _mine(principal))
    )
    if row is None:
        raise NotFound("No such notification.")
    if row.read_at is None:
        row.read_at = utcnow()
        await session.flush()
    return _read(row)


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> int:
    result = await session.execute(
        sa.update(Notification)
        .where(_mine(principal), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def digest_address(session: AsyncSession, *, user_id: uuid.UUID) -> str | None:
    return await session.scalar(
        sa.select(NotificationAddress.email).where(NotificationAddress.user_id == user_id)
    )


async def addresses(session: AsyncSession) -> dict[uuid.UUID, str]:
    """Every digest address, by person: read once per reminder run."""
    rows = await session.execute(sa.select(NotificationAddress.user_id, NotificationAddress.email))
    return {row.user_id: row.email for row in rows}


async def set_digest_address(session: AsyncSession, *, principal: Principal, email: str | None) -> str | None:
    if not principal.is_user:
        raise Forbidden("Machine clients receive no digest.")
    row = await session.get(NotificationAddress, principal.id)
    if email is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(NotificationAddress(user_id=principal.id, email=email))
    else:
        row.email, row.updated_at = email, utcnow()
    await session.flush()
    return email
