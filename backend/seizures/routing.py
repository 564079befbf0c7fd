"""Routing a seizure notice to the station that takes the case (docs/seizure-notices.md, seed 001 §四(三)).

The station is the township/street unit covering the minor's actual residence, else their household
registration; a place outside the county is routed out with the place named; with no place known, the county
office receives the notice. "Covering" is the longest division code that matches, walking up the tree from a
community to its township.
"""

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.security.principals import in_subtree
from backend.seizures.models import RoutingReason, RoutingStatus
from backend.units.models import Unit, UnitKind, root_path

# GB/T 2260 province-level codes: names a place outside the county when no address came with it.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip


@dataclass(frozen=True)
class RoutingDecision:
    status: RoutingStatus
    reason: RoutingReason
    receiving_unit_id: uuid.UUID
    outside_division_code: str | None = None
    outside_place_name: str | None = None


async def county_office_for(session: AsyncSession, unit_path: str) -> Unit:
    county = await session.scalar(sa.select(Unit).where(Unit.path == root_path(unit_path)))
    assert county is not None, "every unit lies under a county office"
    return county


def _prefixes(code: str) -> list[str]:
    """The code and the codes above it, most specific first: village, township, county (12-digit forms)."""
    return list(dict.fromkeys((code, code[:9] + "000", code[:6] + "000000")))


async def station_covering(
    session: AsyncSession, *, county: Unit, code: str
) -> tuple[uuid.UUID | None, bool]:
    """(the township covering ``code``, whether the code lies in the county at all)."""
    candidates = _prefixes(code)
    units = (
        await session.execute(
            sa.select(Unit.id, Unit.kind, Unit.parent_id, Unit.division_code).where(
                Unit.division_code.in_(candidates),
                Unit.kind.in_((UnitKind.township, UnitKind.community, UnitKind.county_office)),
                Unit.is_active.is_(True),
                in_subtree(Unit.path, county.path),
            )
        )
    ).all()
    if not units:
        return None, False
    best = min(units, key=lambda unit: candidates.index(unit.division_code))
    if best.kind == UnitKind.township:
        return best.id, True
    if best.kind == UnitKind.community:
        return best.parent_id, True
    return None, True  # the county itself: in the county, but no station's code matches


def _outside_name(code: str, address: str | None) -> str:
    return address or PROVINCES.get(code[:2], "") + f"（区划代码 {code}）"


async def route(
    session: AsyncSession,
    *,
    county: Unit,
    residence_code: str | None,
    residence_address: str | None,
    household_code: str | None,
    household_address: str | None,
) -> RoutingDecision:
    """Residence first (where the minor lives is where the care happens), then household registration."""
    places = (
        (residence_code, residence_address, RoutingReason.residence, RoutingReason.residence_outside),
        (household_code, household_address, RoutingReason.household, RoutingReason.household_outside),
    )
    lives_in_county = False
    for code, address, reason, outside_reason in places:
        if not code:
            continue
        station_id, in_county = await station_covering(session, county=county, code=code)
        if station_id is not None:
            return RoutingDecision(RoutingStatus.routed, reason, station_id)
        lives_in_county = lives_in_county or in_county
        # Someone living in the county is never routed out by where they are registered.
        if not in_county and not lives_in_county:
            return RoutingDecision(
                RoutingStatus.routed_out,
                outside_reason,
                county.id,
                outside_division_code=code,
                outside_place_name=_outside_name(code, address)[:200],
            )
    return RoutingDecision(RoutingStatus.unrouted, RoutingReason.no_place, county.id)
