"""Transfers (委托管理/移交): request, accept, reject, cancel, delivery of the written notice outside the
county. On acceptance the minor's managing unit and the open care file move together, in the request's one
transaction; a conditional update makes sure one acceptance wins."""

import html
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files import service as care_files
from backend.care_files.models import CareTrigger
from backend.care_files.responsibility import is_responsible
from backend.db import LOCAL_TIMEZONE, utcnow
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.minors import service as minors
from backend.minors.models import MinorStatus
from backend.minors.service import MANAGING_KINDS
from backend.pagination import Page, PageParams
from backend.security import privacy
from backend.security.crypto import FieldCipher
from backend.security.principals import Principal, in_subtree, within_scope
from backend.security.roles import Role
from backend.transfers.models import PENDING_STATUSES, Transfer, TransferReason, TransferStatus
from backend.transfers.schemas import OutsidePlace, TransferCreate, TransferRead
from backend.units.models import Unit, UnitKind, root_path
from backend.units.schemas import UnitSummary
from backend.users.models import User

FromUnit = aliased(Unit, name="from_unit")
ToUnit = aliased(Unit, name="to_unit")

SORT_FIELDS = {
    "requested_at": Transfer.created_at,
    "updated_at": Transfer.updated_at,
    "status": Transfer.status,
}
HANDLER_ROLES = frozenset({Role.caseworker, Role.supervisor})
NO_LONGER_WAITING = "The transfer is no longer waiting for an answer: it was answered or cancelled meanwhile."


def _scoped(principal: Principal) -> sa.Select[Any]:
    """Transfers whose sending or receiving unit lies in the principal's subtree: both sides see them."""
    return (
        sa.select(
            Transfer,
            FromUnit.name.label("from_name"),
            FromUnit.kind.label("from_kind"),
            FromUnit.path.label("from_path"),
            ToUnit.name.label("to_name"),
            ToUnit.kind.label("to_kind"),
            ToUnit.path.label("to_path"),
            sa.exists()
            .where(User.id == Transfer.requested_by)
            .correlate(Transfer)
            .label("requested_by_person"),
        )
        .join(FromUnit, FromUnit.id == Transfer.from_unit_id)
        .outerjoin(ToUnit, ToUnit.id == Transfer.to_unit_id)
        .where(sa.or_(within_scope(principal, FromUnit.path), within_scope(principal, ToUnit.path)))
    )


def _covers(principal: Principal, path: str | None) -> bool:
    return path is not None and path.startswith(principal.unit_path)


def _may_cancel(principal: Principal, row: Any) -> bool:
    """The person who asked cancels. A transfer another system started (a police station's notice of a minor
    living outside the county) has no such person: the sending unit's lead cancels it, e.g. for a wrong
    address, so that it does not wait for a delivery that will never happen."""
    transfer: Transfer = row[0]
    if transfer.requested_by == principal.id:
        return True
    return (
        not row.requested_by_person
        and principal.role is Role.supervisor
        and _covers(principal, row.from_path)
    )


async def _row_in_scope(session: AsyncSession, principal: Principal, transfer_id: uuid.UUID) -> Any:
    row = (await session.execute(_scoped(principal).where(Transfer.id == transfer_id))).first()
    if row is None:
        raise NotFound("No such transfer.")
    return row


