import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status
from fastapi.responses import HTMLResponse

from backend.assessments import notice
from backend.assessments.models import AssessmentScheme
from backend.assessments.schemas import (
    FigureDetail,
    RunCreate,
    RunRead,
    SchemeIn,
    SchemeListItem,
    SchemeRead,
    ScoreIn,
)
from backend.assessments.service import results, runs, schemes
from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.exports import FILE_RESPONSES, ExportFormat, Sheet, file_response
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.workflows import assessment_runs

router = APIRouter(
    prefix="/assessment-schemes", tags=["assessments"], responses=problem_responses(401, 403, 422)
)
runs_router = APIRouter(
    prefix="/assessment-runs", tags=["assessments"], responses=problem_responses(401, 403, 422)
)

AssessmentReader = Annotated[Principal, Depends(require(Scope.assessments_read))]
AssessmentWriter = Annotated[Principal, Depends(require(Scope.assessments_read, Scope.assessments_write))]
SchemePage = Annotated[
    PageParams,
    Depends(page_params(schemes.SORT_FIELDS, default="-updated_at", tie_breaker=AssessmentScheme.id)),
]
IndicatorCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


@router.get(
    "", response_model=Page[SchemeListItem], summary="Assessment schemes issued in my subtree or assessing it"
)
async def list_schemes(
    session: DbSession, principal: AssessmentReader, page: SchemePage
) -> Page[SchemeListItem]:
    return await schemes.list_schemes(session, principal=principal, page=page)


@router.post(
    "",
    response_model=SchemeRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a scheme issued by my unit",
)
async def create_scheme(
    session: DbSession, principal: AssessmentWriter, scheme_in: SchemeIn, response: Response
) -> SchemeRead:
    loaded = await schemes.create_scheme(session, principal=principal, scheme_in=scheme_in)
    response.headers["Location"] = f"/api/v1/assessment-schemes/{loaded.scheme.id}"
    return await schemes.scheme_detail(session, principal=principal, loaded=loaded)


@router.get(
    "/{scheme_id}", response_model=SchemeRead, summary="Read a scheme", responses=problem_responses(404)
)
async def read_scheme(session: DbSession, principal: AssessmentReader, scheme_id: uuid.UUID) -> SchemeRead:
    loaded = await schemes.get_scheme(session, principal=principal, scheme_id=scheme_id)
    return await schemes.scheme_detail(session, principal=principal, loaded=loaded)


@router.put(
    "/{scheme_id}",
    response_model=SchemeRead,
    summary="Replace a scheme's rules (runs already computed keep theirs)",
    responses=problem_responses(404),
)
async def update_scheme(
    session: DbSession, principal: AssessmentWriter, scheme_id: uuid.UUID, scheme_in: SchemeIn
) -> SchemeRead:
    loaded = await schemes.get_scheme(session, principal=principal, scheme_id=scheme_id)
    loaded = await schemes.update_scheme(session, principal=principal, loaded=loaded, scheme_in=scheme_in)
    return await schemes.scheme_detail(session, principal=principal, loaded=loaded)


@router.delete(
    "/{scheme_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a scheme that has not been run",
    responses=problem_responses(404, 409),
)
async def delete_scheme(session: DbSession, principal: AssessmentWriter, scheme_id: uuid.UUID) -> Response:
    loaded = await schemes.get_scheme(session, principal=principal, scheme_id=scheme_id)
    await schemes.delete_scheme(session, principal=principal, loaded=loaded)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{scheme_id}/runs",
    response_model=RunRead,
    status_code=status.HTTP_201_CREATED,
    summary="Compute a run of the scheme as of a cut-off day (default today, or the period's end)",
    responses=problem_responses(404),
)
async def run_scheme(
    session: DbSession,
    principal: AssessmentWriter,
    scheme_id: uuid.UUID,
    run_in: RunCreate,
    response: Response,
) -> RunRead:
    run = await assessment_runs.run_scheme(
        session, principal=principal, scheme_id=scheme_id, cut_off=run_in.cut_off
    )
    response.headers["Location"] = f"/api/v1/assessment-runs/{run.id}"
    return run


