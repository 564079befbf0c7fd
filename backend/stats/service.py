"""School statistics, regional roll-ups and the dashboard overview, all through one suppression rule.

Suppression is worked out once per request on the whole tree the principal reaches (its schools, and every unit
between them and the top of its scope, each the sum of the units below), and each answer publishes a part of
that one pattern. So the school table, its totals and the regional roll-up of the same scope can be laid side
by side without giving a hidden cell away.
"""

import itertools
import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db import local_today
from backend.errors import NotFound
from backend.minors.models import (
    MinorStatus,
    MinorTally,
    RiskCategory,
    RiskLevel,
    TallyKind,
    TallyRole,
    VerificationStatus,
)
from backend.school_metrics.models import METRIC_FIELDS, SchoolMetric
from backend.school_metrics.schemas import SchoolMetricFigures
from backend.security.permissions import path_in_subtree
from backend.security.principals import (
    Principal,
    in_subtree,
    minor_scope,
    parent_path,
    statistics_root_path,
    within_minor_scope,
    within_school_scope,
)
from backend.security.privacy import (
    overview_risk_categories,
    school_visible_risk_categories,
    sees_underlying_records,
)
from backend.stats.schemas import (
    AtRiskCounts,
    CodeCount,
    MinorFigures,
    RegionStatistics,
    RegionStatisticsReport,
    SchoolStatistics,
    SchoolStatisticsReport,
    StatisticsHeader,
    SuppressedCount,
)
from backend.stats.suppression import Additive, suppress
from backend.terms import Term
from backend.units.models import Unit, UnitKind, ids_on_path
from backend.units.schemas import UnitSummary

# 每学年不少于4课时 (seed 004). Judged on the school year so far: a spring term adds the autumn term before it.
LESSON_HOURS_PER_SCHOOL_YEAR = 4
TOTAL = "total"


def school_categories() -> list[str]:
    return school_visible_risk_categories([category.value for category in RiskCategory])


def suppressed_count(value: int, hidden: bool) -> SuppressedCount:
    return SuppressedCount(value=None, suppressed=True) if hidden else SuppressedCount(value=value)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class _Place:
    """A unit as statistics need it: read as plain columns, since a county may have thousands of schools."""

    id: uuid.UUID
    name: str
    kind: str
    parent_id: uuid.UUID | None
    path: str
    depth: int


_PLACE_COLUMNS = (Unit.id, Unit.name, Unit.kind, Unit.parent_id, Unit.path, Unit.depth)


async def _places(session: AsyncSession, *conditions: sa.ColumnElement[bool]) -> list[_Place]:
    return [
        _Place(*row) for row in (await session.execute(sa.select(*_PLACE_COLUMNS).where(*conditions))).all()
    ]


@dataclass
class _Tree:
    """The schools a principal reaches and every unit from them up to the top of its scope."""

    root: _Place
    units: dict[uuid.UUID, _Place]
    schools: list[_Place]
    children: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    below: dict[uuid.UUID, list[_Place]] = field(default_factory=dict)  # node → schools in its subtree
    chains: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)  # node → the units from the root

    def chain(self, unit: _Place) -> list[uuid.UUID]:
        """The units from the root down to ``unit`` (followed up by parent, each chain worked out once)."""
        found = self.chains.get(unit.id)
        if found is None:
            above = self.units.get(unit.parent_id) if unit.id != self.root.id and unit.parent_id else None
            found = self.chains[unit.id] = [*self.chain(above), unit.id] if above else [unit.id]
        return found

    def reading_order(self, unit: _Place) -> list[str]:
        """Sort key: depth first, by name at each level (ids are random, so paths would shuffle)."""
        return [self.units[node].name for node in self.chain(unit)]


async def _tree(session: AsyncSession, principal: Principal) -> _Tree:
    schools = await _places(
        session, Unit.kind == UnitKind.school, within_school_scope(principal, Unit.path, Unit.id)
    )
    if principal.unit_kind == UnitKind.school:
        root_id = principal.unit_id
    else:
        root_id = ids_on_path(statistics_root_path(principal))[-1]
    # The units between the root and the schools: read off the few distinct paths above the schools.
    node_ids = {root_id}
    for above in {parent_path(school.path) for school in schools}:
        ids = ids_on_path(above)
        node_ids.update(ids[ids.index(root_id) :] if root_id in ids else ())
    units = {school.id: school for school in schools}
    units.update({unit.id: unit for unit in await _places(session, Unit.id.in_(node_ids - set(units)))})
    tree = _Tree(root=units[root_id], units=units, schools=schools)
    for school in schools:
        chain = tree.chain(school)
        for upper, lower in itertools.pairwise(chain):
            siblings = tree.children.setdefault(upper, [])
            if lower not in siblings:
                siblings.append(lower)
        for node in chain:
            tree.below.setdefault(node, []).append(school)
    return tree


