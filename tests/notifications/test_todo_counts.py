"""The daily digests count everyone's to-do items at once (``todo.todo_counts``: a few grouped statements per domain)
instead of asking each person's to-do centre (``todo.todo``). Both must say the same for every person: checked here
on the demo county with casework of every kind — files due, overdue, lost, unassigned, awaiting closure, with a
positive test, delegated to another township, kept by a school; notices past their deadline; transfers asked and
awaiting a receipt outside the county; task reports late, due, returned and submitted; provisional records — and
people of every role in units at every level. What the items count is tested with the to-do centre itself
(tests/care_files, tests/transfers, tests/minors/test_provisional_todo.py); here, that the two ways agree, and a
few totals written out."""

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from backend.campaigns.models import Campaign, CampaignTask, TaskReport
from backend.care_files.models import CareFile
from backend.db import local_today, utcnow
from backend.demo.seed import DemoCredentials, seed_demo_county
from backend.minors.models import Minor
from backend.security.passwords import hash_secret
from backend.seizures.models import SeizureNotice
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User
from backend.workflows import reminders, todo
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD

# People beyond the demo's nine, so that every kind of scope is asked more than once: (username, role, unit).
MORE_PEOPLE = (
    ("binjiang_worker", "caseworker", "滨江社区"),
    ("jinyuan_worker", "caseworker", "锦园社区"),
    ("jinyuan_lead", "supervisor", "锦园社区"),
    ("anyang_lead", "supervisor", "安阳街道"),
    ("anyang_police", "police", "安阳派出所"),
    ("primary_teacher", "school_staff", "瑞安市锦湖第一小学"),
    ("retired_worker", "caseworker", "锦湖街道"),  # inactive: no digest
)


