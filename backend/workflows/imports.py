"""Importing a screening form: the file read and every row checked (in the background, progress in the
database so that any API process answers the polling), duplicates looked for in the file and in the registry,
and — when asked to commit — every valid row applied in one transaction through the owning domains' services
(or none, when all-or-nothing and a row failed).

New minors, with an ID number or without one (provisional records, 待核实), are registered together through the
registry's ``register_many`` (its checks, multi-row inserts) and their care files opened together. Pharmacy and venue
checks are recorded through the venues domain: a venue is found by its name in scope, or added.
"""

import asyncio
import gc
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import local_today
from backend.errors import ProblemError
from backend.imports import recent
from backend.imports import service as imports
from backend.imports.checking import CheckedRow, both_languages, check_rows, repeat_key
from backend.imports.models import ImportJob, ImportKind, ImportMode, ImportStatus, RowOutcome
from backend.imports.reading import FileRefused, ReadSheet, read
from backend.messages import Text
from backend.minors.models import (
    DisclosureKind,
    FoundBy,
    MinorSource,
    RiskCategory,
    RiskLevel,
    SchoolingStatus,
)
from backend.minors.schemas import MinorCreate, MinorUpdate
from backend.minors.service import bulk, disclosures, matching
from backend.minors.service import registry as minors
from backend.security import permissions
from backend.security.principals import Principal
from backend.security.roles import Role
from backend.venues import service as venues
from backend.venues.schemas import PharmacyCheckIn, VenueCheckIn, VenueCreate
from backend.workflows.intake import open_files_for_registered

logger = logging.getLogger(__name__)

CHECK_CHUNK = 2_000  # rows checked between two progress updates


def ensure_may_import(principal: Principal, kind: ImportKind) -> None:
    """Importing a form is doing what it records: registering minors, recording pharmacy or venue checks."""
    allowed = {
        ImportKind.screening_minors: permissions.may_register_minors,
        ImportKind.pharmacy_checks: permissions.may_record_pharmacy_checks,
        ImportKind.venue_checks: permissions.may_keep_venues,
    }[kind]
    permissions.ensure(allowed(principal), "Your role may not import this form.")


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    job_id: uuid.UUID,
    principal: Principal,
    content: bytes,
    match_elsewhere_limit: int,
) -> None:
    """The background half of ``POST /imports``: never raises (whatever happens ends in the job's row)."""
    try:
        await _run(
            sessionmaker,
            job_id=job_id,
            principal=principal,
            content=content,
            match_elsewhere_limit=match_elsewhere_limit,
        )
    except Exception:
        logger.exception("import job failed", extra={"import_job_id": str(job_id)})
        async with sessionmaker() as session, session.begin():
            job = await imports.load(session, job_id)
            await imports.fail(
                session,
                job=job,
                code="import.internal",
                message=both_languages("The import stopped on an internal error; nothing was imported."),
                notes=[],
            )


