"""``GET /stats/rates`` (issue 18) on a small township built for the test: each rate's figure written out by hand,
the roll-up of a parent, suppression of small cells, scope and bad periods.

The test township 测试镇 (under the demo county) has two communities, A and B, and manages a file itself. The
period is 1 March – 30 April 2026 (61 days, ended: ``as_of`` is 30 April). Every file below exists twice (two
minors with the same history), so that with a threshold of 1 no count is small and every figure shows; the
default threshold then hides them.

| file | unit | opened → closed | interval | contacts (Beijing days) | plan's urine tests | next due / lost on | lead |
| --- | --- | --- | --- | --- | --- | --- | --- |
| f1 | A | 10 Jan → open | 30 | 5 Mar, 10 Apr | every 30 days; 20 Mar | 10 May / 10 Jun | yes |
| f2 | A | 10 Jan → open | 30 | 5 Mar; 10 Apr a note, 12 Apr a failed attempt | none | 4 Apr / 4 May | no |
| f3 | A | 15 Apr → open | 30 | — | every 7 days; 16 Apr +, 20 Apr refused, 22 Apr − | 15 May / 15 Jun | yes |
| f4 | B | 1 Dec 2025 → open | 20 | 2 Mar, 25 Mar, 28 Apr | none | 5 May / 5 Jun | yes |
| f5 | B | 1 Dec 2025 → open | 20 | 2 Mar, 25 Mar, 1 Apr 01:00 (31 Mar in UTC) | none | 1 Apr / 20 Apr | yes |
| f6 | B | 1 Nov 2025 → 5 Apr | 20 | 10 Mar | every 10 days; none | — | yes |
| f7 | 测试镇 | 1 Feb → open | 30 | — | none | 1 Mar / 31 Mar | no |
| f8 | A | 10 May → open (after the period) | 30 | — | — | — | — |
| f9 | B | 1 Nov 2025 → 1 Feb (before it) | 30 | — | — | — | — |

帮教率 and 尿检率 are counted over the whole Beijing calendar months of the days of the period each file is open
(docs/statistics.md; until issue 18's performance work they were counted over follow-up intervals from the
window's first day — the period then ended on 29 April, f5's third contact was on 10 April 01:00 and f6 closed on
25 March; those three were moved so that the month boundaries, and a file closed mid-period, are still tested):
f1, f2, f4, f5, f7 have two (March, April); f6 one (March, closed on 5 April); f3 none (open from 15 April).
"""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.care_files.models import CareEntry, CareFile
from backend.db import LOCAL_TIMEZONE, local_today
from backend.demo.people import synthetic_person
from backend.seizures.models import SeizureNotice
from backend.stats.rates import Period, unit_rates
from backend.units.models import Unit
from backend.users.models import User
from tests.conftest import assert_problem, client_for, password_token
from tests.stats.recoverability import leaks

RATES = "/api/v1/stats/rates"
PERIOD = {"period_from": "2026-03-01", "period_to": "2026-04-30"}
CODES = [
    "care_rate",
    "urine_test_rate",
    "overdue_share",
    "lost_contact_count",
    "notice_same_day_rate",
    "responsible_share",
]


def beijing(day: str, hour: int = 10, minute: int = 0) -> datetime:
    local = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=LOCAL_TIMEZONE)
    return local.astimezone(UTC)


