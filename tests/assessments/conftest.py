"""Hand-built data for assessment runs: campaigns, reports and work records written straight into the tables
(their own APIs are tested in their domains), and a scheme over the demo county's townships."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.campaigns.models import Campaign, CampaignTarget, CampaignTask, TaskReport
from backend.work_records.models import InspectionVisit, PublicityActivity, ResponsibilityLetter
from tests.care_files.conftest import open_file, user_id  # noqa: F401 - shared fixtures
from tests.minors.conftest import person, register, rng  # noqa: F401 - shared fixtures

SCHEMES = "/api/v1/assessment-schemes"
RUNS = "/api/v1/assessment-runs"
COUNTY = "瑞安市禁毒委员会办公室"
JINHU = "锦湖街道"
ANYANG = "安阳街道"
YUHAI = "玉海街道"
MAYU = "马屿镇"
CUT_OFF = "2026-11-30"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)


def scheme_body(county: dict[str, Any], indicators: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "2026年度禁毒预防工作考核",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "unit_root_id": str(county["units"][COUNTY].id),
        "unit_kinds": ["township"],
        "pass_rate_target": 0.85,
        "indicators": indicators,
        "vetoes": [],
        "call_in": {"bottom_n": 1},
    }
    body.update(overrides)
    return body


@pytest.fixture
def run_scheme(client, login) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await run_scheme(body)`` → the first run of a new scheme, computed as of ``CUT_OFF`` by the county."""

    async def make(body: dict[str, Any], cut_off: str = CUT_OFF) -> dict[str, Any]:
        lead = await login("county_lead")
        created = await client.post(SCHEMES, json=body, headers=lead)
        assert created.status_code == 201, created.text
        run = await client.post(
            f"{SCHEMES}/{created.json()['id']}/runs", json={"cut_off": cut_off}, headers=lead
        )
        assert run.status_code == 201, run.text
        return run.json()

    return make


def result_of(run: dict[str, Any], unit_name: str) -> dict[str, Any]:
    return next(result for result in run["results"] if result["unit"]["name"] == unit_name)


def score_of(run: dict[str, Any], unit_name: str, indicator: str) -> dict[str, Any]:
    return next(score for score in result_of(run, unit_name)["scores"] if score["indicator"] == indicator)


@pytest.fixture
def write_rows(app) -> Callable[..., Awaitable[None]]:
    async def write(*rows: Any) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            session.add_all(rows)
            await session.flush()

    return write


async def campaign_with_reports(write, county: dict[str, Any]) -> Campaign:
    """A county campaign of four tasks (weights 1, 1, 2 and none) sent to 锦湖 and 安阳.

    锦湖: tasks 1 and 3 approved before the cut-off, task 2 approved after it. 安阳: task 1 approved, task 2
    submitted only."""
    units = county["units"]
    campaign = Campaign(issuing_unit_id=units[COUNTY].id, title="禁毒示范创建专项行动", status="published")
    tasks = [
        CampaignTask(
            campaign_id=campaign.id, position=index, title=f"任务{index}", measure="done", weight=weight
        )
        for index, weight in ((1, 1.0), (2, 1.0), (3, 2.0), (4, None))
    ]
    jinhu, anyang = units[JINHU].id, units[ANYANG].id

    def report(task: CampaignTask, unit_id: Any, status: str, reviewed: str | None) -> TaskReport:
        return TaskReport(
            campaign_id=campaign.id,
            task_id=task.id,
            unit_id=unit_id,
            status=status,
            reviewed_at=at(reviewed) if reviewed else None,
        )

    await write(
        campaign,
        *tasks,
        CampaignTarget(campaign_id=campaign.id, unit_id=jinhu),
        CampaignTarget(campaign_id=campaign.id, unit_id=anyang),
    )
    await write(
        report(tasks[0], jinhu, "approved", "2026-10-01"),
        report(tasks[2], jinhu, "approved", "2026-11-30"),
        report(tasks[1], jinhu, "approved", "2026-12-01"),
        report(tasks[0], anyang, "approved", "2026-06-01"),
        report(tasks[1], anyang, "submitted", None),
    )
    return campaign


async def work_records(write, county: dict[str, Any]) -> None:
    """锦湖: five activities in the period up to the cut-off (four of them by 锦园社区, below it), one in 2025 and
    one after the cut-off; two inspections made; one letter signed for 2026. 安阳: one activity."""
    units = county["units"]
    jinhu, jinyuan, anyang = units[JINHU].id, units["锦园社区"].id, units[ANYANG].id
    county_id = units[COUNTY].id

    def activity(unit_id: Any, day: str) -> PublicityActivity:
        return PublicityActivity(
            unit_id=unit_id,
            kind="lecture",
            held_on=date.fromisoformat(day),
            place="会议室",
            recorded_by_unit_id=unit_id,
        )

    await write(
        activity(jinhu, "2026-03-01"),
        *(activity(jinyuan, day) for day in ("2026-04-01", "2026-05-01", "2026-06-26", "2026-11-30")),
        activity(jinhu, "2025-12-31"),
        activity(jinhu, "2026-12-01"),
        activity(anyang, "2026-06-26"),
        *(
            InspectionVisit(
                kind="supervision",
                inspecting_unit_id=jinhu,
                inspected_unit_id=jinyuan,
                visited_on=date.fromisoformat(day),
                recorded_by_unit_id=jinhu,
            )
            for day in ("2026-05-10", "2026-09-10")
        ),
        ResponsibilityLetter(
            year=2026, issuer_unit_id=county_id, signer_unit_id=jinhu, recorded_by_unit_id=county_id
        ),
        ResponsibilityLetter(
            year=2025, issuer_unit_id=county_id, signer_unit_id=anyang, recorded_by_unit_id=county_id
        ),
    )
