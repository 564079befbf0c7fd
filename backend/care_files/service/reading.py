"""Care files read and listed: each file shaped by the privacy policy for the reader (its minor shaped by the
registry's presenter and passed in by ``backend.workflows``), the file page's audited read, and the list with its
worklists."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import (
    OPEN_STATUSES,
    CareFile,
    CareFileStatus,
    DueState,
    EntryKind,
)
from backend.care_files.schemas import (
    Alert,
    CareFileRead,
    CarePlan,
    Closure,
    PersonRef,
    TeamMemberRead,
)
from backend.care_files.service.records import (
    ManagingUnit,
    display_names,
    file_scope,
    file_scope_parts,
    get_in_scope,
    keeps_as_school,
    scope_paths_of_file,
    scoped_files,
    team_reaches_file,
    team_roles_of,
)
from backend.care_files.worklists import (
    due_condition,
    due_state,
    responsible_condition,
)
from backend.db import AnySelect, json_array_values, local_today
from backend.errors import ValidationFailed
from backend.minors.models import Minor, adult_condition
from backend.minors.schemas import MinorRead
from backend.pagination import Page, PageParams, SummaryQuery, flags
from backend.security import permissions, privacy
from backend.security.principals import Principal, in_subtree, within_scope
from backend.transfers.models import PENDING_STATUSES, Transfer
from backend.units.models import Unit
from backend.units.schemas import UnitSummary

SORT_FIELDS = {
    "next_due_on": CareFile.next_due_on,
    "opened_at": CareFile.opened_at,
    "updated_at": CareFile.updated_at,
    "last_contact_on": CareFile.last_contact_on,
}


def _recordable_kinds(care_file: CareFile, principal: Principal) -> list[EntryKind]:
    """The entry kinds the caller may record on this file now (none on a closed file)."""
    if care_file.status == CareFileStatus.closed:
        return []
    if care_file.kept_by_school_id is not None:
        # A school-kept file: its school records the school's kinds; nobody else records in it.
        return [
            kind
            for kind in EntryKind
            if permissions.may_record_on_school_file(
                principal, kind=kind.value, kept_by_school_id=care_file.kept_by_school_id
            )
        ]
    roles = team_roles_of(care_file, principal)
    return [
        kind
        for kind in EntryKind
        if permissions.may_record_care_entry(principal, kind=kind.value, team_roles=roles)
    ]


def responsible_minor_ids(principal: Principal, rows: list[Any]) -> frozenset[uuid.UUID]:
    """The minors of these files whose file names the principal responsible, confirmed by a lead: what the
    registry's presenter needs to show them (``minors.service.presenting.present_related``)."""
    return frozenset(row[0].minor_id for row in rows if str(principal.id) in row[0].confirmed_responsible_ids)


