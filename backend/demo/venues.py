"""Demo venues with their checks, and pharmacy checks (seed 000's screening forms 二 and 三), made through the
venues service as 锦湖街道's social worker and 锦湖派出所's officer would record them."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import local_today
from backend.demo.principals import user_principal
from backend.units.models import Unit
from backend.venues import service as venues
from backend.venues.models import BuyerAgeBand, Venue, VenueKind
from backend.venues.schemas import PharmacyCheckIn, VenueCheckIn, VenueCreate

# (name, kind, address, near school, checks as (days ago, findings, hazard, measures, follow-up in days))
DEMO_VENUES = (
    (
        "锦湖街道星光KTV",
        VenueKind.ktv,
        "锦湖街道锦园路18号",
        None,
        (
            (40, "包厢内发现疑似笑气气罐2个，未发现未成年人", True, "责令整改，通报市监部门", 14),
            (12, "复查：已清理，张贴禁毒宣传海报", False, "督促落实每日巡查", 60),
        ),
    ),
    (
        "极速网吧（锦湖店）",
        VenueKind.internet_cafe,
        "锦湖街道滨江路66号",
        None,
        ((20, "发现2名未成年人上网，未登记身份证", True, "责令整改，告知监护人", -3),),
    ),
    (
        "锦湖中学门口小卖部",
        VenueKind.small_shop,
        "锦湖街道学府路2号",
        "瑞安市锦湖中学",
        ((8, "未发现售卖电子烟、笑气等物品", False, "发放禁毒宣传资料", 30),),
    ),
    ("蓝调酒吧", VenueKind.bar, "锦湖街道江滨中路120号", None, ()),
)

# (pharmacy, licence, days ago, buyer's age band, packs, prescription seen, notes)
DEMO_PHARMACY_CHECKS = (
    (
        "瑞安市康宁大药房锦湖店",
        "浙CB5770123",
        15,
        BuyerAgeBand.age_16_17,
        2,
        False,
        "未查验处方即出售，已约谈店长",
    ),
    ("瑞安市康宁大药房锦湖店", "浙CB5770123", 3, BuyerAgeBand.adult, 1, True, None),
    ("瑞安市仁和药店", "浙CB5770456", 9, BuyerAgeBand.under_14, 1, False, "已通报市场监管部门"),
    ("瑞安市仁和药店", "浙CB5770456", 2, BuyerAgeBand.adult, 1, True, None),
)


async def seed_demo_venues(session: AsyncSession) -> int:
    """The demo venues, their checks and the pharmacy checks, once (nothing when venues exist). Returns the
    number of venues added."""
    if await session.scalar(sa.select(sa.func.count()).select_from(Venue)):
        return 0
    worker = await user_principal(session, "jinhu_worker")
    if worker is None:
        return 0
    schools = {unit.name: unit.id for unit in await session.scalars(sa.select(Unit))}
    today = local_today()
    for name, kind, address, school, checks in DEMO_VENUES:
        venue = await venues.create_venue(
            session,
            principal=worker,
            venue_in=VenueCreate(
                name=name,
                kind=kind,
                address=address,
                near_school=school is not None,
                school_id=schools.get(school) if school else None,
            ),
        )
        for days_ago, findings, hazard, measures, follow_up in checks:
            checked_on = today - timedelta(days=days_ago)
            await venues.record_venue_check(
                session,
                principal=worker,
                venue_id=venue.id,
                check_in=VenueCheckIn(
                    checked_on=checked_on,
                    findings=findings,
                    hazard_found=hazard,
                    measures=measures,
                    follow_up_on=checked_on + timedelta(days=days_ago + follow_up),
                ),
            )
    for pharmacy, licence, days_ago, band, packs, seen, notes in DEMO_PHARMACY_CHECKS:
        await venues.record_pharmacy_check(
            session,
            principal=worker,
            check_in=PharmacyCheckIn(
                pharmacy_name=pharmacy,
                licence_number=licence,
                checked_on=today - timedelta(days=days_ago),
                buyer_age_band=band,
                quantity=packs,
                prescription_seen=seen,
                notes=notes,
            ),
        )
    return len(DEMO_VENUES)
