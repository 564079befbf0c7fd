"""Hand-over and closure: a transfer asked, accepted (the minor's managing unit and the care file move
together), delivered outside the county (the file closes as moved out); a file's closure approved (the minor's
status follows).

Each function runs inside the request's one transaction and only flushes, like every service.
"""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import CareFile, CareFileStatus, CareTrigger, ClosureReason
from backend.care_files.service import closure
from backend.care_files.service import files as care_files
from backend.minors.models import MinorStatus
from backend.minors.service import registry as minors
from backend.security.principals import Principal
from backend.transfers import service as transfers
from backend.transfers.models import Transfer, TransferKind
from backend.transfers.schemas import TransferCreate
from backend.workflows import notifying
from backend.workflows.intake import open_file_for


async def request_transfer(
    session: AsyncSession, *, principal: Principal, transfer_in: TransferCreate
) -> Transfer:
    """Ask another unit to take a minor of one's scope over (404 outside it, before any 403)."""
    minor = await minors.get_in_scope(session, principal=principal, minor_id=transfer_in.minor_id)
    transfer = await transfers.create(session, principal=principal, minor=minor, transfer_in=transfer_in)
    await notifying.transfer_requested(session, transfer=transfer)
    return transfer


async def accept_transfer(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str | None
) -> Transfer:
    """The receiving unit takes the minor over: the managing unit and the open file (or a reopened one) move
    together, in the request's one transaction."""
    transfer = await transfers.accept(session, principal=principal, transfer_id=transfer_id, note=note)
    assert transfer.to_unit_id is not None
    minor = await minors.get_by_id(session, transfer.minor_id)
    if transfer.kind == TransferKind.delegation:
        # 委托管理: the minor stays in the household-registration unit's registry; its file moves for the period.
        await care_files.delegate_file(
            session,
            minor_id=minor.id,
            to_unit_id=transfer.to_unit_id,
            accountable_unit_id=transfer.from_unit_id,
            actor=principal,
        )
        if minor.status != MinorStatus.active:
            await minors.change_by_care_work(session, minor=minor, actor=principal, status=MinorStatus.active)
        return transfer
    await minors.change_by_care_work(
        session, minor=minor, actor=principal, managing_unit_id=transfer.to_unit_id, status=MinorStatus.active
    )
    await open_file_for(
        session, minor=minor, unit_id=transfer.to_unit_id, trigger=CareTrigger.transfer, actor=principal
    )
    return transfer


async def end_delegation(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """A delegation ends (either side, or its period ran out): the open file goes back to the accountable unit."""
    transfer = await transfers.end_delegation(session, principal=principal, transfer_id=transfer_id)
    await care_files.end_file_delegation(
        session, minor_id=transfer.minor_id, accountable_unit_id=transfer.from_unit_id, actor=principal
    )
    return transfer


async def expire_delegations(session: AsyncSession, *, day: date) -> list[Transfer]:
    """Delegations whose last day is before ``day`` end by themselves (run by ``qinghu remind``): each file goes
    back to the accountable (household-registration) unit, and the people of both units who handle transfers are
    told. The audit events name the system as actor."""
    ended = await transfers.expire_delegations(session, day=day)
    for transfer in ended:
        await care_files.end_file_delegation(
            session, minor_id=transfer.minor_id, accountable_unit_id=transfer.from_unit_id, actor=None
        )
        await notifying.delegation_expired(session, transfer=transfer)
    return ended


async def record_delivery(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """The written notice reached the place outside the county: the transfer ends, the file closes as moved
    out and the minor is recorded as transferred out."""
    transfer = await transfers.mark_delivered(session, principal=principal, transfer_id=transfer_id)
    await closure.close_for_transfer_out(
        session, minor_id=transfer.minor_id, actor=principal, comment="书面通知已送达"
    )
    minor = await minors.get_by_id(session, transfer.minor_id)
    await minors.change_by_care_work(
        session, minor=minor, actor=principal, status=MinorStatus.transferred_out
    )
    return transfer


async def decide_closure(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, approve: bool, comment: str
) -> CareFile:
    """A lead approves a closure (the file closes and the minor's status follows its reason) or rejects it."""
    care_file = await closure.decide_closure(
        session, principal=principal, care_file=care_file, approve=approve, comment=comment
    )
    if care_file.status == CareFileStatus.closed:
        minor = await minors.get_by_id(session, care_file.minor_id)
        reason = care_file.closure_reason
        status = (
            closure.CLOSED_MINOR_STATUS.get(ClosureReason(reason), MinorStatus.closed)
            if reason
            else MinorStatus.closed
        )
        await minors.change_by_care_work(session, minor=minor, actor=principal, status=status)
    return care_file
