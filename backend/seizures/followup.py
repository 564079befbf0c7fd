"""What happens after a notice is routed: the seam to care files and transfers (issue 6).

This module is the ONE place where seizure notices reach those domains:

- ``on_routed_out`` (on receipt): a transfer to the place outside the county starts from the unit that manages
  the minor (the county office for a new minor), ``awaiting_outside_receipt`` until the written notice is
  delivered, so the minor is not lost. If a transfer of the minor is already under way the push does not
  fail: the notice records ``transfer_started`` when that transfer already goes outside the county, else
  ``transfer_pending`` (one to the outside place is still to start once the other ends).
- ``on_acknowledged``: the minor's care file opens (or the last one reopens, keeping its history). Where:
  see :func:`file_unit`. The notice records ``care_file_open`` (a routed-out notice keeps its transfer
  status: that is the step still open).
- ``followup_facts``/``followup_view``: ``file_open`` and ``last_contact_on`` computed from the minor's care
  files (their status and the date of the last contact only — never a file's contents).

All run inside the request's transaction and only flush, like every service.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files import service as care_files
from backend.care_files.models import OPEN_STATUSES, CareFile, CareTrigger
from backend.minors import service as minors
from backend.minors.models import MinorStatus
from backend.security.principals import Principal
from backend.seizures.models import FollowupStatus, RoutingStatus, SeizureNotice
from backend.transfers import service as transfers
from backend.transfers.models import PENDING_STATUSES, Transfer, TransferReason, TransferStatus
from backend.units.models import Unit

OUTSIDE_PLACE_MAX = 100  # transfers.outside_place_name


async def _pending_transfer(session: AsyncSession, minor_id: uuid.UUID) -> Transfer | None:
    return await session.scalar(
        sa.select(Transfer).where(Transfer.minor_id == minor_id, Transfer.status.in_(PENDING_STATUSES))
    )


async def on_routed_out(session: AsyncSession, *, notice: SeizureNotice, actor: Principal) -> None:
    """A minor living outside the county: a transfer to that place starts so the case is not lost."""
    minor = await minors.get_by_id(session, notice.minor_id)
    pending = await _pending_transfer(session, notice.minor_id)
    if pending is not None:
        goes_outside = pending.status == TransferStatus.awaiting_outside_receipt
        notice.followup_status = (
            FollowupStatus.transfer_started if goes_outside else FollowupStatus.transfer_pending
        )
        return
    await transfers.start_transfer(
        session,
        minor_id=notice.minor_id,
        from_unit_id=minor.managing_unit_id,
        to_unit_id=None,
        outside_division_code=notice.outside_division_code,
        outside_place_name=(notice.outside_place_name or "")[:OUTSIDE_PLACE_MAX],
        reason=f"查获通知 {notice.notice_no}：居住地或户籍地在县外，移交当地"[:500],
        actor=actor,
        reason_code=TransferReason.caught_elsewhere,
    )
    notice.followup_status = FollowupStatus.transfer_started


async def file_unit(session: AsyncSession, *, notice: SeizureNotice) -> uuid.UUID:
    """The unit whose care file the acknowledgement opens.

    - A notice routed to a station: that station (the place the minor lives takes up control and care), unless
      the minor is already managed inside the station's own subtree (a community of it), where they stay.
      A minor managed by another unit of the county moves to the station with the file — the managing unit
      follows, as on an accepted transfer — except while a transfer is under way, which decides instead.
    - An unrouted or routed-out notice (the county office receives it only as a fallback): the unit that
      already manages the minor (the county office for a minor the notice created).
    """
    minor = await minors.get_by_id(session, notice.minor_id)
    if notice.routing_status != RoutingStatus.routed:
        return minor.managing_unit_id
    if minor.managing_unit_id == notice.receiving_unit_id:
        return minor.managing_unit_id
    paths = dict(
        (
            await session.execute(
                sa.select(Unit.id, Unit.path).where(
                    Unit.id.in_((minor.managing_unit_id, notice.receiving_unit_id))
                )
            )
        ).all()
    )
    if paths[minor.managing_unit_id].startswith(paths[notice.receiving_unit_id]):
        return minor.managing_unit_id
    if await _pending_transfer(session, notice.minor_id) is not None:
        return minor.managing_unit_id
    return notice.receiving_unit_id


async def on_acknowledged(session: AsyncSession, *, notice: SeizureNotice, actor: Principal) -> None:
    """The receiving station signed for the notice: the minor's care file opens (or reopens) — see
    :func:`file_unit` for where."""
    unit_id = await file_unit(session, notice=notice)
    minor = await minors.get_by_id(session, notice.minor_id)
    if unit_id != minor.managing_unit_id:
        await minors.change_by_care_work(
            session, minor=minor, actor=actor, managing_unit_id=unit_id, status=MinorStatus.active
        )
    await care_files.open_or_reopen_file(
        session, minor_id=notice.minor_id, unit_id=unit_id, trigger=CareTrigger.seizure_notice, actor=actor
    )
    if notice.followup_status in (
        FollowupStatus.awaiting_acknowledgement,
        FollowupStatus.care_file_pending,
    ):
        notice.followup_status = FollowupStatus.care_file_open


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
            .where(CareFile.minor_id.in_(ids))
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
