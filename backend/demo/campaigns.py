"""Demo campaigns from the seeds: the 14-task checklist of seed 004 for the schools (issued by the education
bureau, some reports submitted, approved and returned) and the screening plan of seed 000 for 锦湖街道's
communities. Fixed dates and values, so every run gives the same data; a campaign already there is kept."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.campaigns.models import Campaign, CampaignTask, TaskReport
from backend.campaigns.schemas import CampaignCreate, Phase, Targets, TaskIn, TaskReportUpdate
from backend.campaigns.service import campaigns, reports
from backend.demo.principals import user_principal
from backend.security.principals import Principal
from backend.units.models import UnitKind

SCHOOL_CAMPAIGN = "瑞安市教育系统毒品预防教育专项行动"
SCREENING_CAMPAIGN = "锦湖街道青少年毒品预防教育工作方案"

# Seed 004 (附件 任务清单): (具体任务, 考核内容, 责任科室, measure, target)
SCHOOL_TASKS: tuple[tuple[str, str, str, str, float | None], ...] = (
    ("党委中心组开展禁毒专题学习", "会议记录", "办公室", "done", None),
    ("开展1次以上禁毒主题活动，对本单位干部职工进行1次禁毒知识培训；组织参观禁毒教育基地1次以上", "查培训记录、参观记录", "安全科", "count", 1),
    ("组织本系统干部职工参加全省禁毒知识竞赛", "查竞赛成绩", "安全科", "done", None),
    ("设立禁毒宣传橱窗；窗口单位LED电子屏、多媒体终端滚动播出禁毒宣传内容", "查宣传图片", "办公室", "done", None),
    ("在本单位网站、微信、微博、抖音公众号上发布禁毒宣传信息4条以上", "查媒体信息、宣传图片", "信息科", "count", 4),
    ("组织开展禁毒专题宣传或者联合其他成员单位下发加强禁毒宣传工作的通知", "查通知文件、相关资料台账", "安全科", "done", None),
    ("组织干部职工关注“中国禁毒”微信公众号、“中国禁毒在线”微博等", "查相关数据统计", "信息科", "done", None),
    ("在主流新闻网站发布禁毒新闻及消息5条以上", "查媒体信息、宣传图片", "信息科", "count", 5),
    ("全国青少年毒品预防教育数字平台学校注册率、学生注册率、学生完成率达100%", "查相关数据统计", "基教科 职成科 民办科", "rate", 100),
    ("组织开展青少年毒品预防“五个一”活动", "查通知文件、相关资料台账", "基教科 职成科 民办科", "done", None),
    ("积极组织中小学生参加全国及全省禁毒知识竞赛", "查通知文件、相关资料台账", "基教科", "done", None),
    ("设立校园禁毒宣传栏，组织开展禁毒师资培训", "查通知文件、相关资料台账", "基教科 职成科 民办科", "done", None),
    ("中小学校落实禁毒专题课程每学年不少于4课时", "查考试试卷、课程计划和教案", "基教科", "count", 4),
    ("开展禁毒示范学校和优秀教师评选", "查通知文件、相关资料台账", "安全科", "done", None),
)  # fmt: skip

# Seed 000 (锦湖街道工作方案, 二、工作任务).
SCREENING_TASKS: tuple[tuple[str, str, str, str, float | None], ...] = (
    ("排查摸底：对辖区内滥用新型成瘾物质人员及辍学、失学等青少年起底排查，做到底数清、情况明", "排查表（附件1）", "禁毒办", "done", None),
    ("关爱帮扶：对滥用新型成瘾物质的未成年人落实专人负责，逐一建立关爱帮教档案", "关爱帮教档案", "禁毒办", "rate", 100),
    ("宣传教育：利用报刊、广播、微信、抖音等宣传新型毒品及新型成瘾物质的危害", "宣传图片、媒体信息", "禁毒办", "done", None),
)  # fmt: skip


def _tasks(
    rows: tuple[tuple[str, str, str, str, float | None], ...], due: date | None = None
) -> list[TaskIn]:
    return [
        TaskIn.model_validate(
            {
                "title": title,
                "evidence_required": evidence,
                "responsible_department": department,
                "measure": measure,
                "target": target,
                "due_date": due,
            }
        )
        for title, evidence, department, measure, target in rows
    ]


async def _issue(
    session: AsyncSession, issuer: Principal, campaign_in: CampaignCreate
) -> tuple[Campaign, bool]:
    existing = await session.scalar(
        sa.select(Campaign).where(
            Campaign.title == campaign_in.title, Campaign.issuing_unit_id == issuer.unit_id
        )
    )
    if existing is not None:
        return existing, False
    campaign = await campaigns.create_campaign(session, principal=issuer, campaign_in=campaign_in)
    return await campaigns.publish(session, principal=issuer, campaign=campaign, if_match=None), True


async def _report(
    session: AsyncSession,
    *,
    campaign: Campaign,
    position: int,
    unit_id: Any,
    reporter: Principal,
    issuer: Principal,
    value: float,
    note: str,
    outcome: str,
) -> None:
    report_id = await session.scalar(
        sa.select(TaskReport.id)
        .join(CampaignTask, CampaignTask.id == TaskReport.task_id)
        .where(
            TaskReport.campaign_id == campaign.id,
            TaskReport.unit_id == unit_id,
            CampaignTask.position == position,
        )
    )
    loaded = await reports.get_report(session, principal=reporter, report_id=report_id)
    update = TaskReportUpdate(value=value, note=note)
    await reports.save_report(session, principal=reporter, loaded=loaded, report_in=update, if_match=None)
    if outcome == "saved":
        return
    await reports.submit_report(session, principal=reporter, loaded=loaded, if_match=None)
    if outcome in ("approved", "returned"):
        await reports.review_report(
            session,
            principal=issuer,
            loaded=loaded,
            approve=outcome == "approved",
            comment=None if outcome == "approved" else "发布数量不足4条，请补充后重新提交。",
            if_match=None,
        )


async def seed_demo_campaigns(session: AsyncSession) -> int:
    """Add the two demo campaigns where missing; returns how many were added."""
    education = await user_principal(session, "edu_officer")
    jinhu = await user_principal(session, "jinhu_lead")
    teacher = await user_principal(session, "school_teacher")
    if education is None or jinhu is None or teacher is None:
        return 0
    added = 0
    school_campaign, created = await _issue(
        session,
        education,
        CampaignCreate(
            title=SCHOOL_CAMPAIGN,
            document_number="瑞教办〔2026〕33号",
            issue_date=date(2026, 10, 22),
            description=(
                "为切实开展好全市教育系统毒品预防教育专项行动，提高广大教职员工和学生的禁毒意识，普及禁毒知识，"
                "制定本方案。请各学校将专项行动方案、总结汇报材料及活动佐证材料按时报送。"
            ),
            phases=[
                Phase(name="动员部署", start=date(2026, 9, 1), end=date(2026, 10, 31)),
                Phase(name="组织实施", start=date(2026, 10, 1), end=date(2026, 11, 30)),
                Phase(name="总结评价", start=date(2026, 11, 15), end=date(2026, 11, 30)),
            ],
            report_deadline=date(2026, 11, 25),
            targets=Targets(kinds=[UnitKind.school]),
            tasks=_tasks(SCHOOL_TASKS),
        ),
    )
    if created:
        added += 1
        progress = (
            (1, 1, "已组织专题学习，见会议记录。", "approved"),
            (2, 2, "开展主题活动1次、知识培训1次。", "approved"),
            (3, 1, "全校教职工参赛。", "approved"),
            (4, 1, "宣传橱窗已设立。", "submitted"),
            (5, 2, "公众号发布2条。", "returned"),
            (13, 2, "本学年已上2课时。", "saved"),
        )
        for position, value, note, outcome in progress:
            await _report(
                session,
                campaign=school_campaign,
                position=position,
                unit_id=teacher.unit_id,
                reporter=teacher,
                issuer=education,
                value=value,
                note=note,
                outcome=outcome,
            )
    _, created = await _issue(
        session,
        jinhu,
        CampaignCreate(
            title=SCREENING_CAMPAIGN,
            issue_date=date(2026, 4, 26),
            description=(
                "以“防风险、守底线”为首要任务，对青少年滥用新型成瘾物质问题实施全面排查攻坚治理，"
                "最大限度消除涉毒风险隐患。各社区、经合社按附件2报送工作进展情况。"
            ),
            phases=[
                Phase(name="排查摸底", start=date(2026, 5, 1), end=date(2026, 6, 30)),
                Phase(name="关爱帮扶", start=date(2026, 5, 1), end=date(2026, 12, 31)),
            ],
            report_deadline=date(2026, 12, 15),
            targets=Targets(kinds=[UnitKind.community]),
            tasks=_tasks(SCREENING_TASKS),
        ),
    )
    return added + int(created)
