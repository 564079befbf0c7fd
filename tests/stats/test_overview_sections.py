"""The overview's sections beyond the registry — care files, seizure notices, transfers, campaigns — on fixed
data: a lead sees full counts, a caseworker their township, an auditor small counts suppressed and no seizures;
nothing outside the scope counts."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend.campaigns.models import Campaign, CampaignTarget, CampaignTask, TaskReport
from backend.care_files.models import CareFile
from backend.db import LOCAL_TIMEZONE, local_today
from backend.seizures.models import SeizureNotice
from backend.transfers.models import Transfer

OVERVIEW = "/api/v1/stats/overview"
HIDDEN = {"value": None, "suppressed": True}


def _months_ago(months: int) -> tuple[datetime, str]:
    """Noon (Beijing) on the 10th of the month ``months`` back, in UTC, and that month's code."""
    today = local_today()
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    local = datetime(year, month, 10, 12, tzinfo=LOCAL_TIMEZONE)
    return local.astimezone(UTC), f"{year:04d}-{month:02d}"


@pytest.fixture
async def casework(app, county, pupils):
    units = county["units"]
    jinhu, anyang, office = units["锦湖街道"], units["安阳街道"], units["瑞安市禁毒委员会办公室"]
    station = units["锦湖派出所"]
    minors = [uuid.UUID(minor_id) for _, minor_id in pupils]
    today = local_today()
    now = datetime.now(UTC)
    months = {}
    async with app.state.sessionmaker() as session, session.begin():
        # pupils[6] already has an open file (registered with a drug-use category), on time.
        files = [
            # (minor, unit, status, next due, lost on, failed attempts)
            (0, jinhu, "open", today + timedelta(days=10), today + timedelta(days=20), 0),  # on time
            (1, jinhu, "open", today - timedelta(days=3), today + timedelta(days=5), 0),  # overdue
            (2, jinhu, "closure_requested", today - timedelta(days=30), today - timedelta(days=2), 0),  # lost
            (3, jinhu, "open", today + timedelta(days=3), today + timedelta(days=20), 2),  # lost: 2 failures
            (4, jinhu, "closed", today - timedelta(days=30), today - timedelta(days=2), 0),  # closed: none
            (5, anyang, "open", today - timedelta(days=3), today - timedelta(days=1), 0),  # other township
        ]
        for index, unit, status, next_due, lost_on, failed in files:
            session.add(
                CareFile(
                    minor_id=minors[index],
                    managing_unit_id=unit.id,
                    status=status,
                    trigger="manual",
                    interval_days=14,
                    next_due_on=next_due,
                    lost_contact_on=lost_on,
                    failed_attempts=failed,
                )
            )
        notices = [
            # (months back, receiving unit, substances)
            (0, jinhu, ["etomidate"]),
            (0, jinhu, ["etomidate", "cannabis"]),
            (2, jinhu, ["ketamine"]),
            (2, anyang, ["ketamine"]),  # another township's
            (13, jinhu, ["ketamine"]),  # older than 12 months
        ]
        for number, (back, unit, substances) in enumerate(notices):
            received_at, months[back] = _months_ago(back)
            session.add(
                SeizureNotice(
                    notice_no=f"T-{number}",
                    reporting_unit_id=station.id,
                    reported_by_kind="client",
                    reported_by_id=uuid.uuid4(),
                    request_hash=f"{number:064d}",
                    received_at=received_at,
                    seized_at=received_at - timedelta(hours=3),
                    place="某KTV",
                    substances=substances,
                    test_result="positive",
                    measures=["admonition"],
                    minor_id=minors[6],
                    minor_created=False,
                    routing_status="routed",
                    routing_reason="residence",
                    receiving_unit_id=unit.id,
                    ack_deadline_at=received_at + timedelta(hours=24),
                    acknowledged_at=received_at + timedelta(hours=1),
                    followup_status="care_file_open",
                )
            )
        transfers = [
            (0, jinhu, anyang, "requested"),  # out of Jinhu, into Anyang
            (1, jinhu, None, "awaiting_outside_receipt"),  # out of the county
            (2, anyang, jinhu, "requested"),  # into Jinhu
            (3, jinhu, anyang, "accepted"),  # answered: not pending
        ]
        for index, source, target, status in transfers:
            session.add(
                Transfer(
                    minor_id=minors[index],
                    from_unit_id=source.id,
                    to_unit_id=target.id if target else None,
                    outside_division_code=None if target else "330302",
                    reason_code="moved",
                    reason="迁居",
                    status=status,
                    requested_by_name="测试",
                )
            )
        campaign = Campaign(
            issuing_unit_id=office.id, title="夏季攻势", status="published", published_at=now, target_kinds=[]
        )
        draft = Campaign(issuing_unit_id=office.id, title="草稿", status="draft", target_kinds=[])
        session.add_all([campaign, draft])
        await session.flush()
        tasks = [
            CampaignTask(campaign_id=campaign.id, position=i, title=f"任务{i}", measure="done")
            for i in (1, 2)
        ]
        session.add_all(tasks)
        await session.flush()
        for unit, statuses in ((jinhu, ("approved", "submitted")), (anyang, ("approved", "approved"))):
            session.add(CampaignTarget(campaign_id=campaign.id, unit_id=unit.id))
            for task, status in zip(tasks, statuses, strict=True):
                session.add(
                    TaskReport(campaign_id=campaign.id, task_id=task.id, unit_id=unit.id, status=status)
                )
    return months


