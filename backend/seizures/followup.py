"""What happens after a notice is routed: the seam to care files and transfers (issue 6).

This module is the ONE place where seizure notices reach those domains. Until care files and transfers land,
each function records the need on the notice (``followup_status``) so nothing is lost and the lists show it;
when issue 6 merges, wire the calls here and nowhere else:

- ``on_acknowledged``: ``await care_files.open_or_reopen_file(session, minor_id=notice.minor_id,
  unit_id=notice.receiving_unit_id, trigger="seizure_notice", actor=actor)`` and set ``care_file_open``.
- ``on_routed_out``: ``await transfers.start_transfer(session, minor_id=notice.minor_id,
  from_unit_id=notice.receiving_unit_id, to_unit_id=None, outside_division_code=notice.outside_division_code,
  outside_place_name=notice.outside_place_name, reason=..., actor=actor)`` and set ``transfer_started``.
- ``followup_view``: read ``file_open`` and ``last_contact_on`` from the care file's service (its status and
  the date of the last entry only — never the file's contents).

All run inside the request's transaction and only flush, like every service.
"""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from backend.security.principals import Principal
from backend.seizures.models import FollowupStatus, SeizureNotice


async def on_routed_out(session: AsyncSession, *, notice: SeizureNotice, actor: Principal) -> None:
    """A minor living outside the county: a transfer to that place must start so the case is not lost."""
    notice.followup_status = FollowupStatus.transfer_pending


async def on_acknowledged(session: AsyncSession, *, notice: SeizureNotice, actor: Principal) -> None:
    """The receiving station signed for the notice: the minor's care file opens (or reopens) there."""
    if notice.followup_status == FollowupStatus.awaiting_acknowledgement:
        notice.followup_status = FollowupStatus.care_file_pending


def followup_view(notice_status: str) -> tuple[bool | None, date | None]:
    """(file open?, date of last contact) for a notice's minor; unknown (None) until care files are wired."""
    return None, None