async def present_files(
    session: AsyncSession,
    *,
    principal: Principal,
    rows: list[Any],
    shown: Mapping[uuid.UUID, MinorRead],
) -> list[CareFileRead]:
    """The files of ``rows`` (from ``scoped_files``) as the policy lets the principal see them, each with its
    minor as the registry's presenter shaped it (``shown``, by minor id)."""
    today = local_today()
    files = [row[0] for row in rows]
    shape = privacy.record_shape(privacy.CARE_FILE_FIELDS, principal)
    people = await display_names(
        session,
        {
            person
            for care_file in files
            for person in (
                care_file.lead_worker_id,
                care_file.closure_requested_by,
                care_file.closure_decided_by,
            )
            if person
        },
    )
    accountable_ids = {
        care_file.accountable_unit_id for care_file in files if care_file.accountable_unit_id
    } | {care_file.kept_by_school_id for care_file in files if care_file.kept_by_school_id}
    accountable = {
        unit.id: UnitSummary.model_validate(unit)
        for unit in (
            (await session.scalars(sa.select(Unit).where(Unit.id.in_(accountable_ids)))).all()
            if accountable_ids
            else []
        )
    }
    pending: dict[uuid.UUID, Any] = dict(
        (
            await session.execute(
                sa.select(Transfer.minor_id, Transfer.id).where(
                    Transfer.minor_id.in_([care_file.minor_id for care_file in files]),
                    Transfer.status.in_(PENDING_STATUSES),
                )
            )
        ).all()
    )
    # A school-kept file's reader in its school does not see the seal flag itself: read it for the shape.
    kept = [care_file.minor_id for care_file in files if keeps_as_school(care_file, principal)]
    sealed_kept = (
        set(await session.scalars(sa.select(Minor.id).where(Minor.id.in_(kept), Minor.is_sealed.is_(True))))
        if kept
        else set()
    )
    result = []
    for care_file, unit_name, unit_kind in rows:
        minor = shown[care_file.minor_id]
        # A sealed minor's file keeps its facts from all but whom the seal opens to; a school-kept file shows
        # its school what the school wrote.
        keeps_it = keeps_as_school(care_file, principal)
        sealed = (
            care_file.minor_id in sealed_kept
            if keeps_it
            else bool(minor.is_sealed or "is_sealed" in minor.hidden_fields)
        )
        file_shape = (
            privacy.school_file_shape(privacy.CARE_FILE_FIELDS, principal, keeps_it=keeps_it, sealed=sealed)
            if sealed or keeps_it
            else shape
        )
        names_masked = "name" in minor.masked_fields

        def person(person_id: uuid.UUID | None) -> PersonRef | None:
            return PersonRef(id=person_id, name=people.get(person_id, "?")) if person_id else None

        team = [
            TeamMemberRead(
                role=member["role"],
                user_id=member.get("user_id"),
                name=privacy.team_member_name(
                    member["name"], has_account=bool(member.get("user_id")), minor_name_masked=names_masked
                ),
                organisation=member.get("organisation"),
            )
            for member in care_file.team
        ]
        closure = (
            Closure(
                reason=care_file.closure_reason,
                requested_at=care_file.closure_requested_at,
                requested_by=person(care_file.closure_requested_by),
                decided_at=care_file.closure_decided_at,
                decided_by=person(care_file.closure_decided_by),
                **file_shape.without_hidden(
                    {"closure.note": care_file.closure_note, "closure.comment": care_file.closure_comment},
                    strip_prefix="closure.",
                ),
            )
            if care_file.closure_reason
            else None
        )
        facts = file_shape.without_hidden(
            {
                "trigger": care_file.trigger,
                "alert": Alert(kind=care_file.alert, raised_at=care_file.alert_at)
                if care_file.alert and care_file.alert_at
                else None,
            }
        )
        result.append(
            CareFileRead(
                id=care_file.id,
                version=care_file.version,
                minor=minor,
                managing_unit=UnitSummary(id=care_file.managing_unit_id, name=unit_name, kind=unit_kind),
                accountable_unit=accountable.get(care_file.accountable_unit_id)
                if care_file.accountable_unit_id
                else None,
                kept_by_school=accountable.get(care_file.kept_by_school_id)
                if care_file.kept_by_school_id
                else None,
                status=care_file.status,
                opened_at=care_file.opened_at,
                reopened_count=care_file.reopened_count,
                lead_worker=person(care_file.lead_worker_id),
                assignment_confirmed=set(care_file.responsible_user_ids)
                <= set(care_file.confirmed_responsible_ids),
                team=team,
                plan=CarePlan(
                    interval_days=care_file.interval_days,
                    **file_shape.without_hidden(
                        {
                            "plan.goals": care_file.goals,
                            "plan.measures": care_file.measures,
                            "plan.urine_test_interval_days": care_file.urine_test_interval_days,
                        },
                        strip_prefix="plan.",
                    ),
                ),
                last_contact_on=care_file.last_contact_on,
                next_due_on=care_file.next_due_on,
                due_state=due_state(care_file, today),
                failed_attempts=care_file.failed_attempts,
                closure=closure,
                closed_at=care_file.closed_at,
                pending_transfer_id=pending.get(care_file.minor_id),
                recordable_kinds=_recordable_kinds(care_file, principal),
                created_at=care_file.created_at,
                updated_at=care_file.updated_at,
                hidden_fields=file_shape.hidden_fields,
                **facts,
            )
        )
    return result


