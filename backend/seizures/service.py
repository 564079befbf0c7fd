"""Seizure notices: take a push, match the minor, route, record the facts, and let the station sign for it.

One push is one transaction: the minor (new or updated), the notice with its routing, the stored idempotent
answer and the audit events are written together or not at all.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend import idempotency
from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import LOCAL_TIMEZONE, AnySelect, InSelect, local_midnight_utc, local_today, utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.identity import IdNumberError, age_on, parse_mainland_id
from backend.minors.models import Minor
from backend.pagination import Page, PageParams, SummaryQuery, flags, paginate
from backend.security import privacy
from backend.security.masking import mask_name
from backend.security.principals import (
    Principal,
    in_subtree,
    seizure_scope_side,
    subtrees_holding,
    within_scope,
    within_seizure_scope,
)
from backend.seizures import followup
from backend.seizures.models import FollowupStatus, RoutingStatus, SeizureNotice
from backend.seizures.routing import RoutingDecision
from backend.seizures.schemas import (
    Followup,
    NoticePerson,
    OutsidePlace,
    Routing,
    SeizureNoticeCreate,
    SeizureNoticeRead,
    SeizureNoticeReceipt,
)
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.users.models import User

ROUTE = "POST /api/v1/seizure-notices"
# A uniqueness race (a concurrent push of the same notice or person) is retried from the start: the second
# run finds what the first one stored.
ATTEMPTS = 3

Reporting = aliased(Unit, name="reporting_unit")
Receiving = aliased(Unit, name="receiving_unit")
Acknowledger = aliased(User, name="acknowledger")

SORT_FIELDS = {
    "received_at": SeizureNotice.received_at,
    "seized_at": SeizureNotice.seized_at,
    "ack_deadline_at": SeizureNotice.ack_deadline_at,
    "notice_no": SeizureNotice.notice_no,
}


@dataclass(frozen=True)
class PushOutcome:
    status_code: int  # 201 for a new notice, 200 for a replay or the same notice again
    receipt: dict[str, Any]
    notice_id: uuid.UUID


def check_person(notice_in: SeizureNoticeCreate) -> tuple[str, date, str]:
    """The normalised number, birth date and gender; a 422 naming the field for each rule broken."""
    person = notice_in.person
    try:
        parsed = parse_mainland_id(person.id_number, today=local_today())
    except IdNumberError as exc:
        raise ValidationFailed.field(["body", "person", "id_number"], exc.text, exc.problem_type) from exc
    if person.gender and person.gender != parsed.gender:
        raise ValidationFailed.field(
            ["body", "person", "gender"], "does not agree with the ID number", "id_number.gender_mismatch"
        )
    seized_on = notice_in.seized_at.astimezone(LOCAL_TIMEZONE).date()
    if parsed.birth_date > seized_on:
        raise ValidationFailed.field(
            ["body", "person", "id_number"], "the person was not born on seized_at", "minor.not_born"
        )
    if age_on(parsed.birth_date, seized_on) >= 18:
        raise ValidationFailed.field(
            ["body", "person", "id_number"],
            "the person was 18 or older on seized_at, not a minor",
            "minor.adult",
        )
    return parsed.number, parsed.birth_date, parsed.gender


def ack_deadline(received_at: datetime, within_hours: int) -> datetime:
    """Same day (当天): midnight, Beijing time, after the notice arrived — or a set number of hours."""
    if within_hours:
        return received_at + timedelta(hours=within_hours)
    return local_midnight_utc(received_at.astimezone(LOCAL_TIMEZONE).date() + timedelta(days=1))


async def same_number(session: AsyncSession, *, principal: Principal, notice_no: str) -> SeizureNotice | None:
    """The notice this station already sent under this number, if any."""
    return await session.scalar(
        sa.select(SeizureNotice).where(
            SeizureNotice.reporting_unit_id == principal.unit_id, SeizureNotice.notice_no == notice_no
        )
    )


async def record_notice(
    session: AsyncSession,
    *,
    principal: Principal,
    notice_in: SeizureNoticeCreate,
    fingerprint: str,
    minor_id: uuid.UUID,
    minor_created: bool,
    decision: RoutingDecision,
    ack_within_hours: int,
) -> SeizureNotice:
    """Store a checked notice with its routing: it waits on the receiving station's list until acknowledged."""
    received_at = utcnow()
    notice = SeizureNotice(
        notice_no=notice_in.notice_no,
        reporting_unit_id=principal.unit_id,
        reported_by_kind=principal.kind,
        reported_by_id=principal.id,
        request_hash=fingerprint,
        received_at=received_at,
        seized_at=notice_in.seized_at,
        place=notice_in.place,
        substances=[code.value for code in notice_in.substances],
        test_result=notice_in.test_result,
        measures=[code.value for code in notice_in.measures],
        summary=notice_in.summary,
        minor_id=minor_id,
        minor_created=minor_created,
        routing_status=decision.status,
        routing_reason=decision.reason,
        receiving_unit_id=decision.receiving_unit_id,
        outside_division_code=decision.outside_division_code,
        outside_place_name=decision.outside_place_name,
        ack_deadline_at=ack_deadline(received_at, ack_within_hours),
        followup_status=FollowupStatus.awaiting_acknowledgement,
    )
    session.add(notice)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.seizure_notice_received,
        actor=principal,
        unit_id=notice.receiving_unit_id,
        object_type="seizure_notice",
        object_id=notice.id,
    )
    return notice