@pytest.fixture
async def township(app, client, login, county):
    """测试镇 with its communities A and B, and the files, entries and notices of the module's table."""
    admin = await login("admin")
    office = county["units"]["瑞安市禁毒委员会办公室"]

    async def unit(name: str, kind: str, parent: str) -> str:
        response = await client.post(
            "/api/v1/units", json={"name": name, "kind": kind, "parent_id": parent}, headers=admin
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    town = await unit("测试镇", "township", str(office.id))
    units = {
        "town": town,
        "A": await unit("测试A社区", "community", town),
        "B": await unit("测试B社区", "community", town),
    }
    lead = await login("county_lead")
    rng = random.Random(18)

    async def minor(managing: str) -> uuid.UUID:
        person = synthetic_person(rng, today=local_today(), age=15)
        body = {
            "name": person.name,
            "id_number": person.id_number,
            "risk_categories": ["left_behind"],
            "risk_level": "low",
            "managing_unit_id": managing,
        }
        response = await client.post("/api/v1/minors", json=body, headers=lead)
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    # (name, unit, opened, closed, interval, urine interval, next due, lost on, lead, entries)
    # entries: (kind, Beijing day, hour, succeeded, urine result)
    files = [
        ("f1", "A", "2026-01-10", None, 30, 30, "2026-05-10", "2026-06-10", True,
         [("talk", "2026-03-05", 10, True, None), ("home_visit", "2026-04-10", 10, True, None),
          ("urine_test", "2026-03-20", 10, True, "negative")]),
        ("f2", "A", "2026-01-10", None, 30, None, "2026-04-04", "2026-05-04", False,
         [("talk", "2026-03-05", 10, True, None), ("note", "2026-04-10", 10, True, None),
          ("talk", "2026-04-12", 10, False, None)]),
        ("f3", "A", "2026-04-15", None, 30, 7, "2026-05-15", "2026-06-15", True,
         [("urine_test", "2026-04-16", 10, True, "positive"), ("urine_test", "2026-04-20", 10, True, "refused"),
          ("urine_test", "2026-04-22", 10, True, "negative")]),
        ("f4", "B", "2025-12-01", None, 20, None, "2026-05-05", "2026-06-05", True,
         [("talk", "2026-03-02", 10, True, None), ("talk", "2026-03-25", 10, True, None),
          ("family_contact", "2026-04-28", 23, True, None)]),
        ("f5", "B", "2025-12-01", None, 20, None, "2026-04-01", "2026-04-20", True,
         [("talk", "2026-03-02", 10, True, None), ("talk", "2026-03-25", 10, True, None),
          ("talk", "2026-04-01", 1, True, None)]),
        ("f6", "B", "2025-11-01", "2026-04-05", 20, 10, "2026-04-01", "2026-05-01", True,
         [("school_contact", "2026-03-10", 10, True, None)]),
        ("f7", "town", "2026-02-01", None, 30, None, "2026-03-01", "2026-03-31", False, []),
        ("f8", "A", "2026-05-10", None, 30, None, "2026-06-10", "2026-07-10", True, []),
        ("f9", "B", "2025-11-01", "2026-02-01", 30, None, "2026-02-01", "2026-03-01", True, []),
    ]  # fmt: skip
    async with app.state.sessionmaker() as session:
        lead_id = await session.scalar(sa.select(User.id).where(User.username == "jinhu_worker"))
    minors = {}
    for copy in (1, 2):
        for name, where, *_ in files:
            minors[(name, copy)] = await minor(units[where])
    async with app.state.sessionmaker() as session, session.begin():
        for copy in (1, 2):
            for name, where, opened, closed, interval, urine, due, lost, has_lead, entries in files:
                care_file = CareFile(
                    minor_id=minors[(name, copy)],
                    managing_unit_id=uuid.UUID(units[where]),
                    status="closed" if closed else "open",
                    trigger="manual",
                    opened_at=beijing(opened, 9),
                    closed_at=beijing(closed, 9) if closed else None,
                    interval_days=interval,
                    urine_test_interval_days=urine,
                    next_due_on=date.fromisoformat(due),
                    lost_contact_on=date.fromisoformat(lost),
                    lead_worker_id=lead_id if has_lead else None,
                )
                session.add(care_file)
                await session.flush()
                for kind, day, hour, succeeded, result in entries:
                    session.add(
                        CareEntry(
                            care_file_id=care_file.id,
                            kind=kind,
                            occurred_at=beijing(day, hour),
                            actor_name="测试",
                            summary="…",
                            contact_succeeded=succeeded,
                            urine_result=result,
                        )
                    )
            # Notices received by the township: same Beijing day; received 23:00, acknowledged 01:00 the next
            # Beijing day (the same day in UTC); not acknowledged; received before the period.
            notices = [
                (beijing("2026-03-10", 10), beijing("2026-03-10", 20)),
                (beijing("2026-03-10", 23), beijing("2026-03-11", 1)),
                (beijing("2026-04-01", 10), None),
                (beijing("2026-02-20", 10), beijing("2026-02-20", 11)),
            ]
            for number, (received, acknowledged) in enumerate(notices):
                session.add(
                    SeizureNotice(
                        notice_no=f"R-{copy}-{number}",
                        reporting_unit_id=county["units"]["锦湖派出所"].id,
                        reported_by_kind="client",
                        reported_by_id=uuid.uuid4(),
                        request_hash=f"{copy}{number:063d}",
                        received_at=received,
                        seized_at=received - timedelta(hours=3),
                        place="某KTV",
                        substances=["etomidate"],
                        test_result="positive",
                        measures=["admonition"],
                        minor_id=minors[("f1", copy)],
                        minor_created=False,
                        routing_status="routed",
                        routing_reason="residence",
                        receiving_unit_id=uuid.UUID(town),
                        ack_deadline_at=received + timedelta(hours=24),
                        acknowledged_at=acknowledged,
                        followup_status="care_file_open",
                    )
                )
    return units


def _figures(report: dict, unit_id: str) -> dict[str, tuple]:
    row = next(row for row in report["units"] if row["unit_id"] == unit_id)
    return {
        code: (cell["numerator"], cell["denominator"], cell["value"]) for code, cell in row["rates"].items()
    }


async def _report(make_app, threshold: int, username: str, **params):
    app = make_app(stats_suppression_threshold=threshold)
    async with client_for(app) as http:
        token = await password_token(http, username)
        return await http.get(
            RATES, params=params, headers={"Authorization": f"Bearer {token['access_token']}"}
        )


async def test_each_rate_of_a_township_and_its_communities(make_app, township):
    response = await _report(make_app, 1, "county_lead", unit_id=township["town"], **PERIOD)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["period"] == {"start": "2026-03-01", "end": "2026-04-30", "as_of": "2026-04-30"}
    assert report["suppression_threshold"] == 1
    assert [row["unit_name"] for row in report["units"]] == ["测试镇", "测试A社区", "测试B社区"]
    # Community A: f1 cared for, f2 missed April (a note and a failed attempt are no contact), f3 has no whole
    # month yet. Urine tests: f1 1 of 2 (61 days ÷ 30); f3 none asked, having no whole month (by follow-up
    # intervals it was 2 of 2: 6 of 8 for A). Open: f1-f3; overdue f2; none lost (one failed attempt is not
    # two); leads on f1, f3. Each file twice.
    assert _figures(report, township["A"]) == {
        "care_rate": (2, 4, 0.5),
        "urine_test_rate": (2, 4, 0.5),
        "overdue_share": (2, 6, 0.3333),
        "lost_contact_count": (0, 6, 0.0),
        "notice_same_day_rate": (0, 0, None),
        "responsible_share": (4, 6, 0.6667),
    }
    # Community B: f4, f5 (its 01:00 contact is 1 April in Beijing: April's) and f6 (closed on 5 April, March
    # only) cared for; f6's plan asked for 3 tests in March (31 days ÷ 10), none done (by intervals: 2 of the
    # 25 days, 0 of 4 for B). Open: f4, f5; f5 overdue and lost.
    assert _figures(report, township["B"]) == {
        "care_rate": (6, 6, 1.0),
        "urine_test_rate": (0, 6, 0.0),
        "overdue_share": (2, 4, 0.5),
        "lost_contact_count": (2, 4, 2.0),
        "notice_same_day_rate": (0, 0, None),
        "responsible_share": (4, 4, 1.0),
    }
    # The township: A + B + its own f7 (two months, no contact; overdue, lost, no lead). Notices: 3 in the
    # period, 1 acknowledged on its Beijing day; each twice. Urine tests 2 of 10 (by intervals: 6 of 12).
    assert _figures(report, township["town"]) == {
        "care_rate": (8, 12, 0.6667),
        "urine_test_rate": (2, 10, 0.2),
        "overdue_share": (6, 12, 0.5),
        "lost_contact_count": (4, 12, 4.0),
        "notice_same_day_rate": (2, 6, 0.3333),
        "responsible_share": (8, 12, 0.6667),
    }


async def test_a_parent_is_the_sum_of_its_children_and_what_it_manages_itself(make_app, township):
    report = (await _report(make_app, 1, "county_lead", **PERIOD)).json()
    county_row, *below = report["units"]
    assert county_row["kind"] == "county_office"
    assert {row["kind"] for row in below} == {"township"}
    names = [row["unit_name"] for row in below]
    assert "测试镇" in names
    assert "锦湖街道" in names
    # The county office manages no file itself here: its counts are its townships' sums.
    for code in CODES:
        for part in ("numerator", "denominator"):
            values = [row["rates"][code][part] for row in below]
            if None not in values and county_row["rates"][code][part] is not None:
                assert county_row["rates"][code][part] >= sum(values)
    town = _figures(report, township["town"])
    assert town["care_rate"] == (8, 12, 0.6667)


async def test_open_files_as_of_today_and_as_of_yesterday(app, client, login, county, make_app):
    """A period ending today counts today's open files (from the tallies the database keeps); one ending
    yesterday judges each file by its dates. Files dated ahead (opened, or closed, after today: the services
    never write them, a direct write might) are judged by their dates either way. 锦湖街道's files, each twice:

    | file | status | opened / closed | next due | lost on | failed attempts | lead |
    | --- | --- | --- | --- | --- | --- | --- |
    | g1 | open | 60 days ago | yesterday | in 30 days | 0 | yes |
    | g2 | open | 60 days ago | today | yesterday | 0 | no |
    | g3 | open | 60 days ago | 45 days ago | in 40 days | 2 | yes |
    | g4 | closure requested | 60 days ago | in 10 days | in 40 days | 0 | yes |
    | g5 | closed | 60 days ago / yesterday 10:00 | 3 days ago | in 40 days | 0 | yes |
    | g6 | open | tomorrow 09:00 | 3 days ago | in 40 days | 0 | yes |
    | g7 | closed | 60 days ago / tomorrow 10:00 | in 10 days | in 40 days | 0 | no |
    """
    jinhu = county["units"]["锦湖街道"].id
    today = local_today()
    day = {"today": today, "yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}
    lead = await login("county_lead")
    rng = random.Random(1818)
    async with app.state.sessionmaker() as session:
        lead_id = await session.scalar(sa.select(User.id).where(User.username == "jinhu_worker"))
    ago = (today - timedelta(days=60)).isoformat()
    files = [
        ("open", ago, None, -1, 30, 0, True),
        ("open", ago, None, 0, -1, 0, False),
        ("open", ago, None, -45, 40, 2, True),
        ("closure_requested", ago, None, 10, 40, 0, True),
        ("closed", ago, (day["yesterday"].isoformat(), 10), -3, 40, 0, True),
        ("open", (day["tomorrow"].isoformat(), 9), None, -3, 40, 0, True),
        ("closed", ago, (day["tomorrow"].isoformat(), 10), 10, 40, 0, False),
    ]
    minors = []
    for _ in range(2 * len(files)):
        person = synthetic_person(rng, today=today, age=15)
        body = {
            "name": person.name,
            "id_number": person.id_number,
            "risk_categories": ["left_behind"],
            "risk_level": "low",
            "managing_unit_id": str(jinhu),
        }
        response = await client.post("/api/v1/minors", json=body, headers=lead)
        assert response.status_code == 201, response.text
        minors.append(uuid.UUID(response.json()["id"]))
    async with app.state.sessionmaker() as session, session.begin():
        for copy in range(2):
            for number, (status, opened, closed, due, lost, failed, has_lead) in enumerate(files):
                opened_day, opened_hour = opened if isinstance(opened, tuple) else (opened, 9)
                session.add(
                    CareFile(
                        minor_id=minors[copy * len(files) + number],
                        managing_unit_id=jinhu,
                        status=status,
                        trigger="manual",
                        opened_at=beijing(opened_day, opened_hour),
                        closed_at=beijing(*closed) if closed else None,
                        interval_days=30,
                        next_due_on=today + timedelta(days=due),
                        lost_contact_on=today + timedelta(days=lost),
                        failed_attempts=failed,
                        lead_worker_id=lead_id if has_lead else None,
                    )
                )
    # Today: g1–g4 and g7 (closed only tomorrow) are open, g6 not yet. Overdue: g1 (due yesterday, counted by
    # day unless today is the 1st) and g3 (due in an earlier month, counted by month). Lost: g2, g3. Lead: g1,
    # g3, g4.
    period = {"period_from": (today - timedelta(days=30)).isoformat(), "unit_id": str(jinhu)}
    response = await _report(make_app, 1, "county_lead", period_to=today.isoformat(), **period)
    figures = _figures(response.json(), str(jinhu))
    assert figures["overdue_share"] == (4, 10, 0.4)
    assert figures["lost_contact_count"] == (4, 10, 4.0)
    assert figures["responsible_share"] == (6, 10, 0.6)
    # Yesterday: the same five open; overdue only g3 (g1 was due yesterday itself); lost only g3 (g2's day is
    # yesterday itself).
    response = await _report(make_app, 1, "county_lead", period_to=day["yesterday"].isoformat(), **period)
    figures = _figures(response.json(), str(jinhu))
    assert figures["overdue_share"] == (2, 10, 0.2)
    assert figures["lost_contact_count"] == (2, 10, 2.0)
    assert figures["responsible_share"] == (6, 10, 0.6)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-01", "2026-04-30"),  # the module's period: two whole months
        ("2026-01-01", None),  # this year to today (None): the open files from today's tallies
        ("2025-12-15", "2026-11-20"),  # 11 whole months, December 2025 not whole
        ("2026-04-10", "2026-05-09"),  # no whole month
        ("2025-06-01", None),  # more than 12 whole months: counted file by file either way
    ],
)
async def test_the_tallies_give_what_the_files_give(app, township, start, end):
    """Every figure and the ids behind it, read from the per-unit tallies and read the long way from the files
    (``read_files``), agree over the module's township (the figures themselves are written out above)."""
    async with app.state.sessionmaker() as session:
        units = (await session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)))).all()
        units += (
            await session.scalars(sa.select(Unit).where(Unit.id.in_(map(uuid.UUID, township.values()))))
        ).all()
        period = Period(date.fromisoformat(start), date.fromisoformat(end) if end else local_today())
        quick = await unit_rates(session, units=units, period=period, explain=True)
        slow = await unit_rates(session, units=units, period=period, explain=True, read_files=True)
    assert quick == slow
    town = quick[uuid.UUID(township["town"])]
    assert town["care_rate"].denominator > 0 or start == "2026-04-10"


