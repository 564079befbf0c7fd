import asyncio
import uuid
from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from backend.auth.deps import require_any
from backend.db import DbSession, local_today
from backend.errors import (
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    problem_responses,
    request_locale,
)
from backend.evidence import read_upload
from backend.exports import XLSX_MEDIA_TYPE, content_disposition
from backend.imports import service
from backend.imports.models import ImportJob, ImportKind, ImportMode
from backend.imports.reading import FileRefused, sniff
from backend.imports.schemas import ImportJobRead, ImportJobSummary
from backend.imports.templates import build_template
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.settings import Settings
from backend.workflows import imports as importing

router = APIRouter(prefix="/imports", tags=["imports"], responses=problem_responses(401, 403, 422))

# Whoever records what one of the forms holds: registrars of minors, venue checkers, pharmacy checkers (the form's
# own permission is asked at upload, ``workflows.imports.ensure_may_import``).
Importer = Annotated[
    Principal,
    Depends(require_any(Scope.minors_register, Scope.venues_write, Scope.pharmacy_checks_write)),
]
ImportsPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="-created_at", tie_breaker=ImportJob.id))
]
TEMPLATE_NAMES = {
    ImportKind.screening_minors: "排查发现未成年人导入模板",
    ImportKind.pharmacy_checks: "右美沙芬处方药品使用情况排查导入模板",
    ImportKind.venue_checks: "场所隐患排查导入模板",
}


@router.get(
    "/templates/{kind}",
    summary="The form as an XLSX template: Chinese headers, drop-downs, instructions and an example row",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def download_import_template(principal: Importer, kind: ImportKind) -> Response:
    content = await asyncio.to_thread(build_template, kind, today=local_today())
    return Response(
        content=content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"content-disposition": content_disposition(f"{TEMPLATE_NAMES[kind]}.xlsx")},
    )


@router.post(
    "",
    response_model=ImportJobRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload a filled form (XLSX or CSV): checked row by row in the background; a dry run by default",
    responses=problem_responses(413, 415),
)
async def upload_import(
    request: Request,
    response: Response,
    session: DbSession,
    principal: Importer,
    background: BackgroundTasks,
    kind: Annotated[ImportKind, Form()],
    file: Annotated[UploadFile, File(description="The filled form, .xlsx or .csv")],
    mode: Annotated[ImportMode, Form(description="dry_run checks only; commit writes the valid rows")] = (
        ImportMode.dry_run
    ),
    all_or_nothing: Annotated[bool, Form(description="With commit: write nothing if any row fails")] = False,
) -> ImportJobRead:
    importing.ensure_may_import(principal, kind)
    settings: Settings = request.app.state.settings
    content, max_bytes = await read_upload(request, file)
    if len(content) > max_bytes:
        raise PayloadTooLarge("The file is larger than the upload limit.")
    try:
        sniff(content)
    except FileRefused as refused:
        if refused.status == 415:
            raise UnsupportedMediaType(refused.text) from refused
        raise ValidationFailed.field(["body", "file"], refused.text, refused.code) from refused
    job = await service.create(
        session,
        principal=principal,
        kind=kind,
        mode=mode,
        all_or_nothing=all_or_nothing,
        file_name=file.filename or "",
        content=content,
    )
    background.add_task(
        importing.run_import,
        request.app.state.sessionmaker,
        job_id=job.id,
        principal=principal,
        content=content,
        match_elsewhere_limit=settings.match_elsewhere_daily_limit,
    )
    response.headers["Location"] = f"{request.url.path}/{job.id}"
    return service.present(job, request_locale(request))


@router.get(
    "", response_model=Page[ImportJobSummary], summary="Imports: a lead's unit subtree, else one's own"
)
async def list_imports(
    request: Request,
    session: DbSession,
    principal: Importer,
    page: ImportsPage,
    kind: Annotated[ImportKind | None, Query()] = None,
) -> Page[ImportJobSummary]:
    return await service.list_jobs(
        session, principal=principal, page=page, kind=kind, locale=request_locale(request)
    )


@router.get(
    "/{job_id}",
    response_model=ImportJobRead,
    summary="One import: its progress (rows done of total) and, when finished, the report",
    responses=problem_responses(404),
)
async def read_import(
    request: Request, session: DbSession, principal: Importer, job_id: uuid.UUID
) -> ImportJobRead:
    job = await service.get_in_scope(session, principal=principal, job_id=job_id)
    return service.present(job, request_locale(request))