async def start_transfer(
    session: AsyncSession,
    *,
    minor_id: uuid.UUID,
    from_unit_id: uuid.UUID,
    to_unit_id: uuid.UUID | None,
    outside_division_code: str | None,
    outside_place_name: str | None,
    reason: str,
    actor: Principal | None,
    reason_code: TransferReason = TransferReason.caught_elsewhere,
) -> Transfer:
    """Record a transfer of the minor (and the open file) from ``from_unit_id``: to a unit of the county
    (``requested``), or outside it (``awaiting_outside_receipt`` until the written notice is delivered; the
    minor stays managed meanwhile). Called by the API and by the seizure-notice flow (``routed_out``); the
    caller has checked scope and the units. One transfer per minor may be under way."""
    if await session.scalar(
        sa.select(Transfer.id).where(Transfer.minor_id == minor_id, Transfer.status.in_(PENDING_STATUSES))
    ):
        raise Conflict("A transfer of this minor is already under way.")
    care_file = await session.scalar(
        sa.select(care_files.CareFile.id).where(
            care_files.CareFile.minor_id == minor_id, care_files.CareFile.status.in_(care_files.OPEN_STATUSES)
        )
    )
    transfer = Transfer(
        minor_id=minor_id,
        care_file_id=care_file,
        from_unit_id=from_unit_id,
        to_unit_id=to_unit_id,
        outside_division_code=outside_division_code if to_unit_id is None else None,
        outside_place_name=outside_place_name if to_unit_id is None else None,
        reason_code=reason_code,
        reason=reason,
        status=TransferStatus.requested if to_unit_id else TransferStatus.awaiting_outside_receipt,
        requested_by=actor.id if actor else None,
        requested_by_name=(actor.display_name if actor else "qinghu")[:100],
    )
    session.add(transfer)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.transfer_requested,
        actor=actor,
        unit_id=from_unit_id,
        object_type="transfer",
        object_id=transfer.id,
        reason=reason_code.value,
    )
    return transfer


async def destinations(session: AsyncSession, *, principal: Principal) -> list[UnitSummary]:
    """Units of the county that may receive a minor: active townships, communities and county offices. Only
    names and kinds, so a station can address a neighbour it cannot otherwise see."""
    units = (
        await session.scalars(
            sa.select(Unit)
            .where(
                in_subtree(Unit.path, root_path(principal.unit_path)),
                Unit.is_active.is_(True),
                Unit.kind.in_([kind.value for kind in MANAGING_KINDS]),
            )
            .order_by(Unit.depth, Unit.name)
        )
    ).all()
    return [UnitSummary.model_validate(unit) for unit in units]


async def create(session: AsyncSession, *, principal: Principal, transfer_in: TransferCreate) -> Transfer:
    if principal.role not in HANDLER_ROLES:
        raise Forbidden("Only the station's social workers and leads hand minors over.")
    minor = await minors.get_in_scope(session, principal=principal, minor_id=transfer_in.minor_id)
    if transfer_in.to_unit_id is None and not transfer_in.outside_place_name:
        raise ValidationFailed.field(
            ["body", "to_unit_id"],
            "name the receiving unit, or the place outside the county (outside_place_name)",
            "transfer.destination_required",
        )
    if transfer_in.to_unit_id is not None:
        if transfer_in.outside_place_name or transfer_in.outside_division_code:
            raise ValidationFailed.field(
                ["body", "outside_place_name"],
                "only for a transfer outside the county",
                "transfer.two_destinations",
            )
        unit = await session.scalar(
            sa.select(Unit).where(
                Unit.id == transfer_in.to_unit_id, in_subtree(Unit.path, root_path(principal.unit_path))
            )
        )
        if unit is None or UnitKind(unit.kind) not in MANAGING_KINDS or not unit.is_active:
            raise ValidationFailed.field(
                ["body", "to_unit_id"],
                "must be an active township, community or county office of the county",
                "unit.kind",
            )
        if unit.id == minor.managing_unit_id:
            raise ValidationFailed.field(
                ["body", "to_unit_id"], "the minor is already managed there", "transfer.same_unit"
            )
    return await start_transfer(
        session,
        minor_id=minor.id,
        from_unit_id=minor.managing_unit_id,
        to_unit_id=transfer_in.to_unit_id,
        outside_division_code=transfer_in.outside_division_code,
        outside_place_name=transfer_in.outside_place_name,
        reason=transfer_in.reason,
        actor=principal,
        reason_code=transfer_in.reason_code,
    )


