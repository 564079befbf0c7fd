import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.units import service
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitCreate, UnitNode, UnitRead, UnitUpdate

router = APIRouter(prefix="/units", tags=["units"], responses=problem_responses(401, 403, 422))

UnitReader = Annotated[Principal, Depends(require(Scope.units_read))]
UnitAdmin = Annotated[Principal, Depends(require(Scope.units_write))]
UnitPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="depth,name", tie_breaker=Unit.id))
]


async def unit_in_scope(unit_id: uuid.UUID, session: DbSession, principal: UnitReader) -> Unit:
    return await service.get_in_scope(session, principal=principal, unit_id=unit_id)


ScopedUnit = Annotated[Unit, Depends(unit_in_scope)]


@router.get(
    "", response_model=Page[UnitRead], summary="List units in scope", responses=problem_responses(404)
)
async def list_units(
    session: DbSession,
    principal: UnitReader,
    page: UnitPage,
    kind: UnitKind | None = None,
    parent_id: Annotated[uuid.UUID | None, Query(description="Direct children of this unit")] = None,
    within: Annotated[uuid.UUID | None, Query(description="Only this unit's subtree")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    is_active: bool | None = None,
) -> Page[UnitRead]:
    filters = service.UnitFilters(kind=kind, parent_id=parent_id, within=within, q=q, is_active=is_active)
    return await service.list_units(session, principal=principal, filters=filters, page=page)


@router.get("/tree", response_model=UnitNode, summary="The caller's subtree as a tree")
async def unit_tree(
    session: DbSession,
    principal: UnitReader,
    include_inactive: bool = True,
) -> UnitNode:
    return await service.tree(session, principal=principal, include_inactive=include_inactive)


@router.post(
    "",
    response_model=UnitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a unit",
    responses=problem_responses(409),
)
async def create_unit(
    session: DbSession, principal: UnitAdmin, unit_in: UnitCreate, response: Response
) -> Unit:
    unit = await service.create_unit(session, principal=principal, unit_in=unit_in)
    response.headers["Location"] = f"/api/v1/units/{unit.id}"
    set_etag(response, unit.version)
    return unit


@router.get("/{unit_id}", response_model=UnitRead, summary="Read a unit", responses=problem_responses(404))
async def read_unit(unit: ScopedUnit, response: Response) -> Unit:
    set_etag(response, unit.version)
    return unit


@router.patch(
    "/{unit_id}",
    response_model=UnitRead,
    summary="Rename, move, recode or (de)activate a unit",
    responses=problem_responses(404, 409, 412),
)
async def update_unit(
    session: DbSession,
    principal: UnitAdmin,
    unit: ScopedUnit,
    unit_in: UnitUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> Unit:
    unit = await service.update_unit(
        session, principal=principal, unit=unit, unit_in=unit_in, if_match=if_match
    )
    set_etag(response, unit.version)
    return unit