async def _run(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    job_id: uuid.UUID,
    principal: Principal,
    content: bytes,
    match_elsewhere_limit: int,
) -> None:
    today = local_today()
    async with sessionmaker() as session, session.begin():
        job = await imports.load(session, job_id)
        kind, mode, all_or_nothing = ImportKind(job.kind), ImportMode(job.mode), job.all_or_nothing
        key = recent.Key(job.file_hash, kind, principal.kind, principal.id, principal.unit_id, today)
        # The same file checked for the same person today (a dry run, then its commit): its rows as checked then.
        checked = recent.take(key)
        if checked is None:
            try:
                sheet: ReadSheet = await asyncio.to_thread(read, content, kind)
            except FileRefused as refused:
                await imports.fail(
                    session, job=job, code=refused.code, message=both_languages(refused.text), notes=[]
                )
                return
            rows_total, sheet_name = len(sheet.rows), sheet.sheet_name
        else:
            rows_total, sheet_name = len(checked.rows), checked.sheet_name
        await imports.start(session, job=job, rows_total=rows_total, sheet_name=sheet_name)
    if checked is None:
        checked = await _check(sessionmaker, job_id=job_id, kind=kind, sheet=sheet, today=today)
    else:
        async with sessionmaker() as session, session.begin():
            await imports.progress(session, job_id=job_id, rows_done=rows_total, status=ImportStatus.checking)
    if mode is ImportMode.dry_run:
        recent.keep(key, checked)
    rows = checked.rows
    notes = [both_languages(note) for note in checked.notes]
    context = ScreeningContext()
    if kind is ImportKind.screening_minors:
        async with sessionmaker() as session, session.begin():
            context = await _screening_context(session, principal=principal, rows=rows)
            context.match_elsewhere_limit = match_elsewhere_limit
            await _registry_duplicates(
                session, principal=principal, rows=rows, context=context, limit=match_elsewhere_limit
            )
    invalid = sum(row.outcome is RowOutcome.invalid for row in rows)
    apply = mode is ImportMode.commit and not (all_or_nothing and invalid)
    if mode is ImportMode.commit and all_or_nothing and invalid:
        notes.append(
            both_languages(
                Text("Nothing was imported: {count} rows have problems (all or nothing).", count=invalid)
            )
        )
    if apply:
        try:
            with _cyclic_gc_paused():
                async with sessionmaker() as session, session.begin():
                    await imports.progress(
                        session, job_id=job_id, rows_done=len(rows), status=ImportStatus.applying
                    )
                    applied = await APPLY[kind](session, principal=principal, rows=rows, context=context)
                    if all_or_nothing and any(row.outcome is RowOutcome.invalid for row in rows):
                        raise _RolledBack
                    job = await imports.load(session, job_id)
                    await _finish(
                        session,
                        job=job,
                        checked=checked,
                        rows=rows,
                        notes=notes,
                        applied=applied,
                        committed=True,
                        actor=principal,
                    )
            return
        except _RolledBack:
            notes.append(
                both_languages("Nothing was imported: a row was refused while importing (all or nothing).")
            )
    async with sessionmaker() as session, session.begin():
        job = await imports.load(session, job_id)
        await _finish(
            session,
            job=job,
            checked=checked,
            rows=rows,
            notes=notes,
            applied=0,
            committed=False,
            actor=principal,
        )


async def _check(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    job_id: uuid.UUID,
    kind: ImportKind,
    sheet: ReadSheet,
    today: date,
) -> recent.Checked:
    """Every row's cells checked, a chunk at a time (the progress stored after each), and repeats marked."""
    rows: list[CheckedRow] = []
    for start in range(0, len(sheet.rows), CHECK_CHUNK):
        chunk = sheet.rows[start : start + CHECK_CHUNK]
        rows.extend(await asyncio.to_thread(check_rows, kind, chunk, today=today))
        async with sessionmaker() as session, session.begin():
            await imports.progress(session, job_id=job_id, rows_done=len(rows), status=ImportStatus.checking)
    _mark_repeats_across_chunks(kind, rows)
    return recent.Checked(sheet_name=sheet.sheet_name, columns=sheet.columns, notes=sheet.notes, rows=rows)


