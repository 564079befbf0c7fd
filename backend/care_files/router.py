import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import require, require_any
from backend.care_files import exporting as care_columns
from backend.care_files.models import CareEntry, CareFile, CareFileStatus, DueState
from backend.care_files.schemas import (
    CareFileCreate,
    CareFileRead,
    CareFileUpdate,
    CareSettingsRead,
    CareSettingsUpdate,
    ClosureDecision,
    ClosureRequest,
    EntryCreate,
    EntryRead,
    OnDutyUpdate,
    PersonRef,
    SchoolFileCreate,
    TeamCandidate,
)
from backend.care_files.service import closure, files, intervals, people, reading, records, timeline
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.exports import FILE_RESPONSES, ExportFormat
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.workflows import exporting, followup, handover, intake, presenting

router = APIRouter(prefix="/care-files", tags=["care-files"], responses=problem_responses(401, 403, 422))
settings_router = APIRouter(
    prefix="/care-settings", tags=["care-files"], responses=problem_responses(401, 403, 422)
)

# Police and teachers named on a file's team reach it through their own scope (``records.file_scope``).
CareReader = Annotated[Principal, Depends(require_any(Scope.care_files_read, Scope.care_files_team))]
CareSettingsReader = Annotated[Principal, Depends(require(Scope.care_files_read))]
CareRecorder = Annotated[Principal, Depends(require_any(Scope.care_files_write, Scope.care_files_team))]
CareWriter = Annotated[Principal, Depends(require(Scope.care_files_write))]
SchoolFileKeeper = Annotated[Principal, Depends(require(Scope.school_files_write))]
CareApprover = Annotated[Principal, Depends(require(Scope.care_files_approve))]
CarePage = Annotated[
    PageParams, Depends(page_params(reading.SORT_FIELDS, default="next_due_on", tie_breaker=CareFile.id))
]
EntryPage = Annotated[
    PageParams,
    Depends(
        page_params(timeline.ENTRY_SORT_FIELDS, default="-occurred_at,-recorded_at", tie_breaker=CareEntry.id)
    ),
]


@router.get(
    "",
    response_model=Page[CareFileRead],
    response_model_exclude_unset=True,
    summary="List care files in scope; worklists by `due`; `format=csv|xlsx` exports every file the filters "
    "select, masked as the list is",
    responses={**FILE_RESPONSES, **problem_responses(404)},
)
async def list_care_files(
    request: Request,
    session: DbSession,
    principal: CareReader,
    page: CarePage,
    status: CareFileStatus | None = None,
    due: Annotated[
        DueState | None,
        Query(
            description="Worklist: due_soon, overdue or lost_contact (a worker: files they are responsible for)"
        ),
    ] = None,
    mine: Annotated[
        bool | None,
        Query(
            description="true: only files naming me among the responsible people; false: every file in scope "
            "(also with `due`); absent: as the role's worklists work"
        ),
    ] = None,
    unassigned: Annotated[
        bool, Query(description="Open files without a lead worker: a lead's list of files to assign")
    ] = False,
    aged_out: Annotated[bool, Query(description="Open files of minors who have turned 18")] = False,
    alert: Annotated[bool, Query(description="Open files with an alert (a positive urine test)")] = False,
    minor_id: uuid.UUID | None = None,
    within: Annotated[uuid.UUID | None, Query(description="Managed in this unit's subtree")] = None,
    kept_by_school: Annotated[
        bool | None,
        Query(
            description="true: school-kept files (学校一人一档) only; false: the station's files only; absent: "
            "both, except in a station's worklists (`due`, `unassigned`), which are the station's own files"
        ),
    ] = None,
    format: Annotated[
        ExportFormat,
        Query(description="json (a page), or csv / xlsx: every file the filters select, as a streamed file"),
    ] = ExportFormat.json,
) -> Page[CareFileRead] | Response:
    filters = reading.CareFileFilters(
        status=status,
        due=due,
        mine=mine,
        unassigned=unassigned,
        aged_out=aged_out,
        alert=alert,
        minor_id=minor_id,
        within=within,
        kept_by_school=kept_by_school,
    )
    if format is ExportFormat.json:
        return await presenting.care_file_page(session, principal=principal, filters=filters, page=page)

    async def fetch(export_session: AsyncSession, params: PageParams) -> Page[CareFileRead]:
        return await presenting.care_file_page(
            export_session, principal=principal, filters=filters, page=params
        )

    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name="care_files",
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=care_columns.CARE_FILE_COLUMNS,
        filename=f"帮教档案-{due.zh}" if due else "帮教档案",
        title=due.zh if due else "帮教档案",
    )


