"""The demo seeds act as the county's own accounts (a caseworker records a talk, the police system pushes a
notice), through the same services the API uses: here is the principal of each, looked up by name."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients.models import ApiClient
from backend.security.principals import Principal
from backend.security.roles import Scope
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
    return Principal.of_user(user, unit_path=unit.path, unit_kind=unit.kind)


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
    scopes = frozenset(Scope(code) for code in client.scopes.split())
    return Principal.of_client(client, unit_path=unit.path, unit_kind=unit.kind, scopes=scopes)
