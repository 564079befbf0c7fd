"""Revoke tokens and throttle logins in the database, where every API process sees the same state.

- ``revoked_tokens``: access tokens revoked before they expire (RFC 7009), by ``jti``, pruned once expired.
- ``api_clients.token_generation``: carried in each client token; rotating the secret or disabling the client
  moves it on, which ends every token issued before.
- ``login_throttles``: failed logins per account (keyed hash of the username, known or not) and per address,
  with the time until which attempts wait; ``login_known_addresses``: where each account logged in lately.
- ``users.failed_login_count`` and ``users.locked_until`` go: the counters above replace them.

Revision ID: e5871a08290f
Revises: 9d3a51c7e2f4
Create Date: 2026-12-01 05:49:48.118885+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5871a08290f"
down_revision: str | None = "9d3a51c7e2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_tokens_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_throttles_user_id_users")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_last_failure_at"), ["last_failure_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_login_throttles_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_known_addresses",
        sa.Column("account_key", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_key", "address", name=op.f("pk_login_known_addresses")),
    )
    with op.batch_alter_table("login_known_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_known_addresses_last_success_at"), ["last_success_at"], unique=False
        )

    # Columns are added and dropped with SQLite's own ALTER TABLE (3.35 and later), not batch mode: batch mode
    # would recreate `users` and `api_clients`, and dropping the old table trips the foreign keys of the rows
    # that point at it. Existing clients start at generation 0, which tokens issued before are read as carrying.
    op.add_column(
        "api_clients",
        sa.Column("token_generation", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.drop_column("users", "failed_login_count")
    op.drop_column("users", "locked_until")


def downgrade() -> None:
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "users", sa.Column("failed_login_count", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    if op.get_context().dialect.name == "postgresql":  # SQLite cannot drop a default without recreating
        op.alter_column("users", "failed_login_count", server_default=None)
    op.drop_column("api_clients", "token_generation")

    with op.batch_alter_table("login_known_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_known_addresses_last_success_at"))
    op.drop_table("login_known_addresses")

    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_user_id"))
        batch_op.drop_index(batch_op.f("ix_login_throttles_last_failure_at"))
    op.drop_table("login_throttles")

    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_tokens_expires_at"))
    op.drop_table("revoked_tokens")
