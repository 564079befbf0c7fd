import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from backend.auth.deps import require
from backend.clients import service
from backend.clients.models import ApiClient
from backend.clients.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.units.models import Unit

router = APIRouter(prefix="/clients", tags=["clients"], responses=problem_responses(401, 403, 422))

ClientReader = Annotated[Principal, Depends(require(Scope.clients_read))]
ClientAdmin = Annotated[Principal, Depends(require(Scope.clients_write))]
ClientPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="client_id", tie_breaker=ApiClient.id))
]


async def client_in_scope(
    client_id: uuid.UUID, session: DbSession, principal: ClientReader
) -> tuple[ApiClient, Unit]:
    return await service.get_in_scope(session, principal=principal, client_id=client_id)


ScopedClient = Annotated[tuple[ApiClient, Unit], Depends(client_in_scope)]


@router.get("", response_model=Page[ClientRead], summary="List machine clients")
async def list_clients(
    session: DbSession,
    principal: ClientReader,
    page: ClientPage,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Client id or name contains")] = None,
) -> Page[ClientRead]:
    filters = service.ClientFilters(is_active=is_active, q=q)
    return await service.list_clients(session, principal=principal, filters=filters, page=page)


@router.post(
    "",
    response_model=ClientWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Add a machine client (the secret is shown once)",
    responses=problem_responses(409),
)
async def create_client(
    session: DbSession, principal: ClientAdmin, client_in: ClientCreate, response: Response
) -> ClientWithSecret:
    created = await service.create_client(session, principal=principal, client_in=client_in)
    response.headers["Location"] = f"/api/v1/clients/{created.id}"
    set_etag(response, created.version)
    return created


@router.get(
    "/{client_id}",
    response_model=ClientRead,
    summary="Read a machine client",
    responses=problem_responses(404),
)
async def read_client(scoped: ScopedClient, response: Response) -> ClientRead:
    client, unit = scoped
    set_etag(response, client.version)
    return service.to_read(client, unit)


@router.patch(
    "/{client_id}",
    response_model=ClientRead,
    summary="Rename, change scopes, enable or disable a machine client",
    responses=problem_responses(404, 412),
)
async def update_client(
    session: DbSession,
    principal: ClientAdmin,
    scoped: ScopedClient,
    client_in: ClientUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ClientRead:
    client = await service.update_client(
        session, principal=principal, client=scoped[0], client_in=client_in, if_match=if_match
    )
    set_etag(response, client.version)
    return service.to_read(client, scoped[1])


@router.post(
    "/{client_id}/rotate-secret",
    response_model=ClientWithSecret,
    summary="Replace the client's secret (shown once)",
    responses=problem_responses(404),
)
async def rotate_secret(
    session: DbSession, principal: ClientAdmin, scoped: ScopedClient, response: Response
) -> ClientWithSecret:
    client, unit = scoped
    secret = await service.rotate_secret(session, principal=principal, client=client)
    set_etag(response, client.version)
    return ClientWithSecret(**service.to_read(client, unit).model_dump(), client_secret=secret)
