"""Events that notify people (站内通知): a care file assigned to them, a transfer asked of their unit. Called by
the workflows that do the work, in the same transaction, so a notification exists exactly when its event does.
A notification names a minor by a masked name and links to the record; the reader opens it in their own scope."""

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.care_files.models import CareFile
from backend.care_files.service.files import OpenedFile
from backend.minors.models import Minor
from backend.notifications import service as notifications
from backend.security.masking import mask_name
from backend.security.principals import Principal
from backend.security.roles import ROLE_SCOPES, Role, Scope
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User

ASSIGNED = "care_file.assigned"
TRANSFER_REQUESTED = "transfer.requested"
DELEGATION_EXPIRED = "transfer.delegation_expired"


async def _masked_minor_name(session: AsyncSession, minor_id: uuid.UUID) -> str:
    name = await session.scalar(sa.select(col(Minor.name)).where(col(Minor.id) == minor_id))
    return mask_name(name) if name else "未成年人"


async def _active(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = set(ids)
    if not wanted:
        return set()
    rows = await session.scalars(
        sa.select(col(User.id)).where(col(User.id).in_(wanted), col(User.is_active).is_(True))
    )
    return set(rows)


async def file_assigned(
    session: AsyncSession, *, care_file: CareFile, before: Iterable[str], actor: Principal | None
) -> int:
    """Notify the people a file names as responsible now and did not before (not the person who named
    themselves). The key is the file's version: named again after being taken off, a person is told again."""
    return await files_assigned(session, care_files=[(OpenedFile.of(care_file), before)], actor=actor)


async def files_assigned(
    session: AsyncSession, *, care_files: Sequence[tuple[OpenedFile, Iterable[str]]], actor: Principal | None
) -> int:
    """``file_assigned`` for many files at once (each with who it named before): the same notifications, with
    one look-up of the people and of the minors' names, stored in chunks."""
    added_by_file = []
    for care_file, before in care_files:
        added = set(care_file.responsible_user_ids) - set(before)
        if actor is not None:
            added.discard(str(actor.id))
        added_by_file.append((care_file, {uuid.UUID(person) for person in added}))
    active = await _active(session, (person for _file, added in added_by_file for person in added))
    told = [(care_file, sorted(added & active)) for care_file, added in added_by_file if added & active]
    if not told:
        return 0
    names = await _masked_minor_names(session, [care_file.minor_id for care_file, _people in told])
    by = f"{actor.display_name}" if actor is not None and actor.is_user else "系统"
    items = []
    for care_file, recipients in told:
        masked = names.get(care_file.minor_id, "未成年人")
        for person in recipients:
            lead = care_file.lead_worker_id == person
            if care_file.kept_by_school_id is not None:
                role = "学校一人一档的主责教师" if lead else "学校一人一档的帮教人员"
            else:
                role = "主责社工" if lead else "帮教小组成员"
            items.append(
                notifications.NewNotification(
                    user_id=person,
                    kind=ASSIGNED,
                    title=f"您被指派为帮教档案的{role}",
                    body=f"{by}指派您为{masked}的帮教档案的{role}，请及时查看帮教计划。",
                    link=f"/care-files/{care_file.id}",
                    dedupe_key=f"{care_file.id}:{care_file.version}",
                )
            )
    created = 0
    for start in range(0, len(items), _NOTIFY_CHUNK):
        created += await notifications.notify(session, items[start : start + _NOTIFY_CHUNK])
    return created


# Notifications per multi-row statement (nine parameters a row).
_NOTIFY_CHUNK = 500


async def _masked_minor_names(session: AsyncSession, minor_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for start in range(0, len(minor_ids), _NOTIFY_CHUNK):
        rows = await session.execute(
            sa.select(col(Minor.id), col(Minor.name)).where(
                col(Minor.id).in_(minor_ids[start : start + _NOTIFY_CHUNK])
            )
        )
        names.update({row.id: mask_name(row.name) for row in rows if row.name})
    return names


async def _transfer_handlers(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """The active people of these units who handle transfers (their social workers and leads)."""
    answering = [role.value for role in Role if Scope.transfers_write in ROLE_SCOPES[role]]
    return list(
        await session.scalars(
            sa.select(col(User.id))
            .where(
                col(User.unit_id).in_(list(unit_ids)),
                col(User.is_active).is_(True),
                col(User.role).in_(answering),
            )
            .order_by(col(User.id))
        )
    )


async def delegation_expired(session: AsyncSession, *, transfer: Transfer) -> int:
    """A delegation's period ran out: both units' people who handle transfers learn that the file is back with
    the household-registration unit."""
    units = [transfer.from_unit_id] + ([transfer.to_unit_id] if transfer.to_unit_id else [])
    recipients = await _transfer_handlers(session, units)
    if not recipients:
        return 0
    masked = await _masked_minor_name(session, transfer.minor_id)
    ends_on = transfer.ends_on.isoformat() if transfer.ends_on else ""
    items = [
        notifications.NewNotification(
            user_id=person,
            kind=DELEGATION_EXPIRED,
            title="委托管理期满，已自动结束",
            body=f"{masked}的委托管理已于{ends_on}期满，帮教档案已交回户籍地单位管理。",
            link="/transfers",
            dedupe_key=f"{transfer.id}:expired",
        )
        for person in recipients
    ]
    return await notifications.notify(session, items)


async def transfer_requested(session: AsyncSession, *, transfer: Transfer) -> int:
    """Notify the receiving unit's people who answer transfers (its social workers and leads)."""
    if transfer.to_unit_id is None:
        return 0  # a hand-over outside the county: nobody here answers it
    recipients = await _transfer_handlers(session, [transfer.to_unit_id])
    if not recipients:
        return 0
    masked = await _masked_minor_name(session, transfer.minor_id)
    sender = await session.scalar(sa.select(col(Unit.name)).where(col(Unit.id) == transfer.from_unit_id))
    items = [
        notifications.NewNotification(
            user_id=person,
            kind=TRANSFER_REQUESTED,
            title="有一项移交待本单位接收",
            body=f"{sender or '其他单位'}申请将{masked}移交至本单位，请接收或退回。",
            link="/transfers",
            dedupe_key=str(transfer.id),
        )
        for person in recipients
    ]
    return await notifications.notify(session, items)
