"""Venues (重点场所) with their checks, and pharmacy checks (药店右美沙芬排查): lists, records, exports."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, tagged
from backend.evidence import DOWNLOAD_RESPONSES, Storage, download, upload
from backend.exports import FILE_RESPONSES, ExportFormat
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.venues import exporting as venue_columns
from backend.venues import schemas, service
from backend.venues.models import BuyerAgeBand, PharmacyCheck, Venue, VenueKind, VenueStatus
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

VENUES = exporting.Listing(
    service.list_venues, "venues", venue_columns.VENUE_COLUMNS, "重点场所排查", "重点场所"
)
PHARMACY_CHECKS = exporting.Listing(
    service.list_pharmacy_checks,
    "pharmacy_checks",
    venue_columns.PHARMACY_COLUMNS,
    "右美沙芬处方药品使用情况排查表",
    "药店排查",
)


# --- venues --------------------------------------------------------------------------------------------------


@router.get(
    "",
    response_model=Page[schemas.VenueRead],
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
) -> Page[schemas.VenueRead] | Response:
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
    return await exporting.page_or_file(
        request, session, VENUES, principal=principal, filters=filters, export_format=format, page=page
    )


@router.post("", response_model=schemas.VenueRead, status_code=status.HTTP_201_CREATED, summary="Add a venue")
async def create_venue(
    session: DbSession, principal: VenueWriter, venue_in: schemas.VenueCreate, response: Response
) -> schemas.VenueRead:
    venue = await service.create_venue(session, principal=principal, venue_in=venue_in)
    return tagged(response, await service.get_venue(session, principal=principal, venue_id=venue.id))


@router.get(
    "/{venue_id}",
    response_model=schemas.VenueDetail,
    summary="A venue with its history of checks",
    responses=problem_responses(404),
)
async def read_venue(
    session: DbSession, principal: VenueReader, venue_id: uuid.UUID, response: Response
) -> schemas.VenueDetail:
    return tagged(response, await service.venue_detail(session, principal=principal, venue_id=venue_id))


@router.patch(
    "/{venue_id}",
    response_model=schemas.VenueDetail,
    summary="Change a venue (send If-Match)",
    responses=problem_responses(404, 412),
)
async def update_venue(
    session: DbSession,
    principal: VenueWriter,
    venue_id: uuid.UUID,
    venue_in: schemas.VenueUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.VenueDetail:
    await service.update_venue(
        session, principal=principal, venue_id=venue_id, venue_in=venue_in, if_match=if_match
    )
    return tagged(response, await service.venue_detail(session, principal=principal, venue_id=venue_id))


@router.post(
    "/{venue_id}/checks",
    response_model=schemas.VenueCheckRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a check of the venue (隐患排查)",
    responses=problem_responses(404),
)
async def record_venue_check(
    session: DbSession, principal: VenueWriter, venue_id: uuid.UUID, check_in: schemas.VenueCheckIn
) -> schemas.VenueCheckRead:
    check = await service.record_venue_check(
        session, principal=principal, venue_id=venue_id, check_in=check_in
    )
    detail = await service.venue_detail(session, principal=principal, venue_id=venue_id)
    return next(item for item in detail.checks if item.id == check.id)


@router.post(
    "/{venue_id}/checks/{check_id}/evidence",
    response_model=schemas.VenueCheckEvidenceRead,
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
) -> schemas.VenueCheckEvidenceRead:
    check = await service.get_check(session, principal=principal, venue_id=venue_id, check_id=check_id)
    evidence = await service.add_check_evidence(
        session, principal=principal, check=check, storage=storage, **await upload(request, file)
    )
    return schemas.VenueCheckEvidenceRead.model_validate(evidence)


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
    return await download(storage, evidence, inline=inline)


# --- pharmacy checks -----------------------------------------------------------------------------------------


@pharmacy_router.get(
    "",
    response_model=Page[schemas.PharmacyCheckRead],
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
) -> Page[schemas.PharmacyCheckRead] | Response:
    filters = service.PharmacyFilters(
        unit_id=unit_id,
        checked_from=checked_from,
        checked_to=checked_to,
        prescription_seen=prescription_seen,
        minor_buyer=minor_buyer,
        buyer_age_band=buyer_age_band,
        q=q,
    )
    return await exporting.page_or_file(
        request,
        session,
        PHARMACY_CHECKS,
        principal=principal,
        filters=filters,
        export_format=format,
        page=page,
    )


@pharmacy_router.post(
    "",
    response_model=schemas.PharmacyCheckRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a pharmacy check (右美沙芬处方药品使用情况)",
)
async def record_pharmacy_check(
    session: DbSession, principal: PharmacyWriter, check_in: schemas.PharmacyCheckIn, response: Response
) -> schemas.PharmacyCheckRead:
    check = await service.record_pharmacy_check(session, principal=principal, check_in=check_in)
    return tagged(response, await service.get_pharmacy_check(session, principal=principal, check_id=check.id))


@pharmacy_router.get(
    "/{check_id}",
    response_model=schemas.PharmacyCheckRead,
    summary="A pharmacy check",
    responses=problem_responses(404),
)
async def read_pharmacy_check(
    session: DbSession, principal: PharmacyReader, check_id: uuid.UUID, response: Response
) -> schemas.PharmacyCheckRead:
    return tagged(response, await service.get_pharmacy_check(session, principal=principal, check_id=check_id))


@pharmacy_router.patch(
    "/{check_id}",
    response_model=schemas.PharmacyCheckRead,
    summary="Correct a pharmacy check (send If-Match)",
    responses=problem_responses(404, 412),
)
async def update_pharmacy_check(
    session: DbSession,
    principal: PharmacyWriter,
    check_id: uuid.UUID,
    check_in: schemas.PharmacyCheckUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.PharmacyCheckRead:
    await service.update_pharmacy_check(
        session, principal=principal, check_id=check_id, check_in=check_in, if_match=if_match
    )
    return tagged(response, await service.get_pharmacy_check(session, principal=principal, check_id=check_id))
