"""The rates units are held to (issue 18): 帮教率, 尿检率, overdue share, lost-contact count, seizure notices
acknowledged the same day and files with a named lead worker, per unit and rolled up its subtree.

Raw figures, unsuppressed: the API suppresses small cells (``backend/stats/suppression.py``) before anything
leaves; assessments store them with the ids behind them. Every formula is written out, with a worked example,
in docs/statistics.md (Rates).

Set-based: one grouped read whatever the number of units asked for. For a period of up to 12 whole months (any
period the rates page takes, a yearly scheme) the care and urine-test figures are sums of the per-unit tallies
the database keeps (``RateFileSpan``, ``RateContactRun``, ``RateUrineCredit``, kept by triggers on the files and
their monthly summary: docs/statistics.md, "The tallies behind them"), and the open files' figures as of today
are sums of ``RateOpenFile`` — a few rows per unit, never the files. A longer period is counted file by file from
the yearly summary ``care_file_years``, and a period that ended before today judges each open file by its dates.
The read groups by the managing (or receiving) unit's path; a unit's figures are the sum over the units on whose
path it lies, added up here from the few thousand grouped rows. ``explain`` adds three reads for the ids behind
the figures (the files that missed a month or fell short, the open files, the notices).

Days are Beijing days (Asia/Shanghai, UTC+8 all year): an entry's day is its ``occurred_at`` there, a notice's
its ``received_at``. A period runs from ``start`` to ``end``, both included; figures never look past today, so
``as_of`` is the earlier of ``end`` and today.
"""

import functools
import operator
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.care_files.models import (
    OPEN_STATUSES,
    RATE_LONGEST_RUN,
    CareFile,
    CareFileStatus,
    CareFileYear,
    DueState,
    RateContactRun,
    RateFileSpan,
    RateOpenFile,
    RateUrineCredit,
    UrineResult,
)
from backend.care_files.worklists import due_condition
from backend.collector import cyclic_gc_paused
from backend.db import local_midnight_utc, local_today
from backend.security.principals import in_subtree
from backend.seizures.models import SeizureNotice
from backend.stats.days import LocalDay, day_number, day_of, whole_months
from backend.units.models import Unit, ids_on_path

RATE_CODES: tuple[str, ...] = (
    "care_rate",
    "urine_test_rate",
    "overdue_share",
    "lost_contact_count",
    "notice_same_day_rate",
    "responsible_share",
)

# The counts one grouped read gives per managing (or receiving) unit, and the rate each is part of.
COUNTS = (
    "open_files",
    "overdue",
    "lost",
    "with_lead",
    "files_due",
    "files_cared",
    "tests_required",
    "tests_credited",
    "notices",
    "same_day",
)
FIGURE_COUNTS = {  # rate code: (numerator, denominator)
    "care_rate": ("files_cared", "files_due"),
    "urine_test_rate": ("tests_credited", "tests_required"),
    "overdue_share": ("overdue", "open_files"),
    "lost_contact_count": ("lost", "open_files"),
    "notice_same_day_rate": ("same_day", "notices"),
    "responsible_share": ("with_lead", "open_files"),
}


# What ``RateFigure.ids`` holds for each rate (with ``explain``): the records that count against the unit.
IDS_BEHIND: dict[str, str] = {
    "care_rate": "minors whose file missed a calendar month's follow-up (denominator − numerator)",
    "urine_test_rate": "minors whose file had fewer urine tests than its plan requires",
    "overdue_share": "minors whose open file is overdue (the numerator)",
    "lost_contact_count": "minors whose open file is lost from contact (the numerator)",
    "notice_same_day_rate": "seizure notices not acknowledged on the day they came in (denominator − numerator)",
    "responsible_share": "open care files with no named lead worker (denominator − numerator)",
}

# Urine tests that were done: a refusal is recorded, but no test was made.
DONE_URINE_RESULTS = (UrineResult.negative.value, UrineResult.positive.value)

_UUID_BYTES = operator.attrgetter("bytes")


@dataclass(frozen=True)
class Period:
    """Both days included (Beijing days)."""

    start: date
    end: date

    def as_of(self, today: date | None = None) -> date:
        """The last day the figures look at: the period's end, or today if the period has not ended."""
        return min(self.end, today or local_today())


