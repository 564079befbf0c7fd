"""Assessment runs: the rules a run is computed with (``rules_of``), the units it assesses, storing what the
computation found (``store_run``: ``backend/workflows/assessment_runs.py`` computes it, reading several domains),
reading a run in scope, scoring by hand, striking veto items, finalising."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assessments.models import (
    AssessmentFigure,
    AssessmentRun,
    AssessmentScheme,
    AssessmentVetoHit,
    IndicatorSource,
    RunStatus,
    VetoKind,
)
from backend.assessments.schemas import Indicator, ScoreIn, Veto
from backend.assessments.service.schemes import ensure_editor
from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_today, utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.messages import Text
from backend.security import permissions
from backend.security.principals import Principal, in_subtree
from backend.units.models import Unit


def rules_of(scheme: AssessmentScheme) -> dict[str, Any]:
    """What a run is computed with, copied onto the run."""
    return {
        "name": scheme.name,
        "period_start": scheme.period_start.isoformat(),
        "period_end": scheme.period_end.isoformat(),
        "unit_root_id": str(scheme.unit_root_id),
        "unit_kinds": list(scheme.unit_kinds),
        "grades": list(scheme.grades),
        "pass_rate_target": scheme.pass_rate_target,
        "indicators": list(scheme.indicators),
        "vetoes": list(scheme.vetoes),
        "call_in": dict(scheme.call_in),
    }


def default_cut_off(scheme: AssessmentScheme) -> Any:
    return min(local_today(), scheme.period_end)


async def assessed_units(session: AsyncSession, *, root_id: uuid.UUID, kinds: Sequence[str]) -> list[Unit]:
    """The units a scheme assesses: active units of its kinds at or below its root, in tree order."""
    root = await session.get(Unit, root_id)
    if root is None:
        return []
    return list(
        await session.scalars(
            sa.select(Unit)
            .where(in_subtree(Unit.path, root.path), Unit.kind.in_(list(kinds)), Unit.is_active.is_(True))
            .order_by(Unit.path)
        )
    )


@dataclass
class FigureIn:
    """One computed figure, as the run's computation found it."""

    unit_id: uuid.UUID
    indicator: str
    score: float | None
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    ids_kind: str | None = None
    ids: Sequence[uuid.UUID] = field(default_factory=tuple)


@dataclass
class VetoHitIn:
    unit_id: uuid.UUID
    veto: str
    ids_kind: str | None
    ids: Sequence[uuid.UUID]


def _figure_row(run_id: uuid.UUID, figure: FigureIn) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "unit_id": figure.unit_id,
        "indicator": figure.indicator,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "value": figure.value,
        "ids_kind": figure.ids_kind,
        "ids": sorted(str(record_id) for record_id in figure.ids),
        "computed_score": figure.score,
        "adjusted_score": None,
        "reason": None,
        "adjusted_at": None,
        "adjusted_by_id": None,
    }


async def store_run(
    session: AsyncSession,
    *,
    principal: Principal,
    scheme: AssessmentScheme,
    cut_off: Any,
    figures: Iterable[FigureIn],
    veto_hits: Iterable[VetoHitIn],
) -> AssessmentRun:
    """A new run with its figures, written in bulk (one statement per table)."""
    ensure_editor(principal, scheme.issuing_unit_id)
    run = AssessmentRun(
        scheme_id=scheme.id, cut_off=cut_off, rules=rules_of(scheme), computed_by_id=principal.id
    )
    session.add(run)
    await session.flush()
    figure_rows = [_figure_row(run.id, figure) for figure in figures]
    if figure_rows:
        await session.execute(sa.insert(AssessmentFigure), figure_rows)
    now = utcnow()
    hit_rows = [
        {
            "run_id": run.id,
            "unit_id": hit.unit_id,
            "veto": hit.veto,
            "ids_kind": hit.ids_kind,
            "ids": sorted(str(record_id) for record_id in hit.ids),
            "reason": None,
            "set_at": now,
            "set_by_id": None,
        }
        for hit in veto_hits
    ]
    if hit_rows:
        await session.execute(sa.insert(AssessmentVetoHit), hit_rows)
    await audit.record(
        session,
        action=AuditAction.assessment_run_computed,
        actor=principal,
        object_type="assessment_run",
        object_id=run.id,
    )
    return run


@dataclass
class LoadedRun:
    run: AssessmentRun
    issuer: Unit
    sees_all: bool


