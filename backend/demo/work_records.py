"""Demo work records: publicity activities of 锦湖街道, 安阳街道 and a school, the county office's inspections (one
rectification overdue, one done) and its responsibility letters with the townships, 锦湖's with its communities.
Dates count back from today so the overdue one stays overdue; nothing is added when activities exist already."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import local_today
from backend.demo.principals import user_principal
from backend.units.models import Unit
from backend.work_records import service
from backend.work_records.models import InspectionKind, PublicityActivity, PublicityKind
from backend.work_records.schemas import (
    InspectionVisitCreate,
    PublicityActivityCreate,
    ResponsibilityLetterCreate,
)

# (who records, the holding unit or None for the recorder's own, kind, days ago, place, participants, materials)
ACTIVITIES = (
    ("jinhu_worker", "滨江社区", PublicityKind.six_entries, 75, "滨江社区文化礼堂", 120, 300),
    ("jinhu_worker", None, PublicityKind.june_26, 45, "锦湖街道人民广场", 560, 1200),
    ("jinhu_lead", None, PublicityKind.publicity_vehicle, 20, "锦湖街道各村居", 0, 800),
    ("school_teacher", None, PublicityKind.lecture, 12, "瑞安市锦湖中学报告厅", 650, 650),
    ("other_worker", None, PublicityKind.six_entries, 30, "万松社区党群服务中心", 80, 200),
)  # fmt: skip

# (inspected unit, kind, days ago, findings, rectification, due in days after the visit, rectified days after)
VISITS = (
    ("锦湖街道", InspectionKind.unannounced, 40, "部分帮教档案回访记录未及时更新", "两周内补齐回访记录并报县禁毒办", 14, None),
    ("安阳街道", InspectionKind.supervision, 25, "宣传阵地建设不到位", "完善社区禁毒宣传栏", 30, 10),
    ("马屿镇", InspectionKind.supervision, 8, "工作台账齐全，未发现问题", None, None, None),
)  # fmt: skip


async def seed_demo_work_records(session: AsyncSession) -> int:
    """Add the demo's work records; returns how many were added (0 when there are some already)."""
    if await session.scalar(sa.select(sa.func.count()).select_from(PublicityActivity)):
        return 0
    units = {unit.name: unit for unit in (await session.scalars(sa.select(Unit))).all()}
    today = local_today()
    added = 0
    for username, holder, kind, days, place, participants, materials in ACTIVITIES:
        principal = await user_principal(session, username)
        if principal is None:
            continue
        await service.create_activity(
            session,
            principal=principal,
            record_in=PublicityActivityCreate(
                unit_id=units[holder].id if holder else None,
                kind=kind,
                held_on=today - timedelta(days=days),
                place=place,
                participants=participants,
                materials=materials,
                description="发放宣传折页，现场讲解新型毒品及新型成瘾物质的危害",
            ),
        )
        added += 1
    county = await user_principal(session, "county_lead")
    jinhu = await user_principal(session, "jinhu_lead")
    if county is None or jinhu is None:
        return added
    for unit_name, inspection_kind, days, findings, rectification, due_after, done_after in VISITS:
        visited_on = today - timedelta(days=days)
        await service.create_visit(
            session,
            principal=county,
            record_in=InspectionVisitCreate(
                kind=inspection_kind,
                inspected_unit_id=units[unit_name].id,
                visited_on=visited_on,
                findings=findings,
                rectification=rectification,
                rectify_by=visited_on + timedelta(days=due_after) if due_after is not None else None,
                rectified=done_after is not None,
                rectified_on=visited_on + timedelta(days=done_after) if done_after is not None else None,
            ),
        )
        added += 1
    signed_on = today.replace(month=1, day=1) + timedelta(days=45)
    signed_on = min(signed_on, today)
    letters = [(county, name) for name in ("锦湖街道", "安阳街道", "玉海街道", "马屿镇")]
    letters += [(jinhu, name) for name in ("滨江社区", "锦园社区", "虹桥社区")]
    for issuer, signer in letters:
        await service.create_letter(
            session,
            principal=issuer,
            record_in=ResponsibilityLetterCreate(
                year=today.year, signer_unit_id=units[signer].id, signed_on=signed_on
            ),
        )
        added += 1
    return added