async def _selection(session: AsyncSession, tree: _Tree, unit_id: uuid.UUID | None) -> _Place:
    """The unit whose subtree is asked for: the top of the scope, or a unit inside it (else 404)."""
    if unit_id is None:
        return tree.root
    if unit_id in tree.units:
        return tree.units[unit_id]
    found = await _places(session, Unit.id == unit_id, in_subtree(Unit.path, tree.root.path))
    if not found:
        raise NotFound("No such unit.")
    return found[0]


async def _current_metrics(
    session: AsyncSession, principal: Principal, terms: Sequence[Term]
) -> dict[tuple[uuid.UUID, str], SchoolMetric]:
    rows = (
        await session.scalars(
            sa.select(SchoolMetric)
            .join(Unit, Unit.id == SchoolMetric.school_id)
            .where(
                SchoolMetric.term.in_([term.code for term in terms]),
                SchoolMetric.superseded_at.is_(None),
                within_school_scope(principal, Unit.path, Unit.id),
            )
        )
    ).all()
    return {(row.school_id, row.term): row for row in rows}


async def _at_risk_by_school(
    session: AsyncSession, principal: Principal, categories: Sequence[str]
) -> dict[uuid.UUID, list[int]]:
    """Active minors per school of the scope, from the schools' tallies: the total (every minor has one risk
    level, so the level counters add up to it), then one count per category."""

    def summing(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((condition, MinorTally.n), else_=0))

    rows = (
        await session.execute(
            sa.select(
                MinorTally.unit_id,
                summing(MinorTally.kind == TallyKind.risk_level),
                *(
                    summing(sa.and_(MinorTally.kind == TallyKind.risk_category, MinorTally.code == category))
                    for category in categories
                ),
            )
            .join(Unit, Unit.id == MinorTally.unit_id)
            .where(
                MinorTally.unit_role == TallyRole.school,
                MinorTally.status == MinorStatus.active,
                MinorTally.verification_status == VerificationStatus.verified,
                within_school_scope(principal, Unit.path, Unit.id),
            )
            .group_by(MinorTally.unit_id)
        )
    ).all()
    return {school_id: [int(count) for count in counts] for school_id, *counts in rows}


def _suppressed_cells(
    tree: _Tree, at_risk: dict[uuid.UUID, list[int]], columns: Sequence[str], threshold: int
) -> tuple[dict[Hashable, int], frozenset[Hashable]]:
    """Every node's counts (each school's added to every unit above it), and the cells to hide."""
    zeros = [0] * len(columns)
    sums: dict[uuid.UUID, list[int]] = {}
    for school in tree.schools:
        counts = at_risk.get(school.id, zeros)
        for node in tree.chain(school):
            total = sums.setdefault(node, [0] * len(columns))
            for index, count in enumerate(counts):
                total[index] += count
    values: dict[Hashable, int] = {
        (node, column): count
        for node, counts in sums.items()
        for column, count in zip(columns, counts, strict=True)
    }
    relations = [
        Additive((node, column), tuple((child, column) for child in children))
        for node, children in tree.children.items()
        for column in columns
    ]
    return values, suppress(values, relations, threshold=threshold)


