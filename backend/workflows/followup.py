"""Follow-up: care work recorded on a file. A positive urine test raises the minor's risk level to high (the
file's interval shortens and its lead is alerted by the care file itself).

Runs inside the request's one transaction and only flushes, like every service.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import CareEntry, CareFile, EntryKind, UrineResult
from backend.care_files.schemas import EntryCreate
from backend.care_files.service import timeline
from backend.minors.models import RiskLevel
from backend.minors.service import registry as minors
from backend.security.principals import Principal


async def record_care_entry(
    session: AsyncSession, *, principal: Principal, care_file: CareFile, entry_in: EntryCreate
) -> CareEntry:
    """Record one entry (or a correction) on the file; a positive urine test makes the minor high-risk."""
    entry = await timeline.add_entry(session, principal=principal, care_file=care_file, entry_in=entry_in)
    if entry.kind == EntryKind.urine_test and entry.urine_result == UrineResult.positive:
        minor = await minors.get_by_id(session, care_file.minor_id)
        await minors.change_by_care_work(session, minor=minor, actor=principal, risk_level=RiskLevel.high)
    return entry