async def file_row(session: AsyncSession, care_file_id: uuid.UUID) -> Any:
    """One file as ``present_files`` takes it (the caller has checked scope)."""
    return (await session.execute(scoped_files().where(CareFile.id == care_file_id))).one()


async def record_read(session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID) -> Any:
    """The file page's read: in scope or 404, and an audit event every time. The row, for ``present_files``."""
    care_file = await get_in_scope(session, principal=principal, care_file_id=care_file_id)
    await audit.record(
        session,
        action=AuditAction.care_file_viewed,
        actor=principal,
        unit_id=care_file.managing_unit_id,
        object_type="care_file",
        object_id=care_file.id,
    )
    return await file_row(session, care_file.id)


@dataclass(frozen=True)
class CareFileFilters:
    status: CareFileStatus | None = None
    due: DueState | None = None
    # None: as the role's worklists work (a social worker's are the files naming her); True/False: say so.
    mine: bool | None = None
    unassigned: bool = False
    aged_out: bool = False
    alert: bool = False
    minor_id: uuid.UUID | None = None
    within: uuid.UUID | None = None
    # None: station files for those who keep them, both kinds for others; True: school-kept files only.
    kept_by_school: bool | None = None


def _personal(principal: Principal, filters: CareFileFilters) -> bool:
    """Whether the list is the files naming the principal (``mine``, or a social worker's due lists)."""
    if filters.mine is not None:
        return filters.mine
    return filters.due is not None and permissions.worklists_are_personal(principal)


def _filter_conditions(
    filters: CareFileFilters, today: date, *, keeps_files: bool, open_known: bool = False
) -> list[sa.ColumnElement[bool]]:
    """What ``filters`` ask of a file, apart from whose list it is (the scope, ``mine``, ``within``): the same for
    every principal who keeps care files (``keeps_files``: ``permissions.may_keep_care_files``) or does not.
    ``open_known``: the statement reads open files only, so the lists' own "open" is left out (read once, not
    once per list)."""
    conditions: list[sa.ColumnElement[bool]] = []
    is_open = [] if open_known else [CareFile.status.in_(OPEN_STATUSES)]
    if filters.unassigned:
        conditions += [CareFile.lead_worker_id.is_(None), *is_open]
    if filters.status:
        conditions.append(CareFile.status == filters.status)
    if filters.due:
        conditions += [*is_open, due_condition(filters.due, today)]
    if filters.alert:
        conditions += [CareFile.alert.is_not(None), *is_open]
    if filters.aged_out:
        conditions += [*is_open, CareFile.minor_id.in_(sa.select(Minor.id).where(adult_condition(today)))]
    if filters.minor_id:
        conditions.append(CareFile.minor_id == filters.minor_id)
    kept_by_school = filters.kept_by_school
    if kept_by_school is None and (filters.due or filters.unassigned) and keeps_files:
        # A station's worklists are the files it works: a school-kept file is worked by its school.
        kept_by_school = False
    if kept_by_school is not None:
        conditions.append(
            CareFile.kept_by_school_id.is_not(None)
            if kept_by_school
            else CareFile.kept_by_school_id.is_(None)
        )
    return conditions


async def _list_conditions(
    session: AsyncSession,
    principal: Principal,
    filters: CareFileFilters,
    today: date,
    *,
    open_known: bool = False,
) -> list[sa.ColumnElement[bool]]:
    """What ``filters`` ask of a file in scope, as ``list_files`` and ``worklist_query`` both apply them."""
    conditions = [responsible_condition(principal)] if _personal(principal, filters) else []
    conditions += _filter_conditions(
        filters, today, keeps_files=permissions.may_keep_care_files(principal), open_known=open_known
    )
    if filters.within:
        anchor = await session.scalar(
            sa.select(Unit.path).where(Unit.id == filters.within, within_scope(principal, Unit.path))
        )
        if anchor is None:
            raise ValidationFailed.field(["query", "within"], "no such unit in your scope", "unit.not_found")
        conditions.append(in_subtree(ManagingUnit.path, anchor))
    return conditions