@dataclass
class _Statistics:
    header: StatisticsHeader
    tree: _Tree
    selection: _Place
    term: Term
    metrics: dict[tuple[uuid.UUID, str], SchoolMetric]
    values: dict[tuple[uuid.UUID, str], int]
    hidden: frozenset[Hashable]
    columns: list[str]

    def at_risk(self, node: uuid.UUID) -> AtRiskCounts:
        cells = {
            column: suppressed_count(self.values.get((node, column), 0), (node, column) in self.hidden)
            for column in self.columns
        }
        return AtRiskCounts(total=cells.pop(TOTAL), by_category=cells)

    @cached_property
    def _school_year_codes(self) -> list[str]:
        return [term.code for term in self.term.terms_of_school_year_so_far]

    def year_hours(self, school: uuid.UUID) -> int | None:
        found = [self.metrics.get((school, code)) for code in self._school_year_codes]
        hours = [metric.lesson_hours for metric in found if metric is not None]
        return sum(hours) if hours else None

    def school_row(self, school: _Place) -> SchoolStatistics:
        metric = self.metrics.get((school.id, self.term.code))
        year_hours = self.year_hours(school.id)
        parent = self.tree.units.get(school.parent_id) if school.parent_id else None
        return SchoolStatistics(
            school=UnitSummary.model_validate(school),
            parent=UnitSummary.model_validate(parent) if parent and parent.id != school.id else None,
            metrics=SchoolMetricFigures.model_validate(metric, from_attributes=True) if metric else None,
            submitted_at=metric.submitted_at if metric else None,
            registration_rate=rate(metric.students_registered, metric.students_enrolled) if metric else None,
            completion_rate=rate(metric.students_completed, metric.students_enrolled) if metric else None,
            school_year_lesson_hours=year_hours,
            lesson_hours_target_met=None
            if year_hours is None
            else year_hours >= LESSON_HOURS_PER_SCHOOL_YEAR,
            at_risk=self.at_risk(school.id),
        )

    def region_row(self, unit: _Place) -> RegionStatistics:
        schools = self.tree.below.get(unit.id, [])
        reporting = [
            self.metrics[(s.id, self.term.code)] for s in schools if (s.id, self.term.code) in self.metrics
        ]
        sums = {name: sum(getattr(metric, name) for metric in reporting) for name in METRIC_FIELDS}
        meeting = sum(1 for s in schools if (self.year_hours(s.id) or 0) >= LESSON_HOURS_PER_SCHOOL_YEAR)
        return RegionStatistics(
            unit=UnitSummary.model_validate(unit),
            parent_id=unit.parent_id,
            depth=unit.depth - self.selection.depth,
            schools=len(schools),
            schools_reporting=len(reporting),
            registration_rate=rate(sums["students_registered"], sums["students_enrolled"]),
            completion_rate=rate(sums["students_completed"], sums["students_enrolled"]),
            schools_meeting_lesson_target=meeting,
            at_risk=self.at_risk(unit.id),
            **sums,
        )

    def selected_schools(self) -> list[_Place]:
        selected = [
            school for school in self.tree.schools if path_in_subtree(school.path, self.selection.path)
        ]
        return sorted(selected, key=self.tree.reading_order)


async def _statistics(
    session: AsyncSession, *, principal: Principal, term: Term, unit_id: uuid.UUID | None, threshold: int
) -> _Statistics:
    tree = await _tree(session, principal)
    selection = await _selection(session, tree, unit_id)
    columns = [TOTAL, *school_categories()]
    metrics = await _current_metrics(session, principal, term.terms_of_school_year_so_far)
    at_risk = await _at_risk_by_school(session, principal, columns[1:])
    values, hidden = _suppressed_cells(tree, at_risk, columns, threshold)
    header = StatisticsHeader(
        term=term.code,
        term_label=term.label,
        school_year=term.school_year,
        unit=UnitSummary.model_validate(selection),
        suppression_threshold=threshold,
        lesson_hours_target_per_school_year=LESSON_HOURS_PER_SCHOOL_YEAR,
        at_risk_as_of=local_today(),
        categories=columns[1:],
    )
    return _Statistics(header, tree, selection, term, metrics, values, hidden, columns)


async def school_statistics(
    session: AsyncSession, *, principal: Principal, term: Term, unit_id: uuid.UUID | None, threshold: int
) -> SchoolStatisticsReport:
    """Per school of the selected subtree: figures, rates, the lesson-hour target and at-risk counts."""
    stats = await _statistics(session, principal=principal, term=term, unit_id=unit_id, threshold=threshold)
    return SchoolStatisticsReport(
        **stats.header.model_dump(),
        items=[stats.school_row(school) for school in stats.selected_schools()],
        totals=stats.region_row(stats.selection),
    )


async def region_statistics(
    session: AsyncSession, *, principal: Principal, term: Term, unit_id: uuid.UUID | None, threshold: int
) -> RegionStatisticsReport:
    """The selected unit and every unit below it that has schools (townships, …), each rolled up."""
    stats = await _statistics(session, principal=principal, term=term, unit_id=unit_id, threshold=threshold)
    regions = sorted(
        (
            unit
            for unit in stats.tree.units.values()
            if unit.kind != UnitKind.school and path_in_subtree(unit.path, stats.selection.path)
        ),
        key=stats.tree.reading_order,
    )
    if stats.selection.kind == UnitKind.school:
        regions = [stats.selection]
    return RegionStatisticsReport(
        **stats.header.model_dump(), items=[stats.region_row(unit) for unit in regions]
    )


