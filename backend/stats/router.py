import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth.deps import require, require_any
from backend.db import DbSession, local_today
from backend.errors import ValidationFailed, problem_responses
from backend.exports import FILE_RESPONSES, ExportFormat, Sheet, file_response
from backend.security import permissions
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.stats import rate_report, service, sheets
from backend.stats.days import month_end
from backend.stats.rates import Period
from backend.stats.schemas import Overview, RatesReport, RegionStatisticsReport, SchoolStatisticsReport
from backend.terms import Term, TermCode
from backend.workflows import overview as workflows_overview

router = APIRouter(prefix="/stats", tags=["stats"], responses=problem_responses(401, 403, 404, 422))

StatsReader = Annotated[Principal, Depends(require(Scope.stats_read))]
OverviewReader = Annotated[Principal, Depends(require(Scope.stats_overview))]
# Leads and the bureau through stats:read, auditors through stats:overview; the service names who exactly.
RatesReader = Annotated[Principal, Depends(require_any(Scope.stats_read, Scope.stats_overview))]
# The longest period the rates are worked out for: a year, leap day included.
LONGEST_PERIOD_DAYS = 366
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
    return await file_response(f"{file_stem}-{query.term.code}", query.format, to_sheets(report))


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


async def rates_period(  # async: no worker thread (see get_cipher)
    principal: RatesReader,
    period_from: Annotated[
        date | None,
        Query(
            description="First day (Beijing time); default 1 January. Whole months for aggregate-only readers"
        ),
    ] = None,
    period_to: Annotated[
        date | None,
        Query(description="Last day, included; default today. Ended months only for aggregate-only readers"),
    ] = None,
) -> Period:
    """The period asked for: this year to date by default; never reversed, longer than a year or in the future.

    A reader who sees aggregates only (the education bureau's client) gets whole, ended calendar months: two
    periods a day apart would otherwise give one day's counts of a township by subtraction, below the
    suppression threshold (docs/statistics.md, "Periods")."""
    today = local_today()
    end = period_to or today
    start = period_from or date(end.year, 1, 1)
    if start > today:
        raise ValidationFailed.field(["query", "period_from"], "must not be after today", "period.future")
    if end < start:
        raise ValidationFailed.field(
            ["query", "period_to"], "must not be before period_from", "period.reversed"
        )
    if end - start >= timedelta(days=LONGEST_PERIOD_DAYS):
        raise ValidationFailed.field(
            ["query", "period_to"], "a period covers at most 366 days", "period.too_long"
        )
    if permissions.reads_rates_by_whole_months(principal):
        end = min(month_end(end), today.replace(day=1) - timedelta(days=1))
        start = (period_from or date(end.year, 1, 1)).replace(day=1)
        if end < start:
            raise ValidationFailed.field(
                ["query", "period_from"],
                "figures of a month are given once it has ended",
                "period.month_open",
            )
        if end - start >= timedelta(days=LONGEST_PERIOD_DAYS):
            raise ValidationFailed.field(
                ["query", "period_to"], "a period covers at most 366 days", "period.too_long"
            )
    return Period(start=start, end=end)


@router.get(
    "/rates",
    response_model=RatesReport,
    summary="The rates units are held to (帮教率, 尿检率 …) per unit down to the townships, rolled up (suppressed)",
    responses=FILE_RESPONSES,
)
async def rates(
    request: Request,
    session: DbSession,
    principal: RatesReader,
    period: Annotated[Period, Depends(rates_period)],
    unit_id: UnitParam = None,
    format: FormatParam = ExportFormat.json,
) -> Any:
    report = await rate_report.rates_report(
        session,
        principal=principal,
        period=period,
        unit_id=unit_id,
        threshold=_threshold(request),
        today=local_today(),
    )
    if format is ExportFormat.json:
        return report
    await audit.record(
        session,
        action=AuditAction.stats_exported,
        actor=principal,
        object_type="stats_rates",
        object_id=f"{period.start.isoformat()}..{period.end.isoformat()}",
        fields=[format.value],
    )
    return await file_response(
        f"工作指标-{period.start.isoformat()}-{period.end.isoformat()}", format, sheets.rate_sheets(report)
    )
