"""Intake: how a child comes into care. A registration in a drug-use category opens a care file; a police
station's seizure notice registers or updates the minor, is routed to a station (or starts a transfer to the
place outside the county where the child lives) and, once the station signs for it, opens or reopens the care
file there; a social worker opens a file by hand.

Each function runs inside the request's one transaction and only flushes, like every service.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend import idempotency
from backend.care_files.models import OPEN_STATUSES, CareFile, CareTrigger
from backend.care_files.schemas import CareFileCreate, CareFileUpdate, SchoolFileCreate
from backend.care_files.service import files as care_files
from backend.care_files.service import records as care_file_records
from backend.care_files.service import school as school_files
from backend.errors import Conflict
from backend.minors.models import (
    Minor,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    SchoolingStatus,
    raised_risk,
)
from backend.minors.schemas import MinorCreate
from backend.minors.service import bulk
from backend.minors.service import keys as minor_keys
from backend.minors.service import registry as minors
from backend.security import permissions, privacy
from backend.security.crypto import cipher_of
from backend.security.principals import Principal
from backend.seizures import service as seizures
from backend.seizures.models import FollowupStatus, RoutingStatus, SeizureNotice
from backend.seizures.routing import county_office_for, route
from backend.seizures.schemas import SeizureNoticeCreate
from backend.transfers import service as transfers
from backend.transfers.models import TransferReason, TransferStatus
from backend.units import service as units
from backend.units.models import Unit
from backend.workflows import notifying

# A uniqueness race (a concurrent push of the same notice or person) is retried from the start: the second
# run finds what the first one stored.
PUSH_ATTEMPTS = 3
OUTSIDE_PLACE_MAX = 100  # transfers.outside_place_name


async def register_minor(
    session: AsyncSession, *, principal: Principal, minor_in: MinorCreate, match_elsewhere_limit: int
) -> Minor:
    """Register a minor (``minors.register``); one registered in a drug-use category gets a care file at once."""
    minor = await minors.register(
        session, principal=principal, minor_in=minor_in, match_elsewhere_limit=match_elsewhere_limit
    )
    if set(minor.risk_categories) & privacy.SENSITIVE_RISK_CATEGORIES:
        await open_file_for(
            session,
            minor=minor,
            unit_id=minor.managing_unit_id,
            trigger=CareTrigger.registration,
            actor=principal,
        )
    return minor


async def open_files_for_registered(
    session: AsyncSession, *, registered: Sequence[bulk.Registered], actor: Principal
) -> int:
    """``register_minor``'s care file for many new registrations at once (``bulk.register_many``, an
    import): each one in a drug-use category gets a file at its managing unit, opened in bulk; the people the
    files name are notified as ``open_file_for`` notifies them. Just registered, they are active and named on no
    file yet. How many files were opened."""
    openings = [
        care_files.NewFile(minor_id=minor.id, unit_id=minor.managing_unit_id, risk_level=minor.risk_level)
        for minor in registered
        if set(minor.risk_categories) & privacy.SENSITIVE_RISK_CATEGORIES
    ]
    opened = await care_files.open_new_files(
        session, openings=openings, trigger=CareTrigger.registration, actor=actor
    )
    await notifying.files_assigned(session, care_files=[(care_file, ()) for care_file in opened], actor=actor)
    return len(opened)


async def open_file_for(
    session: AsyncSession, *, minor: Minor, unit_id: uuid.UUID, trigger: CareTrigger, actor: Principal | None
) -> CareFile:
    """Open (or reopen, or move) the minor's care file at ``unit_id``; a minor in care is active again."""
    before = await _responsible_now(session, minor.id)
    care_file = await care_files.open_or_reopen_file(
        session, minor_id=minor.id, unit_id=unit_id, trigger=trigger, actor=actor
    )
    if minor.status != MinorStatus.active:
        await minors.change_by_care_work(session, minor=minor, actor=actor, status=MinorStatus.active)
    # The unit's on-duty worker named on a file given to the unit is told.
    await notifying.file_assigned(session, care_file=care_file, before=before, actor=actor)
    return care_file


async def _responsible_now(session: AsyncSession, minor_id: uuid.UUID) -> list[str]:
    """Who the minor's open file names as responsible before it is opened, moved or reopened."""
    named = await session.scalar(
        sa.select(col(CareFile.responsible_user_ids)).where(
            col(CareFile.minor_id) == minor_id,
            col(CareFile.status).in_(OPEN_STATUSES),
            col(CareFile.kept_by_school_id).is_(None),
        )
    )
    return list(named or [])


