"""Venues (重点场所) with their checks, and pharmacy checks (药店右美沙芬排查): lists, records, exports."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.evidence import DOWNLOAD_RESPONSES, Storage, read_upload, stored_file_response
from backend.exports import FILE_RESPONSES, ExportFormat
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.venues import exporting as venue_columns
from backend.venues import service
from backend.venues.models import BuyerAgeBand, PharmacyCheck, Venue, VenueKind, VenueStatus
from backend.venues.schemas import (
    PharmacyCheckIn,
    PharmacyCheckRead,
    PharmacyCheckUpdate,
    VenueCheckEvidenceRead,
    VenueCheckIn,
    VenueCheckRead,
    VenueCreate,
    VenueDetail,
    VenueRead,
    VenueUpdate,
)
from backend.workflows import exporting

router = APIRouter(prefix="/venues", tags=["venues"], responses=problem_responses(401, 403, 422))
pharmacy_router = APIRouter(
    prefix="/pharmacy-checks", tags=["pharmacy-checks"], responses=problem_responses(401, 403, 422)
)

VenueReader = Annotated[Principal, Depends(require(Scope.venues_read))]
VenueWriter = Annotated[Principal, Depends(require(Scope.venues_read, Scope.venues_write))]
PharmacyReader = Annotated[Principal, Depends(require(Scope.pharmacy_checks_read))]
PharmacyWriter = Annotated[
    Principal, Depends(require(Scope.pharmacy_checks_read, Scope.pharmacy_checks_write))
]
VenuePage = Annotated[
    PageParams, Depends(page_params(service.VENUE_SORT_FIELDS, default="name", tie_breaker=Venue.id))
]
PharmacyPage = Annotated[
    PageParams,
    Depends(page_params(service.PHARMACY_SORT_FIELDS, default="-checked_on", tie_breaker=PharmacyCheck.id)),
]
FileFormatQuery = Annotated[
    ExportFormat,
    Query(description="json (a page), or csv / xlsx: every row the filters select, as a streamed file"),
]


# --- venues --------------------------------------------------------------------------------------------------


@router.get(
    "",
    response_model=Page[VenueRead],
    summary="Venues in scope; `format=csv|xlsx` exports every venue the filters select",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def list_venues(
    request: Request,
    session: DbSession,
    principal: VenueReader,
    page: VenuePage,
    unit_id: Annotated[uuid.UUID | None, Query(description="Venues kept in this unit's subtree")] = None,
    kind: VenueKind | None = None,
    venue_status: Annotated[VenueStatus | None, Query(alias="status")] = None,
    near_school: bool | None = None,
    follow_up_due: Annotated[
        bool | None, Query(description="Venues whose follow-up date has come (true) or not (false)")
    ] = None,
    checked_from: Annotated[date | None, Query(description="Last checked on or after")] = None,
    checked_to: Annotated[date | None, Query(description="Last checked on or before")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name or address")] = None,
    format: FileFormatQuery = ExportFormat.json,
) -> Page[VenueRead] | Response:
    filters = service.VenueFilters(
        unit_id=unit_id,
        kind=kind,
        status=venue_status,
        near_school=near_school,
        follow_up_due=follow_up_due,
        checked_from=checked_from,
        checked_to=checked_to,
        q=q,
    )
    if format is ExportFormat.json:
        return await service.list_venues(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[VenueRead]:
        return await service.list_venues(reading, principal=principal, filters=filters, page=params)

    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name="venues",
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=venue_columns.VENUE_COLUMNS,
        filename="重点场所排查",
        title="重点场所",
    )


@router.post("", response_model=VenueRead, status_code=status.HTTP_201_CREATED, summary="Add a venue")
async def create_venue(
    session: DbSession, principal: VenueWriter, venue_in: VenueCreate, response: Response
) -> VenueRead:
    venue = await service.create_venue(session, principal=principal, venue_in=venue_in)
    read = await service.get_venue(session, principal=principal, venue_id=venue.id)
    set_etag(response, read.version)
    return read


@router.get(
    "/{venue_id}",
    response_model=VenueDetail,
    summary="A venue with its history of checks",
    responses=problem_responses(404),
)
async def read_venue(
    session: DbSession, principal: VenueReader, venue_id: uuid.UUID, response: Response
) -> VenueDetail:
    detail = await service.venue_detail(session, principal=principal, venue_id=venue_id)
    set_etag(response, detail.version)
    return detail


@router.patch(
    "/{venue_id}",
    response_model=VenueDetail,
    summary="Change a venue (send If-Match)",
    responses=problem_responses(404, 412),
)
async def update_venue(
    session: DbSession,
    principal: VenueWriter,
    venue_id: uuid.UUID,
    venue_in: VenueUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> VenueDetail:
    await service.update_venue(
        session, principal=principal, venue_id=venue_id, venue_in=venue_in, if_match=if_match
    )
    detail = await service.venue_detail(session, principal=principal, venue_id=venue_id)
    set_etag(response, detail.version)
    return detail


@router.post(
    "/{venue_id}/checks",
    response_model=VenueCheckRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a check of the venue (隐患排查)",
    responses=problem_responses(404),
)
async def record_venue_check(
    session: DbSession, principal: VenueWriter, venue_id: uuid.UUID, check_in: VenueCheckIn
) -> VenueCheckRead:
    check = await service.record_venue_check(
        session, principal=principal, venue_id=venue_id, check_in=check_in
    )
    detail = await service.venue_detail(session, principal=principal, venue_id=venue_id)
    return next(item for item in detail.checks if item.id == check.id)


@router.post(
    "/{venue_id}/checks/{check_id}/evidence",
    response_model=VenueCheckEvidenceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a photo or document to a check (checked by content)",
    responses=problem_responses(404, 413, 415, 503, 507),
)
async def add_check_evidence(
    request: Request,
    session: DbSession,
    principal: VenueWriter,
    venue_id: uuid.UUID,
    check_id: uuid.UUID,
    storage: Storage,
    file: Annotated[UploadFile, File(description="The evidence file")],
) -> VenueCheckEvidenceRead:
    check = await service.get_check(session, principal=principal, venue_id=venue_id, check_id=check_id)
    content, max_bytes = await read_upload(request, file)
    evidence = await service.add_check_evidence(
        session,
        principal=principal,
        check=check,
        filename=file.filename,
        content=content,
        storage=storage,
        max_bytes=max_bytes,
    )
    return VenueCheckEvidenceRead.model_validate(evidence)


@router.get(
    "/{venue_id}/checks/{check_id}/evidence/{evidence_id}",
    summary="Download a check's evidence file",
    response_class=StreamingResponse,
    responses={**DOWNLOAD_RESPONSES, **problem_responses(404)},
)
async def download_check_evidence(
    session: DbSession,
    principal: VenueReader,
    venue_id: uuid.UUID,
    check_id: uuid.UUID,
    evidence_id: uuid.UUID,
    storage: Storage,
    inline: Annotated[bool, Query(description="Show in the browser rather than download")] = False,
) -> StreamingResponse:
    check = await service.get_check(session, principal=principal, venue_id=venue_id, check_id=check_id)
    evidence = await service.get_check_evidence(session, check=check, evidence_id=evidence_id)
    return await stored_file_response(
        storage,
        key=evidence.storage_key,
        media_type=evidence.media_type,
        filename=evidence.filename,
        size=evidence.size,
        inline=inline,
    )


# --- pharmacy checks -----------------------------------------------------------------------------------------


@pharmacy_router.get(
    "",
    response_model=Page[PharmacyCheckRead],
    summary="Pharmacy checks in scope; `format=csv|xlsx` exports every check the filters select",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def list_pharmacy_checks(
    request: Request,
    session: DbSession,
    principal: PharmacyReader,
    page: PharmacyPage,
    unit_id: Annotated[uuid.UUID | None, Query(description="Checks made in this unit's subtree")] = None,
    checked_from: date | None = None,
    checked_to: date | None = None,
    prescription_seen: bool | None = None,
    minor_buyer: Annotated[bool | None, Query(description="Bought by a minor (an age band under 18)")] = None,
    buyer_age_band: BuyerAgeBand | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of the pharmacy's name or licence")
    ] = None,
    format: FileFormatQuery = ExportFormat.json,
) -> Page[PharmacyCheckRead] | Response:
    filters = service.PharmacyFilters(
        unit_id=unit_id,
        checked_from=checked_from,
        checked_to=checked_to,
        prescription_seen=prescription_seen,
        minor_buyer=minor_buyer,
        buyer_age_band=buyer_age_band,
        q=q,
    )
    if format is ExportFormat.json:
        return await service.list_pharmacy_checks(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[PharmacyCheckRead]:
        return await service.list_pharmacy_checks(reading, principal=principal, filters=filters, page=params)

    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name="pharmacy_checks",
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=venue_columns.PHARMACY_COLUMNS,
        filename="右美沙芬处方药品使用情况排查表",
        title="药店排查",
    )


@pharmacy_router.post(
    "",
    response_model=PharmacyCheckRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a pharmacy check (右美沙芬处方药品使用情况)",
)
async def record_pharmacy_check(
    session: DbSession, principal: PharmacyWriter, check_in: PharmacyCheckIn, response: Response
) -> PharmacyCheckRead:
    check = await service.record_pharmacy_check(session, principal=principal, check_in=check_in)
    read = await service.get_pharmacy_check(session, principal=principal, check_id=check.id)
    set_etag(response, read.version)
    return read


@pharmacy_router.get(
    "/{check_id}",
    response_model=PharmacyCheckRead,
    summary="A pharmacy check",
    responses=problem_responses(404),
)
async def read_pharmacy_check(
    session: DbSession, principal: PharmacyReader, check_id: uuid.UUID, response: Response
) -> PharmacyCheckRead:
    read = await service.get_pharmacy_check(session, principal=principal, check_id=check_id)
    set_etag(response, read.version)
    return read


@pharmacy_router.patch(
    "/{check_id}",
    response_model=PharmacyCheckRead,
    summary="Correct a pharmacy check (send If-Match)",
    responses=problem_responses(404, 412),
)
async def update_pharmacy_check(
    session: DbSession,
    principal: PharmacyWriter,
    check_id: uuid.UUID,
    check_in: PharmacyCheckUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PharmacyCheckRead:
    await service.update_pharmacy_check(
        session, principal=principal, check_id=check_id, check_in=check_in, if_match=if_match
    )
    read = await service.get_pharmacy_check(session, principal=principal, check_id=check_id)
    set_etag(response, read.version)
    return read
