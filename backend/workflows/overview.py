"""The dashboard overview: figures from several domains (registry tallies, care files, seizure notices,
transfers, campaigns), each counted through its own domain's scope and suppressed by the statistics' one rule."""

import dataclasses
import uuid
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.campaigns import scoping as campaigns
from backend.campaigns.models import Campaign, TaskReportStatus
from backend.care_files import worklists
from backend.care_files.models import CareFile
from backend.db import LOCAL_TIMEZONE, local_midnight_utc, local_today
from backend.errors import NotFound
from backend.minors.models import Minor
from backend.security.permissions import path_in_subtree
from backend.security.principals import Principal, within_scope, within_seizure_scope
from backend.security.privacy import Visibility, can_reveal_sealed, notice_shape_for
from backend.security.roles import Scope
from backend.seizures.models import SeizureNotice
from backend.stats import service as stats
from backend.stats.schemas import (
    CampaignFigures,
    CareFileFigures,
    MonthCount,
    Overview,
    SeizureFigures,
    SeizureMonth,
    TransferFigures,
)
from backend.transfers.models import PENDING_STATUSES, Transfer
from backend.units.models import Unit
from backend.units.schemas import UnitSummary


async def overview(
    session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None, threshold: int
) -> Overview:
    """The dashboard: the registry's figures (the statistics module's tallies), then care files, notices,
    transfers and campaigns as each domain's own scope has them, of the principal narrowed to the chosen
    subtree; small counts suppressed unless the principal may see the records behind them."""
    unit = await session.get(Unit, principal.unit_id)
    assert unit is not None
    if unit_id is not None and unit_id != principal.unit_id:
        chosen = await session.get(Unit, unit_id)
        if chosen is None or not path_in_subtree(chosen.path, principal.unit_path):
            raise NotFound("No such unit.")
        unit = chosen
    narrowed = dataclasses.replace(principal, unit_id=unit.id, unit_path=unit.path, unit_kind=unit.kind)
    minors, suppressed = await stats.minor_figures(
        session, principal=principal, unit=unit, threshold=threshold
    )
    today = local_today()
    sections = stats.CountsOfPeople(suppressed=suppressed, threshold=threshold)
    return Overview(
        unit=UnitSummary.model_validate(unit),
        as_of=today,
        suppression_threshold=threshold,
        suppressed=suppressed,
        minors=minors,
        care_files=await _care_files(session, narrowed, today, sections)
        if principal.has(Scope.care_files_read)
        else None,
        seizures=await _seizures(session, narrowed, today, sections)
        if principal.has(Scope.seizures_read)
        else None,
        transfers=await _transfers(session, narrowed, sections)
        if principal.has(Scope.transfers_read)
        else None,
        campaigns=await _campaigns(session, narrowed) if principal.has(Scope.campaigns_read) else None,
    )


async def _care_files(
    session: AsyncSession, principal: Principal, today: date, sections: stats.CountsOfPeople
) -> CareFileFigures:
    """Files managed in scope (the care-files module's own ``within_scope``), with its worklist conditions."""
    managing = aliased(Unit)
    columns = worklists.worklist_counts(today)
    row = (
        await session.execute(
            sa.select(*columns.values())
            .select_from(CareFile)
            .join(managing, col(managing.id) == col(CareFile.managing_unit_id))
            .where(within_scope(principal, managing.path))
        )
    ).one()
    figures = dict(zip(columns, row, strict=True))
    return CareFileFigures(**{name: sections.count(int(value or 0)) for name, value in figures.items()})


def _last_12_months(today: date) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def _seizures(
    session: AsyncSession, principal: Principal, today: date, sections: stats.CountsOfPeople
) -> SeizureFigures:
    """Notices the principal reaches through the seizure module's scope, received in the last 12 months
    (Beijing time). Substances are the sensitive class: only for those who see them on a notice, and a sealed
    record's substances only for whom may reveal sealed facts."""
    months = _last_12_months(today)
    reporting, receiving = aliased(Unit), aliased(Unit)
    rows = (
        await session.execute(
            sa.select(col(SeizureNotice.received_at), col(SeizureNotice.substances), col(Minor.is_sealed))
            .join(reporting, col(reporting.id) == col(SeizureNotice.reporting_unit_id))
            .join(receiving, col(receiving.id) == col(SeizureNotice.receiving_unit_id))
            .join(Minor, col(Minor.id) == col(SeizureNotice.minor_id))
            .where(
                within_seizure_scope(principal, reporting.path, receiving.path),
                col(SeizureNotice.received_at) >= local_midnight_utc(months[0]),
            )
        )
    ).all()
    sees_substances = notice_shape_for(principal, sealed=False).of("substances") is Visibility.full
    reveals_sealed = can_reveal_sealed(principal)
    codes = [month.strftime("%Y-%m") for month in months]
    by_month: dict[str, int] = dict.fromkeys(codes, 0)
    by_substance: dict[tuple[str, str], int] = defaultdict(int)
    for received_at, substances, sealed in rows:
        code = received_at.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m")
        if code not in by_month:
            continue
        by_month[code] += 1
        if sees_substances and (reveals_sealed or not sealed):
            for substance in dict.fromkeys(substances or ()):
                by_substance[(code, substance)] += 1
    return SeizureFigures(
        by_month=[MonthCount(month=code, count=sections.count(by_month[code])) for code in codes],
        last_12_months=[
            SeizureMonth(month=code, substance=substance, count=sections.count(count))
            for (code, substance), count in sorted(by_substance.items())
        ],
    )


async def _transfers(
    session: AsyncSession, principal: Principal, sections: stats.CountsOfPeople
) -> TransferFigures:
    """Transfers under way in the inbox (received by the subtree) and the outbox (sent from it), as the
    transfers module's boxes have them."""
    from_unit, to_unit = aliased(Unit), aliased(Unit)
    pending = col(Transfer.status).in_(PENDING_STATUSES)

    def counting(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    incoming, outgoing = (
        await session.execute(
            sa.select(
                counting(within_scope(principal, to_unit.path)),
                counting(within_scope(principal, from_unit.path)),
            )
            .select_from(Transfer)
            .join(from_unit, col(from_unit.id) == col(Transfer.from_unit_id))
            .outerjoin(to_unit, col(to_unit.id) == col(Transfer.to_unit_id))
            .where(
                pending,
                sa.or_(within_scope(principal, from_unit.path), within_scope(principal, to_unit.path)),
            )
        )
    ).one()
    return TransferFigures(
        pending_incoming=sections.count(int(incoming or 0)),
        pending_outgoing=sections.count(int(outgoing or 0)),
    )


async def _campaigns(session: AsyncSession, principal: Principal) -> CampaignFigures:
    """Published campaigns the scope issued or was sent; completion as the campaign's progress table has it:
    approved reports ÷ all reports, over the reports the principal may read."""
    reports = campaigns.published_reports(principal).subquery()
    total, approved = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(
                    sa.func.sum(sa.case((reports.c.status == TaskReportStatus.approved.value, 1), else_=0)), 0
                ),
            ).select_from(reports)
        )
    ).one()
    open_campaigns = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Campaign)
        .join(campaigns.IssuerUnit, col(campaigns.IssuerUnit.id) == col(Campaign.issuing_unit_id))
        .where(col(Campaign.status) == "published", campaigns.campaign_scope(principal))
    )
    return CampaignFigures(
        campaigns_open=open_campaigns or 0,
        tasks_total=total or 0,
        tasks_approved=int(approved or 0),
        completion_rate=stats.rate(int(approved or 0), total or 0),
    )
