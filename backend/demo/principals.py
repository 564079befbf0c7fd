"""The demo seeds act as the county's own accounts (a caseworker records a talk, the police system pushes a
notice), through the same services the API uses: here is the principal of each, looked up by name."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients.models import ApiClient
from backend.security.principals import Principal
from backend.security.roles import ROLE_SCOPES, Role, Scope
from backend.units.models import Unit
from backend.users.models import User


async def user_principal(session: AsyncSession, username: str) -> Principal | None:
    row = (
        await session.execute(
            sa.select(User, Unit).join(Unit, Unit.id == User.unit_id).where(User.username == username)
        )
    ).first()
    if row is None:
        return None
    user, unit = row
    role = Role(user.role)
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        display_name=user.display_name,
        role=role,
        unit_id=unit.id,
        unit_path=unit.path,
        unit_kind=unit.kind,
        scopes=ROLE_SCOPES[role],
    )


async def client_principal(session: AsyncSession, client_id: str) -> Principal | None:
    row = (
        await session.execute(
            sa.select(ApiClient, Unit)
            .join(Unit, Unit.id == ApiClient.unit_id)
            .where(ApiClient.client_id == client_id)
        )
    ).first()
    if row is None:
        return None
    client, unit = row
    return Principal(
        kind="client",
        id=client.id,
        name=client.client_id,
        display_name=client.name,
        role=None,
        unit_id=unit.id,
        unit_path=unit.path,
        unit_kind=unit.kind,
        scopes=frozenset(Scope(code) for code in client.scopes.split()),
    )