@router.post(
    "",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Open a care file (or reopen the minor's last one)",
    responses=problem_responses(404, 409),
)
async def create_care_file(
    session: DbSession, principal: CareWriter, file_in: CareFileCreate, response: Response
) -> CareFileRead:
    care_file = await intake.open_care_file(session, principal=principal, file_in=file_in)
    response.headers["Location"] = f"/api/v1/care-files/{care_file.id}"
    set_etag(response, care_file.version)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file.id)


@router.post(
    "/school",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="A school opens its own file (学校一人一档) for a pupil recorded as dropped out, out of school or 双差生",
    responses=problem_responses(404, 409),
)
async def create_school_file(
    session: DbSession, principal: SchoolFileKeeper, file_in: SchoolFileCreate, response: Response
) -> CareFileRead:
    care_file = await intake.open_school_file(session, principal=principal, file_in=file_in)
    response.headers["Location"] = f"/api/v1/care-files/{care_file.id}"
    set_etag(response, care_file.version)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file.id)


@router.get(
    "/{care_file_id}",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="Read a care file (recorded in the audit trail)",
    responses=problem_responses(404),
)
async def read_care_file(
    session: DbSession, principal: CareReader, care_file_id: uuid.UUID, response: Response
) -> CareFileRead:
    care_file = await presenting.care_file_read(session, principal=principal, care_file_id=care_file_id)
    set_etag(response, care_file.version)
    return care_file


@router.patch(
    "/{care_file_id}",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="Change the plan or the responsible people",
    responses=problem_responses(404, 409, 412),
)
async def update_care_file(
    session: DbSession,
    principal: CareWriter,
    care_file_id: uuid.UUID,
    file_in: CareFileUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CareFileRead:
    care_file = await intake.update_care_file(
        session, principal=principal, care_file_id=care_file_id, file_in=file_in, if_match=if_match
    )
    set_etag(response, care_file.version)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file.id)


@router.get(
    "/{care_file_id}/entries",
    response_model=Page[EntryRead],
    response_model_exclude_unset=True,
    summary="The timeline, a page at a time, newest first",
    responses=problem_responses(404),
)
async def list_care_entries(
    session: DbSession, principal: CareReader, care_file_id: uuid.UUID, page: EntryPage
) -> Page[EntryRead]:
    care_file = await records.get_in_scope(session, principal=principal, care_file_id=care_file_id)
    return await timeline.list_entries(session, principal=principal, care_file=care_file, page=page)


