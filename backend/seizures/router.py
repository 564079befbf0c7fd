import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth.deps import require
from backend.db import DbSession, local_today
from backend.errors import problem_responses
from backend.exports import FILE_RESPONSES, ExportFormat, file_response
from backend.idempotency import IdempotencyKeyHeader
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.seizures import report, service
from backend.seizures.models import RoutingStatus, SeizureNotice
from backend.seizures.schemas import DailyReport, SeizureNoticeCreate, SeizureNoticeRead, SeizureNoticeReceipt
from backend.workflows import intake

router = APIRouter(prefix="/seizure-notices", tags=["seizures"], responses=problem_responses(401, 403, 422))

NoticeWriter = Annotated[Principal, Depends(require(Scope.seizures_write))]
NoticeReader = Annotated[Principal, Depends(require(Scope.seizures_read))]
NoticeAcknowledger = Annotated[Principal, Depends(require(Scope.seizures_read, Scope.seizures_acknowledge))]
NoticePage = Annotated[
    PageParams,
    Depends(page_params(service.SORT_FIELDS, default="-received_at", tie_breaker=SeizureNotice.id)),
]


@router.post(
    "",
    response_model=SeizureNoticeReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="Push a seizure notice (idempotent; 200 with the first answer on a replay)",
    responses={
        200: {"description": "A replay: the first answer again", "model": SeizureNoticeReceipt},
        **problem_responses(409),
    },
)
async def push_notice(
    request: Request,
    session: DbSession,
    principal: NoticeWriter,
    notice_in: SeizureNoticeCreate,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SeizureNoticeReceipt:
    outcome = await intake.push_seizure_notice(
        session,
        principal=principal,
        notice_in=notice_in,
        idempotency_key=idempotency_key,
        ack_within_hours=request.app.state.settings.seizure_ack_within_hours,
    )
    response.status_code = outcome.status_code
    response.headers["Location"] = f"/api/v1/seizure-notices/{outcome.notice_id}"
    return SeizureNoticeReceipt.model_validate(outcome.receipt)


@router.get(
    "",
    response_model=Page[SeizureNoticeRead],
    response_model_exclude_unset=True,
    summary="List seizure notices in scope",
)
async def list_notices(
    session: DbSession,
    principal: NoticeReader,
    page: NoticePage,
    routing_status: RoutingStatus | None = None,
    overdue: Annotated[bool | None, Query(description="Not acknowledged and past the deadline")] = None,
    acknowledged: bool | None = None,
    received_on: Annotated[date | None, Query(description="Received on this day (Beijing time)")] = None,
    minor_id: Annotated[uuid.UUID | None, Query(description="The seizure history of one minor")] = None,
    within: Annotated[
        uuid.UUID | None, Query(description="Routed to or reported by this unit's subtree")
    ] = None,
) -> Page[SeizureNoticeRead]:
    filters = service.NoticeFilters(
        routing_status=routing_status,
        overdue=overdue,
        acknowledged=acknowledged,
        received_on=received_on,
        minor_id=minor_id,
        within=within,
    )
    return await service.list_notices(session, principal=principal, filters=filters, page=page)


@router.get(
    "/daily-report",
    response_model=DailyReport,
    response_model_exclude_unset=True,
    summary="当天上报: one day's notices of a unit, as JSON, CSV or XLSX (exports are audited)",
    responses=FILE_RESPONSES,
)
async def read_daily_report(
    session: DbSession,
    principal: NoticeReader,
    day: Annotated[date | None, Query(description="Beijing-time day; today by default")] = None,
    unit_id: Annotated[uuid.UUID | None, Query(description="A unit in scope; your own by default")] = None,
    format: ExportFormat = ExportFormat.json,
) -> DailyReport | Response:
    day = day or local_today()
    unit, notices = await service.daily_report(session, principal=principal, day=day, unit_id=unit_id)
    daily = report.summarise(day=day, unit=unit, notices=notices)
    if format is ExportFormat.json:
        return daily
    await audit.record(
        session,
        action=AuditAction.seizure_report_exported,
        actor=principal,
        unit_id=unit.id,
        object_type="seizure_report",
        object_id=f"{unit.id.hex[:8]}:{day.isoformat()}",
        fields=[format.value],
    )
    return await file_response(f"查获通知日报-{unit.name}-{day.isoformat()}", format, [report.sheet(daily)])


@router.get(
    "/{notice_id}",
    response_model=SeizureNoticeRead,
    response_model_exclude_unset=True,
    summary="Read a seizure notice with its routing and follow-up (recorded in the audit trail)",
    responses=problem_responses(404),
)
async def read_notice(session: DbSession, principal: NoticeReader, notice_id: uuid.UUID) -> SeizureNoticeRead:
    return await service.read_notice(session, principal=principal, notice_id=notice_id)


@router.post(
    "/{notice_id}/acknowledge",
    response_model=SeizureNoticeRead,
    response_model_exclude_unset=True,
    summary="签收: the receiving station acknowledges the notice",
    responses=problem_responses(404, 409),
)
async def acknowledge_notice(
    session: DbSession, principal: NoticeAcknowledger, notice_id: uuid.UUID
) -> SeizureNoticeRead:
    await intake.acknowledge_notice(session, principal=principal, notice_id=notice_id)
    return await service.present_one(session, principal=principal, notice_id=notice_id)