async def answer(
    session: AsyncSession,
    *,
    principal: Principal,
    key: str | None,
    fingerprint: str,
    notice: SeizureNotice,
    status_code: int,
) -> PushOutcome:
    """The receipt of ``notice``, stored under the Idempotency-Key so that a replay gets it again."""
    receipt = await _receipt(session, notice)
    await idempotency.remember_answer(
        session,
        principal=principal,
        route=ROUTE,
        key=key,
        fingerprint=fingerprint,
        status_code=status_code,
        body=receipt,
    )
    return PushOutcome(status_code, receipt, notice.id)


def _routing(notice: Any, unit: UnitSummary) -> Routing:
    if notice.routing_status == RoutingStatus.routed_out:
        return Routing(
            status=notice.routing_status,
            reason=notice.routing_reason,
            unit=None,
            place=OutsidePlace(division_code=notice.outside_division_code, name=notice.outside_place_name),
        )
    return Routing(status=notice.routing_status, reason=notice.routing_reason, unit=unit, place=None)


async def _receipt(session: AsyncSession, notice: SeizureNotice) -> dict[str, Any]:
    unit = await session.get_one(Unit, notice.receiving_unit_id)
    return SeizureNoticeReceipt(
        id=notice.id,
        notice_no=notice.notice_no,
        received_at=notice.received_at,
        routing=_routing(notice, UnitSummary.model_validate(unit)),
        minor_id=notice.minor_id,
        acknowledged_at=notice.acknowledged_at,
    ).model_dump(mode="json")


# Reading


def _scoped_select(principal: Principal) -> AnySelect:
    return (
        sa.select(
            SeizureNotice,
            Reporting.name.label("reporting_name"),
            Reporting.kind.label("reporting_kind"),
            Receiving.name.label("receiving_name"),
            Receiving.kind.label("receiving_kind"),
            Acknowledger.display_name.label("acknowledged_by_name"),
            # The person as the registry stores them, masked forms only: nothing is decrypted.
            Minor.name.label("person_name"),
            Minor.id_number_masked.label("person_id_number"),
            Minor.gender.label("person_gender"),
            Minor.birth_date.label("person_birth_date"),
            Minor.is_sealed.label("person_sealed"),
        )
        .join(Reporting, Reporting.id == SeizureNotice.reporting_unit_id)
        .join(Receiving, Receiving.id == SeizureNotice.receiving_unit_id)
        .outerjoin(Acknowledger, Acknowledger.id == SeizureNotice.acknowledged_by)
        .join(Minor, Minor.id == SeizureNotice.minor_id)
        .where(within_seizure_scope(principal, Reporting.path, Receiving.path))
    )


