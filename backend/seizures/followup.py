"""What police may see of the care work that follows their notice: whether the minor has an open care file
and the day of the last contact on it, computed from the care files' table (their status and one derived date,
never a file's contents). The steps that follow a notice into other domains — a transfer when the minor lives
outside the county, a care file on acknowledgement — are ``backend.workflows.intake``'s."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import OPEN_STATUSES, CareFile


@dataclass(frozen=True)
class FollowupFacts:
    """The two facts police may see of the care work: is a file open, and the day of the last contact."""

    file_open: bool = False
    last_contact_on: date | None = None


async def followup_facts(
    session: AsyncSession, minor_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, FollowupFacts]:
    """Per minor, from their care files: whether one is open, and the latest contact on any of them. Only
    the status and the derived date are read, never a file's contents."""
    ids = list(set(minor_ids))
    if not ids:
        return {}
    is_open = sa.func.max(sa.case((CareFile.status.in_(OPEN_STATUSES), 1), else_=0))
    rows = (
        await session.execute(
            sa.select(CareFile.minor_id, is_open, sa.func.max(CareFile.last_contact_on))
            # The station's files: whether the school keeps a file of its own is not the police's to learn.
            .where(CareFile.minor_id.in_(ids), CareFile.kept_by_school_id.is_(None))
            .group_by(CareFile.minor_id)
        )
    ).all()
    facts = {minor_id: FollowupFacts() for minor_id in ids}
    for minor_id, open_flag, last_contact_on in rows:
        facts[minor_id] = FollowupFacts(file_open=bool(open_flag), last_contact_on=last_contact_on)
    return facts


def followup_view(facts: FollowupFacts | None) -> tuple[bool | None, date | None]:
    """(file open?, date of last contact) for a notice's minor."""
    if facts is None:
        return False, None
    return facts.file_open, facts.last_contact_on
