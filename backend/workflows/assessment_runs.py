"""Computing an assessment run: every indicator of a scheme for every assessed unit, as of a cut-off.

It reads several domains (campaign reports, the rates over care files and notices, work records, care files and
seizure notices for the veto items), so it lives here; the assessments service stores what it finds. Every
source is one set-based query (or a fixed few) for all the units together, never a query per unit: each
assessed unit counts its whole subtree, found by joining the units on their materialised paths.

``compute_figures`` is the computation alone (no writes): the benchmark times it, and a re-run of a finalised
run's rules gives the same figures as the run stored.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.assessments.models import AssessmentFigure, AssessmentRun, VetoKind
from backend.assessments.schemas import (
    FigureDetail,
    FigureNotice,
    FigureRecord,
    FigureTask,
    Indicator,
    RateSource,
    RunRead,
    Veto,
)
from backend.assessments.service import results, runs, schemes
from backend.campaigns.models import CampaignTarget, CampaignTask, TaskReport, TaskReportStatus
from backend.care_files.models import CareFile, CareFileStatus
from backend.db import local_midnight_utc
from backend.minors.service import presenting as minors
from backend.security.principals import Principal
from backend.seizures.models import SeizureNotice
from backend.stats import rates
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.work_records.models import InspectionVisit, PublicityActivity, ResponsibilityLetter

Assessed = aliased(Unit, name="assessed_unit")

# What the ids of each rate name (backend/stats/rates.py, IDS_BEHIND).
RATE_IDS_KIND = dict.fromkeys(rates.RATE_CODES, "minor") | {
    "notice_same_day_rate": "seizure_notice",
    "responsible_share": "care_file",
}


def _below(assessed: Any, path_column: Any) -> sa.ColumnElement[bool]:
    """The row's unit lies at or below the assessed unit: a range on the path index (paths hold hex digits
    and '/', all of which sort before '~')."""
    return sa.and_(path_column >= assessed.path, path_column < assessed.path + "~")


def _end_of(day: date) -> Any:
    """The first moment after ``day`` (Beijing), in UTC."""
    return local_midnight_utc(day + timedelta(days=1))


@dataclass
class Computed:
    figures: list[runs.FigureIn] = field(default_factory=list)
    veto_hits: list[runs.VetoHitIn] = field(default_factory=list)


def _linear(value: float, floor: float, target: float, max_score: float) -> float:
    share = (value - floor) / (target - floor)
    return round(max(0.0, min(1.0, share)) * max_score, 2)


def rate_score(source: RateSource, value: float | None, max_score: float) -> float:
    """A rate's points. With nothing to count (no denominator) the unit has nothing to fall short on: full
    points (docs/assessments.md)."""
    if value is None:
        return max_score
    if source.mapping == "linear":
        assert source.floor is not None
        assert source.target is not None
        return _linear(value, source.floor, source.target, max_score)
    if source.better == "higher":
        reached = [step.score for step in source.thresholds if value >= step.bound]
    else:
        reached = [step.score for step in source.thresholds if value <= step.bound]
    return max(reached, default=0.0)


async def _campaign_figures(
    session: AsyncSession, units: Sequence[Unit], indicator: Indicator, cut_off: date
) -> list[runs.FigureIn]:
    """One query: each target unit's tasks of the campaign under each assessed unit, approved or not as of the
    cut-off. Tasks of a unit that was not sent the campaign do not count; without any, the unit scores 0."""
    assert indicator.campaign is not None
    source = indicator.campaign
    approved = sa.and_(
        col(TaskReport.status) == TaskReportStatus.approved.value,
        col(TaskReport.reviewed_at) < _end_of(cut_off),
    )
    statement = (
        sa.select(col(Assessed.id), col(CampaignTask.weight), col(TaskReport.id), approved)
        .select_from(CampaignTarget)
        .join(Unit, col(Unit.id) == CampaignTarget.unit_id)
        .join(Assessed, _below(Assessed, Unit.path))
        .join(CampaignTask, col(CampaignTask.campaign_id) == CampaignTarget.campaign_id)
        .outerjoin(
            TaskReport,
            sa.and_(
                col(TaskReport.task_id) == CampaignTask.id, col(TaskReport.unit_id) == CampaignTarget.unit_id
            ),
        )
        .where(
            col(CampaignTarget.campaign_id) == source.campaign_id,
            col(Assessed.id).in_([unit.id for unit in units]),
        )
    )
    numerators: dict[uuid.UUID, float] = defaultdict(float)
    denominators: dict[uuid.UUID, float] = defaultdict(float)
    ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for unit_id, weight, report_id, is_approved in (await session.execute(statement)).all():
        counted = 1.0 if source.mode == "approved_share" or weight is None else float(weight)
        denominators[unit_id] += counted
        if is_approved:
            numerators[unit_id] += counted
            ids[unit_id].append(report_id)
    figures = []
    for unit in units:
        denominator = denominators.get(unit.id, 0.0)
        numerator = numerators.get(unit.id, 0.0)
        value = round(numerator / denominator, 4) if denominator else None
        score = round(numerator / denominator * indicator.max_score, 2) if denominator else 0.0
        figures.append(
            runs.FigureIn(
                unit_id=unit.id,
                indicator=indicator.code,
                score=score,
                numerator=numerator,
                denominator=denominator,
                value=value,
                ids_kind="task_report",
                ids=ids.get(unit.id, []),
            )
        )
    return figures


def _work_records_statement(kind: str, period_start: date, cut_off: date) -> Any:
    """The records of one kind in the period up to the cut-off, with the path of the unit they count for: the
    unit that held the activity, made the inspection, or signed the letter."""
    if kind == "activities":
        return (
            sa.select(col(Assessed.id), col(PublicityActivity.id))
            .join(Unit, col(Unit.id) == PublicityActivity.unit_id)
            .where(col(PublicityActivity.held_on).between(period_start, cut_off)),
            "publicity_activity",
        )
    if kind == "inspections":
        return (
            sa.select(col(Assessed.id), col(InspectionVisit.id))
            .join(Unit, col(Unit.id) == InspectionVisit.inspecting_unit_id)
            .where(col(InspectionVisit.visited_on).between(period_start, cut_off)),
            "inspection_visit",
        )
    return (
        sa.select(col(Assessed.id), col(ResponsibilityLetter.id))
        .join(Unit, col(Unit.id) == ResponsibilityLetter.signer_unit_id)
        .where(col(ResponsibilityLetter.year).between(period_start.year, cut_off.year)),
        "responsibility_letter",
    )


async def _work_record_figures(
    session: AsyncSession, units: Sequence[Unit], indicator: Indicator, period_start: date, cut_off: date
) -> list[runs.FigureIn]:
    """One query: the records of the kind under each assessed unit; the target count or more scores the
    maximum, fewer the same share of it."""
    assert indicator.work_records is not None
    source = indicator.work_records
    base, ids_kind = _work_records_statement(source.kind, period_start, cut_off)
    statement = base.join(Assessed, _below(Assessed, Unit.path)).where(
        col(Assessed.id).in_([unit.id for unit in units])
    )
    ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for unit_id, record_id in (await session.execute(statement)).all():
        ids[unit_id].append(record_id)
    figures = []
    for unit in units:
        count = len(ids.get(unit.id, []))
        share = min(1.0, count / source.target)
        figures.append(
            runs.FigureIn(
                unit_id=unit.id,
                indicator=indicator.code,
                score=round(share * indicator.max_score, 2),
                numerator=float(count),
                denominator=float(source.target),
                value=round(share, 4),
                ids_kind=ids_kind,
                ids=ids.get(unit.id, []),
            )
        )
    return figures


async def _rate_figures(
    session: AsyncSession,
    units: Sequence[Unit],
    indicators: Sequence[Indicator],
    period_start: date,
    period_end: date,
    cut_off: date,
) -> list[runs.FigureIn]:
    """The rates (one fixed set of queries for all units and all rate indicators), mapped to points."""
    if not indicators:
        return []
    period = rates.Period(start=period_start, end=min(period_end, cut_off))
    found = await rates.unit_rates(session, units=units, period=period, explain=True)
    figures = []
    for indicator in indicators:
        assert indicator.rate is not None
        code = indicator.rate.rate
        for unit in units:
            figure = found.get(unit.id, {}).get(code) or rates.RateFigure(0, 0, None)
            figures.append(
                runs.FigureIn(
                    unit_id=unit.id,
                    indicator=indicator.code,
                    score=rate_score(indicator.rate, figure.value, indicator.max_score),
                    numerator=float(figure.numerator),
                    denominator=float(figure.denominator),
                    value=figure.value,
                    ids_kind=RATE_IDS_KIND[code],
                    ids=figure.ids,
                )
            )
    return figures


async def _veto_hits(
    session: AsyncSession, units: Sequence[Unit], veto: Veto, cut_off: date
) -> list[runs.VetoHitIn]:
    """One query per computed veto item: the records that strike each assessed unit."""
    assert veto.days is not None
    unit_ids = [unit.id for unit in units]
    limit_day = cut_off - timedelta(days=veto.days)
    if veto.kind is VetoKind.lost_contact_over_days:
        # A file open at the cut-off that had been lost from contact for more than N days by then.
        statement = (
            sa.select(col(Assessed.id), col(CareFile.minor_id))
            .join(Unit, col(Unit.id) == CareFile.managing_unit_id)
            .join(Assessed, _below(Assessed, Unit.path))
            .where(
                col(Assessed.id).in_(unit_ids),
                col(CareFile.opened_at) < _end_of(cut_off),
                sa.or_(
                    col(CareFile.status) != CareFileStatus.closed.value,
                    col(CareFile.closed_at) >= _end_of(cut_off),
                ),
                col(CareFile.lost_contact_on) < limit_day,
            )
        )
        ids_kind = "minor"
    else:
        # A notice that came in more than N days before the cut-off and was not acknowledged by then.
        statement = (
            sa.select(col(Assessed.id), col(SeizureNotice.id))
            .join(Unit, col(Unit.id) == SeizureNotice.receiving_unit_id)
            .join(Assessed, _below(Assessed, Unit.path))
            .where(
                col(Assessed.id).in_(unit_ids),
                col(SeizureNotice.received_at) < local_midnight_utc(limit_day),
                sa.or_(
                    col(SeizureNotice.acknowledged_at).is_(None),
                    col(SeizureNotice.acknowledged_at) >= _end_of(cut_off),
                ),
            )
        )
        ids_kind = "seizure_notice"
    ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for unit_id, record_id in (await session.execute(statement)).all():
        ids[unit_id].append(record_id)
    return [
        runs.VetoHitIn(unit_id=unit_id, veto=veto.code, ids_kind=ids_kind, ids=found)
        for unit_id, found in ids.items()
    ]


async def compute_figures(
    session: AsyncSession, *, rules: dict[str, Any], units: Sequence[Unit], cut_off: date
) -> Computed:
    """Every indicator and computed veto item of ``rules`` (a scheme's, as ``runs.rules_of`` copies
    them) for ``units`` as of ``cut_off``; writes nothing. A fixed number of queries for any number of units:
    one per campaign or work-record indicator and per computed veto item, one set for all the rates."""
    computed = Computed()
    if not units:
        return computed
    indicators = [Indicator.model_validate(item) for item in rules["indicators"]]
    period_start = date.fromisoformat(rules["period_start"])
    period_end = date.fromisoformat(rules["period_end"])
    cut_off = min(cut_off, period_end)
    for indicator in indicators:
        if indicator.campaign:
            computed.figures += await _campaign_figures(session, units, indicator, cut_off)
        elif indicator.work_records:
            computed.figures += await _work_record_figures(session, units, indicator, period_start, cut_off)
        elif indicator.manual:
            computed.figures += [
                runs.FigureIn(unit_id=unit.id, indicator=indicator.code, score=None) for unit in units
            ]
    computed.figures += await _rate_figures(
        session,
        units,
        [indicator for indicator in indicators if indicator.rate],
        period_start,
        period_end,
        cut_off,
    )
    for item in rules["vetoes"]:
        veto = Veto.model_validate(item)
        if veto.kind is not VetoKind.manual:
            computed.veto_hits += await _veto_hits(session, units, veto, cut_off)
    return computed


async def run_scheme(
    session: AsyncSession, *, principal: Principal, scheme_id: uuid.UUID, cut_off: date | None
) -> RunRead:
    """``POST /assessment-schemes/{id}/runs``: compute and store a new run of the scheme."""
    loaded = await schemes.get_scheme(session, principal=principal, scheme_id=scheme_id)
    scheme = loaded.scheme
    schemes.ensure_may_run(principal, scheme)
    day = min(cut_off or runs.default_cut_off(scheme), scheme.period_end)
    rules = runs.rules_of(scheme)
    units = await runs.assessed_units(session, root_id=scheme.unit_root_id, kinds=scheme.unit_kinds)
    computed = await compute_figures(session, rules=rules, units=units, cut_off=day)
    run = await runs.store_run(
        session,
        principal=principal,
        scheme=scheme,
        cut_off=day,
        figures=computed.figures,
        veto_hits=computed.veto_hits,
    )
    loaded_run = await runs.get_run(session, principal=principal, run_id=run.id)
    return await results.run_read(session, principal=principal, loaded=loaded_run)


async def recompute(session: AsyncSession, *, run: AssessmentRun) -> Computed:
    """A stored run's figures computed again from its own rules and cut-off (to check a finalised run)."""
    units = await runs.assessed_units(
        session, root_id=uuid.UUID(run.rules["unit_root_id"]), kinds=run.rules["unit_kinds"]
    )
    return await compute_figures(session, rules=run.rules, units=units, cut_off=run.cut_off)


