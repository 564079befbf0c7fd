"""The rates units are held to (issue 18): 帮教率, 尿检率, overdue share, lost-contact count, seizure notices
acknowledged the same day and files with a named lead worker, per unit and rolled up its subtree.

Raw figures, unsuppressed: the API suppresses small cells (``backend/stats/suppression.py``) before anything
leaves; assessments store them with the ids behind them. Every formula is written out, with a worked example,
in docs/statistics.md (Rates).

Set-based: one query for the files' snapshot figures, one for the care and urine-test figures (per file, then
per managing unit, read from the files' yearly summary ``care_file_years`` — a few rows per file, never the
entries), one for the notices — whatever the number of units asked for. Each query groups by the
managing (or receiving) unit's path; a unit's figures are the sum over the units on whose path it lies, added
up here from the few thousand grouped rows. ``explain`` adds one query per rate for the ids behind it.

Days are Beijing days (Asia/Shanghai, UTC+8 all year): an entry's day is its ``occurred_at`` there, a notice's
its ``received_at``. A period runs from ``start`` to ``end``, both included; figures never look past today, so
``as_of`` is the earlier of ``end`` and today.
"""

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
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
from backend.db import local_midnight_utc, local_today
from backend.security.principals import in_subtree
from backend.seizures.models import SeizureNotice
from backend.units.models import Unit, ids_on_path

RATE_CODES: tuple[str, ...] = (
    "care_rate",
    "urine_test_rate",
    "overdue_share",
    "lost_contact_count",
    "notice_same_day_rate",
    "responsible_share",
)

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

_EPOCH = date(1970, 1, 1)


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


class LocalDay(sa.sql.expression.ColumnElement[int]):
    """A timestamp's (or a date's) Beijing day as a day number (days since 1970-01-01), so that days can be
    subtracted and divided into intervals in SQL on both databases."""

    inherit_cache = True
    type = sa.Integer()

    def __init__(self, column: Any, *, is_date: bool = False) -> None:
        self.column = column
        self.is_date = is_date


