"""A committed screening sheet registers its rows in bulk (``bulk.register_many``, multi-row inserts) and
opens their care files in bulk. What it stores must be what registering the same people one by one stores: the
records (encrypted, hashed, masked), the counters and tallies kept by triggers, the care files with their due
dates and on-duty lead, the notifications, and one audit event per record and per file in a whole chain.

Four rows of made-up people go in through the import; four twins of the same shape (other people) go in one by
one through ``POST /minors``. The expected values are written out here, and the two sets are compared column by
column."""

import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.care_files.models import CareFile
from backend.db import local_today
from backend.identity import make_mainland_id
from backend.minors.models import Minor, MinorCount, MinorTally
from backend.minors.schemas import MinorCreate
from backend.minors.service import bulk
from backend.notifications.models import Notification
from backend.security.crypto import cipher_of
from backend.security.principals import Principal
from backend.units.models import Unit
from backend.users.models import User
from tests.conftest import assert_status
from tests.imports.conftest import screening_row, xlsx
from tests.minors.conftest import minor_body

MINORS = "/api/v1/minors"
ON_DUTY = "/api/v1/care-settings/on-duty"
# What differs between two people (and the moment they were written); every other column must agree.
PERSONAL = {
    "id",
    "name",
    "id_number_ciphertext",
    "id_number_hash",
    "id_number_masked",
    "birth_date",
    "gender",
    "created_at",
    "updated_at",
}


def _born(years_ago: int, month: int, day: int) -> date:
    return date(local_today().year - years_ago, month, day)


class Someone:
    """A made-up person with a fixed, valid number (odd sequences are male)."""

    def __init__(self, name: str, birth: date, sequence: int) -> None:
        self.name = name
        self.birth_date = birth
        self.id_number = make_mainland_id("330381", birth, sequence)
        self.gender = "male" if sequence % 2 else "female"
        self.phone = None


# (sheet person, twin, 人员类别, 涉及物质, 风险等级, stored categories, substances, level, opens a care file)
SHAPES: list[tuple[Someone, Someone, str, str | None, str, list[str], list[str], str, bool]] = [
    (
        Someone("陈一鸣", _born(15, 3, 4), 11),
        Someone("林一帆", _born(15, 6, 7), 13),
        "辍学",
        None,
        "低风险",
        ["dropout"],
        [],
        "low",
        False,
    ),
    (
        Someone("王二妹", _born(14, 5, 10), 22),
        Someone("赵二丫", _born(14, 8, 1), 24),
        "滥用新型成瘾物质",
        "依托咪酯",
        "中风险",
        ["nps_abuse"],
        ["etomidate"],
        "medium",
        True,
    ),
    (
        Someone("张三石", _born(16, 1, 20), 35),
        Someone("周三木", _born(16, 2, 2), 37),
        "重点生（已被训诫/查处）",
        None,
        "中风险",
        ["key_student"],
        [],
        "medium",
        True,
    ),
]


async def _rows(app: Any, table: Any, **where: Any) -> list[dict[str, Any]]:
    async with app.state.engine.connect() as connection:
        statement = sa.select(table)
        for column, value in where.items():
            statement = statement.where(getattr(table, column).in_(value))
        return [dict(row._mapping) for row in await connection.execute(statement)]


async def _counters(app: Any, unit_id: Any) -> dict[tuple[str, ...], int]:
    counts = await _rows(app, MinorCount)
    tallies = await _rows(app, MinorTally)
    found = {("count", row["status"]): row["n"] for row in counts if row["managing_unit_id"] == unit_id}
    found.update(
        {
            (row["unit_role"], row["status"], row["verification_status"], row["kind"], row["code"]): row["n"]
            for row in tallies
            if row["unit_id"] == unit_id
        }
    )
    return found


def _delta(
    before: dict[tuple[str, ...], int], after: dict[tuple[str, ...], int]
) -> dict[tuple[str, ...], int]:
    keys = set(before) | set(after)
    return {
        key: after.get(key, 0) - before.get(key, 0) for key in keys if after.get(key, 0) != before.get(key, 0)
    }


