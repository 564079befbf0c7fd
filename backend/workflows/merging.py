"""Registering without an ID number, then adding it (issue 17): a provisional record whose person turns out to
be registered already is merged into that record, and the other domains' records follow the person."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.service import merging as care_file_merging
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.minors.models import Minor
from backend.minors.service import provisional
from backend.minors.service import registry as minors
from backend.security.principals import Principal
from backend.seizures import service as seizures
from backend.transfers import service as transfers


async def merge_minor(
    session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID, into_id: uuid.UUID
) -> Minor:
    """Merge the provisional record ``minor_id`` into ``into_id`` (both in the caller's scope): the care files
    and their entries, the seizure notices and finished transfers move to the survivor; the provisional record
    stays, ``merged``, read-only, pointing at it; both trails record the merge."""
    minor = await minors.get_in_scope(session, principal=principal, minor_id=minor_id)
    try:
        survivor = await minors.get_in_scope(session, principal=principal, minor_id=into_id)
    except NotFound as exc:
        raise ValidationFailed.field(
            ["body", "into_id"], "no such minor in your scope", "minor.not_found"
        ) from exc
    # Before the registry compares the two records' birth dates: a refusal after that comparison would tell,
    # writing nothing, whether a masked birth date fits (422 or 409).
    if await transfers.pending_for(session, minor_id=minor.id) is not None:
        raise Conflict("A transfer of this record is under way; finish it before merging.")
    survivor = await provisional.merge_into(session, principal=principal, minor=minor, survivor=survivor)
    await care_file_merging.move_files(
        session, from_minor_id=minor.id, to_minor_id=survivor.id, actor=principal
    )
    await seizures.move_to_minor(session, from_minor_id=minor.id, to_minor_id=survivor.id)
    await transfers.move_to_minor(session, from_minor_id=minor.id, to_minor_id=survivor.id)
    return survivor