@dataclass(frozen=True)
class RateFigure:
    """``value`` is numerator ÷ denominator (rounded to 4 places), ``None`` without a denominator; for
    ``lost_contact_count`` it is the count itself. ``ids`` (only with ``explain``) are the records that count
    against the unit, as ``IDS_BEHIND`` says for each rate, sorted."""

    numerator: int
    denominator: int
    value: float | None
    ids: tuple[uuid.UUID, ...] = ()


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class _Sums:
    """The ``COUNTS`` of a unit's subtree, and the ids behind each rate."""

    totals: list[int] = field(default_factory=lambda: [0] * len(COUNTS))
    ids: dict[str, set[uuid.UUID]] = field(default_factory=lambda: {code: set() for code in RATE_CODES})

    def figures(self) -> dict[str, RateFigure]:
        result = {}
        for code in RATE_CODES:
            numerator, denominator = (self.totals[COUNTS.index(name)] for name in FIGURE_COUNTS[code])
            value = float(numerator) if code == "lost_contact_count" else ratio(numerator, denominator)
            # Sorted by their bytes (the order of the UUIDs themselves, compared in C: a township's tens of
            # thousands of ids in a large county).
            ids = tuple(sorted(self.ids[code], key=_UUID_BYTES))
            result[code] = RateFigure(numerator, denominator, value, ids)
        return result


@functools.lru_cache(maxsize=65536)
def _ids_on_path(path: str) -> tuple[uuid.UUID, ...]:
    """``ids_on_path``, remembered: a county's few thousand paths are parsed once per process, not per answer."""
    return tuple(ids_on_path(path))


class _RollUp:
    """Adds each grouped row (a managing or receiving unit's path) to every asked unit on that path."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self.sums = {unit.id: _Sums() for unit in units}
        self._targets: dict[str, list[_Sums]] = {}

    def targets(self, path: str) -> list[_Sums]:
        """The asked units on the path, worked out once per path (a few thousand paths, each read per rate)."""
        found = self._targets.get(path)
        if found is None:
            found = [self.sums[unit_id] for unit_id in _ids_on_path(path) if unit_id in self.sums]
            self._targets[path] = found
        return found

    def add_counts(self, path: str, counts: Sequence[Any]) -> None:
        """A grouped row's ``COUNTS``, in their order."""
        values = [int(count or 0) for count in counts]
        for sums in self.targets(path):
            totals = sums.totals
            for index, value in enumerate(values):
                totals[index] += value

    def add_ids(self, code: str, by_path: dict[str, list[uuid.UUID]]) -> None:
        """Each path's ids, added to every asked unit on the path (a set update per path and unit, not per id:
        a county's run holds hundreds of thousands)."""
        for path, ids in by_path.items():
            for sums in self.targets(path):
                sums.ids[code].update(ids)


def _top_paths(units: Sequence[Unit]) -> list[str]:
    """The asked units' paths without those inside another asked unit's subtree."""
    paths = sorted({unit.path for unit in units})
    tops: list[str] = []
    for path in paths:
        if not tops or not path.startswith(tops[-1]):
            tops.append(path)
    return tops


def _within(units: Sequence[Unit], path_column: Any) -> sa.ColumnElement[bool]:
    return sa.or_(*(in_subtree(path_column, path) for path in _top_paths(units)))


def _counting(condition: Any) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _greatest(a: Any, b: Any) -> Any:
    return sa.case((a > b, a), else_=b)


def _least(a: Any, b: Any) -> Any:
    return sa.case((a < b, a), else_=b)


def _open_on(as_of: date) -> sa.ColumnElement[bool]:
    """Files open at the end of ``as_of``: opened by then and not closed by then."""
    after = local_midnight_utc(as_of + timedelta(days=1))
    return sa.and_(
        CareFile.opened_at < after,
        sa.or_(CareFile.status.in_(OPEN_STATUSES), col(CareFile.closed_at) >= after),
    )


def _first_whole_month(day: Any, months: list[tuple[int, int, int]], part: int) -> Any:
    """Of the period's whole months, the first that begins on or after ``day`` (a day number): its month number
    (``part`` 0) or first day (``part`` 1); null if none."""
    return sa.case(*((day <= month[1], sa.literal(month[part])) for month in months))