async def list_files(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: CareFileFilters,
    page: PageParams,
) -> Page[Any]:
    """Files in scope, as rows for ``present_files``; the worklists (``due``) are the subtree for a lead and
    the files a worker is responsible for, unless ``mine`` says which; ``unassigned``: the lead's "to assign"."""
    conditions = await _list_conditions(session, principal, filters, local_today())
    statement = scoped_files().where(file_scope(principal), *conditions)
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = (
        await session.execute(statement.order_by(*page.order_by).limit(page.limit).offset(page.offset))
    ).all()
    return Page[Any](items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)


def _open_files_only(filters: CareFileFilters) -> bool:
    """Whether the list holds open files only (as ``_list_conditions`` says)."""
    if filters.status is not None:
        return filters.status.value in OPEN_STATUSES
    return bool(filters.due or filters.unassigned or filters.alert or filters.aged_out)


# The worklists' order: the most pressing first (``worklist_query``'s ids; the to-do centre links with it).
WORKLIST_ORDER = (CareFile.next_due_on, CareFile.id)


async def worklist_query(
    session: AsyncSession, *, principal: Principal, lists: Mapping[str, CareFileFilters]
) -> SummaryQuery | None:
    """For each named list, what ``list_files`` with those filters would answer — its total and the ids of its
    first files in ``WORKLIST_ORDER`` — as one statement over the files in scope, read once for all the lists
    (``run_summaries`` runs it, with the other domains' for the to-do centre)."""
    if not lists:
        return None
    today = local_today()
    keys = tuple(lists)
    # Lists of open files only (every worklist) are asked of the open files, which PostgreSQL's partial index
    # ix_care_files_open_worklists holds with every column their conditions read.
    open_known = all(map(_open_files_only, lists.values()))
    only_open = [CareFile.status.in_(OPEN_STATUSES)] if open_known else []
    wanted = [
        sa.and_(
            sa.true(), *await _list_conditions(session, principal, lists[key], today, open_known=open_known)
        )
        for key in keys
    ]
    # The files in scope that any list wants, each with a flag per list (the scope's parts one by one, so that
    # each part is read from its own index).
    parts = tuple(
        sa.select(CareFile.id.label("id"), CareFile.next_due_on.label("next_due_on"), *flags(wanted)).where(
            part, *only_open, sa.or_(*wanted)
        )
        for part in file_scope_parts(principal)
    )
    if any(filters.within for filters in lists.values()):  # ``within`` reads the managing unit's path
        parts = tuple(part.join(ManagingUnit, ManagingUnit.id == CareFile.managing_unit_id) for part in parts)
    return SummaryQuery(keys=keys, parts=parts, order=("next_due_on", "id"))


