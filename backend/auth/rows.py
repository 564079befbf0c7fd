"""Row-level helpers for the auth tables that many requests write at once: an INSERT that tolerates (or merges
with) a row another request added meanwhile, and pruning rows that have served their time."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

# Enough to keep up with any rate the rows are added at, small enough to stay a short statement.
PRUNE_BATCH = 200


def upsert(session: AsyncSession, model: type[Any]) -> Any:
    """An INSERT for ``model`` with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (both databases
    spell them alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def prune(session: AsyncSession, key_columns: Sequence[Any], condition: sa.ColumnElement[bool]) -> None:
    """Delete up to ``PRUNE_BATCH`` rows meeting ``condition``, named by their primary key ``key_columns``. On
    PostgreSQL rows another request holds are skipped (``SKIP LOCKED``): two requests pruning at once neither wait
    for nor deadlock with each other. SQLite has one writer at a time and no row locks, and SQLAlchemy leaves the
    clause out there."""
    doomed = sa.select(*key_columns).where(condition).limit(PRUNE_BATCH).with_for_update(skip_locked=True)
    await session.execute(
        sa.delete(key_columns[0].table)
        .where(sa.tuple_(*key_columns).in_(doomed))
        .execution_options(synchronize_session=False)
    )
