"""The per-unit tallies behind the rates (``rate_file_spans``, ``rate_contact_runs``, ``rate_urine_credits``,
``rate_open_files``; docs/statistics.md "The tallies behind them"), kept by database triggers on care files and
their monthly summary whatever writes them.

First one file's tallies written out by hand through an entry, a correction, a transfer, a closure, a reopening
and a deletion. Then random files, entries, corrections, transfers, closures, reopenings, plan and due-date
changes and deletions, written straight to the tables, and files worked through the API: after them every
tally must equal what ``expected_tallies`` below counts from the files and entries themselves — written here
from the definitions, without the migration's statements or the care-file summary.
"""

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from backend.care_files.models import (
    CareEntry,
    CareFile,
    CareFileYear,
    RateContactRun,
    RateFileSpan,
    RateOpenFile,
    RateUrineCredit,
)
from backend.db import LOCAL_TIMEZONE
from backend.users.models import User
from tests.care_files.conftest import CARE_FILES, TRANSFERS
from tests.conftest import assert_status

OPEN_END = 99999  # a file not closed: its last whole month, as the tables write it
NO_DAY = date(1970, 1, 1)  # the day of the open and lead tallies, and of a file lost by failed attempts


def month(year: int, number: int) -> int:
    """Months as the tables number them: year × 12 + month − 1."""
    return year * 12 + number - 1


def beijing(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


# --- What the tallies must be, counted from the files and entries -----------------------------------------


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + timedelta(hours=8)).date()