async def minor_figures(
    session: AsyncSession, *, principal: Principal, unit: Unit, threshold: int
) -> tuple[MinorFigures, bool]:
    """Minors of the principal's scope (narrowed to ``unit``) by status, risk level and category, read off the
    tallies; small counts suppressed unless the principal may see the records behind them. Also says whether
    suppression applies to this reader."""
    # School staff count their school's pupils (the school's tallies), everyone else the minors their subtree
    # manages (the managing units' tallies): the same scope as the registry's, read off the counters.
    tallied = aliased(Unit)
    role = TallyRole.school if minor_scope(principal).kind == "school" else TallyRole.managing
    condition = within_minor_scope(principal, tallied.path, MinorTally.unit_id)
    if unit.id != principal.unit_id:
        condition = sa.and_(condition, in_subtree(tallied.path, unit.path))
    groups = (
        await session.execute(
            sa.select(
                MinorTally.status,
                MinorTally.verification_status,
                MinorTally.kind,
                MinorTally.code,
                sa.func.sum(MinorTally.n),
            )
            .join(tallied, tallied.id == MinorTally.unit_id)
            .where(MinorTally.unit_role == role, condition)
            .group_by(MinorTally.status, MinorTally.verification_status, MinorTally.kind, MinorTally.code)
        )
    ).all()
    categories = overview_risk_categories(principal, [category.value for category in RiskCategory])
    # Confirmed persons are the verified counters. Provisional records (待核实, no ID number yet) are counted apart,
    # whatever their status; merged records are no one's (docs/domain.md).
    statuses = [status for status in MinorStatus if status is not MinorStatus.merged]
    by_status: dict[str, int] = defaultdict(int)
    by_level: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    provisional = 0
    for status, verification, kind, code, count in groups:
        if verification == VerificationStatus.provisional and kind == TallyKind.risk_level:
            provisional += count
        if verification != VerificationStatus.verified:
            continue
        if kind == TallyKind.risk_level:
            by_status[status] += count
            if status == MinorStatus.active:
                by_level[code] += count
        elif status == MinorStatus.active:
            by_category[code] += count
    values: dict[Hashable, int] = {("total",): sum(by_status.get(status.value, 0) for status in statuses)}
    values.update({("status", status.value): by_status.get(status.value, 0) for status in statuses})
    values.update({("level", level.value): by_level.get(level.value, 0) for level in RiskLevel})
    values.update({("category", category): by_category.get(category, 0) for category in categories})
    suppressed = not sees_underlying_records(principal)
    hidden: frozenset[Hashable] = frozenset()
    if suppressed:
        relations = [
            Additive(("total",), tuple(("status", status.value) for status in statuses)),
            Additive(
                ("status", MinorStatus.active.value), tuple(("level", level.value) for level in RiskLevel)
            ),
        ]
        hidden = suppress(values, relations, threshold=threshold)

    def counts(kind: str, codes: Sequence[str]) -> list[CodeCount]:
        return [
            CodeCount(code=code, count=suppressed_count(values[(kind, code)], (kind, code) in hidden))
            for code in codes
        ]

    figures = MinorFigures(
        total=suppressed_count(values[("total",)], ("total",) in hidden),
        by_status=counts("status", [status.value for status in statuses]),
        by_risk_level=counts("level", [level.value for level in RiskLevel]),
        by_category=counts("category", categories),
        provisional=suppressed_count(
            provisional,
            suppressed and bool(suppress({"cell": provisional}, [], threshold=threshold)),
        ),
    )
    return figures, suppressed


@dataclass
class CountsOfPeople:
    """Counts of people beyond the registry (files, notices, transfers) on the dashboard. None of them is the
    sum of others that is published too, so the rule reduces to primary suppression, cell by cell; it is still
    the one rule of ``suppression.py``."""

    suppressed: bool
    threshold: int

    def count(self, value: int) -> SuppressedCount:
        hidden = self.suppressed and bool(suppress({"cell": value}, [], threshold=self.threshold))
        return suppressed_count(value, hidden)