async def test_a_bulk_import_stores_what_registering_one_by_one_stores(
    app, client, login, county, upload, finished
):
    lead = await login("jinhu_lead")
    me = assert_status(await client.get("/api/v1/me", headers=lead), 200).json()
    unit_id = me["unit"]["id"]  # the lead's station manages what the lead registers
    worker_id = assert_status(
        await client.get("/api/v1/me", headers=await login("jinhu_worker")), 200
    ).json()["id"]
    # Files given to the station name its on-duty worker, who is told (the importer is not).
    assert_status(await client.put(ON_DUTY, json={"user_id": worker_id}, headers=lead), 200)
    before = await _counters(app, _uuid(unit_id))

    # Through the import: three people with an ID number and one without (a provisional record).
    sheet = [
        screening_row(person, 人员类别=categories, 涉及物质=substances, 风险等级=level, 就学情况="辍学")
        for person, _twin, categories, substances, level, *_ in SHAPES
    ]
    sheet.append(
        {
            "姓名": "李小雨",
            "性别": "女",
            "出生日期": f"{_born(13, 5, 10):%Y年%-m月%-d日}",
            "就学情况": "失学",
            "人员类别": "失学",
            "风险等级": "低风险",
        }
    )
    job = await finished(await upload(xlsx(sheet), as_="jinhu_lead", mode="commit"), as_="jinhu_lead")
    assert (job["status"], job["committed"], job["rows_ok"], job["rows_applied"]) == (
        "finished",
        True,
        4,
        4,
    ), job["report"]

    # One by one: the twins, through the single registration a worker's form sends.
    twins = []
    for _person, twin, _c, _s, _l, categories, substances, level, _file in SHAPES:
        body = {
            "name": twin.name,
            "id_number": twin.id_number,
            "gender": twin.gender,
            "birth_date": twin.birth_date.isoformat(),
            "schooling_status": "dropped_out",
            "risk_categories": categories,
            "substances": substances,
            "risk_level": level,
        }
        twins.append(assert_status(await client.post(MINORS, json=body, headers=lead), 201).json()["id"])
    provisional_twin = {
        "provisional": True,
        "found_by": "screening",
        "name": "李小雪",
        "gender": "female",
        "birth_date": _born(13, 5, 10).isoformat(),
        "schooling_status": "out_of_school",
        "risk_categories": ["out_of_school"],
        "substances": [],
        "risk_level": "low",
    }
    twins.append(
        assert_status(await client.post(MINORS, json=provisional_twin, headers=lead), 201).json()["id"]
    )

    names = [person.name for person, *_ in SHAPES] + ["李小雨"]
    stored = {row["name"]: row for row in await _rows(app, Minor, name=names)}
    twin_rows = {str(row["id"]): row for row in await _rows(app, Minor, id=[_uuid(i) for i in twins])}
    assert len(stored) == 4
    assert len(twin_rows) == 4

    async with app.state.sessionmaker() as session:
        cipher = cipher_of(session)
    for (person, twin, _c, _s, _l, categories, substances, level, _file), twin_id in zip(
        SHAPES, twins, strict=False
    ):
        record = stored[person.name]
        # Written out: what a single registration of this row stores.
        assert record["id_number_masked"] == person.id_number[:6] + "*" * 8 + person.id_number[-4:]
        assert cipher.decrypt(record["id_number_ciphertext"], context="minor.id_number") == person.id_number
        assert (record["gender"], record["birth_date"]) == (person.gender, person.birth_date)
        assert record["id_document_type"] == "mainland_id"
        assert (record["verification_status"], record["birth_date_precision"]) == ("verified", "day")
        assert (record["risk_categories"], record["substances"], record["risk_level"]) == (
            categories,
            substances,
            level,
        )
        assert (record["status"], record["source"], record["schooling_status"]) == (
            "active",
            "screening",
            "dropped_out",
        )
        assert (record["version"], record["is_sealed"], record["found_by"]) == (1, False, None)
        assert (record["phone_ciphertext"], record["guardians"], record["school_id"]) == (None, [], None)
        assert str(record["managing_unit_id"]) == str(unit_id)
        assert str(record["created_by"]) == me["id"]
        # The keyed hash finds it as a single registration's does.
        found = await client.post(f"{MINORS}/lookup", json={"id_number": person.id_number}, headers=lead)
        assert assert_status(found, 200).json()["id"] == str(record["id"])
        # Column by column, the twin registered one by one.
        twin_row = twin_rows[twin_id]
        assert {k: v for k, v in record.items() if k not in PERSONAL} == {
            k: v for k, v in twin_row.items() if k not in PERSONAL
        }
        assert twin_row["id_number_masked"] == twin.id_number[:6] + "*" * 8 + twin.id_number[-4:]

    provisional = stored["李小雨"]
    assert (provisional["verification_status"], provisional["found_by"], provisional["gender"]) == (
        "provisional",
        "screening",
        "female",
    )
    assert (
        provisional["id_number_ciphertext"],
        provisional["id_number_hash"],
        provisional["id_number_masked"],
    ) == (
        None,
        None,
        None,
    )
    assert provisional["birth_date"] == _born(13, 5, 10)
    assert {k: v for k, v in provisional.items() if k not in PERSONAL} == {
        k: v for k, v in twin_rows[twins[3]].items() if k not in PERSONAL
    }

    # Counters and tallies (kept by triggers): each of the eight adds what one registration adds.
    # (Statistics tally provisional records apart from confirmed persons.)
    expected_delta = {
        ("count", "active"): 8,
        ("managing", "active", "verified", "risk_level", "low"): 2,
        ("managing", "active", "verified", "risk_level", "medium"): 4,
        ("managing", "active", "verified", "risk_category", "dropout"): 2,
        ("managing", "active", "verified", "risk_category", "nps_abuse"): 2,
        ("managing", "active", "verified", "risk_category", "key_student"): 2,
        ("managing", "active", "provisional", "risk_level", "low"): 2,
        ("managing", "active", "provisional", "risk_category", "out_of_school"): 2,
    }
    assert _delta(before, await _counters(app, _uuid(unit_id))) == expected_delta

    # Care files: one for each drug-use or key-student row, as the twin's.
    ids = [stored[person.name]["id"] for person, *_ in SHAPES] + [provisional["id"]]
    files = {row["minor_id"]: row for row in await _rows(app, CareFile, minor_id=ids)}
    twin_files = {
        row["minor_id"]: row for row in await _rows(app, CareFile, minor_id=[_uuid(i) for i in twins])
    }
    today = local_today()
    for (person, _twin, *_rest, opens), twin_id in zip(SHAPES, twins, strict=False):
        minor_id = stored[person.name]["id"]
        assert (minor_id in files) is opens
        assert (_uuid(twin_id) in twin_files) is opens
        if not opens:
            continue
        care_file = files[minor_id]
        assert (care_file["status"], care_file["trigger"], care_file["interval_days"]) == (
            "open",
            "registration",
            14,
        )
        assert care_file["next_due_on"] == today + timedelta(days=14)
        assert care_file["lost_contact_on"] == today + timedelta(days=28)  # two intervals without contact
        assert str(care_file["lead_worker_id"]) == worker_id
        assert care_file["responsible_user_ids"] == care_file["confirmed_responsible_ids"] == [worker_id]
        assert (care_file["last_contact_on"], care_file["failed_attempts"], care_file["version"]) == (
            None,
            0,
            1,
        )
        assert str(care_file["opened_by"]) == me["id"]
        personal = {"id", "minor_id", "opened_at", "created_at", "updated_at"}
        assert {k: v for k, v in care_file.items() if k not in personal} == {
            k: v for k, v in twin_files[_uuid(twin_id)].items() if k not in personal
        }

    # The on-duty worker is told of each file, as of the twins'.
    told = await _rows(app, Notification)
    file_links = {f"/care-files/{row['id']}" for row in files.values()}
    twin_links = {f"/care-files/{row['id']}" for row in twin_files.values()}
    for links in (file_links, twin_links):
        mine = [row for row in told if row["link"] in links]
        assert len(mine) == 2
        assert {(str(row["user_id"]), row["kind"], row["title"]) for row in mine} == {
            (worker_id, "care_file.assigned", "您被指派为帮教档案的主责社工")
        }

    # One event per record and per file, naming the object, as one by one; the chain stays whole.
    events = await _rows(
        app, AuditEvent, object_id=[str(i) for i in ids] + [str(r["id"]) for r in files.values()]
    )
    by_object = {}
    for event in events:
        if event["action"] == "minor.looked_up":  # this test's own look-ups above
            continue
        by_object.setdefault(event["object_id"], []).append(
            (
                event["action"],
                event["object_type"],
                str(event["unit_id"]),
                str(event["actor_id"]),
                event["reason"],
            )
        )
    for minor_id in ids:
        assert by_object[str(minor_id)] == [("minor.created", "minor", str(unit_id), me["id"], None)]
    for care_file in files.values():
        assert by_object[str(care_file["id"])] == [
            ("care_file.opened", "care_file", str(unit_id), me["id"], "registration")
        ]
    verified = await client.get("/api/v1/audit-events/verify", headers=await login("county_lead"))
    assert assert_status(verified, 200).json()["ok"] is True


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def test_register_many_refuses_rows_as_a_single_registration_would(app, client, login, person):
    """Between an import's check and its commit someone may register one of its people; a sheet may also hold
    one person twice. The bulk registration answers such rows as ``POST /minors`` would and stores the rest.
    (Called on the service: over HTTP the check comes first and finds these rows.)"""
    mine, theirs, new = person(), person(), person()
    registered = await client.post(
        MINORS,
        json=minor_body(mine, risk_categories=["dropout"], substances=[]),
        headers=await login("jinhu_worker"),
    )
    mine_id = assert_status(registered, 201).json()["id"]
    elsewhere = await client.post(
        MINORS,
        json=minor_body(theirs, risk_categories=["dropout"], substances=[]),
        headers=await login("other_worker"),
    )
    assert_status(elsewhere, 201)

    def row(someone: Any, **overrides: Any) -> MinorCreate:
        fields: dict[str, Any] = {
            "name": someone.name,
            "id_number": someone.id_number,
            "gender": someone.gender,
            "birth_date": someone.birth_date,
            "schooling_status": "dropped_out",
            "risk_categories": ["dropout"],
            "risk_level": "low",
        }
        fields.update(overrides)
        return MinorCreate(**fields)

    async with app.state.sessionmaker() as session, session.begin():
        user = await session.scalar(sa.select(User).where(User.username == "jinhu_worker"))
        unit = await session.get(Unit, user.unit_id)
        principal = Principal.of_user(user, unit_path=unit.path, unit_kind=unit.kind)
        answers = await bulk.register_many(
            session,
            principal=principal,
            rows=[
                row(new),
                row(mine),
                row(theirs),
                row(new, name="重复行"),
                row(new, id_number=new.id_number[:17] + ("0" if new.id_number[-1] != "0" else "1")),
                row(person(age=19)),
            ],
            match_elsewhere_limit=100,
        )
    assert isinstance(answers[0], bulk.Registered)
    assert [type(answer).__name__ for answer in answers[1:]] == [
        "Conflict",
        "Conflict",
        "Conflict",
        "ValidationFailed",
        "ValidationFailed",
    ]
    assert answers[1].detail == "This person is already registered."
    assert answers[1].extra == {"existing_id": mine_id}
    assert answers[2].detail == "This person is managed by another unit; a transfer can be requested."
    assert answers[3].detail == "This person is already registered."
    assert answers[4].errors[0].type == "id_number.checksum"
    assert answers[5].errors[0].type == "minor.adult"
    # Only the new person was stored, once; the answer "managed elsewhere" is in the other unit's trail.
    stored = await _rows(app, Minor, name=[new.name, "重复行"])
    assert [row["id"] for row in stored] == [answers[0].id]
    events = await _rows(app, AuditEvent, action=["minor.duplicate_elsewhere"])
    assert [str(event["actor_id"]) for event in events] == [str(principal.id)]