def _last_whole_month(day: Any, months: list[tuple[int, int, int]], part: int) -> Any:
    """Of the period's whole months, the last that ends on or before ``day``: its month number (``part`` 0) or
    last day (``part`` 2); null if none."""
    return sa.case(*((day >= month[2], sa.literal(month[part])) for month in reversed(months)))


def _per_file(units: Sequence[Unit], period: Period, as_of: date) -> sa.Subquery:
    """One row per file with a whole calendar month in its window (the days of the period it was open): how many
    such months (``intervals``) and in how many it had a contact, how many urine tests its plan asks for in
    those months' days and how many were done. Read from the files and their yearly summary
    (``CareFileYear``, a row per file and year): never the entries."""
    start, end = day_number(period.start), day_number(as_of)
    opened = LocalDay(CareFile.opened_at)
    closed = LocalDay(CareFile.closed_at)
    window_start = _greatest(opened, sa.literal(start))
    window_end = sa.case(
        (sa.and_(CareFile.status == CareFileStatus.closed.value, closed < end), closed), else_=sa.literal(end)
    )
    months = whole_months(period.start, as_of)
    any_month = bool(months)  # without a whole month in the period nothing is due
    months = months or [(0, 0, 0)]
    # Each file's window once (materialised: the day arithmetic is dear), then its whole months from it.
    windows = (
        sa.select(
            CareFile.id.label("file_id"),
            CareFile.minor_id.label("minor_id"),
            Unit.path.label("path"),
            CareFile.urine_test_interval_days.label("urine_interval"),
            window_start.label("window_start"),
            window_end.label("window_end"),
        )
        .join(Unit, Unit.id == CareFile.managing_unit_id)
        .where(
            _within(units, Unit.path),
            CareFile.opened_at < local_midnight_utc(as_of + timedelta(days=1)),
            sa.or_(
                CareFile.status != CareFileStatus.closed.value,
                col(CareFile.closed_at) >= local_midnight_utc(period.start),
            ),
        )
        .cte("windows")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    first_day = _first_whole_month(windows.c.window_start, months, 1)
    last_day = _last_whole_month(windows.c.window_end, months, 2)
    files = sa.select(
        windows.c.file_id,
        windows.c.minor_id,
        windows.c.path,
        windows.c.urine_interval,
        _first_whole_month(windows.c.window_start, months, 0).label("first_month"),
        _last_whole_month(windows.c.window_end, months, 0).label("last_month"),
        (last_day - first_day + 1).label("days"),
    ).cte("active_files")
    summary = CareFileYear.__table__
    covered_months: list[Any] = []
    tests_done: list[Any] = []
    for number in range(1, 13):
        month = summary.c.year * 12 + (number - 1)
        in_window = month.between(files.c.first_month, files.c.last_month)
        covered_months.append(
            sa.case((sa.and_(in_window, summary.c[f"contacts_{number:02d}"] > 0), 1), else_=0)
        )
        tests_done.append(sa.case((in_window, summary.c[f"urine_tests_{number:02d}"]), else_=0))
    counts = (
        sa.select(
            summary.c.care_file_id,
            sa.func.sum(sum(covered_months[1:], covered_months[0])).label("intervals_covered"),
            sa.func.sum(sum(tests_done[1:], tests_done[0])).label("tests_done"),
        )
        .join(files, files.c.file_id == summary.c.care_file_id)
        .where(summary.c.year.between(months[0][0] // 12, months[-1][0] // 12))
        .group_by(summary.c.care_file_id)
        .subquery("counts")
    )
    tests_required = sa.case(
        (sa.func.coalesce(files.c.urine_interval, 0) > 0, files.c.days // files.c.urine_interval),
        else_=0,
    )
    return (
        sa.select(
            files.c.file_id,
            files.c.minor_id,
            files.c.path,
            (files.c.last_month - files.c.first_month + 1).label("intervals"),
            tests_required.label("tests_required"),
            sa.func.coalesce(counts.c.intervals_covered, 0).label("intervals_covered"),
            sa.func.coalesce(counts.c.tests_done, 0).label("tests_done"),
        )
        .select_from(files)
        .outerjoin(counts, counts.c.care_file_id == files.c.file_id)
        .where(files.c.last_month >= files.c.first_month, sa.true() if any_month else sa.false())
        .subquery("per_file")
    )


def _notices(units: Sequence[Unit], period: Period, as_of: date) -> tuple[Any, Any]:
    receiving = sa.orm.aliased(Unit)
    same_day = sa.and_(
        SeizureNotice.acknowledged_at.is_not(None),
        LocalDay(SeizureNotice.acknowledged_at) == LocalDay(SeizureNotice.received_at),
    )
    conditions = (
        _within(units, receiving.path),
        SeizureNotice.received_at >= local_midnight_utc(period.start),
        SeizureNotice.received_at < local_midnight_utc(as_of + timedelta(days=1)),
    )
    return receiving, (same_day, conditions)


def _part(path: Any, **counts: Any) -> sa.Select[Any]:
    """One part of the grouped read: a unit's path and some of ``COUNTS`` (0 for the others)."""
    return sa.select(path.label("path"), *(counts.get(name, sa.literal(0)).label(name) for name in COUNTS))


async def unit_rates(
    session: AsyncSession,
    *,
    units: Sequence[Unit],
    period: Period,
    explain: bool = False,
    read_files: bool = False,
) -> dict[uuid.UUID, dict[str, RateFigure]]:
    """Every rate of ``RATE_CODES`` for each unit, over its whole subtree, for ``period``. Units are taken as
    given (the caller has checked they are in scope); one grouped read whatever their number (and, with
    ``explain``, three more for the ids behind the figures).

    The care and urine-test figures of a period of up to 12 whole months (any period the rates page takes, a
    yearly scheme) and the open files' figures as of today are added up from the per-unit tallies the database
    keeps (``RateFileSpan`` …, docs/statistics.md); a longer period, or one that ended before today, is counted
    from the files (``_per_file``, ``_snapshot_part``): the same figures, read the long way. ``read_files``
    reads every figure the long way (the benchmark's baseline, and a check that both ways agree)."""
    if not units:
        return {}
    today = local_today()
    as_of = period.as_of(today)
    roll_up = _RollUp(units)
    if as_of < period.start:  # a period that has not begun: nothing to count
        return {unit.id: _Sums().figures() for unit in units}

    parts = (
        _open_file_tally_parts(units, as_of)
        if as_of == today and not read_files
        else [_snapshot_part(units, as_of)]
    )
    months = whole_months(period.start, as_of)
    per_file: sa.Subquery | None = None
    if len(months) <= RATE_LONGEST_RUN + 1 and not read_files:
        parts += _care_tally_parts(units, months)
    else:
        per_file = await _per_file_query(session, units, period, as_of)
        parts.append(_care_files_part(per_file))
    receiving, (same_day, conditions) = _notices(units, period, as_of)
    parts.append(
        _part(receiving.path, notices=sa.func.count(), same_day=_counting(same_day))
        .join(receiving, receiving.id == SeizureNotice.receiving_unit_id)
        .where(*conditions)
        .group_by(receiving.path)
    )
    grouped = sa.union_all(*parts).subquery("parts")
    # Read through the session's connection (Core rows: the ORM's row handling is most of the time of a read of
    # tens of thousands of ids).
    connection = await session.connection()
    for path, *counts in await connection.execute(
        sa.select(grouped.c.path, *(sa.func.sum(grouped.c[name]) for name in COUNTS)).group_by(grouped.c.path)
    ):
        roll_up.add_counts(path, counts)

    if not explain:
        return {unit_id: sums.figures() for unit_id, sums in roll_up.sums.items()}
    files_behind = (
        _files_behind_by_month(units, months) if per_file is None else _files_behind_per_file(per_file)
    )
    # Hundreds of thousands of ids and rows at a county's size, none in a cycle: without the pause, every batch of
    # them set off a full collection walking all the others (most of the time of a run over 500 units).
    with cyclic_gc_paused():
        await _explain(session, roll_up, units, files_behind, as_of, (receiving, same_day, conditions))
        return {unit_id: sums.figures() for unit_id, sums in roll_up.sums.items()}


def _snapshot_part(units: Sequence[Unit], as_of: date) -> sa.Select[Any]:
    """The open files' figures judged file by file on their dates (a period that ended before today)."""
    return (
        _part(
            Unit.path,
            open_files=sa.func.count(),
            overdue=_counting(due_condition(DueState.overdue, as_of)),
            lost=_counting(due_condition(DueState.lost_contact, as_of)),
            with_lead=_counting(CareFile.lead_worker_id.is_not(None)),
        )
        .join(Unit, Unit.id == CareFile.managing_unit_id)
        .where(_within(units, Unit.path), _open_on(as_of))
        .group_by(Unit.path)
    )


def _open_file_tally_parts(units: Sequence[Unit], as_of: date) -> list[sa.Select[Any]]:
    """The open files' figures as of today from ``RateOpenFile``: the open files and those with a lead worker,
    those due before today and those lost by then. The tallies count files by their status; a file opened, or
    closed, after the end of today (a date set ahead, which the services never write) is judged by its dates
    in a second part, as ``_snapshot_part`` judges every file: taken out where the tallies count it and it was
    not open, added where they do not and it was."""
    tally = RateOpenFile

    def of_kind(*kinds: str) -> Any:
        return sa.func.sum(sa.case((col(tally.kind).in_(kinds), tally.files), else_=0))

    counted = sa.or_(
        col(tally.kind).in_(("open", "lead")),
        sa.and_(col(tally.kind).in_(("due", "lost")), tally.day < as_of),
    )
    tallied = (
        _part(
            Unit.path,
            open_files=of_kind("open"),
            overdue=of_kind("due"),
            lost=of_kind("lost"),
            with_lead=of_kind("lead"),
        )
        .join(Unit, Unit.id == tally.unit_id)
        .where(_within(units, Unit.path), counted)
        .group_by(Unit.path)
    )
    after = local_midnight_utc(as_of + timedelta(days=1))
    sign = sa.case((_open_on(as_of), 1), else_=0) - sa.case((CareFile.status.in_(OPEN_STATUSES), 1), else_=0)

    def flag(condition: Any) -> Any:
        return sign * sa.case((condition, 1), else_=0)

    ahead = (
        _part(
            Unit.path,
            open_files=sign,
            overdue=flag(due_condition(DueState.overdue, as_of)),
            lost=flag(due_condition(DueState.lost_contact, as_of)),
            with_lead=flag(CareFile.lead_worker_id.is_not(None)),
        )
        .join(Unit, Unit.id == CareFile.managing_unit_id)
        .where(
            _within(units, Unit.path), sa.or_(CareFile.opened_at >= after, col(CareFile.closed_at) >= after)
        )
    )
    return [tallied, ahead]


def _care_tally_parts(units: Sequence[Unit], months: list[tuple[int, int, int]]) -> list[sa.Select[Any]]:
    """帮教率 and 尿检率 for a period of 1 to 12 whole months (``months``, P1 to P2) from the per-unit tallies, a
    few rows per unit:

    - Files counted and tests required (``RateFileSpan``): every file whose whole months meet the period, its
      part of the period running from the later of P1 and its first month to the earlier of P2 and its last;
      required = ⌊days of that part ÷ the plan's interval⌋, the same for every file of a tally row.
    - Files cared for (``RateContactRun``): a row at P2 (a file still open then), or at the file's last month
      between P1 and P2 (``closes``), whose run of months with a contact began by P1.
    - Tests credited (``RateUrineCredit``): the period's own row, each file's tests already capped."""
    if not months:  # without a whole month in the period nothing is due
        return []
    first_month, last_month = months[0][0], months[-1][0]
    first_days = {month: first for month, first, _last in months} | {last_month + 1: months[-1][2] + 1}

    def first_day(month: Any) -> Any:
        return sa.case(*((month == number, sa.literal(day)) for number, day in first_days.items()))

    span = RateFileSpan
    part_start = sa.case((span.first_month > first_month, span.first_month), else_=sa.literal(first_month))
    part_end = sa.case((span.last_month < last_month, span.last_month), else_=sa.literal(last_month))
    required = sa.case(
        (span.urine_interval > 0, (first_day(part_end + 1) - first_day(part_start)) // span.urine_interval),
        else_=0,
    )
    run = RateContactRun
    credit = RateUrineCredit
    return [
        _part(Unit.path, files_due=sa.func.sum(span.files), tests_required=sa.func.sum(span.files * required))
        .join(Unit, Unit.id == span.unit_id)
        .where(_within(units, Unit.path), span.first_month <= last_month, span.last_month >= first_month)
        .group_by(Unit.path),
        _part(Unit.path, files_cared=sa.func.sum(run.files))
        .join(Unit, Unit.id == run.unit_id)
        .where(
            _within(units, Unit.path),
            run.run_from <= first_month,
            sa.or_(
                run.month == last_month,
                sa.and_(run.month >= first_month, run.month < last_month, run.closes == 1),
            ),
        )
        .group_by(Unit.path),
        _part(Unit.path, tests_credited=sa.func.sum(credit.tests))
        .join(Unit, Unit.id == credit.unit_id)
        .where(
            _within(units, Unit.path), credit.period_first == first_month, credit.period_last == last_month
        )
        .group_by(Unit.path),
    ]


def _care_files_part(per_file: sa.Subquery) -> sa.Select[Any]:
    """帮教率 and 尿检率 counted file by file (a period of more than 12 whole months)."""
    cared = sa.and_(per_file.c.intervals >= 1, per_file.c.intervals_covered >= per_file.c.intervals)
    tests_credited = sa.case(
        (per_file.c.tests_done < per_file.c.tests_required, per_file.c.tests_done),
        else_=per_file.c.tests_required,
    )
    return _part(
        per_file.c.path,
        files_due=_counting(per_file.c.intervals >= 1),
        files_cared=_counting(cared),
        tests_required=sa.func.coalesce(sa.func.sum(per_file.c.tests_required), 0),
        tests_credited=sa.func.coalesce(sa.func.sum(tests_credited), 0),
    ).group_by(per_file.c.path)


async def _per_file_query(
    session: AsyncSession, units: Sequence[Unit], period: Period, as_of: date
) -> sa.Subquery:
    if session.get_bind().dialect.name == "postgresql":
        # The planner's estimate for the per-file figures is far above what they cost (it cannot see that a
        # file has a row or two of summary), which sets off JIT compilation of the wide CASE expressions:
        # seconds of compiling for a query that runs in a fraction of that. Off for this transaction only.
        await session.execute(sa.text("SET LOCAL jit = off"))
    return _per_file(units, period, as_of)


def _files_behind_per_file(per_file: sa.Subquery) -> sa.Select[Any]:
    """The files that missed a month or had too few urine tests, from the per-file figures: (path, minor,
    missed, short)."""
    missed = sa.and_(per_file.c.intervals >= 1, per_file.c.intervals_covered < per_file.c.intervals)
    short = sa.and_(per_file.c.tests_required >= 1, per_file.c.tests_done < per_file.c.tests_required)
    return sa.select(per_file.c.path, per_file.c.minor_id, missed, short).where(sa.or_(missed, short))


def _files_behind_by_month(
    units: Sequence[Unit], months: list[tuple[int, int, int]]
) -> sa.Select[Any] | None:
    """The same for a period of up to 12 whole months, read file by file without grouping: a whole month
    of the period counts for a file when the file was opened by its first day and not closed before its last
    (timestamps compared with the month's bounds), and its counters are the file's one or two yearly summary
    rows, joined by key. (managing unit, minor, missed, short); None without a whole month (nothing to miss)."""
    if not months:
        return None
    years = {month // 12: sa.orm.aliased(CareFileYear, name=f"summary_{month // 12}") for month, *_ in months}
    closed = sa.and_(CareFile.status == CareFileStatus.closed.value, col(CareFile.closed_at).is_not(None))
    in_months = []
    for _month, first, last in months:
        first_day, last_day = day_of(first), day_of(last)
        in_months.append(
            sa.and_(
                CareFile.opened_at < local_midnight_utc(first_day + timedelta(days=1)),
                sa.or_(~closed, col(CareFile.closed_at) >= local_midnight_utc(last_day)),
            )
        )
    missed = []
    tests_done = []
    days = []
    for (month, first, last), in_month in zip(months, in_months, strict=True):
        summary = years[month // 12]
        number = month % 12 + 1
        contacts = sa.func.coalesce(getattr(summary, f"contacts_{number:02d}"), 0)
        missed.append(sa.and_(in_month, contacts <= 0))
        tests_done.append(
            sa.case((in_month, sa.func.coalesce(getattr(summary, f"urine_tests_{number:02d}"), 0)), else_=0)
        )
        days.append(sa.case((in_month, last - first + 1), else_=0))
    interval = sa.func.coalesce(CareFile.urine_test_interval_days, 0)
    required = sa.case((interval > 0, sum(days[1:], days[0]) // interval), else_=0)
    short = sa.and_(required >= 1, sum(tests_done[1:], tests_done[0]) < required)
    missed_any = sa.or_(*missed)
    statement = sa.select(CareFile.managing_unit_id, CareFile.minor_id, missed_any, short).join(
        Unit, Unit.id == CareFile.managing_unit_id
    )
    for year, summary in years.items():
        statement = statement.outerjoin(
            summary, sa.and_(summary.care_file_id == CareFile.id, summary.year == year)
        )
    # Only files with a whole month in the period can miss one or fall short: opened by the first day of its
    # last month and not closed before the last day of its first (a bound before the per-month conditions).
    first_month_last_day = day_of(months[0][2])
    last_month_first_day = day_of(months[-1][1])
    return statement.where(
        _within(units, Unit.path),
        CareFile.opened_at < local_midnight_utc(last_month_first_day + timedelta(days=1)),
        sa.or_(~closed, col(CareFile.closed_at) >= local_midnight_utc(first_month_last_day)),
        sa.or_(missed_any, short),
    )


async def _explain(
    session: AsyncSession,
    roll_up: _RollUp,
    units: Sequence[Unit],
    files_behind: sa.Select[Any] | None,
    as_of: date,
    notices: tuple[Any, Any, Any],
) -> None:
    """The ids behind each figure (``IDS_BEHIND``): the files in one read for 帮教率 and 尿检率, the open files
    in another for the three snapshot figures, the notices in a third. The reads name each record's unit by its
    id (its path, many times longer, is looked up once per unit here)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # The reads' wide expressions over a county's files set off JIT compiling that costs more than the reads.
        await connection.execute(sa.text("SET LOCAL jit = off"))
    paths: dict[Any, str] = dict(
        (await connection.execute(sa.select(Unit.id, Unit.path).where(_within(units, Unit.path)))).all()
    )
    found: dict[str, dict[Any, list[uuid.UUID]]] = {code: defaultdict(list) for code in RATE_CODES}
    for unit, minor_id, is_missed, is_short in (
        (await connection.execute(files_behind)).all() if files_behind is not None else ()
    ):
        if is_missed:
            found["care_rate"][unit].append(minor_id)
        if is_short:
            found["urine_test_rate"][unit].append(minor_id)
    overdue = due_condition(DueState.overdue, as_of)
    lost = due_condition(DueState.lost_contact, as_of)
    no_lead = CareFile.lead_worker_id.is_(None)
    for unit, minor_id, file_id, is_overdue, is_lost, has_no_lead in (
        await connection.execute(
            sa.select(CareFile.managing_unit_id, CareFile.minor_id, CareFile.id, overdue, lost, no_lead)
            .join(Unit, Unit.id == CareFile.managing_unit_id)
            .where(_within(units, Unit.path), _open_on(as_of), sa.or_(overdue, lost, no_lead))
        )
    ).all():
        if is_overdue:
            found["overdue_share"][unit].append(minor_id)
        if is_lost:
            found["lost_contact_count"][unit].append(minor_id)
        if has_no_lead:
            found["responsible_share"][unit].append(file_id)
    receiving, same_day, conditions = notices
    for unit, notice_id in await connection.execute(
        sa.select(receiving.id, SeizureNotice.id)
        .join(receiving, receiving.id == SeizureNotice.receiving_unit_id)
        .where(*conditions, ~same_day)
    ):
        found["notice_same_day_rate"][unit].append(notice_id)
    for code, by_unit in found.items():
        # A unit is named by its id, or by its path where the per-file figures give one.
        roll_up.add_ids(code, {paths.get(unit, unit): ids for unit, ids in by_unit.items()})
