"""Transfers (委托管理/移交): request, accept, reject, cancel, delivery of the written notice outside the
county. A conditional update makes sure one answer wins. What follows for the minor and the care file (they
move with an acceptance, close with a delivery) is done by ``backend.workflows.handover`` in the same
transaction."""

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import OPEN_STATUSES, CareFile
from backend.db import AnySelect, InSelect, local_today, utcnow
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.minors.models import Minor
from backend.minors.schemas import MinorRead
from backend.pagination import Page, PageParams, SummaryQuery, flags
from backend.security import permissions, privacy
from backend.security.principals import Principal, in_subtree, subtrees_holding, within_scope
from backend.transfers.models import PENDING_STATUSES, Transfer, TransferKind, TransferReason, TransferStatus
from backend.transfers.schemas import OutsidePlace, TransferCreate, TransferRead
from backend.units.models import MANAGING_KINDS, Unit, UnitKind, root_path
from backend.units.schemas import UnitSummary
from backend.users.models import User

FromUnit = aliased(Unit, name="from_unit")
ToUnit = aliased(Unit, name="to_unit")

SORT_FIELDS = {
    "requested_at": Transfer.created_at,
    "updated_at": Transfer.updated_at,
    "status": Transfer.status,
}
NO_LONGER_WAITING = "The transfer is no longer waiting for an answer: it was answered or cancelled meanwhile."


def _scoped(principal: Principal) -> AnySelect:
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
        .where(_scope(principal))
    )


def _scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Transfers whose sending or receiving unit lies in the principal's subtree (``FromUnit`` and ``ToUnit``
    joined)."""
    return sa.or_(within_scope(principal, FromUnit.path), within_scope(principal, ToUnit.path))


def _may_cancel(principal: Principal, row: Any) -> bool:
    return permissions.may_cancel_transfer(
        principal,
        requested_by=row[0].requested_by,
        asked_by_a_person=bool(row.requested_by_person),
        from_path=row.from_path,
    )


async def transfer_row(session: AsyncSession, principal: Principal, transfer_id: uuid.UUID) -> Any:
    row = (await session.execute(_scoped(principal).where(Transfer.id == transfer_id))).first()
    if row is None:
        raise NotFound("No such transfer.")
    return row


async def pending_for(session: AsyncSession, *, minor_id: uuid.UUID) -> Transfer | None:
    """The minor's transfer under way, if any (one at a time)."""
    return await session.scalar(
        sa.select(Transfer).where(Transfer.minor_id == minor_id, Transfer.status.in_(PENDING_STATUSES))
    )


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
    kind: TransferKind = TransferKind.handover,
    ends_on: date | None = None,
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
        sa.select(CareFile.id).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            CareFile.kept_by_school_id.is_(None),
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
        kind=kind,
        ends_on=ends_on,
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


async def create(
    session: AsyncSession, *, principal: Principal, minor: Minor, transfer_in: TransferCreate
) -> Transfer:
    """Ask another unit to take ``minor`` over (the registry's row, found in the principal's scope)."""
    permissions.ensure(
        permissions.may_handle_transfers(principal),
        "Only the station's social workers and leads hand minors over.",
    )
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
    if transfer_in.kind is TransferKind.delegation:
        if transfer_in.to_unit_id is None:
            raise ValidationFailed.field(
                ["body", "kind"], "a delegation is to a unit of the county", "transfer.delegation_outside"
            )
        if transfer_in.ends_on is None:
            raise ValidationFailed.field(
                ["body", "ends_on"], "a delegation needs its last day", "transfer.ends_on_required"
            )
        _check_period(transfer_in.ends_on)
    elif transfer_in.ends_on is not None:
        raise ValidationFailed.field(
            ["body", "ends_on"], "only for a delegation", "transfer.ends_on_handover"
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
        kind=transfer_in.kind,
        ends_on=transfer_in.ends_on,
    )


# A delegation runs for at most a year at a time; renewing starts another.
DELEGATION_MAX_DAYS = 366


