"""Records of one domain shown with the minor they name: care files and transfers. The minor is shaped once, by
the registry's presenter (the privacy policy's one shape of a related minor); the file or transfer is shaped by
its own service, which receives the shaped minors instead of calling the registry itself.
"""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.schemas import CareFileRead
from backend.care_files.service import reading as care_files
from backend.minors.schemas import MinorRead
from backend.minors.service import presenting as minors
from backend.pagination import Page, PageParams
from backend.security import privacy
from backend.security.principals import Principal
from backend.transfers import notice as transfer_notice
from backend.transfers import service as transfers
from backend.transfers.schemas import TransferRead


async def _care_files(
    session: AsyncSession, principal: Principal, rows: list[Any], view: privacy.View
) -> list[CareFileRead]:
    shown = await minors.present_related(
        session,
        principal=principal,
        minor_ids=[row[0].minor_id for row in rows],
        view=view,
        responsible_ids=care_files.responsible_minor_ids(principal, rows),
    )
    return await care_files.present_files(session, principal=principal, rows=rows, shown=shown)


async def care_file_page(
    session: AsyncSession, *, principal: Principal, filters: care_files.CareFileFilters, page: PageParams
) -> Page[CareFileRead]:
    """A page of files in scope (a worklist with ``due``), each minor in the list view: masked for everyone."""
    rows = await care_files.list_files(session, principal=principal, filters=filters, page=page)
    items = await _care_files(session, principal, list(rows.items), privacy.View.list)
    return Page[CareFileRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


async def care_file_read(
    session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID
) -> CareFileRead:
    """The file page: an audited read, its minor in the detail view."""
    row = await care_files.record_read(session, principal=principal, care_file_id=care_file_id)
    return (await _care_files(session, principal, [row], privacy.View.detail))[0]


async def care_file_answer(
    session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID
) -> CareFileRead:
    """The file as the answer to a change of it (the caller has checked scope)."""
    row = await care_files.file_row(session, care_file_id)
    return (await _care_files(session, principal, [row], privacy.View.detail))[0]


async def _transfers(session: AsyncSession, principal: Principal, rows: list[Any]) -> list[TransferRead]:
    shown = await minors.present_related(
        session, principal=principal, minor_ids=[row[0].minor_id for row in rows]
    )
    return transfers.present(principal, rows, shown)


async def transfer_page(
    session: AsyncSession, *, principal: Principal, filters: transfers.TransferFilters, page: PageParams
) -> Page[TransferRead]:
    """Transfers either side of which lies in scope; minors appear masked, as in every list."""
    rows = await transfers.list_transfers(session, principal=principal, filters=filters, page=page)
    items = await _transfers(session, principal, list(rows.items))
    return Page[TransferRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


async def transfer_read(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID
) -> TransferRead:
    row = await transfers.transfer_row(session, principal, transfer_id)
    return (await _transfers(session, principal, [row]))[0]


async def transfer_notice_page(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> str:
    """The written notice (书面通知), printable: the identity masked unless the policy shows the caller the full
    identity (a responsible social worker, as on the minor's page). Printing is an audit event."""
    row = await transfers.transfer_row(session, principal, transfer_id)
    minor_id = row[0].minor_id
    responsible = await minors.is_responsible(session, principal=principal, minor_id=minor_id)
    shown: dict[uuid.UUID, MinorRead] = await minors.present_related(
        session,
        principal=principal,
        minor_ids=[minor_id],
        view=privacy.View.detail,
        responsible_ids=frozenset({minor_id}) if responsible else frozenset(),
    )
    await transfers.record_notice_printed(session, principal=principal, row=row)
    return transfer_notice.render_notice(principal, row, shown[minor_id])
