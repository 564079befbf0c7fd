"""``GET /stats/rates``: the rates of ``stats.rates`` for the caller's unit and each unit below it down to the
townships, small cells suppressed by the one rule (``stats.suppression``).

Cells. For each unit and rate: the numerator, the denominator, and their difference (the complement: minors
not cared for, files without a lead worker …) — three counts of people, tied by ``denominator = numerator +
complement``. The three file-snapshot rates share one denominator cell (the open files), so it is hidden for
all three or for none. Across units, each listed unit's cell is the sum of its listed children's and of the
rest of its subtree (the files it manages itself, its communities below the township level): that remainder is
never published, but suppression treats it as known, which can only hide more. The complement is never
published either; it is a cell so that a small one (2 minors not cared for out of 50) is hidden.
"""

import uuid
from collections.abc import Hashable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import NotFound
from backend.security.permissions import ensure, may_read_unit_rates
from backend.security.principals import Principal, in_subtree, statistics_root_path
from backend.stats.rates import RATE_CODES, Period, RateFigure, unit_rates
from backend.stats.schemas import RateCell, RatePeriod, RatesReport, UnitRates
from backend.stats.suppression import Additive, suppress
from backend.units.models import Unit, UnitKind, ids_on_path

# Units listed: the county level and the townships; a township's own communities when it is the one asked for.
LISTED_KINDS = (UnitKind.county_office.value, UnitKind.township.value)

# Rates whose denominator is the same count (open files at the period's end): one cell.
SHARED_DENOMINATOR = {
    "overdue_share": "open_files",
    "lost_contact_count": "open_files",
    "responsible_share": "open_files",
}


def _denominator_key(code: str) -> str:
    return SHARED_DENOMINATOR.get(code, f"{code}.denominator")


async def _listed_units(session: AsyncSession, principal: Principal, unit_id: uuid.UUID | None) -> list[Unit]:
    """The selected unit (the top of the caller's statistics scope, or ``unit_id`` inside it: else 404) and the
    units below it down to the townships, depth first and by name."""
    root = statistics_root_path(principal)
    condition = Unit.id == unit_id if unit_id else Unit.path == root
    selection = await session.scalar(sa.select(Unit).where(condition, in_subtree(Unit.path, root)))
    if selection is None:
        raise NotFound("No such unit.")
    if selection.kind in LISTED_KINDS and selection.kind != UnitKind.township.value:
        below = sa.and_(Unit.kind.in_(LISTED_KINDS), in_subtree(Unit.path, selection.path))
    else:  # a township (or a community): the communities directly below it
        below = sa.and_(Unit.kind == UnitKind.community.value, Unit.parent_id == selection.id)
    units = (await session.scalars(sa.select(Unit).where(below, Unit.id != selection.id))).all()
    order = {unit.id: unit.name for unit in [selection, *units]}
    return [selection, *sorted(units, key=lambda unit: [order.get(i, "") for i in ids_on_path(unit.path)])]


def _hidden_cells(
    units: list[Unit], figures: dict[uuid.UUID, dict[str, RateFigure]], threshold: int
) -> frozenset[Hashable]:
    values: dict[Hashable, int] = {}
    relations: list[Additive] = []
    for unit in units:
        for code in RATE_CODES:
            figure = figures[unit.id][code]
            numerator, denominator = (unit.id, code), (unit.id, _denominator_key(code))
            complement = (unit.id, f"{code}.complement")
            values[numerator] = figure.numerator
            values[denominator] = figure.denominator
            values[complement] = figure.denominator - figure.numerator
            relations.append(Additive(denominator, (numerator, complement)))
    listed = {unit.id for unit in units}
    for parent in units:
        children = [unit.id for unit in units if unit.parent_id == parent.id and unit.id in listed]
        if not children:
            continue
        keys = {key for code in RATE_CODES for key in (code, _denominator_key(code), f"{code}.complement")}
        for key in sorted(keys):
            rest = (parent.id, key, "rest")
            values[rest] = values[(parent.id, key)] - sum(values[(child, key)] for child in children)
            relations.append(Additive((parent.id, key), (*((child, key) for child in children), rest)))
    return suppress(values, relations, threshold=threshold)


def _cell(unit_id: uuid.UUID, code: str, figure: RateFigure, hidden: frozenset[Hashable]) -> RateCell:
    numerator_hidden = (unit_id, code) in hidden
    denominator_hidden = (unit_id, _denominator_key(code)) in hidden
    if not (numerator_hidden or denominator_hidden):
        return RateCell(numerator=figure.numerator, denominator=figure.denominator, value=figure.value)
    return RateCell(
        numerator=None if numerator_hidden else figure.numerator,
        denominator=None if denominator_hidden else figure.denominator,
        value=None,
        suppressed=True,
    )


async def rates_report(
    session: AsyncSession,
    *,
    principal: Principal,
    period: Period,
    unit_id: uuid.UUID | None,
    threshold: int,
    today: date,
) -> RatesReport:
    """The rates of the caller's statistics scope (or ``unit_id``'s subtree), suppressed."""
    ensure(may_read_unit_rates(principal), "Only leads, auditors and the education bureau read the rates.")
    units = await _listed_units(session, principal, unit_id)
    figures = await unit_rates(session, units=units, period=period)
    hidden = _hidden_cells(units, figures, threshold)
    return RatesReport(
        period=RatePeriod(start=period.start, end=period.end, as_of=period.as_of(today)),
        suppression_threshold=threshold,
        codes=list(RATE_CODES),
        units=[
            UnitRates(
                unit_id=unit.id,
                unit_name=unit.name,
                kind=unit.kind,
                parent_id=unit.parent_id,
                rates={code: _cell(unit.id, code, figures[unit.id][code], hidden) for code in RATE_CODES},
            )
            for unit in units
        ],
    )
