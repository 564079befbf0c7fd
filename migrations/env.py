"""Alembic environment: async engines (aiosqlite, asyncpg), the models' metadata, batch mode on SQLite."""

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from backend.db import UTCDateTime, make_engine
from backend.models import metadata
from backend.settings import (
    InvalidSettings,
    MissingSecretError,
    UnusableDatabaseUrl,
    async_database_url,
    get_settings,
)

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    """The app's URL (``qinghu migrate``, tests) or QINGHU_DATABASE_URL (the ``alembic`` command), written
    either way operators write it; an unusable one ends the command with one line."""
    try:
        return async_database_url(config.attributes.get("database_url") or get_settings().database_url)
    except UnusableDatabaseUrl as exc:
        raise SystemExit(f"Settings: QINGHU_DATABASE_URL: {exc}") from None
    except (InvalidSettings, MissingSecretError) as exc:
        raise SystemExit(f"Settings: {exc}") from None


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our UTC timestamp type as the plain column type it stores, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(_run_async())
