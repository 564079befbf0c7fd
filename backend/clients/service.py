"""Machine clients: created and rotated by an administrator; the secret is shown once and stored hashed."""

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.clients.models import ApiClient
from backend.clients.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from backend.db import utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.messages import Text
from backend.pagination import Page, PageParams, paginate
from backend.security.passwords import generate_client_secret, hash_secret
from backend.security.principals import Principal, within_scope
from backend.security.roles import Scope
from backend.units.models import Unit
from backend.units.schemas import UnitSummary

SORT_FIELDS = {"client_id": ApiClient.client_id, "name": ApiClient.name, "created_at": ApiClient.created_at}


@dataclass(frozen=True)
class ClientFilters:
    is_active: bool | None = None
    q: str | None = None


def to_read(client: ApiClient, unit: Unit) -> ClientRead:
    return ClientRead(
        id=client.id,
        client_id=client.client_id,
        name=client.name,
        unit=UnitSummary.model_validate(unit),
        scopes=[Scope(code) for code in client.scopes.split()],
        is_active=client.is_active,
        secret_rotated_at=client.secret_rotated_at,
        last_used_at=client.last_used_at,
        version=client.version,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )


def _scoped_clients() -> sa.Select[ApiClient, Unit]:
    return sa.select(ApiClient, Unit).join(Unit, Unit.id == ApiClient.unit_id)


async def get_in_scope(
    session: AsyncSession, *, principal: Principal, client_id: uuid.UUID
) -> tuple[ApiClient, Unit]:
    row = (
        await session.execute(
            _scoped_clients().where(ApiClient.id == client_id, within_scope(principal, Unit.path))
        )
    ).first()
    if row is None:
        raise NotFound("No such client.")
    return row[0], row[1]


async def list_clients(
    session: AsyncSession, *, principal: Principal, filters: ClientFilters, page: PageParams
) -> Page[ClientRead]:
    statement = _scoped_clients().where(within_scope(principal, Unit.path))
    if filters.is_active is not None:
        statement = statement.where(ApiClient.is_active == filters.is_active)
    if filters.q:
        statement = statement.where(
            sa.or_(
                ApiClient.client_id.contains(filters.q.lower(), autoescape=True),
                ApiClient.name.contains(filters.q, autoescape=True),
            )
        )
    return await paginate(session, statement, page, lambda row: to_read(row[0], row[1]))


async def create_client(
    session: AsyncSession, *, principal: Principal | None, client_in: ClientCreate, secret: str | None = None
) -> ClientWithSecret:
    """``principal`` is None only for the command line; ``secret`` is given only for the demo county."""
    unit = (
        await session.get(Unit, client_in.unit_id)
        if principal is None
        else await session.scalar(
            sa.select(Unit).where(Unit.id == client_in.unit_id, within_scope(principal, Unit.path))
        )
    )
    if unit is None:
        raise ValidationFailed.field(["body", "unit_id"], "no such unit", "unit.not_found")
    if not unit.is_active:
        raise ValidationFailed.field(["body", "unit_id"], "the unit is deactivated", "unit.inactive")
    if await session.scalar(sa.select(ApiClient.id).where(ApiClient.client_id == client_in.client_id)):
        raise Conflict(Text("The client id {client_id!r} is taken.", client_id=client_in.client_id))
    secret = secret or generate_client_secret()
    client = ApiClient(
        client_id=client_in.client_id,
        name=client_in.name,
        unit_id=unit.id,
        scopes=" ".join(scope.value for scope in client_in.scopes),
        secret_hash=hash_secret(secret),
        secret_rotated_at=utcnow(),
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.client_created,
        actor=principal,
        unit_id=unit.id,
        object_type="client",
        object_id=client.id,
    )
    return ClientWithSecret(**to_read(client, unit).model_dump(), client_secret=secret)


async def update_client(
    session: AsyncSession,
    *,
    principal: Principal,
    client: ApiClient,
    client_in: ClientUpdate,
    if_match: str | None,
) -> ApiClient:
    check_if_match(if_match, client.version)
    changes = client_in.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        client.name = changes["name"]
    if client_in.scopes is not None:
        client.scopes = " ".join(scope.value for scope in client_in.scopes)
    if changes.get("is_active") is not None and changes["is_active"] != client.is_active:
        client.is_active = changes["is_active"]
        if not client.is_active:
            # Its running tokens end now, and stay ended if the client is enabled again.
            client.token_generation += 1
    if session.is_modified(client):
        client.version += 1
        client.updated_at = utcnow()
        await audit.record(
            session,
            action=AuditAction.client_updated,
            actor=principal,
            unit_id=client.unit_id,
            object_type="client",
            object_id=client.id,
            fields=list(changes),
        )
    await session.flush()
    return client


async def rotate_secret(session: AsyncSession, *, principal: Principal, client: ApiClient) -> str:
    """A new secret replaces the old at once, and every token issued before stops working at its next request,
    in every API process (the token check compares the generation it carries)."""
    secret = generate_client_secret()
    client.secret_hash = hash_secret(secret)
    client.secret_rotated_at = utcnow()
    client.token_generation += 1
    client.version += 1
    client.updated_at = utcnow()
    await audit.record(
        session,
        action=AuditAction.client_secret_rotated,
        actor=principal,
        unit_id=client.unit_id,
        object_type="client",
        object_id=client.id,
    )
    await session.flush()
    return secret
