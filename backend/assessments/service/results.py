"""A run's results: each unit's total, grade, rank, veto and call-in (``summarise``), the run as its reader sees
it (``run_read``), and one figure with what it names, for its explanation (``figure_of``, ``describe``)."""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assessments.models import AssessmentFigure, AssessmentRun, AssessmentVetoHit, RunStatus
from backend.assessments.schemas import (
    CallIn,
    Grade,
    Indicator,
    IndicatorHead,
    RunRead,
    UnitResult,
    UnitScore,
    UnitVeto,
    Veto,
    VetoHead,
)
from backend.assessments.service.runs import LoadedRun
from backend.errors import NotFound
from backend.security import permissions
from backend.security.principals import Principal
from backend.units.models import Unit
from backend.units.schemas import UnitSummary


def _grade_for(total: float, grades: list[Grade]) -> Grade:
    for grade in grades:
        if total >= grade.min_score:
            return grade
    return grades[-1]


def summarise(
    *,
    rules: dict[str, Any],
    units: Sequence[Unit],
    figures: Sequence[AssessmentFigure],
    hits: Sequence[AssessmentVetoHit],
) -> list[UnitResult]:
    """Each unit's total, grade, rank, veto, and whether it is named or called in, best first.

    Equal totals share a rank (1, 1, 3). A vetoed unit gets the failing grade whatever its total."""
    indicators = [Indicator.model_validate(indicator) for indicator in rules["indicators"]]
    grades = [Grade.model_validate(grade) for grade in rules["grades"]]
    call_in = CallIn.model_validate(rules["call_in"])
    by_unit: dict[uuid.UUID, dict[str, AssessmentFigure]] = {}
    for figure in figures:
        by_unit.setdefault(figure.unit_id, {})[figure.indicator] = figure
    hits_by_unit: dict[uuid.UUID, list[AssessmentVetoHit]] = {}
    for hit in hits:
        hits_by_unit.setdefault(hit.unit_id, []).append(hit)
    drafts = []
    for unit in units:
        scores = []
        for indicator in indicators:
            found = by_unit.get(unit.id, {}).get(indicator.code)
            computed = found.computed_score if found else None
            adjusted = found.adjusted_score if found else None
            score = adjusted if adjusted is not None else (computed or 0.0)
            scores.append(
                UnitScore(
                    indicator=indicator.code,
                    score=score,
                    computed_score=computed,
                    adjusted=adjusted is not None,
                    reason=found.reason if found else None,
                    numerator=found.numerator if found else None,
                    denominator=found.denominator if found else None,
                    value=found.value if found else None,
                )
            )
        total = round(sum(score.score for score in scores), 2)
        unit_hits = hits_by_unit.get(unit.id, [])
        drafts.append((unit, total, scores, unit_hits))
    drafts.sort(key=lambda draft: (-draft[1], draft[0].name, draft[0].path))
    ranks: list[int] = []
    for position, draft in enumerate(drafts, start=1):
        tied = ranks and drafts[position - 2][1] == draft[1]
        ranks.append(ranks[-1] if tied else position)
    # Bottom N counts ranks: units tied with the Nth from the bottom are called in too.
    bottom_rank = (
        ranks[max(0, len(drafts) - call_in.bottom_n)] if call_in.bottom_n is not None and drafts else None
    )
    results = []
    for rank, (unit, total, scores, unit_hits) in zip(ranks, drafts, strict=True):
        vetoed = bool(unit_hits)
        grade = grades[-1] if vetoed else _grade_for(total, grades)
        passed = grade is not grades[-1]
        in_bottom = bottom_rank is not None and rank >= bottom_rank
        below = call_in.below_score is not None and total < call_in.below_score
        results.append(
            UnitResult(
                unit=UnitSummary.model_validate(unit),
                total=total,
                grade=grade.label,
                rank=rank,
                vetoed=vetoed,
                passed=passed,
                named=not passed,
                called_in=in_bottom or below,
                scores=scores,
                vetoes=[
                    UnitVeto(veto=hit.veto, count=len(hit.ids), reason=hit.reason)
                    for hit in sorted(unit_hits, key=lambda hit: hit.veto)
                ],
            )
        )
    return results