async def get_run(session: AsyncSession, *, principal: Principal, run_id: uuid.UUID) -> LoadedRun:
    """A run the principal may read: all of it for the issuing subtree's leads and auditors, the own unit's
    result for an assessed unit's people; anyone else finds no such run."""
    row = (
        await session.execute(
            sa.select(AssessmentRun, Unit)
            .join(AssessmentScheme, AssessmentScheme.id == AssessmentRun.scheme_id)
            .join(Unit, Unit.id == AssessmentScheme.issuing_unit_id)
            .where(AssessmentRun.id == run_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such assessment run.")
    run, issuer = row[0], row[1]
    if permissions.reads_all_assessment_results(principal, issuing_path=issuer.path):
        return LoadedRun(run, issuer, True)
    assessed_here = await session.scalar(
        sa.select(AssessmentFigure.unit_id)
        .where(AssessmentFigure.run_id == run.id, AssessmentFigure.unit_id == principal.unit_id)
        .limit(1)
    )
    if assessed_here is None or not permissions.reads_assessment_result_of(
        principal, issuing_path=issuer.path, unit_id=principal.unit_id
    ):
        raise NotFound("No such assessment run.")
    return LoadedRun(run, issuer, False)


def _ensure_open(run: AssessmentRun) -> None:
    if run.status == RunStatus.finalised.value:
        raise Conflict("A finalised assessment run cannot be changed.")


async def set_score(
    session: AsyncSession,
    *,
    principal: Principal,
    loaded: LoadedRun,
    unit_id: uuid.UUID,
    code: str,
    score_in: ScoreIn,
) -> None:
    """A manual indicator scored, a computed one adjusted (or its adjustment removed), or a manual veto item
    struck or lifted: each with a reason, audited."""
    run = loaded.run
    ensure_editor(principal, loaded.issuer.id)
    _ensure_open(run)
    figure = await session.get(AssessmentFigure, (run.id, unit_id, code))
    indicators = {item["code"]: Indicator.model_validate(item) for item in run.rules["indicators"]}
    vetoes = {item["code"]: Veto.model_validate(item) for item in run.rules["vetoes"]}
    assessed = await session.scalar(
        sa.select(AssessmentFigure.unit_id)
        .where(AssessmentFigure.run_id == run.id, AssessmentFigure.unit_id == unit_id)
        .limit(1)
    )
    if assessed is None or (code not in indicators and code not in vetoes):
        raise NotFound("No such unit or indicator in this assessment run.")
    if code in vetoes:
        await _set_veto(
            session, principal=principal, run=run, unit_id=unit_id, veto=vetoes[code], score_in=score_in
        )
        return
    indicator = indicators[code]
    if score_in.vetoed is not None:
        raise ValidationFailed.field(
            ["body", "vetoed"], "only a veto item is struck or lifted", "score.not_veto"
        )
    if score_in.score is not None and score_in.score > indicator.max_score:
        raise ValidationFailed.field(
            ["body", "score"],
            Text("at most the indicator's maximum, {max_score}", max_score=indicator.max_score),
            "score.above_maximum",
        )
    if score_in.score is None and indicator.source is IndicatorSource.manual:
        raise ValidationFailed.field(["body", "score"], "give the score", "score.missing")
    assert figure is not None
    figure.adjusted_score = score_in.score
    figure.reason = score_in.reason
    figure.adjusted_at = utcnow()
    figure.adjusted_by_id = principal.id
    run.version += 1
    run.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_score_set,
        actor=principal,
        unit_id=unit_id,
        object_type="assessment_run",
        object_id=run.id,
        fields=[code],
        reason=score_in.reason,
    )


async def _set_veto(
    session: AsyncSession,
    *,
    principal: Principal,
    run: AssessmentRun,
    unit_id: uuid.UUID,
    veto: Veto,
    score_in: ScoreIn,
) -> None:
    if veto.kind is not VetoKind.manual:
        raise ValidationFailed.field(
            ["path", "indicator"], "a computed veto item is not set by hand", "veto.computed"
        )
    if score_in.vetoed is None or score_in.score is not None:
        raise ValidationFailed.field(["body", "vetoed"], "say whether the veto item applies", "veto.missing")
    hit = await session.get(AssessmentVetoHit, (run.id, unit_id, veto.code))
    if score_in.vetoed and hit is None:
        session.add(
            AssessmentVetoHit(
                run_id=run.id, unit_id=unit_id, veto=veto.code, reason=score_in.reason, set_by_id=principal.id
            )
        )
    elif score_in.vetoed and hit is not None:
        hit.reason = score_in.reason
    elif hit is not None:
        await session.delete(hit)
    run.version += 1
    run.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_veto_set,
        actor=principal,
        unit_id=unit_id,
        object_type="assessment_run",
        object_id=run.id,
        fields=[veto.code],
        reason=score_in.reason,
    )


async def finalise(session: AsyncSession, *, principal: Principal, loaded: LoadedRun) -> None:
    """Fix the run's results: afterwards nothing in it changes (409)."""
    ensure_editor(principal, loaded.issuer.id)
    _ensure_open(loaded.run)
    loaded.run.status = RunStatus.finalised.value
    loaded.run.finalised_at = utcnow()
    loaded.run.finalised_by_id = principal.id
    loaded.run.version += 1
    loaded.run.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_run_finalised,
        actor=principal,
        object_type="assessment_run",
        object_id=loaded.run.id,
    )