async def open_care_file(session: AsyncSession, *, principal: Principal, file_in: CareFileCreate) -> CareFile:
    """A social worker opens a file by hand for a minor in her scope (404 outside it, before any 403)."""
    minor = await minors.get_in_scope(session, principal=principal, minor_id=file_in.minor_id)
    care_file = await care_files.create_file(session, principal=principal, minor=minor, file_in=file_in)
    if minor.status != MinorStatus.active:
        await minors.change_by_care_work(session, minor=minor, actor=principal, status=MinorStatus.active)
    await notifying.file_assigned(session, care_file=care_file, before=(), actor=principal)
    return care_file


async def open_school_file(
    session: AsyncSession, *, principal: Principal, file_in: SchoolFileCreate
) -> CareFile:
    """A school's staff open their school's file for one of their pupils (404 for anyone else's pupil); those of
    the school's staff named on it besides the opener are notified."""
    minor = await minors.get_in_scope(session, principal=principal, minor_id=file_in.minor_id)
    care_file = await school_files.open_school_file(
        session, principal=principal, minor=minor, file_in=file_in
    )
    await notifying.file_assigned(session, care_file=care_file, before=(), actor=principal)
    return care_file


async def update_care_file(
    session: AsyncSession,
    *,
    principal: Principal,
    care_file_id: uuid.UUID,
    file_in: CareFileUpdate,
    if_match: str | None,
) -> CareFile:
    """Change a file's plan or its responsible people; those newly named are notified."""
    care_file = await care_file_records.get_in_scope(
        session, principal=principal, care_file_id=care_file_id, for_change=True
    )
    before = list(care_file.responsible_user_ids)
    care_file = await care_files.update_file(
        session, principal=principal, care_file=care_file, file_in=file_in, if_match=if_match
    )
    await notifying.file_assigned(session, care_file=care_file, before=before, actor=principal)
    return care_file


# --- seizure notices ----------------------------------------------------------------------------------------


async def push_seizure_notice(
    session: AsyncSession,
    *,
    principal: Principal,
    notice_in: SeizureNoticeCreate,
    idempotency_key: str | None,
    ack_within_hours: int,
) -> seizures.PushOutcome:
    """Take one seizure notice (API.md): idempotent by key, and by notice number per station. One push is one
    transaction: the minor (new or updated), the notice with its routing, a transfer if the child lives
    outside the county, the stored idempotent answer and the audit events are written together or not at all."""
    key = idempotency.require_key(idempotency_key, principal)
    fingerprint = idempotency.request_fingerprint(notice_in.model_dump(mode="json"))
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        try:
            return await _push_once(
                session,
                principal=principal,
                notice_in=notice_in,
                key=key,
                fingerprint=fingerprint,
                ack_within_hours=ack_within_hours,
            )
        except IntegrityError:
            if attempt == PUSH_ATTEMPTS:
                raise
            await session.rollback()
    raise AssertionError("unreachable")


async def _push_once(
    session: AsyncSession,
    *,
    principal: Principal,
    notice_in: SeizureNoticeCreate,
    key: str | None,
    fingerprint: str,
    ack_within_hours: int,
) -> seizures.PushOutcome:
    stored = await idempotency.find_answer(
        session, principal=principal, route=seizures.ROUTE, key=key, fingerprint=fingerprint
    )
    if stored is not None:
        return seizures.PushOutcome(200, stored.body, uuid.UUID(stored.body["id"]))
    permissions.ensure(
        permissions.may_push_seizure_notices(principal), "Seizure notices are pushed by police stations."
    )
    number, birth_date, gender = seizures.check_person(notice_in)
    same_number = await seizures.same_number(session, principal=principal, notice_no=notice_in.notice_no)
    if same_number is not None:
        if same_number.request_hash != fingerprint:
            raise Conflict(
                "Your station already sent a different notice with this notice_no.",
                extra={"existing_id": str(same_number.id)},
            )
        return await seizures.answer(
            session,
            principal=principal,
            key=key,
            fingerprint=fingerprint,
            notice=same_number,
            status_code=200,
        )

    person = notice_in.person
    county = await county_office_for(session, principal.unit_path)
    lookup_hash = minor_keys.mainland_lookup_hash(cipher_of(session), number)
    minor = await minors.find_by_lookup_hash(session, lookup_hash=lookup_hash)
    # Where the notice is silent, the registry's places for a known minor route it.
    decision = await route(
        session,
        county=county,
        residence_code=person.residence_division_code or (minor.residence_division_code if minor else None),
        residence_address=person.residence_address,
        household_code=person.household_division_code or (minor.household_division_code if minor else None),
        household_address=person.household_address,
    )
    if minor is None:
        school_id = await units.school_named(session, person.school_name)
        minor_in = MinorCreate(
            name=person.name,
            id_number=number,
            gender=gender,
            birth_date=birth_date,
            phone=person.phone,
            household_division_code=person.household_division_code,
            household_address=person.household_address,
            residence_division_code=person.residence_division_code,
            residence_address=person.residence_address,
            school_id=school_id,
            schooling_status=SchoolingStatus.in_school if school_id else SchoolingStatus.unknown,
            risk_categories=[RiskCategory.seized_drug_use],
            substances=notice_in.substances,
            risk_level=raised_risk(RiskLevel.low),
        )
        minor = await minors.insert_record(
            session,
            actor=principal,
            minor_in=minor_in,
            number=number,
            birth_date=birth_date,
            gender=gender,
            lookup_hash=lookup_hash,
            school_id=school_id,
            managing_unit_id=decision.receiving_unit_id,
            source=MinorSource.seizure_notice,
        )
        minor_created = True
    else:
        substances = [code.value for code in notice_in.substances]
        await minors.record_seizure(session, minor=minor, substances=substances, actor=principal)
        minor_created = False

    notice = await seizures.record_notice(
        session,
        principal=principal,
        notice_in=notice_in,
        fingerprint=fingerprint,
        minor_id=minor.id,
        minor_created=minor_created,
        decision=decision,
        ack_within_hours=ack_within_hours,
    )
    if decision.status is RoutingStatus.routed_out:
        await _hand_over_outside(session, notice=notice, minor=minor, actor=principal)
    return await seizures.answer(
        session, principal=principal, key=key, fingerprint=fingerprint, notice=notice, status_code=201
    )


