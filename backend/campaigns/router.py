import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import require
from backend.campaigns import exporting as report_columns
from backend.campaigns.models import Campaign, CampaignStatus, TaskReport, TaskReportStatus
from backend.campaigns.schemas import (
    CampaignCreate,
    CampaignDetail,
    CampaignRead,
    CampaignUpdate,
    EvidenceRead,
    Progress,
    Recipients,
    ReturnComment,
    TaskList,
    TaskRead,
    TaskReportDetail,
    TaskReportRead,
    TaskReportUpdate,
)
from backend.campaigns.service import campaigns, progress, reports
from backend.db import DbSession
from backend.errors import Forbidden, problem_responses
from backend.etag import IfMatch, set_etag
from backend.evidence import DOWNLOAD_RESPONSES, Storage, read_upload, stored_file_response
from backend.exports import FILE_RESPONSES, ExportFormat, file_response
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.units.models import Unit
from backend.workflows import exporting

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=problem_responses(401, 403, 422))
reports_router = APIRouter(
    prefix="/task-reports", tags=["task-reports"], responses=problem_responses(401, 403, 422)
)

CampaignReader = Annotated[Principal, Depends(require(Scope.campaigns_read))]
CampaignWriter = Annotated[Principal, Depends(require(Scope.campaigns_read, Scope.campaigns_write))]
CampaignPage = Annotated[
    PageParams, Depends(page_params(campaigns.SORT_FIELDS, default="-updated_at", tie_breaker=Campaign.id))
]
ReportPage = Annotated[
    PageParams,
    Depends(
        page_params(reports.REPORT_SORT_FIELDS, default="due_date,unit,position", tie_breaker=TaskReport.id)
    ),
]


async def campaign_in_scope(
    campaign_id: uuid.UUID, session: DbSession, principal: CampaignReader
) -> Campaign:
    return await campaigns.get_campaign(session, principal=principal, campaign_id=campaign_id)


ScopedCampaign = Annotated[Campaign, Depends(campaign_in_scope)]


async def report_in_scope(
    report_id: uuid.UUID, session: DbSession, principal: CampaignReader
) -> reports.LoadedReport:
    return await reports.get_report(session, principal=principal, report_id=report_id)


ScopedReport = Annotated[reports.LoadedReport, Depends(report_in_scope)]


# --- campaigns ---------------------------------------------------------------------------------------------


@router.get("", response_model=Page[CampaignRead], summary="List campaigns in scope")
async def list_campaigns(
    session: DbSession,
    principal: CampaignReader,
    page: CampaignPage,
    status: CampaignStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Title contains")] = None,
    issued_by_me: Annotated[bool | None, Query(description="Only campaigns my unit issued")] = None,
) -> Page[CampaignRead]:
    filters = campaigns.CampaignFilters(status=status, q=q, issued_by_me=issued_by_me)
    return await campaigns.list_campaigns(session, principal=principal, filters=filters, page=page)


@router.post(
    "",
    response_model=CampaignDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft campaign issued by my unit",
)
async def create_campaign(
    session: DbSession, principal: CampaignWriter, campaign_in: CampaignCreate, response: Response
) -> CampaignDetail:
    campaign = await campaigns.create_campaign(session, principal=principal, campaign_in=campaign_in)
    response.headers["Location"] = f"/api/v1/campaigns/{campaign.id}"
    set_etag(response, campaign.version)
    return await campaigns.detail(session, principal=principal, campaign=campaign)


@router.get(
    "/{campaign_id}",
    response_model=CampaignDetail,
    summary="Read a campaign",
    responses=problem_responses(404),
)
async def read_campaign(
    session: DbSession, principal: CampaignReader, campaign: ScopedCampaign, response: Response
) -> CampaignDetail:
    set_etag(response, campaign.version)
    return await campaigns.detail(session, principal=principal, campaign=campaign)


