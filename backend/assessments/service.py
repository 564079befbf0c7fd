"""Assessment schemes and runs: storing, reading in scope, scoring by hand, finalising.

Computing a run reads several domains, so it lives in ``backend/workflows/assessment_runs.py``; this service
stores what that computation found and turns a run's figures into results (``summarise``).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.assessments.models import (
    AssessmentFigure,
    AssessmentRun,
    AssessmentScheme,
    AssessmentVetoHit,
    IndicatorSource,
    RunStatus,
    VetoKind,
)
from backend.assessments.schemas import (
    CallIn,
    Grade,
    Indicator,
    IndicatorHead,
    RunRead,
    SchemeIn,
    SchemeListItem,
    SchemeRead,
    SchemeRunSummary,
    ScoreIn,
    UnitResult,
    UnitScore,
    UnitVeto,
    Veto,
    VetoHead,
)
from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.campaigns.models import Campaign
from backend.db import local_today, utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.messages import Text
from backend.pagination import Page, PageParams, paginate
from backend.security import permissions
from backend.security.principals import Principal, in_subtree, within_scope
from backend.units.models import Unit, ids_on_path
from backend.units.schemas import UnitSummary

SchemeIssuer = aliased(Unit, name="scheme_issuer")
SchemeRoot = aliased(Unit, name="scheme_root")

SORT_FIELDS = {"updated_at": AssessmentScheme.updated_at, "name": AssessmentScheme.name}


def scheme_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Schemes issued in the principal's subtree, and schemes that assess a subtree holding the principal's
    unit (a township reads the rules it is assessed by)."""
    return sa.or_(
        within_scope(principal, SchemeIssuer.path),
        AssessmentScheme.unit_root_id.in_(ids_on_path(principal.unit_path)),
    )


def _scoped_schemes() -> Any:
    return (
        sa.select(AssessmentScheme, SchemeIssuer, SchemeRoot)
        .join(SchemeIssuer, SchemeIssuer.id == AssessmentScheme.issuing_unit_id)
        .join(SchemeRoot, SchemeRoot.id == AssessmentScheme.unit_root_id)
    )


@dataclass
class LoadedScheme:
    scheme: AssessmentScheme
    issuer: Unit
    root: Unit