def _month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def _first_day(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def expected_tallies(files: list[Any], entries: list[Any]) -> dict[str, dict[tuple, int]]:
    """Each table's rows (key → counter, zeros left out) from the files and entries as they are."""
    corrected = {entry.corrects_id for entry in entries if entry.corrects_id is not None}
    contacts: dict[uuid.UUID, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    tests: dict[uuid.UUID, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        if entry.id in corrected:  # replaced by its correction
            continue
        number = _month_of(_local_day(entry.occurred_at))
        if entry.kind != "note" and entry.contact_succeeded:
            contacts[entry.care_file_id][number] += 1
        if entry.kind == "urine_test" and entry.urine_result in ("negative", "positive"):
            tests[entry.care_file_id][number] += 1
    tallies: dict[str, dict[tuple, int]] = {
        name: defaultdict(int) for name in ("spans", "runs", "credits", "open")
    }
    for care_file in files:
        unit = care_file.managing_unit_id
        opened = _local_day(care_file.opened_at)
        first = _month_of(opened) + (0 if opened.day == 1 else 1)
        last = OPEN_END
        if care_file.status == "closed" and care_file.closed_at is not None:
            closed = _local_day(care_file.closed_at)
            last = _month_of(closed) - (0 if (closed + timedelta(days=1)).day == 1 else 1)
        interval = care_file.urine_test_interval_days or 0
        interval = max(interval, 0)
        if first <= last:
            tallies["spans"][(last, first, unit, interval)] += 1
        made = contacts[care_file.id]
        for number in sorted(n for n, count in made.items() if count > 0 and first <= n <= last):
            # The last month without a contact among the 11 before (not before the file's first month).
            gaps = [gap for gap in range(max(first, number - 11), number) if made.get(gap, 0) <= 0]
            run_from = max(gaps) + 1 if gaps else number - 11
            tallies["runs"][(number, int(number == last), run_from, unit)] += 1
        done_in = {n: count for n, count in tests[care_file.id].items() if count != 0 and first <= n <= last}
        if interval > 0 and done_in:
            for period_first in range(min(done_in) - 11, max(done_in) + 1):
                for period_last in range(period_first, period_first + 12):
                    start, end = max(period_first, first), min(period_last, last)
                    done = sum(count for n, count in done_in.items() if start <= n <= end)
                    if start > end or done == 0:
                        continue
                    required = (_first_day(end + 1) - _first_day(start)).days // interval
                    if min(done, required):
                        tallies["credits"][(period_first, period_last, unit)] += min(done, required)
        if care_file.status in ("open", "closure_requested"):
            tallies["open"][("open", NO_DAY, unit)] += 1
            if care_file.lead_worker_id is not None:
                tallies["open"][("lead", NO_DAY, unit)] += 1
            tallies["open"][("due", care_file.next_due_on, unit)] += 1
            tallies["open"][("due_month", care_file.next_due_on.replace(day=1), unit)] += 1
            lost = NO_DAY if care_file.failed_attempts >= 2 else care_file.lost_contact_on
            tallies["open"][("lost", lost, unit)] += 1
            tallies["open"][("lost_month", lost.replace(day=1), unit)] += 1
    return {name: {key: n for key, n in rows.items() if n} for name, rows in tallies.items()}


TABLES = {
    "spans": (RateFileSpan, ("last_month", "first_month", "unit_id", "urine_interval"), "files"),
    "runs": (RateContactRun, ("month", "closes", "run_from", "unit_id"), "files"),
    "credits": (RateUrineCredit, ("period_first", "period_last", "unit_id"), "tests"),
    "open": (RateOpenFile, ("kind", "day", "unit_id"), "files"),
}


async def stored_tallies(session) -> dict[str, dict[tuple, int]]:
    found = {}
    for name, (model, key, counter) in TABLES.items():
        rows = (
            await session.execute(sa.select(*(getattr(model, column) for column in (*key, counter))))
        ).all()
        found[name] = {tuple(row[:-1]): row[-1] for row in rows if row[-1]}
    return found


async def assert_tallies_agree(app) -> dict[str, dict[tuple, int]]:
    async with app.state.sessionmaker() as session:
        files = (await session.scalars(sa.select(CareFile))).all()
        entries = (await session.scalars(sa.select(CareEntry))).all()
        stored = await stored_tallies(session)
    expected = expected_tallies(list(files), list(entries))
    for name in TABLES:
        assert stored[name] == expected[name], name
    return stored


# --- One file, by hand -----------------------------------------------------------------------------------


async def _minor(client, login, person, managing: str | None = None) -> uuid.UUID:
    someone = person(age=15)
    body = {
        "name": someone.name,
        "id_number": someone.id_number,
        "risk_categories": ["left_behind"],
        "risk_level": "low",
    }
    if managing:
        body["managing_unit_id"] = managing
    response = await client.post("/api/v1/minors", json=body, headers=await login("county_lead"))
    return uuid.UUID(assert_status(response, 201).json()["id"])


async def test_one_files_tallies_through_entries_a_transfer_a_closure_a_reopening_and_deletion(
    app, client, login, county, person
):
    jinhu, anyang = county["units"]["锦湖街道"].id, county["units"]["安阳街道"].id
    minor_id = await _minor(client, login, person, str(jinhu))
    async with app.state.sessionmaker() as session:
        lead = await session.scalar(sa.select(User.id).where(User.username == "jinhu_worker"))
    feb, mar, apr, may = month(2026, 2), month(2026, 3), month(2026, 4), month(2026, 5)
    async with app.state.sessionmaker() as session, session.begin():
        # Opened on 10 January: its first whole month is February. A urine test every 60 days.
        care_file = CareFile(
            minor_id=minor_id,
            managing_unit_id=jinhu,
            status="open",
            trigger="manual",
            opened_at=beijing("2026-01-10", 9),
            interval_days=30,
            urine_test_interval_days=60,
            next_due_on=date(2026, 6, 5),
            lost_contact_on=date(2026, 7, 5),
            lead_worker_id=lead,
        )
        session.add(care_file)
        await session.flush()
        file_id = care_file.id
        for kind, day, succeeded, result in (
            ("talk", "2026-02-05", True, None),
            ("talk", "2026-03-05", True, None),
            ("urine_test", "2026-03-20", True, "negative"),
            ("urine_test", "2026-03-25", True, "positive"),
            ("talk", "2026-04-08", False, None),  # a failed attempt: April has no contact
            ("home_visit", "2026-05-06", True, None),
        ):
            session.add(
                CareEntry(
                    care_file_id=file_id,
                    kind=kind,
                    occurred_at=beijing(day),
                    actor_name="测试",
                    summary="…",
                    contact_succeeded=succeeded,
                    urine_result=result,
                )
            )
    async with app.state.sessionmaker() as session:
        stored = await stored_tallies(session)
    assert stored["spans"] == {(OPEN_END, feb, jinhu, 60): 1}
    # February and March run from the file's first month (written month − 11); May's run began in May.
    assert stored["runs"] == {
        (feb, 0, feb - 11, jinhu): 1,
        (mar, 0, mar - 11, jinhu): 1,
        (may, 0, may, jinhu): 1,
    }
    # The two tests of March count in every period of whole months holding March, up to one per 60 days of
    # the file's part of it: a period ending in March asks for none — March alone has 31 days, February to
    # March 59, and January–March is February–March for this file; March–April (61 days) asks for one, so
    # one of the two counts; February–May (120 days) asks for two.
    credits = stored["credits"]
    assert (mar, mar, jinhu) not in credits
    assert (feb, mar, jinhu) not in credits
    assert (month(2026, 1), mar, jinhu) not in credits
    assert credits[(mar, apr, jinhu)] == 1
    assert credits[(month(2025, 12), apr, jinhu)] == 1  # February–April for the file: 89 days
    assert credits[(feb, may, jinhu)] == 2
    assert credits[(mar, month(2027, 2), jinhu)] == 2
    assert len(credits) == 66  # the 78 periods of up to 12 months holding March, but the 12 ending in March
    assert stored["open"] == {
        ("open", NO_DAY, jinhu): 1,
        ("lead", NO_DAY, jinhu): 1,
        ("due", date(2026, 6, 5), jinhu): 1,
        ("due_month", date(2026, 6, 1), jinhu): 1,
        ("lost", date(2026, 7, 5), jinhu): 1,
        ("lost_month", date(2026, 7, 1), jinhu): 1,
    }
    await assert_tallies_agree(app)

    # April's failed attempt was in fact a talk: the correction fills April, and May's run now reaches back to
    # February.
    async with app.state.sessionmaker() as session, session.begin():
        failed = await session.scalar(
            sa.select(CareEntry.id).where(
                CareEntry.care_file_id == file_id, CareEntry.contact_succeeded.is_(False)
            )
        )
        session.add(
            CareEntry(
                care_file_id=file_id,
                kind="talk",
                occurred_at=beijing("2026-04-08"),
                actor_name="测试",
                summary="更正",
                corrects_id=failed,
            )
        )
    async with app.state.sessionmaker() as session:
        stored = await stored_tallies(session)
    assert stored["runs"] == {
        (feb, 0, feb - 11, jinhu): 1,
        (mar, 0, mar - 11, jinhu): 1,
        (apr, 0, apr - 11, jinhu): 1,
        (may, 0, may - 11, jinhu): 1,
    }

    # Transferred to 安阳, two failed attempts in a row, then closed on 20 May: its last whole month is April.
    async with app.state.sessionmaker() as session, session.begin():
        care_file = await session.get(CareFile, file_id)
        care_file.managing_unit_id = anyang
        care_file.failed_attempts = 2
    async with app.state.sessionmaker() as session:
        stored = await stored_tallies(session)
    assert stored["spans"] == {(OPEN_END, feb, anyang, 60): 1}
    assert {key[3] for key in stored["runs"]} == {anyang}
    assert {key[2] for key in stored["credits"]} == {anyang}
    assert stored["open"] == {
        ("open", NO_DAY, anyang): 1,
        ("lead", NO_DAY, anyang): 1,
        ("due", date(2026, 6, 5), anyang): 1,
        ("due_month", date(2026, 6, 1), anyang): 1,
        ("lost", NO_DAY, anyang): 1,  # two failed attempts: lost whatever the day
        ("lost_month", NO_DAY, anyang): 1,
    }
    async with app.state.sessionmaker() as session, session.begin():
        care_file = await session.get(CareFile, file_id)
        care_file.status = "closed"
        care_file.closed_at = beijing("2026-05-20")
    async with app.state.sessionmaker() as session:
        stored = await stored_tallies(session)
    assert stored["spans"] == {(apr, feb, anyang, 60): 1}
    assert stored["runs"] == {
        (feb, 0, feb - 11, anyang): 1,
        (mar, 0, mar - 11, anyang): 1,
        (apr, 1, apr - 11, anyang): 1,  # its last whole month
    }
    # A period running past April counts the file up to April: March–June is March–April for it (61 days).
    assert stored["credits"][(mar, month(2026, 6), anyang)] == 1
    assert stored["open"] == {}
    await assert_tallies_agree(app)

    # Reopened on 1 June (as the services reopen a file: opened again, no closing date): from June on.
    async with app.state.sessionmaker() as session, session.begin():
        care_file = await session.get(CareFile, file_id)
        care_file.status = "open"
        care_file.closed_at = None
        care_file.opened_at = beijing("2026-06-01", 9)
    async with app.state.sessionmaker() as session:
        stored = await stored_tallies(session)
    assert stored["spans"] == {(OPEN_END, month(2026, 6), anyang, 60): 1}
    assert stored["runs"] == {}  # no contact since
    assert stored["credits"] == {}
    await assert_tallies_agree(app)

    # Deleted with its timeline (its summary first, as the foreign keys ask): nothing left anywhere.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(sa.delete(CareFileYear).where(CareFileYear.care_file_id == file_id))
        await session.execute(
            sa.delete(CareEntry).where(CareEntry.care_file_id == file_id, CareEntry.corrects_id.is_not(None))
        )
        await session.execute(sa.delete(CareEntry).where(CareEntry.care_file_id == file_id))
        await session.execute(sa.delete(CareFile).where(CareFile.id == file_id))
    async with app.state.sessionmaker() as session:
        assert await stored_tallies(session) == {name: {} for name in TABLES}


# --- Random writes ---------------------------------------------------------------------------------------


def _moment(rng: random.Random, first: date, last: date) -> datetime:
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    return beijing(day.isoformat(), rng.choice([0, 1, 9, 15, 23]))


async def test_random_writes_keep_every_tally_right(app, client, login, county, person):
    rng = random.Random(1802)
    units = [county["units"][name].id for name in ("锦湖街道", "安阳街道", "马屿镇")]
    minors = [await _minor(client, login, person) for _ in range(10)]
    async with app.state.sessionmaker() as session:
        lead = await session.scalar(sa.select(User.id).where(User.username == "jinhu_worker"))
    files: list[uuid.UUID] = []
    free_minors = list(minors)

    async def write(operation: str) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            if operation == "file" and free_minors:
                opened = _moment(rng, date(2024, 11, 1), date(2026, 11, 30))
                care_file = CareFile(
                    minor_id=free_minors.pop(),
                    managing_unit_id=rng.choice(units),
                    status="open",
                    trigger="manual",
                    opened_at=opened,
                    interval_days=30,
                    urine_test_interval_days=rng.choice([None, 0, 7, 30, 45, 90]),
                    next_due_on=date(2026, 1, 1) + timedelta(days=rng.randrange(400)),
                    lost_contact_on=date(2026, 1, 1) + timedelta(days=rng.randrange(400)),
                    failed_attempts=rng.choice([0, 0, 1, 2]),
                    lead_worker_id=rng.choice([lead, None]),
                )
                session.add(care_file)
                await session.flush()
                files.append(care_file.id)
                return
            if not files:
                return
            file_id = rng.choice(files)
            care_file = await session.get(CareFile, file_id)
            assert care_file is not None
            if operation == "entry":
                kind = rng.choice(
                    ["talk", "talk", "home_visit", "note", "urine_test", "urine_test", "urine_test"]
                )
                session.add(
                    CareEntry(
                        care_file_id=file_id,
                        kind=kind,
                        occurred_at=_moment(rng, date(2025, 9, 1), date(2026, 12, 1)),
                        actor_name="测试",
                        summary="…",
                        contact_succeeded=rng.random() < 0.8,
                        urine_result=rng.choice(["negative", "positive", "refused"])
                        if kind == "urine_test"
                        else None,
                    )
                )
            elif operation == "correction":
                corrected = sa.select(CareEntry.corrects_id).where(CareEntry.corrects_id.is_not(None))
                target = await session.scalar(
                    sa.select(CareEntry)
                    .where(CareEntry.care_file_id == file_id, CareEntry.id.not_in(corrected))
                    .limit(1)
                )
                if target is not None:
                    kind = rng.choice(["talk", "note", "urine_test"])
                    session.add(
                        CareEntry(
                            care_file_id=file_id,
                            kind=kind,
                            occurred_at=_moment(rng, date(2024, 10, 1), date(2026, 12, 1)),
                            actor_name="测试",
                            summary="更正",
                            contact_succeeded=rng.random() < 0.8,
                            urine_result="negative" if kind == "urine_test" else None,
                            corrects_id=target.id,
                        )
                    )
            elif operation == "transfer":
                care_file.managing_unit_id = rng.choice(units)
            elif operation == "close" and care_file.status != "closed":
                care_file.status = "closed"
                care_file.closed_at = _moment(rng, date(2025, 1, 1), date(2026, 12, 1))
            elif operation == "reopen" and care_file.status == "closed":
                care_file.status = "open"
                care_file.closed_at = None
                care_file.opened_at = _moment(rng, date(2025, 1, 1), date(2026, 11, 30))
            elif operation == "plan":
                care_file.urine_test_interval_days = rng.choice([None, 10, 30, 60, 90])
            elif operation == "worklist":
                care_file.next_due_on = date(2026, 1, 1) + timedelta(days=rng.randrange(400))
                care_file.lost_contact_on = date(2026, 1, 1) + timedelta(days=rng.randrange(400))
                care_file.failed_attempts = rng.choice([0, 1, 2, 3])
                care_file.lead_worker_id = rng.choice([lead, None])
                if care_file.status != "closed":
                    care_file.status = rng.choice(["open", "closure_requested"])
            elif operation == "delete":
                await session.execute(sa.delete(CareFileYear).where(CareFileYear.care_file_id == file_id))
                await session.execute(
                    sa.delete(CareEntry).where(
                        CareEntry.care_file_id == file_id, CareEntry.corrects_id.is_not(None)
                    )
                )
                await session.execute(sa.delete(CareEntry).where(CareEntry.care_file_id == file_id))
                await session.delete(care_file)
                files.remove(file_id)
                free_minors.append(care_file.minor_id)

    operations = ["file"] * 3 + ["entry"] * 12 + ["correction"] * 2 + ["transfer", "close", "reopen", "plan"]
    operations += ["worklist", "delete"]
    for step in range(200):
        await write("file" if step < 6 else rng.choice(operations))
        if step % 40 == 39:
            await assert_tallies_agree(app)
    stored = await assert_tallies_agree(app)
    # Not passed by empty tables.
    assert all(stored[name] for name in TABLES), {name: len(rows) for name, rows in stored.items()}


async def test_files_worked_through_the_api_keep_their_tallies(
    app, client, login, open_file, add_entry, county
):
    first = await open_file(plan={"urine_test_interval_days": 30})
    second = await open_file()
    # Opened in August (a stored record's age set as time would): September to November are whole months.
    async with app.state.sessionmaker() as session, session.begin():
        for care_file in (first, second):
            stored_file = await session.get(CareFile, uuid.UUID(care_file["id"]))
            stored_file.opened_at = beijing("2026-08-01", 9)
    for care_file in (first, second):
        for kind, day, extra in (
            ("talk", "2026-09-03T10:00:00+08:00", {}),
            ("urine_test", "2026-09-20T10:00:00+08:00", {"urine_result": "negative"}),
            ("home_visit", "2026-10-01T00:30:00+08:00", {}),
            ("talk", "2026-11-05T10:00:00+08:00", {"contact_succeeded": False}),
        ):
            assert_status(await add_entry(care_file, kind=kind, occurred_at=day, **extra), 201)
    stored = await assert_tallies_agree(app)
    jinhu = county["units"]["锦湖街道"].id
    assert stored["open"][("open", NO_DAY, jinhu)] == 2
    # The second moves to 安阳 through a transfer, and the first is closed with a lead's approval.
    worker, lead = await login("jinhu_worker"), await login("jinhu_lead")
    transfer = await client.post(
        TRANSFERS,
        json={
            "minor_id": second["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason": "搬家",
        },
        headers=worker,
    )
    transfer_id = assert_status(transfer, 201).json()["id"]
    assert_status(
        await client.post(f"{TRANSFERS}/{transfer_id}/accept", headers=await login("other_worker")), 200
    )
    url = f"{CARE_FILES}/{first['id']}"
    assert_status(await client.post(f"{url}/closure", json={"reason": "stable"}, headers=worker), 200)
    assert_status(await client.post(f"{url}/closure/approve", json={"comment": "同意"}, headers=lead), 200)
    stored = await assert_tallies_agree(app)
    anyang = county["units"]["安阳街道"].id
    assert {unit for *_, unit in stored["open"]} == {anyang}
    assert {unit for *_, unit in stored["runs"]} == {jinhu, anyang}