@router.patch(
    "/{campaign_id}",
    response_model=CampaignDetail,
    summary="Change a draft (a published campaign: its report deadline only)",
    responses=problem_responses(404, 409, 412),
)
async def update_campaign(
    session: DbSession,
    principal: CampaignWriter,
    campaign: ScopedCampaign,
    campaign_in: CampaignUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CampaignDetail:
    campaign = await campaigns.update_campaign(
        session, principal=principal, campaign=campaign, campaign_in=campaign_in, if_match=if_match
    )
    set_etag(response, campaign.version)
    return await campaigns.detail(session, principal=principal, campaign=campaign)


@router.get(
    "/{campaign_id}/tasks",
    response_model=list[TaskRead],
    summary="The task checklist",
    responses=problem_responses(404),
)
async def list_tasks(session: DbSession, campaign: ScopedCampaign, response: Response) -> list[TaskRead]:
    set_etag(response, campaign.version)
    return [
        TaskRead.model_validate(task) for task in await campaigns.tasks_of(session, campaign_id=campaign.id)
    ]


@router.put(
    "/{campaign_id}/tasks",
    response_model=list[TaskRead],
    summary="Replace the task checklist of a draft",
    responses=problem_responses(404, 409, 412),
)
async def replace_tasks(
    session: DbSession,
    principal: CampaignWriter,
    campaign: ScopedCampaign,
    task_list: TaskList,
    response: Response,
    if_match: IfMatch = None,
) -> list[TaskRead]:
    tasks = await campaigns.replace_tasks(
        session, principal=principal, campaign=campaign, tasks=task_list.tasks, if_match=if_match
    )
    set_etag(response, campaign.version)
    return [TaskRead.model_validate(task) for task in tasks]


@router.get(
    "/{campaign_id}/recipients",
    response_model=Recipients,
    summary="The units the campaign goes to: a preview while a draft, the fixed list once published",
    responses=problem_responses(404),
)
async def read_recipients(session: DbSession, campaign: ScopedCampaign) -> Recipients:
    return await campaigns.recipients(session, campaign=campaign)


@router.post(
    "/{campaign_id}/publish",
    response_model=CampaignDetail,
    summary="Publish: fix the recipients and open one report per unit and task",
    responses=problem_responses(404, 409, 412),
)
async def publish_campaign(
    session: DbSession,
    principal: CampaignWriter,
    campaign: ScopedCampaign,
    response: Response,
    if_match: IfMatch = None,
) -> CampaignDetail:
    campaign = await campaigns.publish(session, principal=principal, campaign=campaign, if_match=if_match)
    set_etag(response, campaign.version)
    return await campaigns.detail(session, principal=principal, campaign=campaign)


@router.post(
    "/{campaign_id}/close",
    response_model=CampaignDetail,
    summary="Close: no more reports are taken",
    responses=problem_responses(404, 409, 412),
)
async def close_campaign(
    session: DbSession,
    principal: CampaignWriter,
    campaign: ScopedCampaign,
    response: Response,
    if_match: IfMatch = None,
) -> CampaignDetail:
    campaign = await campaigns.close(session, principal=principal, campaign=campaign, if_match=if_match)
    set_etag(response, campaign.version)
    return await campaigns.detail(session, principal=principal, campaign=campaign)


@router.post(
    "/{campaign_id}/copy",
    response_model=CampaignDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Copy as a new draft (next year's plan)",
    responses=problem_responses(404),
)
async def copy_campaign(
    session: DbSession, principal: CampaignWriter, campaign: ScopedCampaign, response: Response
) -> CampaignDetail:
    duplicate = await campaigns.copy(session, principal=principal, campaign=campaign)
    response.headers["Location"] = f"/api/v1/campaigns/{duplicate.id}"
    set_etag(response, duplicate.version)
    return await campaigns.detail(session, principal=principal, campaign=duplicate)


@router.get(
    "/{campaign_id}/progress",
    response_model=Progress,
    summary="Units × tasks: the progress table (各单位工作进展情况统计表)",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def read_progress(
    session: DbSession,
    principal: CampaignReader,
    campaign: ScopedCampaign,
    format: Annotated[
        ExportFormat, Query(description="json, or xlsx for the statistics table")
    ] = ExportFormat.json,
) -> Progress | Response:
    issuer = await session.get(Unit, campaign.issuing_unit_id)
    if issuer is None or not campaigns.within_issuer(principal, issuer):
        raise Forbidden("The progress table is the issuer's.")
    table = await progress.progress(session, campaign=campaign)
    if format is ExportFormat.json:
        return table
    await progress.record_export(session, principal=principal, campaign=campaign)
    return await file_response(
        f"{campaign.title}-进展统计表", format, [progress.progress_sheet(table, campaign)]
    )


# --- task reports ------------------------------------------------------------------------------------------


@reports_router.get(
    "",
    response_model=Page[TaskReportRead],
    summary="Task reports in scope: the worklist; `format=csv|xlsx` exports every report the filters select "
    "(a campaign's reports with `campaign_id`)",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def list_reports(
    request: Request,
    session: DbSession,
    principal: CampaignReader,
    page: ReportPage,
    campaign_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    status: TaskReportStatus | None = None,
    due: Annotated[
        Literal["soon", "late"] | None,
        Query(description="Reminders: open reports due within 3 days (`soon`) or past due (`late`)"),
    ] = None,
    mine: Annotated[bool | None, Query(description="Only my own unit's reports")] = None,
    to_review: Annotated[
        bool | None, Query(description="Submitted reports on campaigns my unit issued")
    ] = None,
    format: Annotated[
        ExportFormat,
        Query(
            description="json (a page), or csv / xlsx: every report the filters select, as a streamed file"
        ),
    ] = ExportFormat.json,
) -> Page[TaskReportRead] | Response:
    filters = reports.ReportFilters(
        campaign_id=campaign_id,
        task_id=task_id,
        unit_id=unit_id,
        status=status,
        due=due,
        mine=mine,
        to_review=to_review,
    )
    if format is ExportFormat.json:
        return await reports.list_reports(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[TaskReportRead]:
        return await reports.list_reports(reading, principal=principal, filters=filters, page=params)

    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name="task_reports",
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=report_columns.TASK_REPORT_COLUMNS,
        filename="任务报送情况",
        title="任务报送情况",
    )


@reports_router.get(
    "/{report_id}",
    response_model=TaskReportDetail,
    summary="Read a task report with its evidence and history",
    responses=problem_responses(404),
)
async def read_report(
    session: DbSession, principal: CampaignReader, loaded: ScopedReport, response: Response
) -> TaskReportDetail:
    set_etag(response, loaded.report.version)
    return await reports.report_detail(session, principal=principal, loaded=loaded)


ReportWriter = Annotated[Principal, Depends(require(Scope.campaigns_read, Scope.task_reports_write))]


@reports_router.patch(
    "/{report_id}",
    response_model=TaskReportDetail,
    summary="Report the value and a note (the target unit)",
    responses=problem_responses(404, 409, 412),
)
async def update_report(
    session: DbSession,
    principal: ReportWriter,
    loaded: ScopedReport,
    report_in: TaskReportUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> TaskReportDetail:
    await reports.save_report(
        session, principal=principal, loaded=loaded, report_in=report_in, if_match=if_match
    )
    set_etag(response, loaded.report.version)
    return await reports.report_detail(session, principal=principal, loaded=loaded)


@reports_router.post(
    "/{report_id}/submit",
    response_model=TaskReportDetail,
    summary="Submit for review (again, after a return)",
    responses=problem_responses(404, 409, 412),
)
async def submit_report(
    session: DbSession,
    principal: ReportWriter,
    loaded: ScopedReport,
    response: Response,
    if_match: IfMatch = None,
) -> TaskReportDetail:
    await reports.submit_report(session, principal=principal, loaded=loaded, if_match=if_match)
    set_etag(response, loaded.report.version)
    return await reports.report_detail(session, principal=principal, loaded=loaded)


@reports_router.post(
    "/{report_id}/approve",
    response_model=TaskReportDetail,
    summary="Approve a submitted report (the issuer)",
    responses=problem_responses(404, 409, 412),
)
async def approve_report(
    session: DbSession,
    principal: CampaignWriter,
    loaded: ScopedReport,
    response: Response,
    if_match: IfMatch = None,
) -> TaskReportDetail:
    await reports.review_report(
        session, principal=principal, loaded=loaded, approve=True, comment=None, if_match=if_match
    )
    set_etag(response, loaded.report.version)
    return await reports.report_detail(session, principal=principal, loaded=loaded)


@reports_router.post(
    "/{report_id}/return",
    response_model=TaskReportDetail,
    summary="Return a submitted report with a comment (the issuer)",
    responses=problem_responses(404, 409, 412),
)
async def return_report(
    session: DbSession,
    principal: CampaignWriter,
    loaded: ScopedReport,
    review: ReturnComment,
    response: Response,
    if_match: IfMatch = None,
) -> TaskReportDetail:
    await reports.review_report(
        session, principal=principal, loaded=loaded, approve=False, comment=review.comment, if_match=if_match
    )
    set_etag(response, loaded.report.version)
    return await reports.report_detail(session, principal=principal, loaded=loaded)


@reports_router.post(
    "/{report_id}/evidence",
    response_model=EvidenceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach an evidence file (image, PDF or Office document; checked by content)",
    responses=problem_responses(404, 409, 413, 415, 503, 507),
)
async def add_evidence(
    request: Request,
    session: DbSession,
    principal: ReportWriter,
    loaded: ScopedReport,
    storage: Storage,
    file: Annotated[UploadFile, File(description="The evidence file")],
) -> EvidenceRead:
    content, max_bytes = await read_upload(request, file)
    evidence = await reports.add_evidence(
        session,
        principal=principal,
        loaded=loaded,
        filename=file.filename,
        content=content,
        storage=storage,
        max_bytes=max_bytes,
    )
    return EvidenceRead.model_validate(evidence)


@reports_router.get(
    "/{report_id}/evidence/{evidence_id}",
    summary="Download an evidence file",
    response_class=StreamingResponse,
    responses={**DOWNLOAD_RESPONSES, **problem_responses(404)},
)
async def download_evidence(
    session: DbSession,
    loaded: ScopedReport,
    storage: Storage,
    evidence_id: uuid.UUID,
    inline: Annotated[bool, Query(description="Show in the browser rather than download")] = False,
) -> StreamingResponse:
    evidence = await reports.get_evidence(session, loaded=loaded, evidence_id=evidence_id)
    return await stored_file_response(
        storage,
        key=evidence.storage_key,
        media_type=evidence.media_type,
        filename=evidence.filename,
        size=evidence.size,
        inline=inline,
    )


@reports_router.delete(
    "/{report_id}/evidence/{evidence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an evidence file (its name and hash stay in the audit trail)",
    responses=problem_responses(404, 409),
)
async def remove_evidence(
    session: DbSession,
    principal: ReportWriter,
    loaded: ScopedReport,
    storage: Storage,
    evidence_id: uuid.UUID,
) -> Response:
    evidence = await reports.get_evidence(session, loaded=loaded, evidence_id=evidence_id)
    key = await reports.remove_evidence(session, principal=principal, loaded=loaded, evidence=evidence)
    # The row goes with this request's transaction; commit it before the bytes go.
    await session.commit()
    await storage.delete(key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
