import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.exports import FILE_RESPONSES, ExportFormat, Sheet, file_response
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.stats import service, sheets
from backend.stats.schemas import Overview, RegionStatisticsReport, SchoolStatisticsReport
from backend.terms import Term, TermCode
from backend.workflows import overview as workflows_overview

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


@dataclass(frozen=True)
class ReportQuery:
    term: Term
    unit_id: uuid.UUID | None
    format: ExportFormat
    threshold: int


async def report_query(  # async: no worker thread (see get_cipher)
    request: Request,
    term: TermParam = None,
    unit_id: UnitParam = None,
    format: FormatParam = ExportFormat.json,
) -> ReportQuery:
    return ReportQuery(Term.parse(term) if term else Term.current(), unit_id, format, _threshold(request))


ReportParams = Annotated[ReportQuery, Depends(report_query)]


async def _answer(
    session: DbSession,
    principal: Principal,
    query: ReportQuery,
    report: Any,
    *,
    object_type: str,
    file_stem: str,
    to_sheets: Callable[[Any], list[Sheet]],
) -> Any:
    """The report as JSON, or as a file (an audit event: every export is recorded)."""
    if query.format is ExportFormat.json:
        return report
    await audit.record(
        session,
        action=AuditAction.stats_exported,
        actor=principal,
        object_type=object_type,
        object_id=query.term.code,
        fields=[query.format.value],
    )
    return file_response(f"{file_stem}-{query.term.code}", query.format, to_sheets(report))


@router.get(
    "/schools",
    response_model=SchoolStatisticsReport,
    summary="Per school in scope: term figures, rates, lesson-hour target, at-risk counts (suppressed)",
    responses=FILE_RESPONSES,
)
async def school_statistics(session: DbSession, principal: StatsReader, query: ReportParams) -> Any:
    report = await service.school_statistics(
        session, principal=principal, term=query.term, unit_id=query.unit_id, threshold=query.threshold
    )
    return await _answer(
        session,
        principal,
        query,
        report,
        object_type="stats_schools",
        file_stem="学校统计",
        to_sheets=sheets.school_sheets,
    )


@router.get(
    "/regions",
    response_model=RegionStatisticsReport,
    summary="The school statistics rolled up by township and county (suppressed)",
    responses=FILE_RESPONSES,
)
async def region_statistics(session: DbSession, principal: StatsReader, query: ReportParams) -> Any:
    report = await service.region_statistics(
        session, principal=principal, term=query.term, unit_id=query.unit_id, threshold=query.threshold
    )
    return await _answer(
        session,
        principal,
        query,
        report,
        object_type="stats_regions",
        file_stem="区域汇总",
        to_sheets=sheets.region_sheets,
    )


@router.get("/overview", response_model=Overview, summary="Dashboard figures for the principal's scope")
async def overview(
    request: Request, session: DbSession, principal: OverviewReader, unit_id: UnitParam = None
) -> Overview:
    return await workflows_overview.overview(
        session, principal=principal, unit_id=unit_id, threshold=_threshold(request)
    )
