"""Work records: /publicity-activities, /inspection-visits, /responsibility-letters, each with its files.

Each list answers JSON pages, or with ``format=xlsx|csv`` the whole filtered list as a streamed file, through the
one export path of the working lists (``workflows.exporting``; exports are audited).
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import require
from backend.db import DbSession, local_today
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.evidence import DOWNLOAD_RESPONSES, Storage, read_upload, stored_file_response
from backend.exports import FILE_RESPONSES, Column, ExportFormat
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.work_records import exporting as exporting_columns
from backend.work_records import service
from backend.work_records.models import (
    InspectionKind,
    InspectionVisit,
    PublicityActivity,
    PublicityKind,
    ResponsibilityLetter,
    WorkRecordType,
)
from backend.work_records.schemas import (
    InspectionVisitCreate,
    InspectionVisitRead,
    InspectionVisitUpdate,
    PublicityActivityCreate,
    PublicityActivityRead,
    PublicityActivityUpdate,
    ResponsibilityLetterCreate,
    ResponsibilityLetterRead,
    ResponsibilityLetterUpdate,
    WorkRecordFileRead,
)
from backend.workflows import exporting

Reader = Annotated[Principal, Depends(require(Scope.work_records_read))]
Writer = Annotated[Principal, Depends(require(Scope.work_records_read, Scope.work_records_write))]

UnitFilter = Annotated[
    uuid.UUID | None, Query(description="Records about this unit's subtree (a unit in scope)")
]
DateFrom = Annotated[date | None, Query(description="On or after this day")]
DateTo = Annotated[date | None, Query(description="On or before this day")]
FormatParam = Annotated[
    ExportFormat, Query(description="json for a page; xlsx or csv for the whole filtered list (audited)")
]

LIST_RESPONSES: dict[int | str, dict[str, Any]] = {**FILE_RESPONSES}
ONE_RESPONSES = problem_responses(404)
CHANGE_RESPONSES = problem_responses(404, 412)

publicity_router = APIRouter(
    prefix="/publicity-activities", tags=["publicity-activities"], responses=problem_responses(401, 403, 422)
)
inspections_router = APIRouter(
    prefix="/inspection-visits", tags=["inspection-visits"], responses=problem_responses(401, 403, 422)
)
letters_router = APIRouter(
    prefix="/responsibility-letters",
    tags=["responsibility-letters"],
    responses=problem_responses(401, 403, 422),
)
routers = (publicity_router, inspections_router, letters_router)

# The list an export's audit event names (its ``object_type``).
_LIST_NAMES = {
    WorkRecordType.publicity_activity: "publicity_activities",
    WorkRecordType.inspection_visit: "inspection_visits",
    WorkRecordType.responsibility_letter: "responsibility_letters",
}


def _loader(model: type[service.WorkRecord]) -> Callable[..., Any]:
    async def record_in_scope(record_id: uuid.UUID, session: DbSession, principal: Reader) -> Any:
        return await service.get_record(session, principal=principal, model=model, record_id=record_id)

    return record_in_scope


ScopedActivity = Annotated[PublicityActivity, Depends(_loader(PublicityActivity))]
ScopedVisit = Annotated[InspectionVisit, Depends(_loader(InspectionVisit))]
ScopedLetter = Annotated[ResponsibilityLetter, Depends(_loader(ResponsibilityLetter))]


async def _export(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    record_type: WorkRecordType,
    filters: service.Filters,
    export_format: ExportFormat,
    page: PageParams,
    fetch: Callable[[AsyncSession, PageParams], Awaitable[Page[Any]]],
    columns: Sequence[Column[Any]],
) -> StreamingResponse:
    """The whole filtered list, streamed page after page through the one export path of the working lists
    (``workflows.exporting``): every row, in the list's order, audited as ``list.exported`` with its filters."""
    return await exporting.export_list(
        request,
        session,
        principal=principal,
        list_name=_LIST_NAMES[record_type],
        filters=filters,
        export_format=export_format,
        page=page,
        fetch=fetch,
        columns=columns,
        filename=f"{record_type.zh}-{local_today().isoformat()}",
        title=record_type.zh,
    )


