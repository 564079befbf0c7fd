import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.exports import FILE_RESPONSES, ExportFormat, file_response
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.stats import service, sheets
from backend.stats.schemas import Overview, RegionStatisticsReport, SchoolStatisticsReport
from backend.terms import Term, TermCode

router = APIRouter(prefix="/stats", tags=["stats"], responses=problem_responses(401, 403, 404, 422))

StatsReader = Annotated[Principal, Depends(require(Scope.stats_read))]
OverviewReader = Annotated[Principal, Depends(require(Scope.stats_overview))]
TermParam = Annotated[TermCode | None, Query(description="The term; the current one when left out")]
UnitParam = Annotated[uuid.UUID | None, Query(description="Only this unit's subtree (inside your scope)")]
FormatParam = Annotated[
    ExportFormat, Query(description="`csv` or `xlsx` for a file (recorded in the audit trail)")
]


def _threshold(request: Request) -> int:
    return request.app.state.settings.stats_suppression_threshold


async def _exported(
    session: DbSession, principal: Principal, report: str, term: Term, export_format: ExportFormat
) -> None:
    await audit.record(
        session,
        action=AuditAction.stats_exported,
        actor=principal,
        object_type=report,
        object_id=term.code,
        fields=[export_format.value],
    )


@router.get(
    "/schools",
    response_model=SchoolStatisticsReport,
    response_model_exclude_none=False,
    summary="Per school in scope: term figures, rates, lesson-hour target, at-risk counts (suppressed)",
    responses=FILE_RESPONSES,
)
async def school_statistics(
    request: Request,
    session: DbSession,
    principal: StatsReader,
    term: TermParam = None,
    unit_id: UnitParam = None,
    format: FormatParam = ExportFormat.json,
) -> Any:
    chosen = Term.parse(term) if term else Term.current()
    report = await service.school_statistics(
        session, principal=principal, term=chosen, unit_id=unit_id, threshold=_threshold(request)
    )
    if format is ExportFormat.json:
        return report
    await _exported(session, principal, "stats_schools", chosen, format)
    return file_response(f"学校统计-{chosen.code}", format, sheets.school_sheets(report))


@router.get(
    "/regions",
    response_model=RegionStatisticsReport,
    summary="The school statistics rolled up by township and county (suppressed)",
    responses=FILE_RESPONSES,
)
async def region_statistics(
    request: Request,
    session: DbSession,
    principal: StatsReader,
    term: TermParam = None,
    unit_id: UnitParam = None,
    format: FormatParam = ExportFormat.json,
) -> Any:
    chosen = Term.parse(term) if term else Term.current()
    report = await service.region_statistics(
        session, principal=principal, term=chosen, unit_id=unit_id, threshold=_threshold(request)
    )
    if format is ExportFormat.json:
        return report
    await _exported(session, principal, "stats_regions", chosen, format)
    return file_response(f"区域汇总-{chosen.code}", format, sheets.region_sheets(report))


@router.get("/overview", response_model=Overview, summary="Dashboard figures for the principal's scope")
async def overview(
    request: Request, session: DbSession, principal: OverviewReader, unit_id: UnitParam = None
) -> Overview:
    return await service.overview(
        session, principal=principal, unit_id=unit_id, threshold=_threshold(request)
    )