async def test_counters_follow_a_bulk_registration_of_many_statements(app, county):
    """2,100 rows go in as a few multi-row statements (about 1,000 rows each): the list totals and the
    statistics' tallies (kept on PostgreSQL by statement-level triggers over each statement's new rows, on SQLite
    row by row) add up to the rows, and to what a recount of the table gives."""
    async with app.state.sessionmaker() as session, session.begin():
        user = await session.scalar(sa.select(User).where(User.username == "jinhu_worker"))
        unit = await session.get(Unit, user.unit_id)
        principal = Principal.of_user(user, unit_path=unit.path, unit_kind=unit.kind)
    before = await _counters(app, principal.unit_id)
    born = _born(14, 1, 1)
    rows: list[MinorCreate] = []
    for index in range(2_100):
        shape = index % 3
        common: dict[str, Any] = {
            "name": f"批量{index}",
            "schooling_status": "dropped_out",
            "risk_categories": [["dropout"], ["dropout", "double_poor"], ["key_student"]][shape],
            "risk_level": ["low", "medium", "medium"][shape],
        }
        if shape == 2:  # without an ID number: a provisional record
            rows.append(
                MinorCreate(
                    provisional=True, found_by="screening", gender="female", birth_date=born, **common
                )
            )
        else:
            birth = born + timedelta(days=index // 999)
            rows.append(MinorCreate(id_number=make_mainland_id("110101", birth, index % 999 + 1), **common))
    async with app.state.sessionmaker() as session, session.begin():
        answers = await bulk.register_many(session, principal=principal, rows=rows, match_elsewhere_limit=100)
    assert [type(answer).__name__ for answer in answers] == ["Registered"] * 2_100
    assert _delta(before, await _counters(app, principal.unit_id)) == {
        ("count", "active"): 2_100,
        ("managing", "active", "verified", "risk_level", "low"): 700,
        ("managing", "active", "verified", "risk_level", "medium"): 700,
        ("managing", "active", "verified", "risk_category", "dropout"): 1_400,
        ("managing", "active", "verified", "risk_category", "double_poor"): 700,
        ("managing", "active", "provisional", "risk_level", "medium"): 700,
        ("managing", "active", "provisional", "risk_category", "key_student"): 700,
    }
    # The counters of every unit agree with a recount of the table.
    async with app.state.engine.connect() as connection:
        recount = {
            (row.managing_unit_id, row.status): row.n
            for row in await connection.execute(
                sa.select(Minor.managing_unit_id, Minor.status, sa.func.count().label("n")).group_by(
                    Minor.managing_unit_id, Minor.status
                )
            )
        }
    counts = {(row["managing_unit_id"], row["status"]): row["n"] for row in await _rows(app, MinorCount)}
    assert {key: n for key, n in counts.items() if n} == recount
