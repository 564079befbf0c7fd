"""Import jobs: created on upload, advanced by the workflow that checks and applies the rows, read in scope.

A job is read by the person who uploaded it and by leads of a unit above the uploader's; anyone else gets 404.
Progress is a row in the database, so any API process answers the polling."""

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import utcnow
from backend.errors import NotFound
from backend.imports.models import ImportJob, ImportKind, ImportMode, ImportStatus
from backend.imports.schemas import (
    ImportFailure,
    ImportJobRead,
    ImportJobSummary,
    ImportReport,
    RowProblem,
    RowReport,
)
from backend.messages import Locale
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, in_subtree
from backend.units.models import MANAGING_KINDS, Unit

SORT_FIELDS = {"created_at": ImportJob.created_at}


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    kind: ImportKind,
    mode: ImportMode,
    all_or_nothing: bool,
    file_name: str,
    content: bytes,
) -> ImportJob:
    """A queued job for this upload, recorded in the trail (the file's hash, never its content)."""
    job = ImportJob(
        kind=kind,
        mode=mode,
        all_or_nothing=all_or_nothing,
        status=ImportStatus.queued,
        file_name=file_name[:200] or "upload",
        file_hash=hashlib.sha256(content).hexdigest(),
        file_size=len(content),
        unit_id=principal.unit_id,
        created_by_kind=principal.kind,
        created_by_id=principal.id,
        created_by_name=principal.display_name[:64],
    )
    session.add(job)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.import_uploaded,
        actor=principal,
        object_type="import_job",
        object_id=job.id,
        reason=f"{kind.value}:{mode.value}",
    )
    return job


def _scoped(principal: Principal) -> sa.Select[Any]:
    statement = sa.select(ImportJob)
    if permissions.reads_unit_imports(principal):
        return statement.join(Unit, Unit.id == ImportJob.unit_id).where(
            in_subtree(Unit.path, principal.unit_path)
        )
    return statement.where(ImportJob.created_by_id == principal.id, ImportJob.unit_id == principal.unit_id)


async def get_in_scope(session: AsyncSession, *, principal: Principal, job_id: uuid.UUID) -> ImportJob:
    job = await session.scalar(_scoped(principal).where(ImportJob.id == job_id))
    if job is None:
        raise NotFound("No such import.")
    return job


async def list_jobs(
    session: AsyncSession, *, principal: Principal, page: PageParams, kind: ImportKind | None, locale: Locale
) -> Page[ImportJobSummary]:
    statement = _scoped(principal)
    if kind is not None:
        statement = statement.where(ImportJob.kind == kind)
    return await paginate(session, statement, page, lambda row: summary(row[0], locale))


def summary(job: ImportJob, locale: Locale) -> ImportJobSummary:
    error = None
    if job.error:
        error = ImportFailure(code=job.error["code"], message=job.error["message"].get(locale, ""))
    return ImportJobSummary(
        id=job.id,
        kind=job.kind,
        mode=job.mode,
        all_or_nothing=job.all_or_nothing,
        status=job.status,
        file_name=job.file_name,
        file_hash=job.file_hash,
        file_size=job.file_size,
        sheet_name=job.sheet_name,
        unit_id=job.unit_id,
        created_by=job.created_by_name,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        rows_total=job.rows_total,
        rows_done=job.rows_done,
        rows_ok=job.rows_ok,
        rows_duplicate=job.rows_duplicate,
        rows_invalid=job.rows_invalid,
        rows_applied=job.rows_applied,
        committed=job.committed,
        error=error,
    )


def present(job: ImportJob, locale: Locale) -> ImportJobRead:
    report = None
    if job.report is not None:
        report = ImportReport(
            notes=[note.get(locale, "") for note in job.report.get("notes", [])],
            columns=job.report.get("columns", []),
            rows=[
                RowReport(
                    row=row["row"],
                    outcome=row["outcome"],
                    action=row["action"].get(locale) if row.get("action") else None,
                    problems=[
                        RowProblem(column=p["column"], code=p["code"], message=p["message"].get(locale, ""))
                        for p in row.get("problems", [])
                    ],
                )
                for row in job.report.get("rows", [])
            ],
        )
    return ImportJobRead(**summary(job, locale).model_dump(), report=report)


# --- the job's progress, written by the workflow in short transactions of its own ------------------------------


async def load(session: AsyncSession, job_id: uuid.UUID) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("No such import.")
    return job


async def start(session: AsyncSession, *, job: ImportJob, rows_total: int, sheet_name: str | None) -> None:
    job.status = ImportStatus.checking
    job.started_at = job.started_at or utcnow()
    job.rows_total = rows_total
    job.sheet_name = sheet_name
    await session.flush()


async def progress(session: AsyncSession, *, job_id: uuid.UUID, rows_done: int, status: ImportStatus) -> None:
    await session.execute(
        sa.update(ImportJob).where(ImportJob.id == job_id).values(rows_done=rows_done, status=status)
    )


async def finish(
    session: AsyncSession,
    *,
    job: ImportJob,
    report: dict[str, Any],
    counts: dict[str, int],
    committed: bool,
    actor: Principal,
) -> None:
    """The report and counts stored; the outcome recorded in the trail (counts only)."""
    job.status = ImportStatus.finished
    job.finished_at = utcnow()
    job.report = report
    job.rows_done = job.rows_total
    job.rows_ok = counts["ok"]
    job.rows_duplicate = counts["duplicate"]
    job.rows_invalid = counts["invalid"]
    job.rows_applied = counts["applied"]
    job.committed = committed
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.import_committed if committed else AuditAction.import_checked,
        actor=actor,
        unit_id=job.unit_id,
        object_type="import_job",
        object_id=job.id,
        reason=(
            f"rows={job.rows_total} ok={counts['ok']} duplicate={counts['duplicate']} "
            f"invalid={counts['invalid']} applied={counts['applied']}"
        ),
    )


async def fail(
    session: AsyncSession, *, job: ImportJob, code: str, message: dict[str, str], notes: list[dict[str, str]]
) -> None:
    """The file as a whole could not be read (or applied): nothing was written but this."""
    job.status = ImportStatus.failed
    job.finished_at = utcnow()
    job.error = {"code": code, "message": message}
    job.report = {"notes": notes, "columns": [], "rows": []}
    await session.flush()


async def managing_units(
    session: AsyncSession, *, principal: Principal, codes: set[str]
) -> tuple[uuid.UUID | None, dict[str, uuid.UUID]]:
    """The unit that manages a row's minor when the row names none (as a single registration defaults it), and
    the active stations in the principal's registration scope by the division codes the rows give."""
    root = permissions.registration_root(principal)
    default: uuid.UUID | None = None
    if permissions.registers_for_served_township(principal):
        default = await session.scalar(sa.select(Unit.id).where(Unit.path == root))
    elif principal.unit_kind in MANAGING_KINDS:
        default = principal.unit_id
    found: dict[str, uuid.UUID] = {}
    if codes:
        rows = await session.execute(
            sa.select(Unit.division_code, Unit.id)
            .where(
                Unit.division_code.in_(sorted(codes)),
                in_subtree(Unit.path, root),
                Unit.kind.in_([kind.value for kind in MANAGING_KINDS]),
                Unit.is_active.is_(True),
            )
            .order_by(Unit.depth)
        )
        for code, unit_id in rows:
            found.setdefault(code, unit_id)
    return default, found