async def _overview(client, login, username, **params):
    response = await client.get(OVERVIEW, params=params, headers=await login(username))
    assert response.status_code == 200, response.text
    return response.json()


def _month(figures, month):
    return next(entry["count"] for entry in figures["by_month"] if entry["month"] == month)


async def test_a_lead_sees_every_section_of_their_township_in_full(client, login, casework):
    overview = await _overview(client, login, "jinhu_lead")
    assert overview["care_files"] == {
        "open": {"value": 5},  # four opened here and pupils[6]'s own; the closed one and Anyang's are not
        "overdue": {"value": 2},  # next contact past: one overdue, one lost
        "lost_contact": {"value": 2},  # lost by date, lost by two failed attempts
    }
    seizures = overview["seizures"]
    assert len(seizures["by_month"]) == 12
    assert seizures["by_month"][-1]["month"] == casework[0]
    assert _month(seizures, casework[0]) == {"value": 2}
    assert _month(seizures, casework[2]) == {"value": 1}  # Anyang's notice is not routed here
    assert casework[13] not in {entry["month"] for entry in seizures["by_month"]}
    assert {(row["month"], row["substance"]): row["count"] for row in seizures["last_12_months"]} == {
        (casework[0], "cannabis"): {"value": 1},
        (casework[0], "etomidate"): {"value": 2},
        (casework[2], "ketamine"): {"value": 1},
    }
    assert overview["transfers"] == {"pending_incoming": {"value": 1}, "pending_outgoing": {"value": 2}}
    assert overview["campaigns"] == {
        "campaigns_open": 1,
        "tasks_total": 2,
        "tasks_approved": 1,
        "completion_rate": 0.5,
    }


async def test_the_county_lead_sees_the_whole_county(client, login, county, casework):
    overview = await _overview(client, login, "county_lead")
    assert overview["care_files"]["open"] == {"value": 6}
    assert overview["care_files"]["overdue"] == {"value": 3}
    assert _month(overview["seizures"], casework[2]) == {"value": 2}
    # Jinhu → Anyang counts on both sides; Anyang → Jinhu too; out of the county only outgoing.
    assert overview["transfers"] == {"pending_incoming": {"value": 2}, "pending_outgoing": {"value": 3}}
    assert overview["campaigns"]["tasks_total"] == 4
    assert overview["campaigns"]["completion_rate"] == 0.75
    narrowed = await _overview(client, login, "county_lead", unit_id=str(county["units"]["锦湖街道"].id))
    assert narrowed["transfers"] == {"pending_incoming": {"value": 1}, "pending_outgoing": {"value": 2}}


async def test_a_caseworker_sees_their_township_and_not_the_other(client, login, casework):
    jinhu = await _overview(client, login, "jinhu_worker")
    assert jinhu["care_files"]["lost_contact"] == {"value": 2}
    assert jinhu["seizures"]["last_12_months"]  # social workers see the substances
    anyang = await _overview(client, login, "other_worker")
    assert anyang["care_files"] == {
        "open": {"value": 1},
        "overdue": {"value": 1},
        "lost_contact": {"value": 1},
    }
    assert _month(anyang["seizures"], casework[0]) == {"value": 0}
    assert {(row["month"], row["substance"]) for row in anyang["seizures"]["last_12_months"]} == {
        (casework[2], "ketamine")
    }
    assert anyang["transfers"] == {"pending_incoming": {"value": 1}, "pending_outgoing": {"value": 1}}
    assert anyang["campaigns"]["completion_rate"] == 1.0


async def test_an_auditor_gets_small_counts_suppressed_and_no_seizures(client, login, casework):
    overview = await _overview(client, login, "auditor")
    assert overview["suppressed"] is True
    assert overview["care_files"] == {"open": {"value": 6}, "overdue": HIDDEN, "lost_contact": HIDDEN}
    assert overview["seizures"] is None  # auditors reach no notice and never see drug-use facts
    assert overview["transfers"] == {"pending_incoming": HIDDEN, "pending_outgoing": HIDDEN}
    assert overview["campaigns"]["completion_rate"] == 0.75  # counts of tasks, not of people


async def test_a_sealed_record_keeps_its_substances_out_of_the_breakdown(
    app, client, login, pupils, casework
):
    import sqlalchemy as sa

    from backend.minors.models import Minor

    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            sa.update(Minor).where(Minor.id == uuid.UUID(pupils[6][1])).values(is_sealed=True)
        )
    lead = await _overview(client, login, "jinhu_lead")
    assert _month(lead["seizures"], casework[0]) == {"value": 2}  # the notices still count
    assert lead["seizures"]["last_12_months"] == []
    # A county-level lead may reveal sealed facts, so sees the breakdown.
    county_lead = await _overview(client, login, "county_lead")
    assert (
        len(county_lead["seizures"]["last_12_months"]) == 3
    )  # September: both townships' ketamine in one row
