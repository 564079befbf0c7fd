"""The demo county is plausible: every pupil's school teaches the pupil's grade, and the grade fits the age."""

from datetime import date

import sqlalchemy as sa

from backend.demo.seed import DemoCredentials, grade_on, seed_demo_county
from backend.minors.models import Minor
from backend.units.models import Unit
from tests.conftest import DEMO_CLIENT_SECRET, DEMO_PASSWORD

PRIMARY = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR = ("初一", "初二", "初三")
SENIOR = ("高一", "高二", "高三")
# What each demo school teaches, written out (not read from the seed).
TEACHES = {
    "瑞安市锦湖第一小学": PRIMARY,
    "瑞安市安阳实验中学": JUNIOR,
    "瑞安市第四中学": SENIOR,
    "瑞安市锦湖中学": JUNIOR + SENIOR,
    "瑞安市马屿中学": JUNIOR + SENIOR,
}


def test_the_grade_follows_the_birth_date_with_the_school_year_starting_in_september() -> None:
    today = date(2026, 12, 1)
    assert grade_on(date(2014, 3, 1), today) == 7  # twelve by 31 August 2026: 初一
    assert grade_on(date(2014, 8, 31), today) == 7
    assert grade_on(date(2014, 9, 1), today) == 6  # eleven on 31 August: still 六年级
    assert grade_on(date(2009, 1, 15), today) == 12  # 高三
    assert grade_on(date(2014, 3, 1), date(2027, 6, 30)) == 7  # the same school year until August
    assert grade_on(date(2014, 3, 1), date(2027, 9, 1)) == 8


async def test_pupils_attend_schools_that_teach_their_grade_at_the_right_age(app) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_county(
            session,
            credentials=DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET),
            minors=120,
        )
    async with app.state.sessionmaker() as session:
        total = await session.scalar(sa.select(sa.func.count()).select_from(Minor))
        pupils = (
            await session.execute(
                sa.select(Minor.grade, Minor.birth_date, Unit.name).join(Unit, Unit.id == Minor.school_id)
            )
        ).all()
    assert total == 124  # the 120 asked for, and the 4 that the demo seizure notices bring
    assert len(pupils) > 40
    today = date.today()
    for grade, birth_date, school in pupils:
        assert grade in TEACHES[school], (school, grade)
        # the age on 31 August of this school year: six for 一年级 … seventeen for 高三
        year = today.year if today.month >= 9 else today.year - 1
        age = year - birth_date.year - (1 if (birth_date.month, birth_date.day) > (8, 31) else 0)
        assert age == (PRIMARY + JUNIOR + SENIOR).index(grade) + 6, (grade, birth_date)
    assert {school for _, _, school in pupils} == set(TEACHES)


async def test_the_demo_opens_its_casework_once_beside_the_files_of_its_notices(app) -> None:
    # `make run`'s county: the workers' lists are not empty. The seizure notices seeded first open files of their
    # own; the demo's sixteen files (eight in each of two townships, each with its lead worker; a minor a notice
    # brought may be among them) come all the same,
    # and a second run opens none.
    from backend.care_files.models import CareFile, CareTrigger
    from backend.users.models import User

    credentials = DemoCredentials(DEMO_PASSWORD, DEMO_CLIENT_SECRET)
    async with app.state.sessionmaker() as session, session.begin():
        first = await seed_demo_county(session, credentials=credentials, minors=60)
    async with app.state.sessionmaker() as session, session.begin():
        second = await seed_demo_county(session, credentials=credentials, minors=60)
    assert first is not None
    assert "16 care files opened." in first
    assert second is not None
    assert "0 care files opened." in second
    async with app.state.sessionmaker() as session:
        by_hand = (
            await session.execute(
                sa.select(User.username, sa.func.count())
                .select_from(CareFile)
                .join(User, User.id == CareFile.lead_worker_id)
                .group_by(User.username)
            )
        ).all()
        from_notices = await session.scalar(
            sa.select(sa.func.count())
            .select_from(CareFile)
            .where(CareFile.trigger == CareTrigger.seizure_notice)
        )
    assert sorted(tuple(row) for row in by_hand) == [("jinhu_worker", 8), ("other_worker", 8)]
    assert from_notices >= 1