async def _hand_over_outside(
    session: AsyncSession, *, notice: SeizureNotice, minor: Minor, actor: Principal
) -> None:
    """A minor living outside the county: a transfer to that place starts from the unit that manages the minor
    (the county office for a new one), ``awaiting_outside_receipt`` until the written notice is delivered, so
    the child is not lost. If a transfer is already under way the push does not fail: the notice records
    ``transfer_started`` when that transfer already goes outside the county, else ``transfer_pending``."""
    pending = await transfers.pending_for(session, minor_id=minor.id)
    if pending is not None:
        goes_outside = pending.status == TransferStatus.awaiting_outside_receipt
        notice.followup_status = (
            FollowupStatus.transfer_started if goes_outside else FollowupStatus.transfer_pending
        )
        return
    await transfers.start_transfer(
        session,
        minor_id=minor.id,
        from_unit_id=minor.managing_unit_id,
        to_unit_id=None,
        outside_division_code=notice.outside_division_code,
        outside_place_name=(notice.outside_place_name or "")[:OUTSIDE_PLACE_MAX],
        reason=f"查获通知 {notice.notice_no}：居住地或户籍地在县外，移交当地"[:500],
        actor=actor,
        reason_code=TransferReason.caught_elsewhere,
    )
    notice.followup_status = FollowupStatus.transfer_started


async def acknowledge_notice(session: AsyncSession, *, principal: Principal, notice_id: uuid.UUID) -> None:
    """签收: the receiving station takes the case up, and the minor's care file opens (or the last one
    reopens, keeping its history) where ``_file_unit`` says."""
    notice = await seizures.acknowledge(session, principal=principal, notice_id=notice_id)
    minor = await minors.get_by_id(session, notice.minor_id)
    unit_id = await _file_unit(session, notice=notice, minor=minor)
    if unit_id != minor.managing_unit_id:
        await minors.change_by_care_work(
            session, minor=minor, actor=principal, managing_unit_id=unit_id, status=MinorStatus.active
        )
    await open_file_for(
        session, minor=minor, unit_id=unit_id, trigger=CareTrigger.seizure_notice, actor=principal
    )
    seizures.care_file_opened(notice)
    await session.flush()


async def _file_unit(session: AsyncSession, *, notice: SeizureNotice, minor: Minor) -> uuid.UUID:
    """The unit whose care file the acknowledgement opens.

    - A notice routed to a station: that station (the place the minor lives takes up control and care), unless
      the minor is already managed inside the station's own subtree (a community of it), where they stay.
      A minor managed by another unit of the county moves to the station with the file — the managing unit
      follows, as on an accepted transfer — except while a transfer is under way, which decides instead.
    - An unrouted or routed-out notice (the county office receives it only as a fallback): the unit that
      already manages the minor (the county office for a minor the notice created).
    """
    if notice.routing_status != RoutingStatus.routed or minor.managing_unit_id == notice.receiving_unit_id:
        return minor.managing_unit_id
    managing = await session.get_one(Unit, minor.managing_unit_id)
    receiving = await session.get_one(Unit, notice.receiving_unit_id)
    if permissions.path_in_subtree(managing.path, receiving.path):
        return minor.managing_unit_id
    if await transfers.pending_for(session, minor_id=minor.id) is not None:
        return minor.managing_unit_id
    return notice.receiving_unit_id
