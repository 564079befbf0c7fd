import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, check_if_match, set_etag
from backend.exports import FILE_RESPONSES, ExportFormat
from backend.minors import exporting as minor_columns
from backend.minors.models import Minor
from backend.minors.schemas import (
    DuplicateCheck,
    MinorCreate,
    MinorLookup,
    MinorMerge,
    MinorPolicy,
    MinorRead,
    MinorUpdate,
    MinorVerify,
    PossibleDuplicates,
    Revealed,
    RevealRequest,
)
from backend.minors.service import disclosures, listing, presenting, provisional, registry
from backend.pagination import Page, PageParams, page_json, page_params
from backend.security.principals import Principal
from backend.security.privacy import View
from backend.security.roles import Scope
from backend.workflows import exporting, intake, merging

router = APIRouter(prefix="/minors", tags=["minors"], responses=problem_responses(401, 403, 422))

MinorReader = Annotated[Principal, Depends(require(Scope.minors_read))]
MinorRegistrar = Annotated[Principal, Depends(require(Scope.minors_register))]
MinorWriter = Annotated[Principal, Depends(require(Scope.minors_write))]
MinorRevealer = Annotated[Principal, Depends(require(Scope.minors_reveal))]
MinorPage = Annotated[
    PageParams, Depends(page_params(listing.SORT_FIELDS, default="-updated_at", tie_breaker=Minor.id))
]


@router.get(
    "",
    response_model=Page[MinorRead],
    response_model_exclude_unset=True,
    summary="List minors in scope (identities masked for everyone); `format=csv|xlsx` exports every minor the "
    "filters select, masked the same way",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def list_minors(
    request: Request,
    session: DbSession,
    principal: MinorReader,
    page: MinorPage,
    filters: Annotated[listing.MinorFilters, Query()],
    format: Annotated[
        ExportFormat,
        Query(description="json (a page), or csv / xlsx: every row the filters select, as a streamed file"),
    ] = ExportFormat.json,
) -> Response:
    if format is ExportFormat.json:
        return page_json(await listing.list_minors(session, principal=principal, filters=filters, page=page))

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[dict[str, Any]]:
        return await listing.list_minors(reading, principal=principal, filters=filters, page=params)

    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name="minors",
        filters=filters.model_dump(),
        export_format=format,
        page=page,
        fetch=fetch,
        columns=minor_columns.MINOR_COLUMNS,
        filename="重点未成年人名单",
        title="重点未成年人",
    )


@router.post(
    "",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Register a minor",
    responses=problem_responses(409, 429),
)
async def register_minor(
    request: Request,
    session: DbSession,
    principal: MinorRegistrar,
    minor_in: MinorCreate,
    response: Response,
) -> MinorRead:
    minor = await intake.register_minor(
        session,
        principal=principal,
        minor_in=minor_in,
        match_elsewhere_limit=request.app.state.settings.match_elsewhere_daily_limit,
    )
    response.headers["Location"] = f"/api/v1/minors/{minor.id}"
    set_etag(response, minor.version)
    return await presenting.present_one(session, principal=principal, minor_id=minor.id, view=View.detail)


@router.post(
    "/duplicate-check",
    response_model=PossibleDuplicates,
    response_model_exclude_unset=True,
    summary="Possible duplicates by name and birth year, before registering (name in the body, never a URL)",
    responses=problem_responses(429),
)
async def check_duplicates(
    request: Request, session: DbSession, principal: MinorRegistrar, check_in: DuplicateCheck
) -> PossibleDuplicates:
    return await provisional.possible_duplicates(
        session,
        principal=principal,
        check_in=check_in,
        match_elsewhere_limit=request.app.state.settings.match_elsewhere_daily_limit,
    )


@router.get("/policy", response_model=MinorPolicy, summary="How the privacy policy treats the caller")
async def read_minor_policy(principal: MinorReader) -> MinorPolicy:
    return presenting.policy_for(principal)