def _file_routes(router: APIRouter, scoped: Any) -> None:
    """Upload, download and remove a record's files, and delete the record: the same for the three kinds."""

    @router.post(
        "/{record_id}/files",
        response_model=WorkRecordFileRead,
        status_code=status.HTTP_201_CREATED,
        summary="Attach a photo or scan (image, PDF or Office document; checked by content)",
        responses=problem_responses(404, 413, 415, 503, 507),
    )
    async def add_file(
        request: Request,
        session: DbSession,
        principal: Writer,
        record: scoped,
        storage: Storage,
        file: Annotated[UploadFile, File(description="The file")],
    ) -> WorkRecordFileRead:
        content, max_bytes = await read_upload(request, file)
        stored = await service.add_file(
            session,
            principal=principal,
            record=record,
            filename=file.filename,
            content=content,
            storage=storage,
            max_bytes=max_bytes,
        )
        return WorkRecordFileRead.model_validate(stored)

    @router.get(
        "/{record_id}/files/{file_id}",
        summary="Download a file",
        response_class=StreamingResponse,
        responses={**DOWNLOAD_RESPONSES, **problem_responses(404)},
    )
    async def download_file(
        session: DbSession,
        record: scoped,
        storage: Storage,
        file_id: uuid.UUID,
        inline: Annotated[bool, Query(description="Show in the browser rather than download")] = False,
    ) -> StreamingResponse:
        stored = await service.get_file(session, record=record, file_id=file_id)
        return await stored_file_response(
            storage,
            key=stored.storage_key,
            media_type=stored.media_type,
            filename=stored.filename,
            size=stored.size,
            inline=inline,
        )

    @router.delete(
        "/{record_id}/files/{file_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Remove a file (its name and hash stay in the audit trail)",
        responses=problem_responses(404),
    )
    async def remove_file(
        session: DbSession,
        principal: Writer,
        record: scoped,
        storage: Storage,
        file_id: uuid.UUID,
    ) -> Response:
        stored = await service.get_file(session, record=record, file_id=file_id)
        key = await service.remove_file(session, principal=principal, record=record, stored=stored)
        # The row goes with this request's transaction; commit it before the bytes go.
        await session.commit()
        await storage.delete(key)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.delete(
        "/{record_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Delete the record and its files (the recording unit only)",
        responses=CHANGE_RESPONSES,
    )
    async def delete_record(
        session: DbSession,
        principal: Writer,
        record: scoped,
        storage: Storage,
        if_match: IfMatch = None,
    ) -> Response:
        keys = await service.delete_record(session, principal=principal, record=record, if_match=if_match)
        await session.commit()
        for key in keys:
            await storage.delete(key)
        return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- publicity activities ------------------------------------------------------------------------------------

ActivityPage = Annotated[
    PageParams,
    Depends(page_params(service.PUBLICITY_SORT_FIELDS, default="-held_on", tie_breaker=PublicityActivity.id)),
]


