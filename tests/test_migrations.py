"""Migrations build exactly the schema the models describe, and go down and up again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.migrate import alembic_config
from backend.models import metadata


async def test_models_and_migrations_agree(app):
    async with app.state.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True, "compare_server_default": True}),
                metadata,
            )
        )
    assert differences == [], (
        "models and migrations differ: add a migration (alembic revision --autogenerate)"
    )


async def test_downgrade_to_base_and_back_to_head(app):
    import asyncio

    config = alembic_config(app.state.settings)
    await app.state.engine.dispose()
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
    async with app.state.engine.connect() as connection:
        heads = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    assert len(heads) == 1