async def worklist_totals(
    session: AsyncSession, asks: Sequence[tuple[Principal, Mapping[str, CareFileFilters]]]
) -> list[dict[str, int]]:
    """``worklist_query``'s totals for many principals at once (the daily digests): for each ``(principal, lists)``
    of ``asks``, the total of each list with a file in it, as the to-do centre counts it.

    Set-based: the files are counted by the conditions of every list asked (each distinct one once) in at most
    three grouped statements — by managing and accountable unit (a subtree's lists), by person named
    responsible and unit (the personal lists: ``mine``) and by school and team (those who reach files through a
    team) — and each principal's totals are the sums of the groups its scope reaches (``records.file_scope``'s
    reach, ``records.scope_paths_of_file`` and ``records.team_reaches_file``)."""
    today = local_today()
    wanted: dict[str, dict[tuple[CareFileFilters, bool], int]] = {"units": {}, "people": {}, "teams": {}}
    plans: list[list[tuple[str, str, int, bool]]] = []  # per ask: (key, grouping, column, personal)
    for principal, lists in asks:
        plan = []
        keeps_files = permissions.may_keep_care_files(principal)
        for key, filters in lists.items():
            if filters.within:
                raise ValueError("worklist_totals counts whole scopes, without within")
            personal = _personal(principal, filters)
            grouping = (
                "teams"
                if permissions.works_on_care_files_as_team_member(principal)
                else "people"
                if personal
                else "units"
            )
            column = wanted[grouping].setdefault((filters, keeps_files), len(wanted[grouping]))
            plan.append((key, grouping, column, personal))
        plans.append(plan)
    conditions = {
        grouping: [
            sa.and_(sa.true(), *_filter_conditions(filters, today, keeps_files=keeps_files))
            for filters, keeps_files in columns
        ]
        for grouping, columns in wanted.items()
    }
    # Subtrees: each group's counts added to every unit whose subtree reaches its files.
    by_path: dict[tuple[str, ...], list[int]] = {}
    paths: dict[Any, str] = {}
    if conditions["units"] or conditions["people"]:
        paths = {row[0]: row[1] for row in await session.execute(sa.select(Unit.id, Unit.path))}

    def add(key: tuple[str, ...], counts: Sequence[int]) -> None:
        total = by_path.setdefault(key, [0] * len(counts))
        for n, count in enumerate(counts):
            total[n] += count

    if conditions["units"]:
        statement = sa.select(
            CareFile.managing_unit_id, CareFile.accountable_unit_id, *_sums(conditions["units"])
        )
        for managing, accountable, *counts in await session.execute(
            _grouped(statement, conditions["units"], CareFile.managing_unit_id, CareFile.accountable_unit_id)
        ):
            for path in scope_paths_of_file(paths[managing], paths.get(accountable)):
                add(("units", path), counts)
    if conditions["people"]:
        person = json_array_values(session, CareFile.responsible_user_ids, name="person")
        statement = (
            sa.select(
                person.c.value,
                CareFile.managing_unit_id,
                CareFile.accountable_unit_id,
                *_sums(conditions["people"]),
            )
            .select_from(CareFile)
            .join(person, sa.true())
        )
        for named, managing, accountable, *counts in await session.execute(
            _grouped(
                statement,
                conditions["people"],
                person.c.value,
                CareFile.managing_unit_id,
                CareFile.accountable_unit_id,
            )
        ):
            for path in scope_paths_of_file(paths[managing], paths.get(accountable)):
                add(("people", str(named), path), counts)
    teams: list[Any] = []
    if conditions["teams"]:
        statement = sa.select(
            CareFile.kept_by_school_id,
            CareFile.confirmed_responsible_ids,
            CareFile.responsible_user_ids,
            *_sums(conditions["teams"]),
        )
        teams = list(
            await session.execute(
                _grouped(
                    statement,
                    conditions["teams"],
                    CareFile.kept_by_school_id,
                    CareFile.confirmed_responsible_ids,
                    CareFile.responsible_user_ids,
                )
            )
        )
    totals: list[dict[str, int]] = []
    for (principal, _lists), plan in zip(asks, plans, strict=True):
        found: dict[str, int] = {}
        for key, grouping, column, personal in plan:
            if grouping == "units":
                total = by_path.get(("units", principal.unit_path), [0] * (column + 1))[column]
            elif grouping == "people":
                total = by_path.get(("people", str(principal.id), principal.unit_path), [0] * (column + 1))[
                    column
                ]
            else:
                total = sum(
                    row[3 + column]
                    for row in teams
                    if team_reaches_file(principal, kept_by_school_id=row[0], confirmed_ids=row[1])
                    and (not personal or str(principal.id) in row[2])
                )
            if total:
                found[key] = int(total)
        totals.append(found)
    return totals


def _sums(conditions: Sequence[sa.ColumnElement[bool]]) -> list[sa.ColumnElement[int]]:
    return [sa.func.sum(sa.case((condition, 1), else_=0)) for condition in conditions]


def _grouped(statement: AnySelect, conditions: Sequence[sa.ColumnElement[bool]], *keys: Any) -> AnySelect:
    """The files any of ``conditions`` wants, counted by ``keys``."""
    return statement.where(sa.or_(*conditions)).group_by(*keys)
