"""The demo county's yearly assessment: the county office assesses its townships and schools over the current
year, from the school campaign's tasks, two rates, work records and a score by hand, with its veto items; the run
is computed, scored by hand and finalised, so the scheme and run pages are not empty on ``make run``."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assessments.models import AssessmentFigure, AssessmentScheme
from backend.assessments.schemas import SchemeIn, ScoreIn
from backend.assessments.service import runs, schemes
from backend.campaigns.models import Campaign
from backend.db import local_today
from backend.demo.campaigns import SCHOOL_CAMPAIGN
from backend.demo.principals import user_principal
from backend.workflows import assessment_runs

SCHEME_NAME = "禁毒预防工作考核"

# A score by hand for the 组织领导 indicator, by unit name; anyone else scores 7.
LEADERSHIP = {"锦湖街道": 10.0, "安阳街道": 8.0, "玉海街道": 6.0, "马屿镇": 4.0}


def _scheme(campaign_id: object | None, year: int) -> dict[str, object]:
    indicators: list[dict[str, object]] = [
        {
            "code": "care_rate",
            "name": "落实帮教率",
            "max_score": 25,
            "rate": {"rate": "care_rate", "mapping": "linear", "floor": 0.6, "target": 0.95},
        },
        {
            "code": "lost_contact",
            "name": "脱失人数",
            "max_score": 15,
            "rate": {
                "rate": "lost_contact_count",
                "mapping": "thresholds",
                "better": "lower",
                "thresholds": [{"bound": 0, "score": 15}, {"bound": 2, "score": 8}],
            },
        },
        {
            "code": "activities",
            "name": "宣传教育活动",
            "max_score": 15,
            "work_records": {"kind": "activities", "target": 4},
        },
        {
            "code": "letters",
            "name": "签订禁毒责任书",
            "max_score": 10,
            "work_records": {"kind": "letters", "target": 1},
        },
        {"code": "leadership", "name": "组织领导", "max_score": 10, "manual": {"guidance": "查党委会议记录"}},
    ]
    if campaign_id is not None:
        indicators.insert(
            0,
            {
                "code": "school_tasks",
                "name": "毒品预防教育专项行动任务",
                "max_score": 25,
                "campaign": {"campaign_id": str(campaign_id), "mode": "weighted"},
            },
        )
    return {
        "name": f"瑞安市{year}年度{SCHEME_NAME}",
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "unit_kinds": ["township", "school"],
        "pass_rate_target": 0.85,
        "indicators": indicators,
        "vetoes": [
            {
                "code": "lost_over_90",
                "name": "重点未成年人脱失超过90天",
                "kind": "lost_contact_over_days",
                "days": 90,
            },
            {
                "code": "notice_over_7",
                "name": "查获通知超过7天未签收",
                "kind": "notice_unacknowledged_over_days",
                "days": 7,
            },
            {"code": "major_case", "name": "辖区发生重大涉毒案事件", "kind": "manual"},
        ],
        "call_in": {"bottom_n": 2, "below_score": 60},
    }


async def seed_demo_assessment(session: AsyncSession) -> int:
    """The scheme and its finalised run, where missing; returns how many schemes were added."""
    lead = await user_principal(session, "county_lead")
    if lead is None:
        return 0
    if await session.scalar(
        sa.select(AssessmentScheme.id).where(AssessmentScheme.name.contains(SCHEME_NAME))
    ):
        return 0
    campaign_id = await session.scalar(sa.select(Campaign.id).where(Campaign.title == SCHOOL_CAMPAIGN))
    scheme_in = SchemeIn.model_validate(_scheme(campaign_id, local_today().year))
    loaded = await schemes.create_scheme(session, principal=lead, scheme_in=scheme_in)
    run = await assessment_runs.run_scheme(session, principal=lead, scheme_id=loaded.scheme.id, cut_off=None)
    loaded_run = await runs.get_run(session, principal=lead, run_id=run.id)
    unit_ids = await session.scalars(
        sa.select(AssessmentFigure.unit_id).where(
            AssessmentFigure.run_id == run.id, AssessmentFigure.indicator == "leadership"
        )
    )
    names = {result.unit.id: result.unit.name for result in run.results}
    for unit_id in list(unit_ids):
        await runs.set_score(
            session,
            principal=lead,
            loaded=loaded_run,
            unit_id=unit_id,
            code="leadership",
            score_in=ScoreIn(
                score=LEADERSHIP.get(names.get(unit_id, ""), 7.0), reason="查阅党委会议记录和工作台账"
            ),
        )
    await runs.finalise(session, principal=lead, loaded=loaded_run)
    return 1