async def figure_detail(
    session: AsyncSession, *, principal: Principal, run_id: uuid.UUID, unit_id: uuid.UUID, code: str
) -> FigureDetail:
    """``GET /assessment-runs/{id}/units/{unit_id}/figures/{indicator}``: a figure and what it counts —
    the minors (shaped by the registry's presenter for the caller: masked as in every list), the campaign tasks,
    the work records or the seizure notices."""
    loaded = await runs.get_run(session, principal=principal, run_id=run_id)
    unit, found = await results.figure_of(
        session, principal=principal, loaded=loaded, unit_id=unit_id, code=code
    )
    name, source = results.describe(loaded.run.rules, code)
    record_ids = [uuid.UUID(value) for value in found.ids]
    minor_ids: list[uuid.UUID] = []
    tasks: list[FigureTask] = []
    records: list[FigureRecord] = []
    notices: list[FigureNotice] = []
    if found.ids_kind == "minor":
        minor_ids = record_ids
    elif found.ids_kind == "care_file" and record_ids:
        minor_ids = list(
            await session.scalars(sa.select(col(CareFile.minor_id)).where(col(CareFile.id).in_(record_ids)))
        )
    elif found.ids_kind == "task_report" and record_ids:
        task_rows = await session.execute(
            sa.select(col(CampaignTask.id), col(CampaignTask.title), col(CampaignTask.weight))
            .join(TaskReport, col(TaskReport.task_id) == CampaignTask.id)
            .where(col(TaskReport.id).in_(record_ids))
            .order_by(col(CampaignTask.position))
        )
        tasks = [
            FigureTask(id=task_id, title=title, weight=weight, approved=True)
            for task_id, title, weight in task_rows
        ]
    elif found.ids_kind == "seizure_notice" and record_ids:
        notice_rows = await session.execute(
            sa.select(
                col(SeizureNotice.id), col(SeizureNotice.received_at), col(SeizureNotice.acknowledged_at)
            )
            .where(col(SeizureNotice.id).in_(record_ids))
            .order_by(col(SeizureNotice.received_at))
        )
        notices = [FigureNotice(id=i, received_at=at, acknowledged_at=ack) for i, at, ack in notice_rows]
    elif found.ids_kind in _RECORD_DATES and record_ids:
        table, day = _RECORD_DATES[found.ids_kind]
        record_rows = await session.execute(
            sa.select(table.id, day).where(col(table.id).in_(record_ids)).order_by(day)
        )
        records = [FigureRecord(id=i, kind=found.ids_kind, on=on) for i, on in record_rows]
    shown = await minors.present_related(session, principal=principal, minor_ids=minor_ids)
    score = None
    numerator = denominator = value = None
    if isinstance(found, AssessmentFigure):
        score = found.adjusted_score if found.adjusted_score is not None else found.computed_score
        numerator, denominator, value = found.numerator, found.denominator, found.value
    return FigureDetail(
        run_id=loaded.run.id,
        unit=UnitSummary.model_validate(unit),
        indicator=code,
        name=name,
        source=source,
        score=score,
        numerator=numerator,
        denominator=denominator,
        value=value,
        reason=found.reason,
        ids_kind=found.ids_kind,
        minors=[shown[minor_id] for minor_id in minor_ids if minor_id in shown],
        tasks=tasks,
        records=records,
        notices=notices,
    )


_RECORD_DATES: dict[str, tuple[Any, Any]] = {
    "publicity_activity": (PublicityActivity, PublicityActivity.held_on),
    "inspection_visit": (InspectionVisit, InspectionVisit.visited_on),
    "responsibility_letter": (ResponsibilityLetter, ResponsibilityLetter.signed_on),
}