async def _move_status(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    *,
    from_statuses: tuple[str, ...],
    to_status: TransferStatus,
    principal: Principal,
    note: str | None,
) -> None:
    """Change the status only if it is still one of ``from_statuses``: of two concurrent answers one
    changes a row, the other none and gets 409."""
    values: dict[str, Any] = {
        "status": to_status.value,
        "version": Transfer.version + 1,
        "updated_at": utcnow(),
    }
    if to_status is TransferStatus.delivered:
        values["delivered_at"] = utcnow()
    else:
        values.update(
            decided_at=utcnow(),
            decided_by=principal.id,
            decided_by_name=principal.display_name[:100],
            decision_note=note,
        )
    result = await session.execute(
        sa.update(Transfer)
        .where(Transfer.id == transfer_id, Transfer.status.in_(from_statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(NO_LONGER_WAITING)


async def _recorded(
    session: AsyncSession,
    transfer: Transfer,
    action: AuditAction,
    principal: Principal,
    unit_id: uuid.UUID | None,
    reason: str | None = None,
) -> Transfer:
    """The step's audit event, and the transfer as stored after it."""
    await audit.record(
        session,
        action=action,
        actor=principal,
        unit_id=unit_id,
        object_type="transfer",
        object_id=transfer.id,
        reason=reason,
    )
    await session.refresh(transfer)
    return transfer


def _check_receiver(principal: Principal, row: Any) -> None:
    if principal.role not in HANDLER_ROLES or not _covers(principal, row.to_path):
        raise Forbidden("Only the receiving unit's social workers and leads answer a transfer.")


async def accept(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str | None
) -> Transfer:
    """The receiving unit takes the minor over: the managing unit and the open file (or a reopened one) move
    together."""
    row = await _row_in_scope(session, principal, transfer_id)
    _check_receiver(principal, row)
    transfer: Transfer = row[0]
    await _move_status(
        session,
        transfer.id,
        from_statuses=(TransferStatus.requested.value,),
        to_status=TransferStatus.accepted,
        principal=principal,
        note=note,
    )
    assert transfer.to_unit_id is not None
    minor = await minors.get_by_id(session, transfer.minor_id)
    await minors.change_by_care_work(
        session, minor=minor, actor=principal, managing_unit_id=transfer.to_unit_id, status=MinorStatus.active
    )
    await care_files.open_or_reopen_file(
        session,
        minor_id=transfer.minor_id,
        unit_id=transfer.to_unit_id,
        trigger=CareTrigger.transfer,
        actor=principal,
    )
    return await _recorded(session, transfer, AuditAction.transfer_accepted, principal, transfer.to_unit_id)


async def reject(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str
) -> Transfer:
    row = await _row_in_scope(session, principal, transfer_id)
    _check_receiver(principal, row)
    transfer: Transfer = row[0]
    await _move_status(
        session,
        transfer.id,
        from_statuses=(TransferStatus.requested.value,),
        to_status=TransferStatus.rejected,
        principal=principal,
        note=note,
    )
    return await _recorded(
        session, transfer, AuditAction.transfer_rejected, principal, transfer.to_unit_id, reason=note
    )


async def cancel(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str | None
) -> Transfer:
    row = await _row_in_scope(session, principal, transfer_id)
    transfer: Transfer = row[0]
    if not _may_cancel(principal, row):
        raise Forbidden(
            "Only the person who asked for the transfer cancels it (the sending unit's lead, for one that "
            "another system started)."
        )
    await _move_status(
        session,
        transfer.id,
        from_statuses=PENDING_STATUSES,
        to_status=TransferStatus.cancelled,
        principal=principal,
        note=note,
    )
    return await _recorded(
        session, transfer, AuditAction.transfer_cancelled, principal, transfer.from_unit_id
    )


async def mark_delivered(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """The written notice reached the place outside the county: the transfer ends, the file closes as moved
    out and the minor is recorded as transferred out."""
    row = await _row_in_scope(session, principal, transfer_id)
    transfer: Transfer = row[0]
    if principal.role not in HANDLER_ROLES or not _covers(principal, row.from_path):
        raise Forbidden("Only the sending unit's social workers and leads record the delivery.")
    if transfer.to_unit_id is not None:
        raise Conflict("Only a transfer outside the county waits for its notice to be delivered.")
    await _move_status(
        session,
        transfer.id,
        from_statuses=(TransferStatus.awaiting_outside_receipt.value,),
        to_status=TransferStatus.delivered,
        principal=principal,
        note=None,
    )
    await care_files.close_for_transfer_out(
        session, minor_id=transfer.minor_id, actor=principal, comment="书面通知已送达"
    )
    minor = await minors.get_by_id(session, transfer.minor_id)
    await minors.change_by_care_work(
        session, minor=minor, actor=principal, status=MinorStatus.transferred_out
    )
    return await _recorded(
        session, transfer, AuditAction.transfer_delivered, principal, transfer.from_unit_id
    )


@dataclass(frozen=True)
class TransferFilters:
    box: str | None = None  # inbox, outbox
    status: TransferStatus | None = None
    pending: bool | None = None
    minor_id: uuid.UUID | None = None


async def _present(
    session: AsyncSession, *, principal: Principal, rows: list[Any], cipher: FieldCipher
) -> list[TransferRead]:
    shown = await minors.present_related(
        session, principal=principal, minor_ids=[row[0].minor_id for row in rows], cipher=cipher
    )
    shape = privacy.record_shape(privacy.TRANSFER_FIELDS, principal)
    items = []
    for row in rows:
        transfer: Transfer = row[0]
        inbox, outbox = _covers(principal, row.to_path), _covers(principal, row.from_path)
        pending = transfer.status in PENDING_STATUSES
        items.append(
            TransferRead(
                id=transfer.id,
                version=transfer.version,
                minor=shown[transfer.minor_id],
                care_file_id=transfer.care_file_id,
                from_unit=UnitSummary(id=transfer.from_unit_id, name=row.from_name, kind=row.from_kind),
                to_unit=UnitSummary(id=transfer.to_unit_id, name=row.to_name, kind=row.to_kind)
                if transfer.to_unit_id
                else None,
                outside_place=OutsidePlace(
                    division_code=transfer.outside_division_code, name=transfer.outside_place_name or ""
                )
                if transfer.to_unit_id is None
                else None,
                reason_code=transfer.reason_code,
                status=transfer.status,
                requested_by=transfer.requested_by_name,
                requested_at=transfer.created_at,
                decided_at=transfer.decided_at,
                decided_by=transfer.decided_by_name,
                delivered_at=transfer.delivered_at,
                hidden_fields=shape.hidden_fields,
                **shape.without_hidden({"reason": transfer.reason, "decision_note": transfer.decision_note}),
                box="both" if inbox and outbox else "inbox" if inbox else "outbox",
                can_accept=transfer.status == TransferStatus.requested
                and inbox
                and principal.role in HANDLER_ROLES,
                can_cancel=pending and _may_cancel(principal, row),
                can_mark_delivered=transfer.status == TransferStatus.awaiting_outside_receipt
                and outbox
                and principal.role in HANDLER_ROLES,
            )
        )
    return items


async def list_transfers(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TransferFilters,
    page: PageParams,
    cipher: FieldCipher,
) -> Page[TransferRead]:
    """Transfers either side of which lies in scope: the inbox (received by my subtree) and the outbox (sent
    from it). Minors appear masked, as in every list."""
    statement = _scoped(principal)
    if filters.box == "inbox":
        statement = statement.where(within_scope(principal, ToUnit.path))
    elif filters.box == "outbox":
        statement = statement.where(within_scope(principal, FromUnit.path))
    if filters.status:
        statement = statement.where(Transfer.status == filters.status)
    if filters.pending is not None:
        pending = Transfer.status.in_(PENDING_STATUSES)
        statement = statement.where(pending if filters.pending else ~pending)
    if filters.minor_id:
        statement = statement.where(Transfer.minor_id == filters.minor_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = (
        await session.execute(statement.order_by(*page.order_by).limit(page.limit).offset(page.offset))
    ).all()
    items = await _present(session, principal=principal, rows=list(rows), cipher=cipher)
    return Page[TransferRead](items=items, total=total or 0, limit=page.limit, offset=page.offset)


async def present_one(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, cipher: FieldCipher
) -> TransferRead:
    row = await _row_in_scope(session, principal, transfer_id)
    return (await _present(session, principal=principal, rows=[row], cipher=cipher))[0]


async def notice(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, cipher: FieldCipher
) -> str:
    """The written notice (书面通知) as a printable page: the identity masked unless the policy shows the
    caller the full identity (a responsible social worker). Printing is an audit event."""
    row = await _row_in_scope(session, principal, transfer_id)
    transfer: Transfer = row[0]
    responsible = await is_responsible(session, principal=principal, minor_id=transfer.minor_id)
    minor = (
        await minors.present_related(
            session,
            principal=principal,
            minor_ids=[transfer.minor_id],
            cipher=cipher,
            view=privacy.View.detail,
            responsible_ids=frozenset({transfer.minor_id}) if responsible else frozenset(),
        )
    )[transfer.minor_id]
    await audit.record(
        session,
        action=AuditAction.transfer_notice_printed,
        actor=principal,
        unit_id=transfer.from_unit_id,
        object_type="transfer",
        object_id=transfer.id,
    )
    receiver = (
        row.to_name
        or f"{transfer.outside_place_name or ''}（{transfer.outside_division_code or '区划代码不详'}）"
    )
    requested = transfer.created_at.astimezone(LOCAL_TIMEZONE)
    gender = {"male": "男", "female": "女"}.get(str(minor.gender), "")
    lines = [
        ("姓名", minor.name or ""),
        ("证件号码", minor.id_number or ""),
        ("性别", gender),
        ("年龄", f"{minor.age}岁"),
        (
            "移交原因",
            f"{TransferReason(transfer.reason_code).zh}：{transfer.reason}"
            if privacy.record_shape(privacy.TRANSFER_FIELDS, principal).shows("reason")
            else TransferReason(transfer.reason_code).zh,
        ),
        ("帮教档案", "随同移交" if transfer.care_file_id else "无在帮档案"),
    ]
    rows_html = "\n".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in lines
    )
    masked_note = (
        "<p class='note'>注：身份信息已按隐私规则脱敏；接收单位凭本通知书向移交单位核实完整信息。</p>"
        if minor.masked_fields
        else ""
    )
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>重点未成年人委托管理（移交）书面通知</title>
<link rel="stylesheet" href="/static/printable.css">
</head>
<body>
<h1>重点未成年人委托管理（移交）书面通知</h1>
<p class="no">编号：{html.escape(transfer.id.hex[:12].upper())}</p>
<p>{html.escape(receiver)}：</p>
<p>经核查，下列重点未成年人现由我单位（{html.escape(row.from_name)}）管理，因{html.escape(TransferReason(transfer.reason_code).zh)}，
现委托贵单位接续做好关爱帮教和管控工作，请及时接收并落实专人负责，防止脱失漏管。</p>
<table>
{rows_html}
</table>
{masked_note}
<p>移交申请人：{html.escape(transfer.requested_by_name)}　　申请日期：{requested:%Y年%m月%d日}</p>
<p>当前状态：{html.escape(TransferStatus(transfer.status).zh)}</p>
<div class="sign"><span>移交单位（盖章）：</span><span>接收单位签收：</span></div>
<div class="sign"><span>日期：　　年　　月　　日</span><span>日期：　　年　　月　　日</span></div>
</body>
</html>
"""