@router.post(
    "/lookup",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    summary="Find a minor in scope by identity document number",
    responses=problem_responses(404),
)
async def lookup_minor(session: DbSession, principal: MinorReader, lookup_in: MinorLookup) -> MinorRead:
    return await registry.lookup(session, principal=principal, lookup_in=lookup_in)


@router.get(
    "/{minor_id}",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    summary="Read a minor (recorded in the audit trail)",
    responses=problem_responses(404),
)
async def read_minor(
    session: DbSession, principal: MinorReader, minor_id: uuid.UUID, response: Response
) -> MinorRead:
    minor = await presenting.read_minor(session, principal=principal, minor_id=minor_id)
    set_etag(response, minor.version)
    return minor


@router.patch(
    "/{minor_id}",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    summary="Change a minor's record",
    responses=problem_responses(404, 409, 412),
)
async def update_minor(
    session: DbSession,
    principal: MinorWriter,
    minor_id: uuid.UUID,
    minor_in: MinorUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> MinorRead:
    minor = await registry.get_in_scope(session, principal=principal, minor_id=minor_id)
    minor = await registry.update(
        session, principal=principal, minor=minor, minor_in=minor_in, if_match=if_match
    )
    set_etag(response, minor.version)
    return await presenting.present_one(session, principal=principal, minor_id=minor.id, view=View.detail)


@router.post(
    "/{minor_id}/reveal",
    response_model=Revealed,
    summary="Reveal full values with a reason (audited, limited per day)",
    responses=problem_responses(404, 429),
)
async def reveal_minor(
    request: Request,
    session: DbSession,
    principal: MinorRevealer,
    minor_id: uuid.UUID,
    reveal_in: RevealRequest,
) -> Revealed:
    values, left = await disclosures.reveal(
        session,
        principal=principal,
        minor_id=minor_id,
        reason=reveal_in.reason,
        fields=reveal_in.fields,
        daily_limit=request.app.state.settings.reveal_daily_limit,
    )
    return Revealed(minor_id=minor_id, values=values, reveals_left_today=left)


@router.post(
    "/{minor_id}/verify",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    summary="Add the ID number to a provisional record (待核实 → verified)",
    description="The number is checked and gives the birth date and gender (422 when they disagree with the "
    "record). The same person registered in your scope: 409 with `existing_id` (merge into it with "
    "`POST /minors/{id}/merge`); managed by another unit: 409 saying so, and nothing more.",
    responses=problem_responses(404, 409, 412, 429),
)
async def verify_minor(
    request: Request,
    session: DbSession,
    principal: MinorWriter,
    minor_id: uuid.UUID,
    verify_in: MinorVerify,
    response: Response,
    if_match: IfMatch = None,
) -> MinorRead:
    minor = await registry.get_in_scope(session, principal=principal, minor_id=minor_id)
    check_if_match(if_match, minor.version)
    minor = await provisional.verify(
        session,
        principal=principal,
        minor=minor,
        verify_in=verify_in,
        match_elsewhere_limit=request.app.state.settings.match_elsewhere_daily_limit,
    )
    set_etag(response, minor.version)
    return await presenting.present_one(session, principal=principal, minor_id=minor.id, view=View.detail)


@router.post(
    "/{minor_id}/merge",
    response_model=MinorRead,
    response_model_exclude_unset=True,
    summary="Merge a provisional record into the record of the same person; answers the survivor",
    responses=problem_responses(404, 409),
)
async def merge_minor(
    session: DbSession, principal: MinorWriter, minor_id: uuid.UUID, merge_in: MinorMerge, response: Response
) -> MinorRead:
    survivor = await merging.merge_minor(
        session, principal=principal, minor_id=minor_id, into_id=merge_in.into_id
    )
    set_etag(response, survivor.version)
    return await presenting.present_one(session, principal=principal, minor_id=survivor.id, view=View.detail)