async def _casework(session) -> None:
    """The demo county's casework, then every kind of to-do item spread over its units and people."""
    await seed_demo_county(
        session, credentials=DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET), minors=80, campaigns=True
    )
    units = {name: unit_id for unit_id, name in await session.execute(sa.select(Unit.id, Unit.name))}
    people = {}
    for username, role, unit in MORE_PEOPLE:
        person = User(
            username=username,
            display_name=username,
            role=role,
            unit_id=units[unit],
            password_hash=hash_secret(DEMO_PASSWORD),
            must_change_password=False,
            is_active=username != "retired_worker",
        )
        session.add(person)
        people[username] = person
    await session.flush()
    ids = {name: str(user_id) for user_id, name in await session.execute(sa.select(User.id, User.username))}
    today = local_today()
    # A file for each of 24 more minors of 锦湖街道 and 安阳街道, led by their township's worker.
    without_file = (
        await session.scalars(
            sa.select(Minor)
            .where(
                Minor.managing_unit_id.in_([units["锦湖街道"], units["安阳街道"]]),
                Minor.id.not_in(sa.select(CareFile.minor_id)),
            )
            .order_by(Minor.id)
            .limit(24)
        )
    ).all()
    for minor in without_file:
        worker = ids["jinhu_worker" if minor.managing_unit_id == units["锦湖街道"] else "other_worker"]
        session.add(
            CareFile(
                minor_id=minor.id,
                managing_unit_id=minor.managing_unit_id,
                status="open",
                trigger="manual",
                opened_at=utcnow(),
                reopened_count=0,
                lead_worker_id=uuid.UUID(worker),
                team=[],
                responsible_user_ids=[worker],
                confirmed_responsible_ids=[worker],
                goals="",
                measures="",
                interval_days=30,
                next_due_on=today,
                lost_contact_on=today + timedelta(days=30),
                failed_attempts=0,
            )
        )
    await session.flush()
    files = (await session.scalars(sa.select(CareFile).order_by(CareFile.opened_at, CareFile.id))).all()
    assert len(files) >= 24, len(files)
    # Jinhu's files moved down to its communities and named to their workers (one to two people at once), Anyang's
    # kept; due dates from three weeks ago to ten days ahead.
    for n, care_file in enumerate(files):
        care_file.next_due_on = today + timedelta(days=n % 14 - 4)
        care_file.lost_contact_on = care_file.next_due_on + timedelta(days=30 if n % 5 else -40)
        if n % 4 == 1:
            care_file.managing_unit_id = units["滨江社区"]
            care_file.responsible_user_ids = sorted({ids["binjiang_worker"], ids["jinhu_worker"]})
        if n % 4 == 2:
            care_file.managing_unit_id = units["锦园社区"]
            care_file.responsible_user_ids = [ids["jinyuan_worker"]]
    unassigned, alert, delegated, school, failed = files[0], files[3], files[6], files[7], files[9]
    unassigned.lead_worker_id = None
    unassigned.responsible_user_ids = []
    alert.alert = "positive_urine_test"
    alert.alert_at = utcnow()
    # 委托管理: managed by 锦园社区, still accountable to 安阳街道.
    delegated.managing_unit_id = units["锦园社区"]
    delegated.accountable_unit_id = units["安阳街道"]
    # 学校一人一档: kept by the middle school, its teacher and the primary school's named on the team.
    school.kept_by_school_id = units["瑞安市锦湖中学"]
    school.confirmed_responsible_ids = sorted({ids["school_teacher"], ids["primary_teacher"]})
    school.responsible_user_ids = list(school.confirmed_responsible_ids)
    school.next_due_on = today + timedelta(days=2)
    failed.failed_attempts = 2
    files[12].status = "closure_requested"
    # A second school file, overdue, named to nobody: its school's staff reach it as their school's own.
    files[10].kept_by_school_id = units["瑞安市锦湖第一小学"]
    files[10].next_due_on = today - timedelta(days=3)
    files[10].confirmed_responsible_ids = []

    notices = (await session.scalars(sa.select(SeizureNotice).order_by(SeizureNotice.id))).all()
    assert len(notices) >= 3, len(notices)
    for n, notice in enumerate(notices):
        notice.acknowledged_at = None if n % 3 else utcnow()
        notice.ack_deadline_at = utcnow() + timedelta(hours=5 if n % 2 else -30)
        if n % 4 == 3:  # one routed down to a community of Jinhu
            notice.receiving_unit_id = units["滨江社区"]

    transfers = (await session.scalars(sa.select(Transfer))).all()
    assert transfers
    outside = transfers[0]
    outside.status = "awaiting_outside_receipt"
    outside.to_unit_id = None
    outside.outside_division_code = "330102000000"
    outside.outside_place_name = "杭州市上城区"
    await session.flush()
    second = files[11]
    session.add(
        Transfer(
            minor_id=second.minor_id,
            care_file_id=second.id,
            from_unit_id=units["万松社区"],
            to_unit_id=units["锦园社区"],
            reason_code="moved",
            reason="迁居",
            status="requested",
            requested_by_name="吴社工",
        )
    )

    tasks = (await session.scalars(sa.select(CampaignTask).order_by(CampaignTask.position))).all()
    for n, task in enumerate(tasks):
        task.due_date = today + timedelta(days=(-2, 1, 2, 9)[n % 4])
    await session.execute(sa.update(Campaign).values(status="published"))
    reports = (await session.scalars(sa.select(TaskReport).order_by(TaskReport.id))).all()
    assert len(reports) >= 8, len(reports)
    for n, report in enumerate(reports):
        report.status = ("not_started", "in_progress", "returned", "submitted", "approved")[n % 5]

    # Two provisional records in Jinhu's communities, one in Anyang; and one merged away (never listed).
    minors = (await session.scalars(sa.select(Minor).order_by(Minor.id).limit(4))).all()
    for minor, unit, status in zip(
        minors,
        ("滨江社区", "锦园社区", "万松社区", "滨江社区"),
        ("active", "active", "active", "merged"),
        strict=True,
    ):
        minor.verification_status = "provisional"
        minor.managing_unit_id = units[unit]
        minor.status = status
    await session.flush()


def _said(answer: todo.Todo) -> list[tuple[str, int, str]]:
    return [(item.kind, item.count, item.link) for item in answer.items]


