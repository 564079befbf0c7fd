import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from backend import idempotency
from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.idempotency import IdempotencyKeyHeader
from backend.pagination import Page, PageParams, page_params
from backend.school_metrics import service
from backend.school_metrics.models import SchoolMetric
from backend.school_metrics.schemas import SchoolMetricBatch, SchoolMetricBatchResult, SchoolMetricRead
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.terms import TermCode

router = APIRouter(
    prefix="/school-metrics", tags=["school-metrics"], responses=problem_responses(401, 403, 422)
)

# Idempotency keys belong to one principal on one route (backend/idempotency.py).
SUBMIT_ROUTE = "POST /api/v1/school-metrics"

MetricsWriter = Annotated[Principal, Depends(require(Scope.metrics_write))]
StatsReader = Annotated[Principal, Depends(require(Scope.stats_read))]
MetricsPage = Annotated[
    PageParams,
    Depends(page_params(service.SORT_FIELDS, default="-submitted_at", tie_breaker=SchoolMetric.id)),
]


@router.post(
    "",
    response_model=SchoolMetricBatchResult,
    status_code=status.HTTP_201_CREATED,
    summary="Submit term figures for one school or many (all or nothing; later submissions replace earlier)",
    responses={
        200: {"model": SchoolMetricBatchResult, "description": "A replay of an earlier submission"},
        **problem_responses(409),
    },
)
async def submit_school_metrics(
    session: DbSession,
    principal: MetricsWriter,
    batch: SchoolMetricBatch,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    fingerprint = idempotency.request_fingerprint(batch.model_dump(mode="json"))
    earlier = await idempotency.find_answer(
        session, principal=principal, route=SUBMIT_ROUTE, key=idempotency_key, fingerprint=fingerprint
    )
    if earlier is not None:
        return JSONResponse(earlier.body, status_code=status.HTTP_200_OK)
    result = await service.submit(session, principal=principal, batch=batch)
    await idempotency.remember_answer(
        session,
        principal=principal,
        route=SUBMIT_ROUTE,
        key=idempotency_key,
        fingerprint=fingerprint,
        status_code=status.HTTP_201_CREATED,
        body=result.model_dump(mode="json"),
    )
    return result


@router.get(
    "",
    response_model=Page[SchoolMetricRead],
    summary="Submitted figures of schools in scope (current, or every revision with history=true)",
    responses=problem_responses(404),
)
async def list_school_metrics(
    session: DbSession,
    principal: StatsReader,
    page: MetricsPage,
    term: Annotated[TermCode | None, Query()] = None,
    school_id: uuid.UUID | None = None,
    history: Annotated[bool, Query(description="Include replaced revisions")] = False,
) -> Page[SchoolMetricRead]:
    return await service.list_metrics(
        session, principal=principal, page=page, term=term, school_id=school_id, history=history
    )
