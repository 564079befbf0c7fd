"""A provisional minor merged into the record of the same person (issue 17): the care files follow the person."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import OPEN_STATUSES, CareEntry, CareFile, CareFileStatus, ClosureReason
from backend.care_files.service.timeline import recompute
from backend.db import utcnow
from backend.security.principals import Principal

# A person has one open station file and one open school-kept file at most: each pair is merged apart.
_FILE_KINDS = (col(CareFile.kept_by_school_id).is_(None), col(CareFile.kept_by_school_id).is_not(None))


async def _open_file(
    session: AsyncSession, minor_id: uuid.UUID, kind: sa.ColumnElement[bool]
) -> CareFile | None:
    return await session.scalar(
        sa.select(CareFile).where(
            col(CareFile.minor_id) == minor_id, col(CareFile.status).in_(OPEN_STATUSES), kind
        )
    )


async def move_files(
    session: AsyncSession, *, from_minor_id: uuid.UUID, to_minor_id: uuid.UUID, actor: Principal
) -> None:
    """Every file of the merged record becomes the survivor's. When both have an open file of one kind (station
    or school-kept), the merged one's entries join the survivor's (its due dates recomputed from the whole
    timeline) and the emptied file is closed (reason ``other``, noted), since a person has one open file of
    each kind."""
    for kind in _FILE_KINDS:
        await _merge_open_files(
            session, from_minor_id=from_minor_id, to_minor_id=to_minor_id, kind=kind, actor=actor
        )
    await session.flush()
    await session.execute(
        sa.update(CareFile).where(col(CareFile.minor_id) == from_minor_id).values(minor_id=to_minor_id)
    )


async def _merge_open_files(
    session: AsyncSession,
    *,
    from_minor_id: uuid.UUID,
    to_minor_id: uuid.UUID,
    kind: sa.ColumnElement[bool],
    actor: Principal,
) -> None:
    merged_open = await _open_file(session, from_minor_id, kind)
    surviving_open = await _open_file(session, to_minor_id, kind)
    if merged_open is not None and surviving_open is not None:
        await session.execute(
            sa.update(CareEntry)
            .where(col(CareEntry.care_file_id) == merged_open.id)
            .values(care_file_id=surviving_open.id)
        )
        now = utcnow()
        merged_open.status = CareFileStatus.closed
        merged_open.closure_reason = ClosureReason.other
        merged_open.closure_note = "合并重复记录：记录已并入另一档案"
        merged_open.closure_decided_at = now
        merged_open.closed_at = now
        merged_open.version += 1
        merged_open.updated_at = now
        surviving_open.version += 1
        surviving_open.updated_at = now
        await recompute(session, surviving_open)
        for care_file in (merged_open, surviving_open):
            await audit.record(
                session,
                action=AuditAction.care_file_updated,
                actor=actor,
                unit_id=care_file.managing_unit_id,
                object_type="care_file",
                object_id=care_file.id,
                reason="minor_merged",
            )