@publicity_router.get(
    "",
    response_model=Page[PublicityActivityRead],
    summary="宣传教育活动: publicity activities held in scope, or the filtered list as XLSX/CSV",
    responses=LIST_RESPONSES,
)
async def list_activities(
    request: Request,
    session: DbSession,
    principal: Reader,
    page: ActivityPage,
    unit_id: UnitFilter = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    kind: PublicityKind | None = None,
    format: FormatParam = ExportFormat.json,
) -> Page[PublicityActivityRead] | Response:
    filters = service.Filters(unit_id=unit_id, date_from=date_from, date_to=date_to, kind=kind and kind.value)
    if format is ExportFormat.json:
        return await service.list_activities(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[Any]:
        return await service.list_activities(reading, principal=principal, filters=filters, page=params)

    return await _export(
        request,
        session,
        principal,
        record_type=WorkRecordType.publicity_activity,
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=exporting_columns.ACTIVITY_COLUMNS,
    )


@publicity_router.post(
    "",
    response_model=PublicityActivityRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a publicity activity held by my unit or a unit below it",
)
async def create_activity(
    session: DbSession, principal: Writer, activity_in: PublicityActivityCreate, response: Response
) -> PublicityActivityRead:
    record = await service.create_activity(session, principal=principal, activity_in=activity_in)
    response.headers["Location"] = f"/api/v1/publicity-activities/{record.id}"
    set_etag(response, record.version)
    return await service.present_activity(session, principal=principal, record=record)


@publicity_router.get(
    "/{record_id}", response_model=PublicityActivityRead, summary="Read an activity", responses=ONE_RESPONSES
)
async def read_activity(
    session: DbSession, principal: Reader, record: ScopedActivity, response: Response
) -> PublicityActivityRead:
    set_etag(response, record.version)
    return await service.present_activity(session, principal=principal, record=record)


@publicity_router.patch(
    "/{record_id}",
    response_model=PublicityActivityRead,
    summary="Change an activity (the recording unit only)",
    responses=CHANGE_RESPONSES,
)
async def update_activity(
    session: DbSession,
    principal: Writer,
    record: ScopedActivity,
    activity_in: PublicityActivityUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PublicityActivityRead:
    record = await service.update_activity(
        session, principal=principal, record=record, activity_in=activity_in, if_match=if_match
    )
    set_etag(response, record.version)
    return await service.present_activity(session, principal=principal, record=record)


_file_routes(publicity_router, ScopedActivity)


# --- inspection visits -------------------------------------------------------------------------------------------

VisitPage = Annotated[
    PageParams,
    Depends(
        page_params(service.INSPECTION_SORT_FIELDS, default="-visited_on", tie_breaker=InspectionVisit.id)
    ),
]


@inspections_router.get(
    "",
    response_model=Page[InspectionVisitRead],
    summary="督导检查/明察暗访: visits of units in scope, or the filtered list as XLSX/CSV",
    responses=LIST_RESPONSES,
)
async def list_visits(
    request: Request,
    session: DbSession,
    principal: Reader,
    page: VisitPage,
    unit_id: Annotated[uuid.UUID | None, Query(description="Visits of units in this unit's subtree")] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    kind: InspectionKind | None = None,
    rectified: Annotated[bool | None, Query(description="Rectified or not")] = None,
    overdue: Annotated[bool | None, Query(description="Not rectified and past the due date")] = None,
    format: FormatParam = ExportFormat.json,
) -> Page[InspectionVisitRead] | Response:
    filters = service.Filters(
        unit_id=unit_id,
        date_from=date_from,
        date_to=date_to,
        kind=kind and kind.value,
        rectified=rectified,
        overdue=overdue,
    )
    if format is ExportFormat.json:
        return await service.list_visits(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[Any]:
        return await service.list_visits(reading, principal=principal, filters=filters, page=params)

    return await _export(
        request,
        session,
        principal,
        record_type=WorkRecordType.inspection_visit,
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=exporting_columns.VISIT_COLUMNS,
    )


@inspections_router.post(
    "",
    response_model=InspectionVisitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a visit my unit made to a unit below it",
)
async def create_visit(
    session: DbSession, principal: Writer, visit_in: InspectionVisitCreate, response: Response
) -> InspectionVisitRead:
    record = await service.create_visit(session, principal=principal, visit_in=visit_in)
    response.headers["Location"] = f"/api/v1/inspection-visits/{record.id}"
    set_etag(response, record.version)
    return await service.present_visit(session, principal=principal, record=record)


@inspections_router.get(
    "/{record_id}", response_model=InspectionVisitRead, summary="Read a visit", responses=ONE_RESPONSES
)
async def read_visit(
    session: DbSession, principal: Reader, record: ScopedVisit, response: Response
) -> InspectionVisitRead:
    set_etag(response, record.version)
    return await service.present_visit(session, principal=principal, record=record)


@inspections_router.patch(
    "/{record_id}",
    response_model=InspectionVisitRead,
    summary="Change a visit (the inspecting unit), or mark it rectified (the inspected unit too)",
    responses=CHANGE_RESPONSES,
)
async def update_visit(
    session: DbSession,
    principal: Writer,
    record: ScopedVisit,
    visit_in: InspectionVisitUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> InspectionVisitRead:
    record = await service.update_visit(
        session, principal=principal, record=record, visit_in=visit_in, if_match=if_match
    )
    set_etag(response, record.version)
    return await service.present_visit(session, principal=principal, record=record)


_file_routes(inspections_router, ScopedVisit)


# --- responsibility letters ----------------------------------------------------------------------------------

LetterPage = Annotated[
    PageParams,
    Depends(page_params(service.LETTER_SORT_FIELDS, default="-year", tie_breaker=ResponsibilityLetter.id)),
]


@letters_router.get(
    "",
    response_model=Page[ResponsibilityLetterRead],
    summary="禁毒责任书: letters signed by units in scope, or the filtered list as XLSX/CSV",
    responses=LIST_RESPONSES,
)
async def list_letters(
    request: Request,
    session: DbSession,
    principal: Reader,
    page: LetterPage,
    unit_id: Annotated[uuid.UUID | None, Query(description="Letters signed by this unit's subtree")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    format: FormatParam = ExportFormat.json,
) -> Page[ResponsibilityLetterRead] | Response:
    filters = service.Filters(unit_id=unit_id, year=year, date_from=date_from, date_to=date_to)
    if format is ExportFormat.json:
        return await service.list_letters(session, principal=principal, filters=filters, page=page)

    async def fetch(reading: AsyncSession, params: PageParams) -> Page[Any]:
        return await service.list_letters(reading, principal=principal, filters=filters, page=params)

    return await _export(
        request,
        session,
        principal,
        record_type=WorkRecordType.responsibility_letter,
        filters=filters,
        export_format=format,
        page=page,
        fetch=fetch,
        columns=exporting_columns.LETTER_COLUMNS,
    )


@letters_router.post(
    "",
    response_model=ResponsibilityLetterRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a responsibility letter a unit in my subtree signed with a unit below it",
)
async def create_letter(
    session: DbSession, principal: Writer, letter_in: ResponsibilityLetterCreate, response: Response
) -> ResponsibilityLetterRead:
    record = await service.create_letter(session, principal=principal, letter_in=letter_in)
    response.headers["Location"] = f"/api/v1/responsibility-letters/{record.id}"
    set_etag(response, record.version)
    return await service.present_letter(session, principal=principal, record=record)


@letters_router.get(
    "/{record_id}", response_model=ResponsibilityLetterRead, summary="Read a letter", responses=ONE_RESPONSES
)
async def read_letter(
    session: DbSession, principal: Reader, record: ScopedLetter, response: Response
) -> ResponsibilityLetterRead:
    set_etag(response, record.version)
    return await service.present_letter(session, principal=principal, record=record)


@letters_router.patch(
    "/{record_id}",
    response_model=ResponsibilityLetterRead,
    summary="Change a letter's year, date or note (the recording unit only)",
    responses=CHANGE_RESPONSES,
)
async def update_letter(
    session: DbSession,
    principal: Writer,
    record: ScopedLetter,
    letter_in: ResponsibilityLetterUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ResponsibilityLetterRead:
    record = await service.update_letter(
        session, principal=principal, record=record, letter_in=letter_in, if_match=if_match
    )
    set_etag(response, record.version)
    return await service.present_letter(session, principal=principal, record=record)


_file_routes(letters_router, ScopedLetter)