def _overdue(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(SeizureNotice.acknowledged_at.is_(None), SeizureNotice.ack_deadline_at < now)


def present(
    row: Any,
    *,
    principal: Principal,
    now: datetime,
    care: followup.FollowupFacts | None = None,
) -> SeizureNoticeRead:
    """Shape one notice for one principal: the single place where a notice becomes output. Its person is the
    identity class of ``privacy.SEIZURE_NOTICE_FIELDS``, masked for every reader (machine clients included)."""
    notice: SeizureNotice = row.SeizureNotice
    shape = privacy.notice_shape_for(principal, sealed=row.person_sealed)
    facts = {
        field: getattr(notice, field)
        for field, rule in privacy.SEIZURE_NOTICE_FIELDS.items()
        if rule.field_class is privacy.FieldClass.sensitive and shape.of(field) is privacy.Visibility.full
    }
    file_open, last_contact_on = followup.followup_view(care)
    seized_on = notice.seized_at.astimezone(LOCAL_TIMEZONE).date()
    return SeizureNoticeRead(
        id=notice.id,
        notice_no=notice.notice_no,
        received_at=notice.received_at,
        routing=_routing(
            notice, UnitSummary(id=notice.receiving_unit_id, name=row.receiving_name, kind=row.receiving_kind)
        ),
        minor_id=notice.minor_id,
        acknowledged_at=notice.acknowledged_at,
        seized_at=notice.seized_at,
        # The person is always masked here (identity class); a reveal goes through the minor, with a reason.
        person=NoticePerson(
            name=mask_name(row.person_name),
            id_number=row.person_id_number,
            gender=row.person_gender,
            age_when_seized=age_on(row.person_birth_date, seized_on),
        ),
        reporting_unit=UnitSummary(
            id=notice.reporting_unit_id, name=row.reporting_name, kind=row.reporting_kind
        ),
        ack_deadline_at=notice.ack_deadline_at,
        overdue=notice.acknowledged_at is None and notice.ack_deadline_at < now,
        acknowledged_by=row.acknowledged_by_name,
        followup=Followup(
            status=notice.followup_status, file_open=file_open, last_contact_on=last_contact_on
        ),
        masked_fields=shape.masked_fields,
        hidden_fields=shape.hidden_fields,
        **facts,
    )


async def _present_rows(
    session: AsyncSession, rows: list[Any], *, principal: Principal, now: datetime
) -> list[SeizureNoticeRead]:
    minor_ids = [row.SeizureNotice.minor_id for row in rows]
    care = await followup.followup_facts(session, minor_ids)
    return [
        present(
            row,
            principal=principal,
            now=now,
            care=care.get(row.SeizureNotice.minor_id),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class NoticeFilters:
    routing_status: RoutingStatus | None = None
    overdue: bool | None = None
    acknowledged: bool | None = None
    received_on: date | None = None
    minor_id: uuid.UUID | None = None
    within: uuid.UUID | None = None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return local_midnight_utc(day), local_midnight_utc(day + timedelta(days=1))


async def _anchor_path(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, loc: list[str]
) -> Unit:
    unit = await session.scalar(
        sa.select(Unit).where(Unit.id == unit_id, in_subtree(Unit.path, principal.unit_path))
    )
    if unit is None:
        raise ValidationFailed.field(loc, "no such unit in your scope", "unit.not_found")
    return unit


async def _conditions(
    session: AsyncSession, principal: Principal, filters: NoticeFilters, now: datetime
) -> list[sa.ColumnElement[bool]]:
    """What ``filters`` ask of a notice in scope (``Reporting`` and ``Receiving`` joined)."""
    conditions = _filter_conditions(filters, now)
    if filters.within:
        anchor = await _anchor_path(session, principal, filters.within, ["query", "within"])
        conditions.append(
            sa.or_(in_subtree(Receiving.path, anchor.path), in_subtree(Reporting.path, anchor.path))
        )
    return conditions


def _filter_conditions(filters: NoticeFilters, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The filters' conditions apart from ``within``: the same for every principal."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.routing_status:
        conditions.append(SeizureNotice.routing_status == filters.routing_status)
    if filters.overdue is not None:
        conditions.append(_overdue(now) if filters.overdue else sa.not_(_overdue(now)))
    if filters.acknowledged is not None:
        column = SeizureNotice.acknowledged_at
        conditions.append(column.is_not(None) if filters.acknowledged else column.is_(None))
    if filters.received_on:
        start, end = _day_bounds(filters.received_on)
        conditions += [col(SeizureNotice.received_at) >= start, col(SeizureNotice.received_at) < end]
    if filters.minor_id:
        conditions.append(SeizureNotice.minor_id == filters.minor_id)
    return conditions


async def _filtered(
    session: AsyncSession, principal: Principal, filters: NoticeFilters, now: datetime
) -> AnySelect:
    return _scoped_select(principal).where(*await _conditions(session, principal, filters, now))


# The to-do centre's order of notices: the nearest deadline first.
SUMMARY_ORDER = ("ack_deadline_at", "id")


async def notice_query(
    session: AsyncSession, *, principal: Principal, lists: Mapping[str, NoticeFilters]
) -> SummaryQuery | None:
    """For each named list, what ``list_notices`` with those filters would total, and the ids of its first notices
    by deadline (``SUMMARY_ORDER``): one statement reading only the notices' ids and deadlines, nothing presented
    (``run_summaries`` runs it, with the other domains' for the to-do centre)."""
    if not lists:
        return None
    now = utcnow()
    keys = tuple(lists)
    wanted = [sa.and_(sa.true(), *await _conditions(session, principal, lists[key], now)) for key in keys]
    rows = sa.select(
        SeizureNotice.id.label("id"),
        SeizureNotice.ack_deadline_at.label("ack_deadline_at"),
        *flags(wanted),
    ).where(_scope_by_unit_ids(principal), sa.or_(*wanted))
    if any(filters.within for filters in lists.values()):  # ``within`` reads the units' paths
        rows = rows.join(Reporting, Reporting.id == SeizureNotice.reporting_unit_id).join(
            Receiving, Receiving.id == SeizureNotice.receiving_unit_id
        )
    return SummaryQuery(keys=keys, parts=(rows,), order=SUMMARY_ORDER)


def _scope_by_unit_ids(principal: Principal) -> sa.ColumnElement[bool]:
    """``within_seizure_scope`` asked by unit id: the notices whose unit on the principal's side is one of the
    units of its subtree, which PostgreSQL answers from an index on that unit (``InSelect``; the open notices'
    ix_seizure_notices_unacknowledged for a station's) instead of joining every notice to its unit's path."""
    side = seizure_scope_side(principal)
    if side is None:
        return sa.false()
    units = sa.select(Unit.id).where(within_scope(principal, Unit.path))
    column = SeizureNotice.reporting_unit_id if side == "reporting" else SeizureNotice.receiving_unit_id
    return InSelect(column, units)


async def notice_totals(
    session: AsyncSession, asks: Sequence[tuple[Principal, Mapping[str, NoticeFilters]]]
) -> list[dict[str, int]]:
    """``notice_query``'s totals for many principals at once (the daily digests), set-based: the notices
    counted by every distinct list asked, grouped by reporting and receiving unit, and each principal's totals
    the groups on its side of the scope (``seizure_scope_side``) in its subtree."""
    now = utcnow()
    columns: dict[NoticeFilters, int] = {}
    for _principal, lists in asks:
        for filters in lists.values():
            if filters.within:
                raise ValueError("notice_totals counts whole scopes, without within")
            columns.setdefault(filters, len(columns))
    by_path: dict[tuple[str, str], list[int]] = {}
    if columns:
        wanted = [sa.and_(sa.true(), *_filter_conditions(filters, now)) for filters in columns]
        rows = await session.execute(
            sa.select(
                Reporting.path, Receiving.path, *(sa.func.sum(sa.case((c, 1), else_=0)) for c in wanted)
            )
            .select_from(SeizureNotice)
            .join(Reporting, Reporting.id == SeizureNotice.reporting_unit_id)
            .join(Receiving, Receiving.id == SeizureNotice.receiving_unit_id)
            .where(sa.or_(*wanted))
            .group_by(Reporting.path, Receiving.path)
        )
        for reporting, receiving, *counts in rows:
            for unit_side, path in (("reporting", reporting), ("receiving", receiving)):
                for root in subtrees_holding(path):
                    total = by_path.setdefault((unit_side, root), [0] * len(columns))
                    for n, count in enumerate(counts):
                        total[n] += count
    totals = []
    for principal, lists in asks:
        side = seizure_scope_side(principal)
        counted = by_path.get((side, principal.unit_path)) if side else None
        totals.append(
            {
                key: int(counted[columns[filters]])
                for key, filters in lists.items()
                if counted and counted[columns[filters]]
            }
        )
    return totals


async def list_notices(
    session: AsyncSession, *, principal: Principal, filters: NoticeFilters, page: PageParams
) -> Page[SeizureNoticeRead]:
    """Notices in scope: a police station's own, or those routed to the station's subtree."""
    now = utcnow()
    statement = await _filtered(session, principal, filters, now)
    result = await paginate(session, statement, page, lambda row: row)
    items = await _present_rows(session, list(result.items), principal=principal, now=now)
    return Page[SeizureNoticeRead](items=items, total=result.total, limit=result.limit, offset=result.offset)


async def _row_in_scope(session: AsyncSession, *, principal: Principal, notice_id: uuid.UUID) -> Any:
    row = (await session.execute(_scoped_select(principal).where(SeizureNotice.id == notice_id))).first()
    if row is None:
        raise NotFound("No such seizure notice.")
    return row


async def read_notice(
    session: AsyncSession, *, principal: Principal, notice_id: uuid.UUID
) -> SeizureNoticeRead:
    """One notice; every detail read is an audit event."""
    row = await _row_in_scope(session, principal=principal, notice_id=notice_id)
    await audit.record(
        session,
        action=AuditAction.seizure_notice_viewed,
        actor=principal,
        unit_id=row.SeizureNotice.receiving_unit_id,
        object_type="seizure_notice",
        object_id=notice_id,
    )
    return (await _present_rows(session, [row], principal=principal, now=utcnow()))[0]


async def acknowledge(session: AsyncSession, *, principal: Principal, notice_id: uuid.UUID) -> SeizureNotice:
    """签收: the receiving station (or the county office above it) takes the case up. The care file that
    follows is opened by ``backend.workflows.intake.acknowledge_notice``."""
    row = await _row_in_scope(session, principal=principal, notice_id=notice_id)
    notice: SeizureNotice = row.SeizureNotice
    if notice.acknowledged_at is not None:
        raise Conflict("This notice has already been acknowledged.")
    notice.acknowledged_at = utcnow()
    notice.acknowledged_by = principal.id
    notice.version += 1
    notice.updated_at = notice.acknowledged_at
    await audit.record(
        session,
        action=AuditAction.seizure_notice_acknowledged,
        actor=principal,
        unit_id=notice.receiving_unit_id,
        object_type="seizure_notice",
        object_id=notice.id,
    )
    return notice


def care_file_opened(notice: SeizureNotice) -> None:
    """The acknowledgement opened the minor's care file; a routed-out notice keeps its transfer status (that
    is the step still open)."""
    if notice.followup_status in (FollowupStatus.awaiting_acknowledgement, FollowupStatus.care_file_pending):
        notice.followup_status = FollowupStatus.care_file_open


async def present_one(
    session: AsyncSession, *, principal: Principal, notice_id: uuid.UUID
) -> SeizureNoticeRead:
    row = await _row_in_scope(session, principal=principal, notice_id=notice_id)
    return (await _present_rows(session, [row], principal=principal, now=utcnow()))[0]


async def daily_report(
    session: AsyncSession, *, principal: Principal, day: date, unit_id: uuid.UUID | None
) -> tuple[Unit, list[SeizureNoticeRead]]:
    """当天上报: the notices of one day (Beijing time) for one unit's subtree, oldest first."""
    unit = await _anchor_path(session, principal, unit_id or principal.unit_id, ["query", "unit_id"])
    now = utcnow()
    statement = await _filtered(session, principal, NoticeFilters(received_on=day, within=unit.id), now)
    rows = (await session.execute(statement.order_by(SeizureNotice.received_at, SeizureNotice.id))).all()
    return unit, await _present_rows(session, list(rows), principal=principal, now=now)


async def move_to_minor(session: AsyncSession, *, from_minor_id: uuid.UUID, to_minor_id: uuid.UUID) -> int:
    """A provisional minor merged into the record of the same person: the notices name the survivor. The
    number of notices moved."""
    moved = await session.execute(
        sa.update(SeizureNotice).where(SeizureNotice.minor_id == from_minor_id).values(minor_id=to_minor_id)
    )
    return int(moved.rowcount or 0)