def _sheets(run: RunRead) -> list[Sheet]:
    indicator_names = [indicator.name for indicator in run.indicators]
    ranking = Sheet(
        title="考核结果",
        preamble=[f"{run.scheme_name}（截至{run.cut_off:%Y-%m-%d}）", run.issuing_unit.name],
        columns=["名次", "单位", *indicator_names, "总分", "等次", "一票否决", "通报", "约谈"],
        rows=[
            [
                result.rank,
                result.unit.name,
                *[score.score for score in result.scores],
                result.total,
                result.grade,
                "是" if result.vetoed else "",
                "是" if result.named else "",
                "是" if result.called_in else "",
            ]
            for result in run.results
        ],
    )
    names = {indicator.code: indicator.name for indicator in run.indicators}
    explanation = Sheet(
        title="得分说明",
        columns=["单位", "指标", "分子", "分母", "比率", "计算得分", "计入得分", "调整理由"],
        rows=[
            [
                result.unit.name,
                names.get(score.indicator, score.indicator),
                score.numerator,
                score.denominator,
                score.value,
                score.computed_score,
                score.score,
                score.reason or "",
            ]
            for result in run.results
            for score in result.scores
        ],
    )
    return [ranking, explanation]


@runs_router.get(
    "/{run_id}",
    response_model=RunRead,
    summary="A run's results: every unit for the issuing subtree's leads and auditors, my own unit otherwise",
    responses={**problem_responses(404), **FILE_RESPONSES},
)
async def read_run(
    session: DbSession,
    principal: AssessmentReader,
    run_id: uuid.UUID,
    format: ExportFormat = ExportFormat.json,
) -> Any:
    loaded = await runs.get_run(session, principal=principal, run_id=run_id)
    run = await results.run_read(session, principal=principal, loaded=loaded)
    if format is ExportFormat.json:
        return run
    return await file_response(f"考核结果-{run.scheme_name}-{run.cut_off:%Y%m%d}", format, _sheets(run))


@runs_router.put(
    "/{run_id}/scores/{unit_id}/{indicator}",
    response_model=RunRead,
    summary="Score a manual indicator, adjust a computed one, or strike or lift a manual veto item (with a reason)",
    responses=problem_responses(404, 409),
)
async def set_score(
    session: DbSession,
    principal: AssessmentWriter,
    run_id: uuid.UUID,
    unit_id: uuid.UUID,
    indicator: IndicatorCode,
    score_in: ScoreIn,
) -> RunRead:
    loaded = await runs.get_run(session, principal=principal, run_id=run_id)
    await runs.set_score(
        session, principal=principal, loaded=loaded, unit_id=unit_id, code=indicator, score_in=score_in
    )
    return await results.run_read(session, principal=principal, loaded=loaded)


@runs_router.post(
    "/{run_id}/finalise",
    response_model=RunRead,
    summary="Finalise a run: its results are read-only afterwards",
    responses=problem_responses(404, 409),
)
async def finalise_run(session: DbSession, principal: AssessmentWriter, run_id: uuid.UUID) -> RunRead:
    loaded = await runs.get_run(session, principal=principal, run_id=run_id)
    await runs.finalise(session, principal=principal, loaded=loaded)
    return await results.run_read(session, principal=principal, loaded=loaded)


@runs_router.get(
    "/{run_id}/units/{unit_id}/figures/{indicator}",
    response_model=FigureDetail,
    summary="What lies behind one unit's figure: the minors (masked by role), tasks, records or notices",
    responses=problem_responses(404),
)
async def figure_detail(
    session: DbSession,
    principal: AssessmentReader,
    run_id: uuid.UUID,
    unit_id: uuid.UUID,
    indicator: IndicatorCode,
) -> FigureDetail:
    return await assessment_runs.figure_detail(
        session, principal=principal, run_id=run_id, unit_id=unit_id, code=indicator
    )


@runs_router.get(
    "/{run_id}/notice",
    response_class=HTMLResponse,
    summary="The printable 通报 draft (HTML): the units to be named and called in",
    responses={**problem_responses(404), 200: {"content": {"text/html": {}}, "description": "The draft"}},
)
async def run_notice(session: DbSession, principal: AssessmentReader, run_id: uuid.UUID) -> HTMLResponse:
    loaded = await runs.get_run(session, principal=principal, run_id=run_id)
    run = await results.run_read(session, principal=principal, loaded=loaded)
    return HTMLResponse(notice.render_notice(run), headers={"Cache-Control": "no-store"})
