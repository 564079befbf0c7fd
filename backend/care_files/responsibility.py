"""Who is responsible for a minor: asked by the minors registry's privacy step, so kept free of imports
from other domains' services (the care-file service builds on the registry, not the other way round)."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import OPEN_STATUSES, CareFile
from backend.db import JsonArrayContains
from backend.security.principals import Principal


def responsible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Files that name this person as lead social worker or team member (their worklists), confirmed or not."""
    return JsonArrayContains(CareFile.responsible_user_ids, str(principal.id))


async def is_responsible(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> bool:
    """Whether the minor's open file names this person among its responsible people in an assignment that a
    lead made or confirmed: what the privacy policy's ``responsible`` means."""
    if not principal.is_user:
        return False
    found = await session.scalar(
        sa.select(CareFile.id).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            JsonArrayContains(CareFile.confirmed_responsible_ids, str(principal.id)),
        )
    )
    return found is not None