@router.post(
    "/{care_file_id}/entries",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Record a timeline entry (or a correction); answers the file with its new due dates",
    responses=problem_responses(404, 409),
)
async def add_care_entry(
    session: DbSession,
    principal: CareRecorder,
    care_file_id: uuid.UUID,
    entry_in: EntryCreate,
    response: Response,
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    entry = await followup.record_care_entry(
        session, principal=principal, care_file=care_file, entry_in=entry_in
    )
    response.headers["Location"] = f"/api/v1/care-files/{care_file_id}/entries#{entry.id}"
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@router.post(
    "/{care_file_id}/assignment/confirm",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="A lead confirms the responsible people a social worker named",
    responses=problem_responses(404, 409),
)
async def confirm_care_assignment(
    session: DbSession, principal: CareApprover, care_file_id: uuid.UUID
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    await files.confirm_assignment(session, principal=principal, care_file=care_file)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@router.post(
    "/{care_file_id}/alert/acknowledge",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="A lead acknowledges an alert",
    responses=problem_responses(404, 409),
)
async def acknowledge_care_alert(
    session: DbSession, principal: CareApprover, care_file_id: uuid.UUID
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    await closure.acknowledge_alert(session, principal=principal, care_file=care_file)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@router.post(
    "/{care_file_id}/closure",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="Ask to close the file, with a reason",
    responses=problem_responses(404, 409),
)
async def request_care_closure(
    session: DbSession,
    principal: CareWriter,
    care_file_id: uuid.UUID,
    closure_in: ClosureRequest,
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    await closure.request_closure(session, principal=principal, care_file=care_file, closure_in=closure_in)
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@router.post(
    "/{care_file_id}/closure/approve",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="A lead approves the closure",
    responses=problem_responses(404, 409),
)
async def approve_care_closure(
    session: DbSession,
    principal: CareApprover,
    care_file_id: uuid.UUID,
    decision: ClosureDecision,
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    await handover.decide_closure(
        session, principal=principal, care_file=care_file, approve=True, comment=decision.comment
    )
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@router.post(
    "/{care_file_id}/closure/reject",
    response_model=CareFileRead,
    response_model_exclude_unset=True,
    summary="A lead rejects the closure; the file stays open",
    responses=problem_responses(404, 409),
)
async def reject_care_closure(
    session: DbSession,
    principal: CareApprover,
    care_file_id: uuid.UUID,
    decision: ClosureDecision,
) -> CareFileRead:
    care_file = await records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    await handover.decide_closure(
        session, principal=principal, care_file=care_file, approve=False, comment=decision.comment
    )
    return await presenting.care_file_answer(session, principal=principal, care_file_id=care_file_id)


@settings_router.get(
    "", response_model=CareSettingsRead, summary="Default follow-up intervals per risk level for a unit"
)
async def read_care_settings(
    session: DbSession,
    principal: CareSettingsReader,
    unit_id: Annotated[uuid.UUID | None, Query(description="Defaults to my unit")] = None,
) -> CareSettingsRead:
    return await intervals.read_settings(session, principal=principal, unit_id=unit_id)


@settings_router.put(
    "", response_model=CareSettingsRead, summary="A lead sets the default intervals for a unit and below"
)
async def update_care_settings(
    session: DbSession, principal: CareApprover, settings_in: CareSettingsUpdate
) -> CareSettingsRead:
    return await intervals.update_settings(session, principal=principal, settings_in=settings_in)


@settings_router.get(
    "/lead-candidates",
    response_model=list[PersonRef],
    summary="Who can be named lead worker of a unit's care files (the assignment form's choices)",
)
async def list_lead_candidates(
    session: DbSession,
    principal: CareWriter,
    unit_id: Annotated[uuid.UUID | None, Query(description="Defaults to my unit")] = None,
) -> list[PersonRef]:
    return await people.lead_candidates(session, principal=principal, unit_id=unit_id)


@settings_router.get(
    "/team-candidates",
    response_model=list[TeamCandidate],
    summary="Police officers and teachers who can work on a unit's care files as team members",
)
async def list_team_candidates(
    session: DbSession,
    principal: CareWriter,
    unit_id: Annotated[uuid.UUID | None, Query(description="Defaults to my unit")] = None,
) -> list[TeamCandidate]:
    return await people.team_candidates(session, principal=principal, unit_id=unit_id)


@settings_router.put(
    "/on-duty",
    response_model=CareSettingsRead,
    summary="A lead names the unit's on-duty social worker, lead of the files it is given automatically",
)
async def update_on_duty(
    session: DbSession, principal: CareApprover, duty_in: OnDutyUpdate
) -> CareSettingsRead:
    return await intervals.set_on_duty(session, principal=principal, duty_in=duty_in)
