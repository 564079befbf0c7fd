"""Submitting school metrics (one school, or a batch from the education bureau) and reading their history."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.clients.models import ApiClient
from backend.db import AnySelect, utcnow
from backend.errors import FieldError, NotFound, ValidationFailed
from backend.pagination import Page, PageParams, paginate
from backend.school_metrics.models import METRIC_FIELDS, SchoolMetric
from backend.school_metrics.schemas import (
    SchoolMetricBatch,
    SchoolMetricBatchResult,
    SchoolMetricRead,
)
from backend.security.principals import Principal, within_school_scope
from backend.terms import Term
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitSummary
from backend.users.models import User

SORT_FIELDS = {"submitted_at": SchoolMetric.submitted_at, "term": SchoolMetric.term, "school": Unit.name}


# Who submitted a revision, by name as they are called now: the person's display name or the client's name.
_SUBMITTER_DISPLAY = sa.func.coalesce(User.display_name, ApiClient.name).label("submitter_display")


def _with_submitter(statement: AnySelect) -> AnySelect:
    return statement.outerjoin(
        User, sa.and_(SchoolMetric.submitted_by_kind == "user", User.id == SchoolMetric.submitted_by_id)
    ).outerjoin(
        ApiClient,
        sa.and_(SchoolMetric.submitted_by_kind == "client", ApiClient.id == SchoolMetric.submitted_by_id),
    )


def present(metric: SchoolMetric, school: Unit, submitter_display: str | None) -> SchoolMetricRead:
    term = Term.parse(metric.term)
    return SchoolMetricRead(
        id=metric.id,
        school=UnitSummary.model_validate(school),
        term=metric.term,
        term_label=term.label,
        revision=metric.revision,
        is_current=metric.superseded_at is None,
        submitted_at=metric.submitted_at,
        submitted_by=metric.submitted_by_name,
        submitted_by_kind=metric.submitted_by_kind,
        submitted_by_display=submitter_display,
        superseded_at=metric.superseded_at,
        **{name: getattr(metric, name) for name in METRIC_FIELDS},
    )


def _check_rows(
    principal: Principal, batch: SchoolMetricBatch, schools: dict[uuid.UUID, Unit]
) -> tuple[list[uuid.UUID], list[FieldError]]:
    problems: list[FieldError] = []

    def problem(index: int, field: str, msg: str, type_: str) -> None:
        problems.append(FieldError(["body", "rows", index, field], msg, type_))

    school_ids: list[uuid.UUID] = []
    seen: set[uuid.UUID] = set()
    if Term.parse(batch.term) > Term.current():
        problems.append(FieldError(["body", "term"], "this term has not begun", "term.future"))
    for index, row in enumerate(batch.rows):
        school_id = row.school_id or (principal.unit_id if principal.unit_kind == UnitKind.school else None)
        school_ids.append(school_id or uuid.UUID(int=0))
        if school_id is None:
            problem(index, "school_id", "name the school", "school.missing")
        elif school_id not in schools:
            problem(index, "school_id", "no such school in your scope", "school.not_found")
        elif school_id in seen:
            problem(index, "school_id", "this school appears twice in the batch", "school.duplicate")
        if school_id:
            seen.add(school_id)
        if row.students_registered > row.students_enrolled:
            problem(
                index,
                "students_registered",
                "more students registered than enrolled",
                "metrics.registered_exceeds_enrolled",
            )
        if row.students_completed > row.students_registered:
            problem(
                index,
                "students_completed",
                "more students completed than registered",
                "metrics.completed_exceeds_registered",
            )
    return school_ids, problems


async def submit(
    session: AsyncSession, *, principal: Principal, batch: SchoolMetricBatch
) -> SchoolMetricBatchResult:
    """Store every row as the new current revision of its school and term, or none of them: a 422 lists every
    row's problems (``loc`` = ``["body", "rows", i, field]``)."""
    named = {row.school_id for row in batch.rows if row.school_id} | {principal.unit_id}
    schools = {
        unit.id: unit
        for unit in (
            await session.scalars(
                sa.select(Unit).where(
                    Unit.id.in_(named),
                    Unit.kind == UnitKind.school,
                    within_school_scope(principal, Unit.path, Unit.id),
                )
            )
        ).all()
    }
    school_ids, problems = _check_rows(principal, batch, schools)
    if problems:
        raise ValidationFailed.of(problems)

    now = utcnow()
    latest: dict[uuid.UUID, int] = dict(
        (
            await session.execute(
                sa.select(SchoolMetric.school_id, sa.func.max(SchoolMetric.revision))
                .where(SchoolMetric.term == batch.term, SchoolMetric.school_id.in_(school_ids))
                .group_by(SchoolMetric.school_id)
            )
        ).all()
    )
    await session.execute(
        sa.update(SchoolMetric)
        .where(
            SchoolMetric.term == batch.term,
            SchoolMetric.school_id.in_(school_ids),
            SchoolMetric.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    stored = []
    for school_id, row in zip(school_ids, batch.rows, strict=True):
        metric = SchoolMetric(
            school_id=school_id,
            term=batch.term,
            revision=latest.get(school_id, 0) + 1,
            submitted_at=now,
            submitted_by_kind=principal.kind,
            submitted_by_id=principal.id,
            submitted_by_name=principal.name[:64],
            **row.model_dump(include=set(METRIC_FIELDS)),
        )
        session.add(metric)
        stored.append(metric)
    await audit.record(
        session,
        action=AuditAction.school_metrics_submitted,
        actor=principal,
        object_type="school_metrics",
        object_id=batch.term,
        reason=f"{len(stored)} school(s)",
    )
    term = Term.parse(batch.term)
    result = SchoolMetricBatchResult(
        term=term.code,
        term_label=term.label,
        accepted=len(stored),
        rows=[present(metric, schools[metric.school_id], principal.display_name) for metric in stored],
    )
    await session.flush()
    return result


async def list_metrics(
    session: AsyncSession,
    *,
    principal: Principal,
    page: PageParams,
    term: str | None,
    school_id: uuid.UUID | None,
    history: bool,
) -> Page[SchoolMetricRead]:
    """Submitted figures of schools in scope: the current ones, or with ``history`` every revision."""
    statement = _with_submitter(
        sa.select(SchoolMetric, Unit, _SUBMITTER_DISPLAY)
        .join(Unit, Unit.id == SchoolMetric.school_id)
        .where(within_school_scope(principal, Unit.path, Unit.id))
    )
    if school_id is not None:
        reachable = await session.scalar(
            sa.select(Unit.id).where(Unit.id == school_id, within_school_scope(principal, Unit.path, Unit.id))
        )
        if reachable is None:
            raise NotFound("No such school.")
        statement = statement.where(SchoolMetric.school_id == school_id)
    if term is not None:
        statement = statement.where(SchoolMetric.term == term)
    if not history:
        statement = statement.where(SchoolMetric.superseded_at.is_(None))
    return await paginate(session, statement, page, lambda row: present(row[0], row[1], row[2]))


async def record_system_figures(
    session: AsyncSession, *, school_id: uuid.UUID, term: Term, figures: dict[str, int]
) -> bool:
    """Store figures for a school and term that has none yet, as the system (the demo county). False if some
    exist already, so that loading the demo again changes nothing."""
    exists = await session.scalar(
        sa.select(SchoolMetric.id).where(SchoolMetric.school_id == school_id, SchoolMetric.term == term.code)
    )
    if exists is not None:
        return False
    session.add(
        SchoolMetric(
            school_id=school_id,
            term=term.code,
            submitted_by_kind="system",
            submitted_by_name="qinghu",
            **{name: figures[name] for name in METRIC_FIELDS},
        )
    )
    await session.flush()
    return True
