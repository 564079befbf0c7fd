"""Calendar days and months in SQL and Python, for the rates (``backend/stats/rates.py``) and their periods: a
Beijing day as a day number on both databases, whole calendar months of a period, a month's last day."""

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

_EPOCH = date(1970, 1, 1)


class LocalDay(sa.sql.expression.ColumnElement[int]):
    """A timestamp's (or a date's) Beijing day as a day number (days since 1970-01-01), so that days can be
    subtracted and divided into intervals in SQL on both databases."""

    inherit_cache = True
    # What the statement cache keys on (without it, no statement holding a LocalDay could be cached).
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("is_date", InternalTraversal.dp_boolean),
    ]
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


def day_of(number: int) -> date:
    """The day of a day number (``day_number``'s inverse)."""
    return _EPOCH + timedelta(days=number)


def month_number(day: date) -> int:
    """A calendar month as a number: year × 12 + month − 1."""
    return day.year * 12 + day.month - 1


def whole_months(start: date, end: date) -> list[tuple[int, int, int]]:
    """The calendar months lying wholly within ``start``–``end`` (both included), as (month number, first day,
    last day) with days as day numbers."""
    months: list[tuple[int, int, int]] = []
    first = start if start.day == 1 else month_end(start) + timedelta(days=1)
    while (last := month_end(first)) <= end:
        months.append((month_number(first), day_number(first), day_number(last)))
        first = last + timedelta(days=1)
    return months


def month_end(day: date) -> date:
    """The last day of ``day``'s calendar month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