def _attack(report: dict, threshold: int | None = None) -> list[str]:
    """What an attacker works out of the published rates (``recoverability.leaks``): each unit's numerator and
    denominator are published or not, and their difference (the complement: minors not cared for …) is known
    when both are; a listed unit is the sum of its listed children and of the rest of its subtree (the files
    it manages itself), known when the unit and all its children are published. A small count among them, or
    a hidden one that the relations pin down, is a leak."""

    def difference(total, parts):
        return None if total is None or None in parts else total - sum(parts)

    published: dict = {}
    relations = []
    rows = {row["unit_id"]: row for row in report["units"]}
    for unit_id, row in rows.items():
        for code in CODES:
            cell = row["rates"][code]
            published[(unit_id, code, "numerator")] = cell["numerator"]
            published[(unit_id, code, "denominator")] = cell["denominator"]
            published[(unit_id, code, "complement")] = difference(cell["denominator"], [cell["numerator"]])
            relations.append(
                (
                    (unit_id, code, "denominator"),
                    [(unit_id, code, "numerator"), (unit_id, code, "complement")],
                )
            )
    for parent_id in rows:
        children = [unit_id for unit_id, row in rows.items() if row["parent_id"] == parent_id]
        if not children:
            continue
        for code in CODES:
            for part in ("numerator", "denominator", "complement"):
                published[(parent_id, code, part, "rest")] = difference(
                    published[(parent_id, code, part)], [published[(child, code, part)] for child in children]
                )
                relations.append(
                    (
                        (parent_id, code, part),
                        [*((child, code, part) for child in children), (parent_id, code, part, "rest")],
                    )
                )
    return leaks(published, relations, threshold or report["suppression_threshold"])