def _check_period(ends_on: date) -> None:
    today = local_today()
    if not today < ends_on <= today + timedelta(days=DELEGATION_MAX_DAYS):
        raise ValidationFailed.field(
            ["body", "ends_on"], "must be after today and within a year", "transfer.ends_on_range"
        )


def _delegation_under_way(transfer: Transfer) -> bool:
    return transfer.kind == TransferKind.delegation and transfer.status == TransferStatus.accepted


async def renew_delegation(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, ends_on: date
) -> Transfer:
    """The accountable (household-registration) unit extends a delegation under way."""
    row = await transfer_row(session, principal, transfer_id)
    transfer: Transfer = row[0]
    permissions.ensure(
        permissions.may_renew_delegation(principal, from_path=row.from_path),
        "Only the delegating unit's social workers and leads renew a delegation.",
    )
    if not _delegation_under_way(transfer):
        raise Conflict("Only a delegation under way is renewed.")
    _check_period(ends_on)
    transfer.ends_on = ends_on
    transfer.version += 1
    transfer.updated_at = utcnow()
    await session.flush()
    return await _recorded(
        session, transfer, AuditAction.transfer_renewed, principal, transfer.from_unit_id, ends_on.isoformat()
    )


async def end_delegation(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """Either side ends a delegation under way (``backend.workflows.handover`` gives the file back to the
    accountable unit in the same transaction)."""
    row = await transfer_row(session, principal, transfer_id)
    transfer: Transfer = row[0]
    permissions.ensure(
        permissions.may_end_delegation(principal, from_path=row.from_path, to_path=row.to_path),
        "Only the social workers and leads of either unit end a delegation.",
    )
    if transfer.kind != TransferKind.delegation:
        raise Conflict("Only a delegation is ended; a hand-over is final.")
    await _move_status(
        session,
        transfer.id,
        from_statuses=(TransferStatus.accepted.value,),
        to_status=TransferStatus.ended,
        principal=principal,
        note=None,
    )
    return await _recorded(session, transfer, AuditAction.transfer_ended, principal, transfer.from_unit_id)


# The reason an ended delegation's audit event gives when its period ran out (the event's actor is the system).
EXPIRED = "expired"


async def expire_delegations(session: AsyncSession, *, day: date) -> list[Transfer]:
    """Delegations under way whose last day (``ends_on``) is before ``day`` end by themselves: each is marked
    ended (if no one ended it meanwhile) with an audit event by the system. ``backend.workflows.handover`` gives
    the files back and tells both units. ``day`` is the caller's today (``qinghu remind --day``)."""
    due = (
        await session.scalars(
            sa.select(Transfer)
            .where(
                Transfer.kind == TransferKind.delegation.value,
                Transfer.status == TransferStatus.accepted.value,
                col(Transfer.ends_on) < day,
            )
            .order_by(Transfer.ends_on, Transfer.id)
        )
    ).all()
    ended = []
    for transfer in due:
        result = await session.execute(
            sa.update(Transfer)
            .where(Transfer.id == transfer.id, Transfer.status == TransferStatus.accepted.value)
            .values(status=TransferStatus.ended.value, version=Transfer.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        await audit.record(
            session,
            action=AuditAction.transfer_ended,
            actor=None,
            unit_id=transfer.from_unit_id,
            object_type="transfer",
            object_id=transfer.id,
            reason=EXPIRED,
        )
        await session.refresh(transfer)
        ended.append(transfer)
    return ended


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
    elif to_status is TransferStatus.ended:
        pass  # the acceptance's decision stays on record; the audit trail says who ended it
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
    if result.rowcount != 1:
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
    permissions.ensure(
        permissions.may_answer_transfer(principal, to_path=row.to_path),
        "Only the receiving unit's social workers and leads answer a transfer.",
    )


async def accept(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str | None
) -> Transfer:
    """The receiving unit takes the minor over (``backend.workflows.handover`` moves the managing unit and the
    open file, or reopens one, in the same transaction)."""
    row = await transfer_row(session, principal, transfer_id)
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
    return await _recorded(session, transfer, AuditAction.transfer_accepted, principal, transfer.to_unit_id)


async def reject(
    session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID, note: str
) -> Transfer:
    row = await transfer_row(session, principal, transfer_id)
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
    row = await transfer_row(session, principal, transfer_id)
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
    """The written notice reached the place outside the county: the transfer ends (``backend.workflows.handover``
    closes the file as moved out and records the minor as transferred out)."""
    row = await transfer_row(session, principal, transfer_id)
    transfer: Transfer = row[0]
    permissions.ensure(
        permissions.may_record_delivery(principal, from_path=row.from_path),
        "Only the sending unit's social workers and leads record the delivery.",
    )
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
    return await _recorded(
        session, transfer, AuditAction.transfer_delivered, principal, transfer.from_unit_id
    )


@dataclass(frozen=True)
class TransferFilters:
    box: str | None = None  # inbox, outbox
    status: TransferStatus | None = None
    pending: bool | None = None
    minor_id: uuid.UUID | None = None


def present(
    principal: Principal, rows: list[Any], shown: Mapping[uuid.UUID, MinorRead]
) -> list[TransferRead]:
    """The transfers of ``rows`` (from ``list_transfers``/``transfer_row``) as the policy lets the principal
    see them, each with its minor as the registry's presenter shaped it (``shown``, by minor id)."""
    shape = privacy.record_shape(privacy.TRANSFER_FIELDS, principal)
    items = []
    for row in rows:
        transfer: Transfer = row[0]
        inbox, outbox = (
            permissions.covers(principal, row.to_path),
            permissions.covers(principal, row.from_path),
        )
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
                and permissions.may_answer_transfer(principal, to_path=row.to_path),
                can_cancel=pending and _may_cancel(principal, row),
                can_mark_delivered=transfer.status == TransferStatus.awaiting_outside_receipt
                and permissions.may_record_delivery(principal, from_path=row.from_path),
                kind=transfer.kind,
                ends_on=transfer.ends_on,
                can_renew=_delegation_under_way(transfer)
                and permissions.may_renew_delegation(principal, from_path=row.from_path),
                can_end=_delegation_under_way(transfer)
                and permissions.may_end_delegation(principal, from_path=row.from_path, to_path=row.to_path),
            )
        )
    return items


def _box_condition(principal: Principal, box: str | None) -> sa.ColumnElement[bool]:
    """The inbox: received by the principal's subtree; the outbox: sent from it; neither: both."""
    if box == "inbox":
        return within_scope(principal, ToUnit.path)
    if box == "outbox":
        return within_scope(principal, FromUnit.path)
    return sa.true()


def _filter_conditions(filters: TransferFilters) -> list[sa.ColumnElement[bool]]:
    """The filters' conditions apart from the box: the same for every principal."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Transfer.status == filters.status)
    if filters.pending is not None:
        pending = Transfer.status.in_(PENDING_STATUSES)
        conditions.append(pending if filters.pending else ~pending)
    if filters.minor_id:
        conditions.append(Transfer.minor_id == filters.minor_id)
    return conditions


async def list_transfers(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TransferFilters,
    page: PageParams,
) -> Page[Any]:
    """Transfers either side of which lies in scope, as rows for ``present``: the inbox (received by my
    subtree) and the outbox (sent from it)."""
    statement = _scoped(principal).where(_box_condition(principal, filters.box), *_filter_conditions(filters))
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = (
        await session.execute(statement.order_by(*page.order_by).limit(page.limit).offset(page.offset))
    ).all()
    return Page[Any](items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)


# The to-do centre's order of transfers: the longest waiting first.
SUMMARY_ORDER = ("created_at", "id")


def transfer_query(*, principal: Principal, lists: Mapping[str, TransferFilters]) -> SummaryQuery | None:
    """For each named list, what ``list_transfers`` with those filters would total, and the ids of its first
    transfers in ``SUMMARY_ORDER``: one statement reading only ids and dates (``run_summaries`` runs it, with the
    other domains' for the to-do centre)."""
    if not lists:
        return None
    keys = tuple(lists)
    # ``_scope`` and ``_box_condition`` asked by unit id: the transfers whose sending or receiving unit is one of the
    # subtree's, from their indexes, instead of joining every transfer to both units' paths.
    units = sa.select(Unit.id).where(within_scope(principal, Unit.path))
    sent, received = InSelect(Transfer.from_unit_id, units), InSelect(Transfer.to_unit_id, units)
    boxes = {"inbox": received, "outbox": sent}
    wanted = [
        sa.and_(boxes.get(lists[key].box or "", sa.true()), *_filter_conditions(lists[key])) for key in keys
    ]
    rows = sa.select(Transfer.id.label("id"), Transfer.created_at.label("created_at"), *flags(wanted)).where(
        sa.or_(sent, received), sa.or_(*wanted)
    )
    return SummaryQuery(keys=keys, parts=(rows,), order=SUMMARY_ORDER)


async def transfer_totals(
    session: AsyncSession, asks: Sequence[tuple[Principal, Mapping[str, TransferFilters]]]
) -> list[dict[str, int]]:
    """``transfer_query``'s totals for many principals at once (the daily digests), set-based: the transfers
    counted by every distinct list asked, grouped by sending and receiving unit; each principal's totals are the
    groups with a side in its subtree (``_scope``), the receiving one for the inbox and the sending one for the
    outbox (``_box_condition``)."""
    columns: dict[TransferFilters, int] = {}
    for _principal, lists in asks:
        for filters in lists.values():
            columns.setdefault(dataclasses.replace(filters, box=None), len(columns))
    by_root: dict[tuple[str | None, str], list[int]] = {}
    if columns:
        wanted = [sa.and_(sa.true(), *_filter_conditions(filters)) for filters in columns]
        rows = await session.execute(
            sa.select(FromUnit.path, ToUnit.path, *(sa.func.sum(sa.case((c, 1), else_=0)) for c in wanted))
            .select_from(Transfer)
            .join(FromUnit, FromUnit.id == Transfer.from_unit_id)
            .outerjoin(ToUnit, ToUnit.id == Transfer.to_unit_id)
            .where(sa.or_(*wanted))
            .group_by(FromUnit.path, ToUnit.path)
        )
        for from_path, to_path, *counts in rows:
            sent_from = set(subtrees_holding(from_path))
            sent_to = set(subtrees_holding(to_path)) if to_path else set()
            for box, roots in (("outbox", sent_from), ("inbox", sent_to), (None, sent_from | sent_to)):
                for root in roots:
                    total = by_root.setdefault((box, root), [0] * len(columns))
                    for n, count in enumerate(counts):
                        total[n] += count
    totals = []
    for principal, lists in asks:
        found = {}
        for key, filters in lists.items():
            counted = by_root.get((filters.box, principal.unit_path))
            column = columns[dataclasses.replace(filters, box=None)]
            if counted and counted[column]:
                found[key] = int(counted[column])
        totals.append(found)
    return totals


async def record_notice_printed(session: AsyncSession, *, principal: Principal, row: Any) -> None:
    """Printing the written notice is an audit event."""
    transfer: Transfer = row[0]
    await audit.record(
        session,
        action=AuditAction.transfer_notice_printed,
        actor=principal,
        unit_id=transfer.from_unit_id,
        object_type="transfer",
        object_id=transfer.id,
    )


async def move_to_minor(session: AsyncSession, *, from_minor_id: uuid.UUID, to_minor_id: uuid.UUID) -> None:
    """A provisional minor merged into the record of the same person: its finished transfers (history) name
    the survivor. One under way is refused before (``pending_for``)."""
    await session.execute(
        sa.update(Transfer).where(Transfer.minor_id == from_minor_id).values(minor_id=to_minor_id)
    )