async def run_results(session: AsyncSession, *, run: AssessmentRun) -> list[UnitResult]:
    """Every assessed unit's result in a run (three statements whatever the number of units)."""
    figures = list(
        await session.scalars(sa.select(AssessmentFigure).where(AssessmentFigure.run_id == run.id))
    )
    hits = list(await session.scalars(sa.select(AssessmentVetoHit).where(AssessmentVetoHit.run_id == run.id)))
    unit_ids = {figure.unit_id for figure in figures}
    units = list(await session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)))) if unit_ids else []
    return summarise(rules=run.rules, units=units, figures=figures, hits=hits)


async def run_read(session: AsyncSession, *, principal: Principal, loaded: LoadedRun) -> RunRead:
    run = loaded.run
    rules = run.rules
    results = await run_results(session, run=run)
    passed = sum(1 for result in results if result.passed)
    pass_rate = round(passed / len(results), 4) if results else None
    target = rules.get("pass_rate_target")
    shown = results if loaded.sees_all else [r for r in results if r.unit.id == principal.unit_id]
    return RunRead(
        id=run.id,
        scheme_id=run.scheme_id,
        scheme_name=rules["name"],
        issuing_unit=UnitSummary.model_validate(loaded.issuer),
        cut_off=run.cut_off,
        period_start=rules["period_start"],
        period_end=rules["period_end"],
        status=RunStatus(run.status),
        computed_at=run.computed_at,
        finalised_at=run.finalised_at,
        indicators=[
            IndicatorHead(
                code=indicator.code,
                name=indicator.name,
                source=indicator.source,
                max_score=indicator.max_score,
            )
            for indicator in (Indicator.model_validate(item) for item in rules["indicators"])
        ],
        vetoes=[
            VetoHead(code=veto.code, name=veto.name, kind=veto.kind, days=veto.days)
            for veto in (Veto.model_validate(item) for item in rules["vetoes"])
        ],
        grades=[Grade.model_validate(grade) for grade in rules["grades"]],
        assessed=len(results),
        passed=passed,
        pass_rate=pass_rate,
        pass_rate_target=target,
        target_met=None if target is None or pass_rate is None else pass_rate >= target,
        results=shown,
        sees_all=loaded.sees_all,
        can_edit=run.status == RunStatus.computed.value
        and permissions.may_edit_assessment_scheme(principal, issuing_unit_id=loaded.issuer.id),
    )


async def figure_of(
    session: AsyncSession, *, principal: Principal, loaded: LoadedRun, unit_id: uuid.UUID, code: str
) -> tuple[Unit, AssessmentFigure | AssessmentVetoHit]:
    """One unit's figure (or veto hit) in a run, for its explanation: the unit's own people, or those who read
    all; another unit's is not found."""
    if not permissions.reads_assessment_result_of(
        principal, issuing_path=loaded.issuer.path, unit_id=unit_id
    ):
        raise NotFound("No such unit or indicator in this assessment run.")
    found: AssessmentFigure | AssessmentVetoHit | None = await session.get(
        AssessmentFigure, (loaded.run.id, unit_id, code)
    )
    if found is None:
        found = await session.get(AssessmentVetoHit, (loaded.run.id, unit_id, code))
    unit = await session.get(Unit, unit_id)
    if found is None or unit is None:
        raise NotFound("No such unit or indicator in this assessment run.")
    return unit, found


def describe(rules: dict[str, Any], code: str) -> tuple[str, str]:
    """An indicator's or veto item's name and source (``veto`` for a veto item)."""
    for item in rules["indicators"]:
        if item["code"] == code:
            indicator = Indicator.model_validate(item)
            return indicator.name, indicator.source.value
    for item in rules["vetoes"]:
        if item["code"] == code:
            return str(item["name"]), "veto"
    return code, "unknown"