async def test_small_cells_are_hidden_and_cannot_be_worked_out(make_app, township):
    response = await _report(make_app, 4, "county_lead", unit_id=township["town"], **PERIOD)
    report = response.json()
    assert report["suppression_threshold"] == 4
    rows = {row["unit_id"]: row["rates"] for row in report["units"]}
    # Community A's care rate: 2 of 4 — both small.
    assert rows[township["A"]]["care_rate"] == {
        "numerator": None,
        "denominator": None,
        "value": None,
        "suppressed": True,
    }
    # Community B's: 6 of 6 — the counts are not small, but 0 not cared for is published as such.
    assert rows[township["B"]]["care_rate"] == {"numerator": 6, "denominator": 6, "value": 1.0}
    # B's urine tests, 0 of 6: the numerator is a small count.
    assert rows[township["B"]]["urine_test_rate"]["value"] is None
    assert _attack(report) == []
    # The attacker is not toothless: the same table unsuppressed gives small counts away.
    unsuppressed = (await _report(make_app, 1, "county_lead", unit_id=township["town"], **PERIOD)).json()
    assert _attack(unsuppressed, threshold=4) != []


async def test_the_county_table_gives_no_small_cell_away(client, login, township):
    report = (await client.get(RATES, params=PERIOD, headers=await login("auditor"))).json()
    assert len(report["units"]) > 2
    assert _attack(report) == []
    report = (await client.get(RATES, headers=await login("edu_officer"))).json()
    assert _attack(report) == []


