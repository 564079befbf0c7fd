"""Work records: /publicity-activities, /inspection-visits, /responsibility-letters, each with its files.

Each list answers JSON pages, or with ``format=xlsx|csv`` the whole filtered list as a streamed file, through the
one export path of the working lists (``workflows.exporting``; exports are audited). The three kinds share the
shape of their other routes (``_record_routes``): create, read, change, delete, and the files.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

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
from backend.work_records import exporting as exporting_columns
from backend.work_records import schemas, service
from backend.work_records.models import (
    InspectionKind,
    InspectionVisit,
    PublicityActivity,
    PublicityKind,
    ResponsibilityLetter,
    WorkRecordType,
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


def _listing(pages: Any, record_type: WorkRecordType, list_name: str, columns: Any) -> exporting.Listing:
    """A kind's list: ``list_name`` is what its exports' audit events name; the file bears the kind's name and
    today's date."""
    return exporting.Listing(pages, list_name, columns, record_type.zh, record_type.zh, dated=True)


ACTIVITIES = _listing(
    service.list_activities,
    WorkRecordType.publicity_activity,
    "publicity_activities",
    exporting_columns.ACTIVITY_COLUMNS,
)
VISITS = _listing(
    service.list_visits, WorkRecordType.inspection_visit, "inspection_visits", exporting_columns.VISIT_COLUMNS
)
LETTERS = _listing(
    service.list_letters,
    WorkRecordType.responsibility_letter,
    "responsibility_letters",
    exporting_columns.LETTER_COLUMNS,
)


def _loader(model: type[service.WorkRecord]) -> Callable[..., Any]:
    async def record_in_scope(record_id: uuid.UUID, session: DbSession, principal: Reader) -> Any:
        return await service.get_record(session, principal=principal, model=model, record_id=record_id)

    return record_in_scope


ScopedActivity = Annotated[PublicityActivity, Depends(_loader(PublicityActivity))]
ScopedVisit = Annotated[InspectionVisit, Depends(_loader(InspectionVisit))]
ScopedLetter = Annotated[ResponsibilityLetter, Depends(_loader(ResponsibilityLetter))]


def _record_routes(
    router: APIRouter,
    noun: str,
    *,
    scoped: Any,
    read_model: Any,
    create_model: Any,
    update_model: Any,
    create: Callable[..., Awaitable[Any]],
    summaries: tuple[str, str, str],
) -> None:
    """Create, read, change and delete a record, and upload, download and remove its files: the same for the
    three kinds. ``noun`` names the routes (``create_activity`` …) and so their operation ids; ``scoped`` loads
    the record in scope; ``summaries`` are the create, read and change routes'."""
    create_summary, read_summary, update_summary = summaries

    @router.post(
        "",
        response_model=read_model,
        status_code=status.HTTP_201_CREATED,
        summary=create_summary,
        name=f"create_{noun}",
    )
    async def create_record(
        session: DbSession, principal: Writer, record_in: create_model, response: Response
    ) -> Any:
        record = await create(session, principal=principal, record_in=record_in)
        response.headers["Location"] = f"/api/v1{router.prefix}/{record.id}"
        return tagged(response, await service.present(session, principal=principal, record=record))

    @router.get(
        "/{record_id}",
        response_model=read_model,
        summary=read_summary,
        responses=ONE_RESPONSES,
        name=f"read_{noun}",
    )
    async def read_record(session: DbSession, principal: Reader, record: scoped, response: Response) -> Any:
        return tagged(response, await service.present(session, principal=principal, record=record))

    @router.patch(
        "/{record_id}",
        response_model=read_model,
        summary=update_summary,
        responses=CHANGE_RESPONSES,
        name=f"update_{noun}",
    )
    async def update_record(
        session: DbSession,
        principal: Writer,
        record: scoped,
        record_in: update_model,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        record = await service.update_record(
            session, principal=principal, record=record, record_in=record_in, if_match=if_match
        )
        return tagged(response, await service.present(session, principal=principal, record=record))

    @router.post(
        "/{record_id}/files",
        response_model=schemas.WorkRecordFileRead,
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
    ) -> schemas.WorkRecordFileRead:
        stored = await service.add_file(
            session, principal=principal, record=record, storage=storage, **await upload(request, file)
        )
        return schemas.WorkRecordFileRead.model_validate(stored)

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
        return await download(storage, stored, inline=inline)

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
    response_model=Page[schemas.PublicityActivityRead],
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
) -> Page[schemas.PublicityActivityRead] | Response:
    filters = service.Filters(unit_id=unit_id, date_from=date_from, date_to=date_to, kind=kind and kind.value)
    return await exporting.page_or_file(
        request, session, ACTIVITIES, principal=principal, filters=filters, export_format=format, page=page
    )


_record_routes(
    publicity_router,
    "activity",
    scoped=ScopedActivity,
    read_model=schemas.PublicityActivityRead,
    create_model=schemas.PublicityActivityCreate,
    update_model=schemas.PublicityActivityUpdate,
    create=service.create_activity,
    summaries=(
        "Record a publicity activity held by my unit or a unit below it",
        "Read an activity",
        "Change an activity (the recording unit only)",
    ),
)


# --- inspection visits -------------------------------------------------------------------------------------------

VisitPage = Annotated[
    PageParams,
    Depends(
        page_params(service.INSPECTION_SORT_FIELDS, default="-visited_on", tie_breaker=InspectionVisit.id)
    ),
]


@inspections_router.get(
    "",
    response_model=Page[schemas.InspectionVisitRead],
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
) -> Page[schemas.InspectionVisitRead] | Response:
    filters = service.Filters(
        unit_id=unit_id,
        date_from=date_from,
        date_to=date_to,
        kind=kind and kind.value,
        rectified=rectified,
        overdue=overdue,
    )
    return await exporting.page_or_file(
        request, session, VISITS, principal=principal, filters=filters, export_format=format, page=page
    )


_record_routes(
    inspections_router,
    "visit",
    scoped=ScopedVisit,
    read_model=schemas.InspectionVisitRead,
    create_model=schemas.InspectionVisitCreate,
    update_model=schemas.InspectionVisitUpdate,
    create=service.create_visit,
    summaries=(
        "Record a visit my unit made to a unit below it",
        "Read a visit",
        "Change a visit (the inspecting unit), or mark it rectified (the inspected unit too)",
    ),
)


# --- responsibility letters ----------------------------------------------------------------------------------

LetterPage = Annotated[
    PageParams,
    Depends(page_params(service.LETTER_SORT_FIELDS, default="-year", tie_breaker=ResponsibilityLetter.id)),
]


@letters_router.get(
    "",
    response_model=Page[schemas.ResponsibilityLetterRead],
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
) -> Page[schemas.ResponsibilityLetterRead] | Response:
    filters = service.Filters(unit_id=unit_id, year=year, date_from=date_from, date_to=date_to)
    return await exporting.page_or_file(
        request, session, LETTERS, principal=principal, filters=filters, export_format=format, page=page
    )


_record_routes(
    letters_router,
    "letter",
    scoped=ScopedLetter,
    read_model=schemas.ResponsibilityLetterRead,
    create_model=schemas.ResponsibilityLetterCreate,
    update_model=schemas.ResponsibilityLetterUpdate,
    create=service.create_letter,
    summaries=(
        "Record a responsibility letter a unit in my subtree signed with a unit below it",
        "Read a letter",
        "Change a letter's year, date or note (the recording unit only)",
    ),
)