# Imports applying rows now in this process, and whether the collector was on before the first of them.
_applying = 0
_collector_was_on = False


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while rows are applied and committed. The commit of a large file
    holds a few hundred thousand objects at once (the checked rows, the records' values, the audit events),
    and every full collection walks all of them: about a fifth of a 50,000-row commit's CPU time was the
    collector, which finds nothing to free there. Memory is still freed as usual (reference counting); only
    reference cycles, of this job or of other requests of the process, wait until the apply is over."""
    global _applying, _collector_was_on
    if _applying == 0:
        _collector_was_on = gc.isenabled()
        gc.disable()
    _applying += 1
    try:
        yield
    finally:
        _applying -= 1
        if _applying == 0 and _collector_was_on:
            gc.enable()


class _RolledBack(Exception):
    """All or nothing, and a row was refused while applying: the transaction is rolled back."""


async def _finish(
    session: AsyncSession,
    *,
    job: ImportJob,
    checked: recent.Checked,
    rows: list[CheckedRow],
    notes: list[dict[str, str]],
    applied: int,
    committed: bool,
    actor: Principal,
) -> None:
    await imports.finish(
        session,
        job=job,
        report=_report(checked, rows, notes),
        counts={
            "ok": sum(row.outcome is RowOutcome.ok for row in rows),
            "duplicate": sum(row.outcome is RowOutcome.duplicate for row in rows),
            "invalid": sum(row.outcome is RowOutcome.invalid for row in rows),
            "applied": applied,
        },
        committed=committed,
        actor=actor,
    )


def _mark_repeats_across_chunks(kind: ImportKind, rows: list[CheckedRow]) -> None:
    """Rows are checked chunk by chunk; a repeat of a row in an earlier chunk is found here."""
    first: dict[tuple[Any, ...], int] = {}
    for row in rows:
        if row.outcome is RowOutcome.invalid or row.duplicate_of is not None:
            continue
        key = repeat_key(kind, row.values)
        if key is None:
            continue
        if key in first and first[key] != row.number:
            row.duplicate_of = first[key]
            row.mark_duplicate(Text("repeats row {row} of this file; skipped", row=first[key]))
        else:
            first.setdefault(key, row.number)


def _report(checked: recent.Checked, rows: list[CheckedRow], notes: list[dict[str, str]]) -> dict[str, Any]:
    """What is kept: row numbers, outcomes, actions and problems by column — no cell values, so no identity."""
    return {
        "notes": notes,
        "columns": [column.header for column in checked.columns],
        "rows": [
            {
                "row": row.number,
                "outcome": row.outcome.value,
                "action": row.action,
                "problems": row.problems,
            }
            for row in rows
            if row.outcome is not RowOutcome.ok
        ],
    }


# --- screening: the registry ---------------------------------------------------------------------------------


@dataclass
class ScreeningContext:
    default_unit_id: uuid.UUID | None = None
    units_by_division: dict[str, uuid.UUID] | None = None
    matches: dict[str, matching.RegistryMatch] | None = None
    match_elsewhere_limit: int = 0


async def _screening_context(
    session: AsyncSession, *, principal: Principal, rows: list[CheckedRow]
) -> ScreeningContext:
    codes = {
        str(row.values["managing_division_code"]) for row in rows if row.values.get("managing_division_code")
    }
    default_unit_id, units_by_division = await imports.managing_units(
        session, principal=principal, codes=codes
    )
    for row in rows:
        code = row.values.get("managing_division_code")
        if row.outcome is RowOutcome.invalid:
            continue
        if code and code not in units_by_division:
            row.problem(
                "管理单位区划代码",
                message="no active township, community or county office with this division code in your scope",
                code="unit.not_found",
            )
        elif not code and default_unit_id is None:
            row.problem(
                "管理单位区划代码",
                message="name the station that will manage the minor",
                code="minor.managing_unit_required",
            )
    return ScreeningContext(default_unit_id=default_unit_id, units_by_division=units_by_division)


async def _registry_duplicates(
    session: AsyncSession,
    *,
    principal: Principal,
    rows: list[CheckedRow],
    context: ScreeningContext,
    limit: int,
) -> None:
    """Rows whose person is registered already: in scope, what committing will do; elsewhere, that and no more.
    Each "managed elsewhere" counts against the person's daily limit and is recorded for that unit, as a single
    registration's would be; past the limit no further row with an ID number is checked. A file that comes in
    when the day's answers are spent has every such row refused alike, matched or not: answering a stranger's
    row ``ok`` would tell, by contrast, that a refused row is a child managed elsewhere."""
    numbers = [
        str(row.values["id_number"])
        for row in rows
        if row.outcome is not RowOutcome.invalid and row.values.get("id_number")
    ]
    context.matches = await matching.match_numbers(session, principal=principal, numbers=numbers)
    may_edit = permissions.may_edit_minors(principal)
    limit_reached = not await disclosures.matches_elsewhere_left(session, principal=principal, limit=limit)
    for row in rows:
        number = row.values.get("id_number")
        if row.outcome is RowOutcome.invalid or not number:
            continue
        if limit_reached:
            row.problem("身份证号", message=_limit_text(limit), code="import.match_limit")
            continue
        found = context.matches.get(str(number))
        if found is None:
            continue
        if not found.in_scope:
            used = await disclosures.spend_disclosure(
                session, principal=principal, kind=DisclosureKind.match_elsewhere, limit=limit
            )
            if used is None:
                limit_reached = True
                row.problem("身份证号", message=_limit_text(limit), code="import.match_limit")
                continue
            await audit.record(
                session,
                action=AuditAction.minor_duplicate_probe,
                actor=principal,
                unit_id=found.managing_unit_id,
            )
            row.duplicate_of = 0
            row.mark_duplicate("managed by another unit; skipped (a transfer can be requested)")
            continue
        new = _additions(row, found)
        row.duplicate_of = 0
        if may_edit and (new[0] or new[1]):
            row.mark_duplicate(
                "already registered in your scope; committing adds this row's categories to the record"
            )
        else:
            row.mark_duplicate("already registered in your scope; skipped")


def _limit_text(limit: int) -> Text:
    return Text(
        "{limit} rows today matched minors managed by other units, the daily limit; this row was not checked",
        limit=limit,
    )


def _additions(row: CheckedRow, found: matching.RegistryMatch) -> tuple[list[str], list[str]]:
    categories = [
        str(code) for code in row.values.get("risk_categories", []) if code not in found.risk_categories
    ]
    substances = [str(code) for code in row.values.get("substances", []) if code not in found.substances]
    return categories, substances


async def _apply_screening(
    session: AsyncSession, *, principal: Principal, rows: list[CheckedRow], context: ScreeningContext
) -> int:
    """Register every valid row and add categories to records in scope, in the caller's one transaction. New
    rows go to the registry together (``register_many``: its checks, multi-row inserts) and their care files are
    opened together (``intake.open_files_for_registered``); the few rows that add categories to a record in
    scope are edits, one by one."""
    assert context.units_by_division is not None
    applied = 0
    source = MinorSource.school_report if principal.role is Role.school_staff else MinorSource.screening
    may_edit = permissions.may_edit_minors(principal)
    new_rows: list[CheckedRow] = []
    registrations: list[MinorCreate] = []
    for row in rows:
        if row.outcome is RowOutcome.invalid:
            continue
        values = row.values
        if row.outcome is RowOutcome.duplicate:
            found = (context.matches or {}).get(str(values.get("id_number") or ""))
            if found is not None and found.in_scope and found.minor_id is not None and may_edit:
                categories, substances = _additions(row, found)
                if categories or substances:
                    await _add_categories(session, principal=principal, minor_id=found.minor_id, row=row)
                    applied += 1
            continue
        code = values.get("managing_division_code")
        unit_id = context.units_by_division[str(code)] if code else context.default_unit_id
        assert unit_id is not None
        minor_in = MinorCreate(
            name=values["name"],
            id_number=values.get("id_number"),
            provisional=not values.get("id_number"),
            found_by=None if values.get("id_number") else FoundBy.screening,
            gender=values["gender"],
            birth_date=values["birth_date"],
            phone=values.get("phone"),
            household_division_code=values.get("household_division_code"),
            household_address=values.get("household_address"),
            residence_division_code=values.get("residence_division_code"),
            residence_address=values.get("residence_address"),
            grade=values.get("grade"),
            schooling_status=values.get("schooling_status", SchoolingStatus.unknown),
            risk_categories=values.get("risk_categories", []),
            substances=values.get("substances", []),
            risk_level=values.get("risk_level", RiskLevel.low),
            managing_unit_id=unit_id,
            source=source,
        )
        new_rows.append(row)
        registrations.append(minor_in)
    answers = await bulk.register_many(
        session,
        principal=principal,
        rows=registrations,
        match_elsewhere_limit=context.match_elsewhere_limit,
    )
    registered: list[bulk.Registered] = []
    for row, answer in zip(new_rows, answers, strict=True):
        if isinstance(answer, ProblemError):
            # Refused before anything of the row was written (the registry checks first): reported, skipped.
            row.problem(row.first_column, message=answer.detail or answer.title, code="import.refused")
            continue
        registered.append(answer)
    # Registrations in a drug-use category open a care file, as a single registration does.
    await open_files_for_registered(session, registered=registered, actor=principal)
    return applied + len(registered)


async def _add_categories(
    session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID, row: CheckedRow
) -> None:
    minor = await minors.get_by_id(session, minor_id)
    categories = list(
        dict.fromkeys([*minor.risk_categories, *(str(c) for c in row.values.get("risk_categories", []))])
    )
    substances = list(dict.fromkeys([*minor.substances, *(str(c) for c in row.values.get("substances", []))]))
    await minors.update(
        session,
        principal=principal,
        minor=minor,
        minor_in=MinorUpdate(
            risk_categories=[RiskCategory(code) for code in categories],
            substances=substances,
        ),
        if_match=None,
    )


# --- pharmacy and venue checks: the venues domain -----------------------------------------------------------------


async def _apply_pharmacy_checks(
    session: AsyncSession, *, principal: Principal, rows: list[CheckedRow], context: ScreeningContext
) -> int:
    applied = 0
    for row in rows:
        if row.outcome is not RowOutcome.ok:
            continue
        values = row.values
        check_in = PharmacyCheckIn(
            pharmacy_name=values["pharmacy"],
            licence_number=values.get("licence_number"),
            address=values.get("address"),
            checked_on=values["checked_on"],
            buyer_age_band=values.get("buyer_age_band"),
            quantity=values["quantity"],
            prescription_seen=values["prescription_seen"],
            notes=values.get("findings"),
        )
        if await _row_applied(
            row, venues.record_pharmacy_check(session, principal=principal, check_in=check_in)
        ):
            applied += 1
    return applied


async def _apply_venue_checks(
    session: AsyncSession, *, principal: Principal, rows: list[CheckedRow], context: ScreeningContext
) -> int:
    applied = 0
    for row in rows:
        if row.outcome is not RowOutcome.ok:
            continue
        if await _row_applied(row, _record_venue_row(session, principal=principal, values=row.values)):
            applied += 1
    return applied


async def _record_venue_row(session: AsyncSession, *, principal: Principal, values: dict[str, Any]) -> None:
    """The venue of this name in scope (added if there is none yet), and the row's check of it."""
    venue = await venues.find_venue(session, principal=principal, name=str(values["place"]))
    if venue is None:
        venue = await venues.create_venue(
            session,
            principal=principal,
            venue_in=VenueCreate(
                name=values["place"], kind=values["venue_kind"], address=values.get("address")
            ),
        )
    await venues.record_venue_check(
        session,
        principal=principal,
        venue_id=venue.id,
        check_in=VenueCheckIn(
            checked_on=values["checked_on"],
            findings=values["findings"],
            hazard_found=bool(values.get("hazard_found", False)),
            measures=values.get("measures"),
            follow_up_on=values.get("follow_up_on"),
        ),
    )


async def _row_applied(row: CheckedRow, applying: Awaitable[object]) -> bool:
    """Apply one row; a refusal (the owning service checks before it writes) is reported on the row."""
    try:
        await applying
    except ProblemError as refused:
        row.problem(row.first_column, message=refused.detail or refused.title, code="import.refused")
        return False
    return True


Applier = Callable[..., Awaitable[int]]
APPLY: dict[ImportKind, Applier] = {
    ImportKind.screening_minors: _apply_screening,
    ImportKind.pharmacy_checks: _apply_pharmacy_checks,
    ImportKind.venue_checks: _apply_venue_checks,
}