async def test_a_township_lead_sees_their_own_and_never_a_sibling(client, login, township, county):
    jinhu_lead = await login("jinhu_lead")
    report = (await client.get(RATES, params=PERIOD, headers=jinhu_lead)).json()
    names = [row["unit_name"] for row in report["units"]]
    assert names[0] == "锦湖街道"
    assert set(names[1:]) == {"滨江社区", "锦园社区", "虹桥社区"}
    for other in (township["town"], township["A"], str(county["units"]["安阳街道"].id), str(uuid.uuid4())):
        assert_problem(
            await client.get(RATES, params={"unit_id": other}, headers=jinhu_lead), 404, "not-found"
        )


async def test_the_bureau_and_auditors_read_the_county_social_workers_and_schools_do_not(
    client, login, county
):
    for username in ("edu_officer", "auditor"):
        response = await client.get(RATES, headers=await login(username))
        assert response.status_code == 200, response.text
        assert response.json()["units"][0]["unit_name"] == "瑞安市禁毒委员会办公室"
        assert all(set(row["rates"]) == set(CODES) for row in response.json()["units"])
    for username in ("jinhu_worker", "school_teacher"):
        assert_problem(await client.get(RATES, headers=await login(username)), 403, "forbidden")
    assert_problem(await client.get(RATES, headers=await login("jinhu_police")), 403, "forbidden")