@compiles(LocalDay, "postgresql")
def _local_day_postgresql(element: LocalDay, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if element.is_date:
        return f"({column} - DATE '1970-01-01')"
    # Beijing is UTC+8 all year: arithmetic on the epoch, several times faster than AT TIME ZONE over millions
    # of entries.
    return f"CAST(floor((EXTRACT(EPOCH FROM {column}) + 28800) / 86400) AS INTEGER)"


@compiles(LocalDay, "sqlite")
def _local_day_sqlite(element: LocalDay, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    # Stored as UTC text; Beijing is UTC+8 all year. julianday of 1970-01-01 00:00 is 2440587.5.
    shifted = f"julianday({column})" if element.is_date else f"julianday({column}, '+8 hours')"
    return f"CAST({shifted} - 2440587.5 AS INTEGER)"


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class _Sums:
    """Counts per rate code: [numerator, denominator] and the ids behind them."""

    counts: dict[str, list[int]] = field(default_factory=lambda: {code: [0, 0] for code in RATE_CODES})
    ids: dict[str, set[uuid.UUID]] = field(default_factory=lambda: {code: set() for code in RATE_CODES})

    def figures(self) -> dict[str, RateFigure]:
        result = {}
        for code in RATE_CODES:
            numerator, denominator = self.counts[code]
            value = float(numerator) if code == "lost_contact_count" else ratio(numerator, denominator)
            result[code] = RateFigure(numerator, denominator, value, tuple(sorted(self.ids[code])))
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

    def add(self, path: str, code: str, numerator: int, denominator: int) -> None:
        for sums in self.targets(path):
            sums.counts[code][0] += int(numerator or 0)
            sums.counts[code][1] += int(denominator or 0)

    def add_ids(self, code: str, rows: Iterable[Any]) -> None:
        for path, record_id in rows:
            for sums in self.targets(path):
                sums.ids[code].add(record_id)


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


def _snapshot_query(units: Sequence[Unit], as_of: date) -> sa.Select[Any]:
    """Per managing unit: open files at ``as_of``, overdue, lost from contact and with a lead worker."""
    return (
        sa.select(
            Unit.path,
            sa.func.count(),
            _counting(due_condition(DueState.overdue, as_of)),
            _counting(due_condition(DueState.lost_contact, as_of)),
            _counting(CareFile.lead_worker_id.is_not(None)),
        )
        .join(Unit, Unit.id == CareFile.managing_unit_id)
        .where(_within(units, Unit.path), _open_on(as_of))
        .group_by(Unit.path)
    )


def month_number(day: date) -> int:
    """A calendar month as a number: year × 12 + month − 1."""
    return day.year * 12 + day.month - 1


def whole_months(start: date, end: date) -> list[tuple[int, int, int]]:
    """The calendar months lying wholly within ``start``–``end`` (both included), as (month number, first day,
    last day) with days as day numbers."""
    months: list[tuple[int, int, int]] = []
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    while True:
        following = (first + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        if last > end:
            return months
        months.append((month_number(first), day_number(first), day_number(last)))
        first = following


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


async def unit_rates(
    session: AsyncSession, *, units: Sequence[Unit], period: Period, explain: bool = False
) -> dict[uuid.UUID, dict[str, RateFigure]]:
    """Every rate of ``RATE_CODES`` for each unit, over its whole subtree, for ``period``. Units are taken as
    given (the caller has checked they are in scope); a fixed number of queries whatever their number.

    The care and urine-test figures of a period of up to 12 whole months (any period the rates page takes, a
    yearly scheme) and the open files' figures as of today are added up from the per-unit tallies the database
    keeps (``RateFileSpan`` …, docs/statistics.md); a longer period, or one that ended before today, is counted
    from the files (``_per_file``, ``_snapshot_query``): the same figures, read the long way."""
    if not units:
        return {}
    today = local_today()
    as_of = period.as_of(today)
    roll_up = _RollUp(units)
    if as_of < period.start:  # a period that has not begun: nothing to count
        return {unit.id: _Sums().figures() for unit in units}

    if as_of == today:
        await _open_files_from_tallies(session, roll_up, units, as_of)
    else:
        for path, open_files, overdue, lost, with_lead in (
            await session.execute(_snapshot_query(units, as_of))
        ).all():
            _add_snapshot(roll_up, path, open_files, overdue, lost, with_lead)

    months = whole_months(period.start, as_of)
    per_file: sa.Subquery | None = None
    if len(months) <= RATE_LONGEST_RUN + 1:
        await _care_from_tallies(session, roll_up, units, months)
    else:
        per_file = await _per_file_query(session, units, period, as_of)
        await _care_from_files(session, roll_up, per_file)

    receiving, (same_day, conditions) = _notices(units, period, as_of)
    for path, received, acknowledged in (
        await session.execute(
            sa.select(receiving.path, sa.func.count(), _counting(same_day))
            .join(receiving, receiving.id == SeizureNotice.receiving_unit_id)
            .where(*conditions)
            .group_by(receiving.path)
        )
    ).all():
        roll_up.add(path, "notice_same_day_rate", acknowledged, received)

    if explain:
        if per_file is None:
            per_file = await _per_file_query(session, units, period, as_of)
        await _explain(session, roll_up, units, per_file, as_of, (receiving, same_day, conditions))
    return {unit_id: sums.figures() for unit_id, sums in roll_up.sums.items()}


def _add_snapshot(
    roll_up: _RollUp, path: str, open_files: int, overdue: int, lost: int, with_lead: int
) -> None:
    roll_up.add(path, "overdue_share", overdue, open_files)
    roll_up.add(path, "lost_contact_count", lost, open_files)
    roll_up.add(path, "responsible_share", with_lead, open_files)


async def _open_files_from_tallies(
    session: AsyncSession, roll_up: _RollUp, units: Sequence[Unit], as_of: date
) -> None:
    """The open files' figures as of today from ``RateOpenFile``: the open files and those with a lead worker,
    those due before today and those lost by then. The tallies count files by their status; a file opened, or
    closed, after the end of today (a date set ahead, which the services never write) is judged by its dates
    here, as ``_snapshot_query`` judges every file."""
    tally = RateOpenFile
    counted = sa.or_(
        col(tally.kind).in_(("open", "lead")),
        sa.and_(col(tally.kind).in_(("due", "lost")), tally.day < as_of),
    )
    found: dict[str, dict[str, int]] = {}
    for path, kind, files in (
        await session.execute(
            sa.select(Unit.path, tally.kind, sa.func.sum(tally.files))
            .join(Unit, Unit.id == tally.unit_id)
            .where(_within(units, Unit.path), counted)
            .group_by(Unit.path, tally.kind)
        )
    ).all():
        found.setdefault(path, dict.fromkeys(("open", "due", "lost", "lead"), 0))[kind] = int(files or 0)
    after = local_midnight_utc(as_of + timedelta(days=1))
    ahead = (
        sa.select(
            Unit.path,
            CareFile.status.in_(OPEN_STATUSES),
            _open_on(as_of),
            due_condition(DueState.overdue, as_of),
            due_condition(DueState.lost_contact, as_of),
            CareFile.lead_worker_id.is_not(None),
        )
        .join(Unit, Unit.id == CareFile.managing_unit_id)
        .where(
            _within(units, Unit.path), sa.or_(CareFile.opened_at >= after, col(CareFile.closed_at) >= after)
        )
    )
    for path, tallied, open_then, overdue, lost, with_lead in (await session.execute(ahead)).all():
        sign = int(bool(open_then)) - int(bool(tallied))
        counts = found.setdefault(path, dict.fromkeys(("open", "due", "lost", "lead"), 0))
        for kind, flag in (("open", True), ("due", overdue), ("lost", lost), ("lead", with_lead)):
            counts[kind] += sign * int(bool(flag))
    for path, counts in found.items():
        _add_snapshot(roll_up, path, counts["open"], counts["due"], counts["lost"], counts["lead"])


async def _care_from_tallies(
    session: AsyncSession, roll_up: _RollUp, units: Sequence[Unit], months: list[tuple[int, int, int]]
) -> None:
    """帮教率 and 尿检率 for a period of 1 to 12 whole months (``months``, P1 to P2) from the per-unit tallies:
    three grouped reads of a few rows per unit.

    - Files counted and tests required (``RateFileSpan``): every file whose whole months meet the period, its
      part of the period running from the later of P1 and its first month to the earlier of P2 and its last;
      required = ⌊days of that part ÷ the plan's interval⌋, the same for every file of a tally row.
    - Files cared for (``RateContactRun``): a row at P2 (a file still open then), or at the file's last month
      between P1 and P2 (``closes``), whose run of months with a contact began by P1.
    - Tests credited (``RateUrineCredit``): the period's own row, each file's tests already capped."""
    if not months:  # without a whole month in the period nothing is due
        return
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
    files: dict[str, list[int]] = {}
    for path, counted, tests_required in (
        await session.execute(
            sa.select(Unit.path, sa.func.sum(span.files), sa.func.sum(span.files * required))
            .join(Unit, Unit.id == span.unit_id)
            .where(_within(units, Unit.path), span.first_month <= last_month, span.last_month >= first_month)
            .group_by(Unit.path)
        )
    ).all():
        files[path] = [int(counted or 0), 0, int(tests_required or 0), 0]
    run = RateContactRun
    for path, cared in (
        await session.execute(
            sa.select(Unit.path, sa.func.sum(run.files))
            .join(Unit, Unit.id == run.unit_id)
            .where(
                _within(units, Unit.path),
                run.run_from <= first_month,
                sa.or_(
                    run.month == last_month,
                    sa.and_(run.month >= first_month, run.month < last_month, run.closes == 1),
                ),
            )
            .group_by(Unit.path)
        )
    ).all():
        files.setdefault(path, [0, 0, 0, 0])[1] = int(cared or 0)
    credit = RateUrineCredit
    for path, credited in (
        await session.execute(
            sa.select(Unit.path, sa.func.sum(credit.tests))
            .join(Unit, Unit.id == credit.unit_id)
            .where(
                _within(units, Unit.path),
                credit.period_first == first_month,
                credit.period_last == last_month,
            )
            .group_by(Unit.path)
        )
    ).all():
        files.setdefault(path, [0, 0, 0, 0])[3] = int(credited or 0)
    for path, (counted, cared, tests_required, credited) in files.items():
        roll_up.add(path, "care_rate", cared, counted)
        roll_up.add(path, "urine_test_rate", credited, tests_required)


async def _per_file_query(
    session: AsyncSession, units: Sequence[Unit], period: Period, as_of: date
) -> sa.Subquery:
    if session.get_bind().dialect.name == "postgresql":
        # The planner's estimate for the per-file figures is far above what they cost (it cannot see that a
        # file has a row or two of summary), which sets off JIT compilation of the wide CASE expressions:
        # seconds of compiling for a query that runs in a fraction of that. Off for this transaction only.
        await session.execute(sa.text("SET LOCAL jit = off"))
    return _per_file(units, period, as_of)


async def _care_from_files(session: AsyncSession, roll_up: _RollUp, per_file: sa.Subquery) -> None:
    """帮教率 and 尿检率 counted file by file (a period of more than 12 whole months)."""
    cared = sa.and_(per_file.c.intervals >= 1, per_file.c.intervals_covered >= per_file.c.intervals)
    tests_credited = sa.case(
        (per_file.c.tests_done < per_file.c.tests_required, per_file.c.tests_done),
        else_=per_file.c.tests_required,
    )
    for path, files_due, files_cared, tests_required, tests_done in (
        await session.execute(
            sa.select(
                per_file.c.path,
                _counting(per_file.c.intervals >= 1),
                _counting(cared),
                sa.func.coalesce(sa.func.sum(per_file.c.tests_required), 0),
                sa.func.coalesce(sa.func.sum(tests_credited), 0),
            ).group_by(per_file.c.path)
        )
    ).all():
        roll_up.add(path, "care_rate", files_cared, files_due)
        roll_up.add(path, "urine_test_rate", tests_done, tests_required)


async def _explain(
    session: AsyncSession,
    roll_up: _RollUp,
    units: Sequence[Unit],
    per_file: sa.Subquery,
    as_of: date,
    notices: tuple[Any, Any, Any],
) -> None:
    """The ids behind each figure (``IDS_BEHIND``)."""
    missed = sa.and_(per_file.c.intervals >= 1, per_file.c.intervals_covered < per_file.c.intervals)
    short = sa.and_(per_file.c.tests_required >= 1, per_file.c.tests_done < per_file.c.tests_required)
    for code, condition in (("care_rate", missed), ("urine_test_rate", short)):
        roll_up.add_ids(
            code,
            (await session.execute(sa.select(per_file.c.path, per_file.c.minor_id).where(condition))).all(),
        )
    files = sa.select(Unit.path).join(Unit, Unit.id == CareFile.managing_unit_id)
    files = files.where(_within(units, Unit.path), _open_on(as_of))
    for code, column, condition in (
        ("overdue_share", CareFile.minor_id, due_condition(DueState.overdue, as_of)),
        ("lost_contact_count", CareFile.minor_id, due_condition(DueState.lost_contact, as_of)),
        ("responsible_share", CareFile.id, CareFile.lead_worker_id.is_(None)),
    ):
        roll_up.add_ids(code, (await session.execute(files.add_columns(column).where(condition))).all())
    receiving, same_day, conditions = notices
    roll_up.add_ids(
        "notice_same_day_rate",
        (
            await session.execute(
                sa.select(receiving.path, SeizureNotice.id)
                .join(receiving, receiving.id == SeizureNotice.receiving_unit_id)
                .where(*conditions, ~same_day)
            )
        ).all(),
    )
