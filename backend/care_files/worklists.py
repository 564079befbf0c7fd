"""What the worklists are made of: computed due states and the conditions behind them. Plain conditions over the
care files' own table, with no reads or writes of their own, so other domains (the dashboard, the to-do
lists) may count by them too."""

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from backend.care_files.models import (
    OPEN_STATUSES,
    CareFile,
    CareFileStatus,
    DueState,
)
from backend.db import LOCAL_TIMEZONE, JsonArrayContains
from backend.security.principals import Principal

# A file whose next contact falls within this many days is "due soon".
DUE_SOON_DAYS = 7


# A file is lost from contact after two intervals without contact, or two failed attempts in a row.
LOST_AFTER_INTERVALS = 2


LOST_AFTER_FAILED_ATTEMPTS = 2


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIMEZONE).date()


def due_state(care_file: Any, today: date) -> DueState | None:
    """The most pressing of the computed states; closed files have none."""
    if care_file.status == CareFileStatus.closed:
        return None
    if care_file.lost_contact_on < today or care_file.failed_attempts >= LOST_AFTER_FAILED_ATTEMPTS:
        return DueState.lost_contact
    if care_file.next_due_on < today:
        return DueState.overdue
    if care_file.next_due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return DueState.due_soon
    return None


def due_condition(due: DueState, today: date) -> sa.ColumnElement[bool]:
    """The worklist filters, each an indexable comparison on the stored dates."""
    if due is DueState.overdue:
        return col(CareFile.next_due_on) < today
    if due is DueState.due_soon:
        return CareFile.next_due_on.between(today, today + timedelta(days=DUE_SOON_DAYS))
    return sa.or_(CareFile.lost_contact_on < today, CareFile.failed_attempts >= LOST_AFTER_FAILED_ATTEMPTS)


def worklist_counts(today: date) -> dict[str, sa.ColumnElement[int]]:
    """Open files and the overdue and lost-contact worklists as counting columns, for the dashboard: the same
    conditions as ``list_files(due=…)``, so a figure and the list behind it agree (a station's worklists are the
    files it works: school-kept files are counted by their school, not here)."""
    open_file = sa.and_(CareFile.status.in_(OPEN_STATUSES), col(CareFile.kept_by_school_id).is_(None))

    def counting(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    return {
        "open": counting(open_file),
        "overdue": counting(sa.and_(open_file, due_condition(DueState.overdue, today))),
        "lost_contact": counting(sa.and_(open_file, due_condition(DueState.lost_contact, today))),
    }


def responsible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Files that name this person as lead social worker or team member (their worklists), confirmed or not."""
    return JsonArrayContains(CareFile.responsible_user_ids, str(principal.id))