async def test_the_default_period_is_this_year_to_date(client, login, county):
    report = (await client.get(RATES, headers=await login("county_lead"))).json()
    today = local_today()
    assert report["period"] == {
        "start": date(today.year, 1, 1).isoformat(),
        "end": today.isoformat(),
        "as_of": today.isoformat(),
    }


@pytest.mark.parametrize(
    ("params", "field", "type_"),
    [
        ({"period_from": "2026-04-01", "period_to": "2026-03-01"}, "period_to", "period.reversed"),
        ({"period_from": "2025-01-01", "period_to": "2026-01-02"}, "period_to", "period.too_long"),
        ({"period_from": "2999-01-01", "period_to": "2999-02-01"}, "period_from", "period.future"),
        ({"period_from": "0001-01-01", "period_to": "0001-12-31"}, "period_from", "date.range"),
        ({"period_from": "2026-02-30"}, "period_from", None),
        ({"period_to": "yesterday"}, "period_to", None),
    ],
)
async def test_a_bad_period_is_a_422_naming_the_field(client, login, county, params, field, type_):
    body = assert_problem(
        await client.get(RATES, params=params, headers=await login("county_lead")), 422, "validation"
    )
    assert body["errors"][0]["loc"] == ["query", field], body
    if type_:
        assert body["errors"][0]["type"] == type_


async def test_the_rates_as_a_spreadsheet(client, login, township):
    from io import BytesIO

    from openpyxl import load_workbook

    response = await client.get(
        RATES,
        params={**PERIOD, "format": "xlsx", "unit_id": township["town"]},
        headers=await login("county_lead"),
    )
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert "*" in rows["测试A社区"]
    assert "帮教率" in next(row for row in rows.values() if row and "单位" in row)
