import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import HTMLResponse

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import set_etag
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.transfers import service
from backend.transfers.models import Transfer, TransferStatus
from backend.transfers.schemas import DelegationRenewal, TransferCreate, TransferRead, TransferRejection
from backend.units.schemas import UnitSummary
from backend.workflows import handover, presenting

router = APIRouter(prefix="/transfers", tags=["transfers"], responses=problem_responses(401, 403, 422))

TransferReader = Annotated[Principal, Depends(require(Scope.transfers_read))]
TransferWriter = Annotated[Principal, Depends(require(Scope.transfers_write))]
TransferPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="-requested_at", tie_breaker=Transfer.id))
]


@router.get(
    "",
    response_model=Page[TransferRead],
    response_model_exclude_unset=True,
    summary="Transfers to or from my subtree",
)
async def list_transfers(
    session: DbSession,
    principal: TransferReader,
    page: TransferPage,
    box: Annotated[
        Literal["inbox", "outbox"] | None,
        Query(description="inbox: to my subtree; outbox: from it; both when absent"),
    ] = None,
    status: TransferStatus | None = None,
    pending: Annotated[bool | None, Query(description="Still under way (true) or ended (false)")] = None,
    minor_id: uuid.UUID | None = None,
) -> Page[TransferRead]:
    filters = service.TransferFilters(box=box, status=status, pending=pending, minor_id=minor_id)
    return await presenting.transfer_page(session, principal=principal, filters=filters, page=page)


@router.get(
    "/destinations",
    response_model=list[UnitSummary],
    summary="Units of the county that may receive a minor (names only)",
)
async def list_transfer_destinations(session: DbSession, principal: TransferWriter) -> list[UnitSummary]:
    return await service.destinations(session, principal=principal)


@router.post(
    "",
    response_model=TransferRead,
    status_code=status.HTTP_201_CREATED,
    summary="Ask another unit (or a place outside the county) to take a minor over",
    responses=problem_responses(404, 409),
)
async def create_transfer(
    session: DbSession,
    principal: TransferWriter,
    transfer_in: TransferCreate,
    response: Response,
) -> TransferRead:
    transfer = await handover.request_transfer(session, principal=principal, transfer_in=transfer_in)
    response.headers["Location"] = f"/api/v1/transfers/{transfer.id}"
    set_etag(response, transfer.version)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer.id)


@router.get(
    "/{transfer_id}",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="Read a transfer",
    responses=problem_responses(404),
)
async def read_transfer(
    session: DbSession, principal: TransferReader, transfer_id: uuid.UUID
) -> TransferRead:
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/accept",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="The receiving unit accepts: the minor and the open file move to it",
    responses=problem_responses(404, 409),
)
async def accept_transfer(
    session: DbSession,
    principal: TransferWriter,
    transfer_id: uuid.UUID,
) -> TransferRead:
    await handover.accept_transfer(session, principal=principal, transfer_id=transfer_id, note=None)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/reject",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="The receiving unit rejects, with a reason",
    responses=problem_responses(404, 409),
)
async def reject_transfer(
    session: DbSession,
    principal: TransferWriter,
    transfer_id: uuid.UUID,
    decision: TransferRejection,
) -> TransferRead:
    await service.reject(session, principal=principal, transfer_id=transfer_id, note=decision.note)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/cancel",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="The requester cancels",
    responses=problem_responses(404, 409),
)
async def cancel_transfer(
    session: DbSession,
    principal: TransferWriter,
    transfer_id: uuid.UUID,
) -> TransferRead:
    await service.cancel(session, principal=principal, transfer_id=transfer_id, note=None)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/delivered",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="The written notice reached the place outside the county",
    responses=problem_responses(404, 409),
)
async def mark_transfer_delivered(
    session: DbSession, principal: TransferWriter, transfer_id: uuid.UUID
) -> TransferRead:
    await handover.record_delivery(session, principal=principal, transfer_id=transfer_id)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/renew",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="The delegating unit renews a delegation (委托管理) under way to a new last day",
    responses=problem_responses(404, 409),
)
async def renew_delegation(
    session: DbSession, principal: TransferWriter, transfer_id: uuid.UUID, renewal: DelegationRenewal
) -> TransferRead:
    await service.renew_delegation(
        session, principal=principal, transfer_id=transfer_id, ends_on=renewal.ends_on
    )
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/{transfer_id}/end",
    response_model=TransferRead,
    response_model_exclude_unset=True,
    summary="Either unit ends a delegation (委托管理): the open file goes back to the delegating unit",
    responses=problem_responses(404, 409),
)
async def end_delegation(
    session: DbSession, principal: TransferWriter, transfer_id: uuid.UUID
) -> TransferRead:
    await handover.end_delegation(session, principal=principal, transfer_id=transfer_id)
    return await presenting.transfer_read(session, principal=principal, transfer_id=transfer_id)


@router.get(
    "/{transfer_id}/notice",
    response_class=HTMLResponse,
    summary="The printable written notice (HTML); identity masked unless the caller may see it",
    responses={**problem_responses(404), 200: {"content": {"text/html": {}}, "description": "The notice"}},
)
async def transfer_notice(
    session: DbSession, principal: TransferReader, transfer_id: uuid.UUID
) -> HTMLResponse:
    page = await presenting.transfer_notice_page(session, principal=principal, transfer_id=transfer_id)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
