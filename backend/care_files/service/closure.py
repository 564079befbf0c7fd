"""Alerts and closure: a lead acknowledges an alert; closing a file needs a reason and a lead's approval."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    OPEN_STATUSES,
    CareFile,
    CareFileStatus,
    ClosureReason,
)
from backend.care_files.schemas import (
    ClosureRequest,
)
from backend.care_files.service.records import lock_file, pending_transfer_id
from backend.db import utcnow
from backend.errors import Conflict, ValidationFailed
from backend.minors.models import MinorStatus
from backend.security import permissions
from backend.security.principals import Principal


async def acknowledge_alert(session: AsyncSession, *, principal: Principal, care_file: CareFile) -> CareFile:
    permissions.ensure(permissions.may_decide_for_care_files(principal), "Only a lead acknowledges an alert.")
    care_file = await lock_file(session, care_file)
    if care_file.alert is None:
        raise Conflict("The file has no alert.")
    care_file.alert, care_file.alert_at = None, None
    await audit.record(
        session,
        action=AuditAction.care_alert_cleared,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
    )
    await session.flush()
    return care_file


PENDING_TRANSFER_MESSAGE = (
    "A transfer of this minor is pending; it must be accepted, rejected or cancelled before the file closes."
)


async def request_closure(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, closure_in: ClosureRequest
) -> CareFile:
    permissions.ensure(
        permissions.may_keep_care_files(principal),
        "Only the station's social workers and leads ask to close a file.",
    )
    if closure_in.reason is ClosureReason.other and not closure_in.note:
        raise ValidationFailed.field(
            ["body", "note"], "say why when the reason is other", "closure.note_required"
        )
    care_file = await lock_file(session, care_file)
    if care_file.status != CareFileStatus.open:
        raise Conflict(
            "Closure has already been requested for this file."
            if care_file.status == CareFileStatus.closure_requested
            else "The file is already closed."
        )
    if await pending_transfer_id(session, care_file.minor_id):
        raise Conflict(PENDING_TRANSFER_MESSAGE)
    care_file.status = CareFileStatus.closure_requested
    care_file.closure_reason = closure_in.reason
    care_file.closure_note = closure_in.note
    care_file.closure_requested_at = utcnow()
    care_file.closure_requested_by = principal.id
    care_file.closure_decided_at = care_file.closure_decided_by = care_file.closure_comment = None
    await audit.record(
        session,
        action=AuditAction.care_closure_requested,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=closure_in.reason.value,
    )
    await session.flush()
    return care_file


# The minor's status once the file closed for this reason (``backend.workflows.handover`` sets it).
CLOSED_MINOR_STATUS = {
    ClosureReason.aged_out: MinorStatus.aged_out,
    ClosureReason.moved_out: MinorStatus.transferred_out,
}


async def decide_closure(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, approve: bool, comment: str
) -> CareFile:
    """A lead of the managing unit or above approves (the file closes; ``backend.workflows.handover`` sets the
    minor's status from ``CLOSED_MINOR_STATUS``) or rejects (the file stays open) with a comment."""
    permissions.ensure(
        permissions.may_decide_for_care_files(principal),
        "Only a lead of the managing unit or above decides on a closure.",
    )
    care_file = await lock_file(session, care_file)
    if care_file.status != CareFileStatus.closure_requested:
        raise Conflict("No closure has been requested for this file.")
    now = utcnow()
    care_file.closure_decided_at = now
    care_file.closure_decided_by = principal.id
    care_file.closure_comment = comment
    if approve:
        if await pending_transfer_id(session, care_file.minor_id):
            raise Conflict(PENDING_TRANSFER_MESSAGE)
        care_file.status = CareFileStatus.closed
        care_file.closed_at = now
        care_file.alert, care_file.alert_at = None, None
    else:
        care_file.status = CareFileStatus.open
    await audit.record(
        session,
        action=AuditAction.care_closure_approved if approve else AuditAction.care_closure_rejected,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=comment,
    )
    await session.flush()
    return care_file


async def close_for_transfer_out(
    session: AsyncSession, *, minor_id: uuid.UUID, actor: Principal | None, comment: str
) -> None:
    """A minor handed over outside the county: the open file closes as moved out (the notice was delivered)."""
    care_file = await session.scalar(
        sa.select(CareFile).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.kept_by_school_id.is_(None),
        )
    )
    if care_file is None:
        return
    care_file = await lock_file(session, care_file)
    now = utcnow()
    care_file.status = CareFileStatus.closed
    care_file.closure_reason = ClosureReason.moved_out
    care_file.closure_comment = comment
    care_file.closure_decided_at = care_file.closed_at = now
    care_file.closure_decided_by = actor.id if actor and actor.is_user else None
    await audit.record(
        session,
        action=AuditAction.care_closure_approved,
        actor=actor,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
        reason=ClosureReason.moved_out.value,
    )
    await session.flush()