async def test_everyones_digest_counts_are_what_each_to_do_centre_says(app, county):
    async with app.state.sessionmaker() as session, session.begin():
        await _casework(session)
        people = await reminders.active_people(session)
        at_once = await todo.todo_counts(session, people)
        one_by_one = [await todo.todo(session, principal=person, with_ids=False) for person in people]
        answers = {person.name: _said(counted) for person, counted in zip(people, at_once, strict=True)}

    assert "retired_worker" not in answers
    assert len(people) == 9 + len(MORE_PEOPLE) - 1
    for person, counted, asked in zip(people, at_once, one_by_one, strict=True):
        assert _said(counted) == _said(asked), person.name
        assert all(not item.object_ids for item in counted.items)
    # The comparison covers every kind of item: each is waiting for somebody.
    waiting = {kind for said in answers.values() for kind, _count, _link in said}
    assert waiting == {source.kind for source in todo.SOURCES}, {s.kind for s in todo.SOURCES} - waiting

    # A few totals written out: the delegated file reaches both 锦园社区's lead and 安阳街道's; the school files
    # their staff; the provisional records the stations above them (the merged one nobody).
    def count(username: str, kind: str) -> int:
        return next((n for k, n, _link in answers[username] if k == kind), 0)

    assert count("jinyuan_lead", "minors.provisional") == 1
    assert count("jinhu_lead", "minors.provisional") == 2
    assert count("county_lead", "minors.provisional") == 3
    assert count("primary_teacher", "school_files.overdue") == 1
    assert count("primary_teacher", "school_files.due_soon") == 1
    assert count("school_teacher", "school_files.due_soon") == 1
    assert count("school_teacher", "school_files.overdue") == 0
    assert count("jinhu_police", "seizure_notices.not_taken_up") == count(
        "county_lead", "seizure_notices.to_acknowledge"
    )
    assert count("anyang_police", "seizure_notices.not_taken_up") == 0


async def test_a_remind_run_stores_the_digest_each_to_do_centre_gives(app, county):
    async with app.state.sessionmaker() as session, session.begin():
        await _casework(session)
        people = await reminders.active_people(session)
        day = local_today()
        expected = {}
        for person in people:
            digest = await reminders.compose(session, principal=person, day=day, reminders=None)
            if digest is not None:
                expected[person.id] = digest
        result = await reminders.remind(session, day=day)

    assert result.people == len(people)
    # The two reminders of the day (due tomorrow, turning 18) are the run's own: compared without them.
    stored = {
        digest.user_id: [line for line in digest.lines if "明日到期" not in line and "年满18周岁" not in line]
        for digest in result.digests
    }
    assert {user_id: list(digest.lines) for user_id, digest in expected.items()} == {
        user_id: lines for user_id, lines in stored.items() if lines
    }


# Each list's order as its ``sort`` names it (the to-do centre lists the most pressing first); the task reports'
# order (by id) has no name: their ids are compared as a set.
SORT_OF_LIST = {
    "/api/v1/care-files": "next_due_on",
    "/api/v1/seizure-notices": "ack_deadline_at",
    "/api/v1/transfers": "requested_at",
    "/api/v1/minors": "created_at",
}


async def test_each_items_count_and_first_ids_are_the_list_behind_its_link(app, county, client, login):
    async with app.state.sessionmaker() as session, session.begin():
        await _casework(session)
    checked = set()
    for username in ("county_lead", "jinhu_lead", "jinyuan_lead", "binjiang_worker", "jinhu_worker",
                     "jinhu_police", "primary_teacher", "edu_officer", "school_teacher"):  # fmt: skip
        headers = await login(username)
        items = (await client.get("/api/v1/me/todo", headers=headers)).json()["items"]
        for item in items:
            path = item["link"].split("?")[0]
            sort = SORT_OF_LIST.get(path)
            # The link's own query and the page's, in one query string (``params`` would replace the link's).
            page_query = urlencode({"limit": 50, **({"sort": sort} if sort else {})})
            listed = await client.get(f"{item['link']}&{page_query}", headers=headers)
            assert listed.status_code == 200, listed.text
            page = listed.json()
            ids = [row["id"] for row in page["items"]]
            assert page["total"] == item["count"], (username, item["kind"])
            assert (item["object_ids"] if sort else sorted(item["object_ids"])) == (
                ids if sort else sorted(ids)
            ), (
                username,
                item["kind"],
            )
            checked.add(item["kind"])
    assert checked == {source.kind for source in todo.SOURCES}, {s.kind for s in todo.SOURCES} - checked