async def get_scheme(session: AsyncSession, *, principal: Principal, scheme_id: uuid.UUID) -> LoadedScheme:
    row = (
        await session.execute(
            _scoped_schemes().where(AssessmentScheme.id == scheme_id, scheme_scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound("No such assessment scheme.")
    return LoadedScheme(row[0], row[1], row[2])


def _run_summary(run: AssessmentRun) -> SchemeRunSummary:
    return SchemeRunSummary(
        id=run.id, cut_off=run.cut_off, status=RunStatus(run.status), computed_at=run.computed_at
    )


async def list_schemes(
    session: AsyncSession, *, principal: Principal, page: PageParams
) -> Page[SchemeListItem]:
    statement = _scoped_schemes().where(scheme_scope(principal))
    found = await paginate(session, statement, page, lambda row: row)
    scheme_ids = [row[0].id for row in found.items]
    latest: dict[uuid.UUID, AssessmentRun] = {}
    if scheme_ids:
        runs = await session.scalars(
            sa.select(AssessmentRun)
            .where(AssessmentRun.scheme_id.in_(scheme_ids))
            .order_by(AssessmentRun.computed_at)
        )
        latest = {run.scheme_id: run for run in runs}
    items = [
        SchemeListItem(
            id=scheme.id,
            issuing_unit=UnitSummary.model_validate(issuer),
            name=scheme.name,
            period_start=scheme.period_start,
            period_end=scheme.period_end,
            indicator_count=len(scheme.indicators),
            latest_run=_run_summary(latest[scheme.id]) if scheme.id in latest else None,
            updated_at=scheme.updated_at,
        )
        for scheme, issuer, _root in found.items
    ]
    return Page[SchemeListItem](items=items, total=found.total, limit=found.limit, offset=found.offset)


async def scheme_detail(session: AsyncSession, *, principal: Principal, loaded: LoadedScheme) -> SchemeRead:
    scheme = loaded.scheme
    runs = await session.scalars(
        sa.select(AssessmentRun)
        .where(AssessmentRun.scheme_id == scheme.id)
        .order_by(AssessmentRun.computed_at.desc())
    )
    return SchemeRead(
        id=scheme.id,
        version=scheme.version,
        issuing_unit=UnitSummary.model_validate(loaded.issuer),
        name=scheme.name,
        period_start=scheme.period_start,
        period_end=scheme.period_end,
        unit_root=UnitSummary.model_validate(loaded.root),
        unit_kinds=list(scheme.unit_kinds),
        grades=[Grade.model_validate(grade) for grade in scheme.grades],
        pass_rate_target=scheme.pass_rate_target,
        indicators=[Indicator.model_validate(indicator) for indicator in scheme.indicators],
        vetoes=[Veto.model_validate(veto) for veto in scheme.vetoes],
        call_in=CallIn.model_validate(scheme.call_in),
        runs=[_run_summary(run) for run in runs],
        can_edit=permissions.may_edit_assessment_scheme(principal, issuing_unit_id=scheme.issuing_unit_id),
        created_at=scheme.created_at,
        updated_at=scheme.updated_at,
    )


def _ensure_editor(principal: Principal, issuing_unit_id: uuid.UUID) -> None:
    permissions.ensure(
        permissions.may_edit_assessment_scheme(principal, issuing_unit_id=issuing_unit_id),
        "Only the issuing unit's leads may change, run or score this assessment.",
    )


def ensure_may_run(principal: Principal, scheme: AssessmentScheme) -> None:
    _ensure_editor(principal, scheme.issuing_unit_id)


async def _root_in_scope(session: AsyncSession, principal: Principal, root_id: uuid.UUID) -> Unit:
    root = await session.scalar(sa.select(Unit).where(Unit.id == root_id, within_scope(principal, Unit.path)))
    if root is None:
        raise ValidationFailed.field(["body", "unit_root_id"], "no such unit in your scope", "unit.not_found")
    return root


async def _campaigns_exist(session: AsyncSession, scheme_in: SchemeIn) -> None:
    """Every campaign an indicator names must exist (its scope is checked when the run reads it)."""
    from_campaigns = {
        indicator.campaign.campaign_id: index
        for index, indicator in enumerate(scheme_in.indicators)
        if indicator.campaign
    }
    if not from_campaigns:
        return
    found = set(await session.scalars(sa.select(Campaign.id).where(Campaign.id.in_(from_campaigns))))
    for campaign_id, index in from_campaigns.items():
        if campaign_id not in found:
            raise ValidationFailed.field(
                ["body", "indicators", index, "campaign", "campaign_id"],
                "no such campaign",
                "campaign.not_found",
            )


def _apply(scheme: AssessmentScheme, scheme_in: SchemeIn, root: Unit) -> None:
    scheme.name = scheme_in.name
    scheme.period_start = scheme_in.period_start
    scheme.period_end = scheme_in.period_end
    scheme.unit_root_id = root.id
    scheme.unit_kinds = [kind.value for kind in scheme_in.unit_kinds]
    scheme.grades = [grade.model_dump(mode="json") for grade in scheme_in.grades]
    scheme.pass_rate_target = scheme_in.pass_rate_target
    scheme.indicators = [
        indicator.model_dump(mode="json", exclude_none=True) for indicator in scheme_in.indicators
    ]
    scheme.vetoes = [veto.model_dump(mode="json") for veto in scheme_in.vetoes]
    scheme.call_in = scheme_in.call_in.model_dump(mode="json")


async def create_scheme(session: AsyncSession, *, principal: Principal, scheme_in: SchemeIn) -> LoadedScheme:
    """A scheme issued by the principal's own unit, assessing units in its subtree."""
    _ensure_editor(principal, principal.unit_id)
    root = await _root_in_scope(session, principal, scheme_in.unit_root_id or principal.unit_id)
    await _campaigns_exist(session, scheme_in)
    scheme = AssessmentScheme(
        issuing_unit_id=principal.unit_id,
        name=scheme_in.name,
        period_start=scheme_in.period_start,
        period_end=scheme_in.period_end,
        unit_root_id=root.id,
        created_by_id=principal.id,
    )
    _apply(scheme, scheme_in, root)
    session.add(scheme)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_created,
        actor=principal,
        object_type="assessment_scheme",
        object_id=scheme.id,
    )
    issuer = await session.get(Unit, principal.unit_id)
    assert issuer is not None
    return LoadedScheme(scheme, issuer, root)


async def update_scheme(
    session: AsyncSession, *, principal: Principal, loaded: LoadedScheme, scheme_in: SchemeIn
) -> LoadedScheme:
    """Replace the scheme's rules. Runs already computed keep the rules they were computed with."""
    _ensure_editor(principal, loaded.scheme.issuing_unit_id)
    root = await _root_in_scope(session, principal, scheme_in.unit_root_id or loaded.scheme.unit_root_id)
    await _campaigns_exist(session, scheme_in)
    _apply(loaded.scheme, scheme_in, root)
    loaded.scheme.version += 1
    loaded.scheme.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_updated,
        actor=principal,
        object_type="assessment_scheme",
        object_id=loaded.scheme.id,
    )
    return LoadedScheme(loaded.scheme, loaded.issuer, root)


async def delete_scheme(session: AsyncSession, *, principal: Principal, loaded: LoadedScheme) -> None:
    _ensure_editor(principal, loaded.scheme.issuing_unit_id)
    has_runs = await session.scalar(
        sa.select(AssessmentRun.id).where(AssessmentRun.scheme_id == loaded.scheme.id).limit(1)
    )
    if has_runs is not None:
        raise Conflict("A scheme that has been run cannot be deleted.")
    await session.delete(loaded.scheme)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.assessment_scheme_deleted,
        actor=principal,
        object_type="assessment_scheme",
        object_id=loaded.scheme.id,
    )


# --- runs ---------------------------------------------------------------------------------------------------


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
    _ensure_editor(principal, scheme.issuing_unit_id)
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
    _ensure_editor(principal, loaded.issuer.id)
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
    _ensure_editor(principal, loaded.issuer.id)
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
