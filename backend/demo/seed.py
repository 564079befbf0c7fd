"""The demo county, modelled on 瑞安市 (330381): units, one account per role, the two machine clients.

Idempotent: what exists is kept (passwords included), what is missing is added. Later capabilities add
their own demo data here.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import CareFile, CareTrigger, ClosureReason, EntryKind, TeamRole, UrineResult
from backend.care_files.schemas import ClosureRequest, EntryCreate
from backend.care_files.service import closure as care_closure
from backend.care_files.service import files as care_files
from backend.clients import service as clients
from backend.clients.models import ApiClient
from backend.clients.schemas import ClientCreate
from backend.db import local_today, utcnow
from backend.demo.assessments import seed_demo_assessment
from backend.demo.campaigns import seed_demo_campaigns
from backend.demo.people import synthetic_person
from backend.demo.principals import client_principal, user_principal
from backend.demo.venues import seed_demo_venues
from backend.demo.work_records import seed_demo_work_records
from backend.minors.models import Minor, MinorSource, RiskCategory, RiskLevel, SchoolingStatus, Substance
from backend.minors.schemas import GuardianIn, MinorCreate
from backend.minors.service import registry as minors
from backend.school_metrics import service as school_metrics
from backend.security.crypto import cipher_of
from backend.security.roles import Role, Scope
from backend.seizures import service as seizures
from backend.seizures.models import SeizureMeasure, SeizureNotice, SeizureTestResult
from backend.seizures.schemas import SeizureNoticeCreate, SeizurePerson
from backend.settings import Settings
from backend.terms import Term
from backend.transfers import service as transfers
from backend.transfers.models import TransferReason
from backend.units import service as units
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitCreate
from backend.users import service as users
from backend.users.models import User
from backend.users.schemas import UserCreate
from backend.workflows import followup, intake

DEFAULT_DEMO_PASSWORD = "Qinghu-Demo-2026"  # noqa: S105 - the documented demo default, warned about when used
DEFAULT_DEMO_CLIENT_SECRET = "qinghu-demo-client-secret-2026"  # noqa: S105

COUNTY = "瑞安市禁毒委员会办公室"
EDUCATION_BUREAU = "瑞安市教育局"
JINHU = "锦湖街道"
ANYANG = "安阳街道"

# (name, kind, division code, children)
UNIT_TREE: tuple[Any, ...] = (
    COUNTY, UnitKind.county_office, "330381000000", (
        (EDUCATION_BUREAU, UnitKind.department, None, ()),
        (JINHU, UnitKind.township, "330381005000", (
            ("滨江社区", UnitKind.community, "330381005001", ()),
            ("锦园社区", UnitKind.community, "330381005002", ()),
            ("虹桥社区", UnitKind.community, "330381005003", ()),
            ("锦湖派出所", UnitKind.police_station, None, ()),
            ("瑞安市锦湖中学", UnitKind.school, None, ()),
            ("瑞安市锦湖第一小学", UnitKind.school, None, ()),
        )),
        (ANYANG, UnitKind.township, "330381001000", (
            ("万松社区", UnitKind.community, "330381001001", ()),
            ("隆山社区", UnitKind.community, "330381001002", ()),
            ("安阳派出所", UnitKind.police_station, None, ()),
            ("瑞安市安阳实验中学", UnitKind.school, None, ()),
        )),
        ("玉海街道", UnitKind.township, "330381002000", (
            ("南门社区", UnitKind.community, "330381002001", ()),
            ("西门社区", UnitKind.community, "330381002002", ()),
            ("玉海派出所", UnitKind.police_station, None, ()),
            ("瑞安市第四中学", UnitKind.school, None, ()),
        )),
        ("马屿镇", UnitKind.township, "330381107000", (
            ("马屿村", UnitKind.community, "330381107201", ()),
            ("篁社村", UnitKind.community, "330381107202", ()),
            ("马屿派出所", UnitKind.police_station, None, ()),
            ("瑞安市马屿中学", UnitKind.school, None, ()),
        )),
    ),
)  # fmt: skip

# (username, display name, role, unit name)
DEMO_PEOPLE = (
    ("admin", "系统管理员", Role.admin, COUNTY),
    ("county_lead", "陈主任", Role.supervisor, COUNTY),
    ("jinhu_lead", "林站长", Role.supervisor, JINHU),
    ("jinhu_worker", "周社工", Role.caseworker, JINHU),
    ("other_worker", "吴社工", Role.caseworker, ANYANG),
    ("jinhu_police", "郑警官", Role.police, "锦湖派出所"),
    ("school_teacher", "王老师", Role.school_staff, "瑞安市锦湖中学"),
    ("edu_officer", "黄科长", Role.education, EDUCATION_BUREAU),
    ("auditor", "督查员", Role.auditor, COUNTY),
)

# (client id, name, unit name, scopes)
DEMO_CLIENTS = (
    ("police-jinhu", "锦湖派出所警务系统", "锦湖派出所", (Scope.seizures_write, Scope.seizures_read)),
    ("edu-bureau", "瑞安市教育局数据平台", EDUCATION_BUREAU, (Scope.stats_read,)),
)


@dataclass
class DemoCredentials:
    password: str
    client_secret: str
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> "DemoCredentials":
        warnings = []
        password = settings.demo_password.get_secret_value() if settings.demo_password else None
        secret = settings.demo_client_secret.get_secret_value() if settings.demo_client_secret else None
        if password is None:
            warnings.append(
                f"WARNING: demo accounts use the default password {DEFAULT_DEMO_PASSWORD!r}; "
                "set QINGHU_DEMO_PASSWORD for anything but a local demo."
            )
        if secret is None:
            warnings.append(
                f"WARNING: demo clients use the default secret {DEFAULT_DEMO_CLIENT_SECRET!r}; "
                "set QINGHU_DEMO_CLIENT_SECRET for anything but a local demo."
            )
        return cls(password or DEFAULT_DEMO_PASSWORD, secret or DEFAULT_DEMO_CLIENT_SECRET, warnings)


async def _ensure_units(session: AsyncSession) -> dict[str, Unit]:
    by_name: dict[str, Unit] = {}

    async def ensure(node: tuple[Any, ...], parent: Unit | None) -> None:
        name, kind, code, children = node
        unit = await session.scalar(
            sa.select(Unit).where(Unit.name == name, Unit.parent_id == (parent.id if parent else None))
            if parent
            else sa.select(Unit).where(Unit.name == name, Unit.parent_id.is_(None))
        )
        if unit is None:
            if parent is None:
                unit = await units.create_root_unit(session, name=name, kind=kind, division_code=code)
            else:
                unit = await units.create_unit(
                    session,
                    principal=None,
                    unit_in=UnitCreate(name=name, kind=kind, parent_id=parent.id, division_code=code),
                )
        by_name[name] = unit
        for child in children:
            await ensure(child, unit)

    await ensure(UNIT_TREE, None)
    return by_name


# The grades each demo school teaches (1–6 小学, 7–9 初中, 10–12 高中): a 小学 has no 高二 pupils.
SCHOOL_GRADES: dict[str, range] = {
    "瑞安市锦湖中学": range(7, 13),
    "瑞安市锦湖第一小学": range(1, 7),
    "瑞安市安阳实验中学": range(7, 10),
    "瑞安市第四中学": range(10, 13),
    "瑞安市马屿中学": range(7, 13),
}
GRADE_NAMES = (
    "一年级",
    "二年级",
    "三年级",
    "四年级",
    "五年级",
    "六年级",
    "初一",
    "初二",
    "初三",
    "高一",
    "高二",
    "高三",
)
# The five grades a pupil's grade was once drawn from; drawn still, to keep the same seed's people the same.
_FORMER_GRADE_DRAW = ("初一", "初二", "初三", "高一", "高二")


def grade_on(birth: date, today: date) -> int:
    """The grade a child born on ``birth`` is in on ``today``: the school year starts on 1 September, and a
    child six by 31 August starts grade 1 that year."""
    year = today.year if today.month >= 9 else today.year - 1
    age_at_start = year - birth.year - (1 if (birth.month, birth.day) > (8, 31) else 0)
    return age_at_start - 5


def school_for(grade: int, drawn: Unit, township_schools: list[Unit], all_schools: list[Unit]) -> Unit | None:
    """The school a pupil of ``grade`` attends: the one drawn if it teaches that grade, else one of the
    township's that does, else one elsewhere in the county (a high school serves several townships)."""
    for candidate in (drawn, *township_schools, *all_schools):
        if grade in SCHOOL_GRADES.get(candidate.name, ()):
            return candidate
    return None


DRUG_CATEGORIES = (RiskCategory.nps_abuse, RiskCategory.seized_drug_use)
SCHOOL_CATEGORIES = (
    RiskCategory.dropout,
    RiskCategory.out_of_school,
    RiskCategory.double_poor,
    RiskCategory.key_student,
    RiskCategory.left_behind,
    RiskCategory.idle_youth,
    RiskCategory.misconduct,
)


async def _seed_minors(
    session: AsyncSession,
    *,
    count: int,
) -> int:
    """Synthetic minors spread over the townships' communities; the same ``count`` gives the same people."""
    cipher = cipher_of(session)
    existing = await session.scalar(sa.select(sa.func.count()).select_from(Minor)) or 0
    if existing >= count:
        return 0
    townships = (
        await session.scalars(sa.select(Unit).where(Unit.kind == UnitKind.township).order_by(Unit.name))
    ).all()
    places = []
    for township in townships:
        children = (await session.scalars(sa.select(Unit).where(Unit.parent_id == township.id))).all()
        communities = [unit for unit in children if unit.kind == UnitKind.community]
        schools = [unit for unit in children if unit.kind == UnitKind.school]
        places.append((township, communities, schools))
    all_schools = [school for _, _, schools in places for school in schools]
    rng = random.Random(20261122)  # noqa: S311 - made-up demo data, not secrets
    today = local_today()
    added = 0
    for _ in range(count):
        # The draws are made in the order they always were, so the same seed gives the same people.
        township, communities, schools = rng.choice(places)
        community = rng.choice(communities)
        someone = synthetic_person(rng, today=today, age=rng.choice((12, 13, 14, 15, 16, 16, 17, 17)))
        categories = set(rng.sample(SCHOOL_CATEGORIES, rng.randint(1, 2)))
        substances: list[Substance] = []
        if rng.random() < 0.35:
            categories.add(rng.choice(DRUG_CATEGORIES))
            substances = rng.sample(
                (Substance.etomidate, Substance.nitrous_oxide, Substance.dextromethorphan), rng.randint(1, 2)
            )
        in_school = rng.random() < 0.6
        phone = someone.phone if rng.random() < 0.7 else None
        guardian = GuardianIn(
            relation=rng.choice(("father", "mother", "grandparent")),
            name=synthetic_person(rng, today=today, age=40).name,
            phone=synthetic_person(rng, today=today).phone,
        )
        household_address = (
            f"{township.name}{community.name}{rng.randint(1, 40)}幢{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        )
        residence_address = f"{township.name}{community.name}{rng.randint(1, 40)}号"
        drawn_school = rng.choice(schools) if in_school and schools else None
        if in_school:
            rng.choice(_FORMER_GRADE_DRAW)
        # A pupil's grade follows from the birth date, and the school is one that teaches that grade.
        grade = grade_on(someone.birth_date, today)
        school = school_for(grade, drawn_school, schools, all_schools) if drawn_school else None
        minor_in = MinorCreate(
            name=someone.name,
            id_number=someone.id_number,
            phone=phone,
            guardians=[guardian],
            household_division_code=community.division_code,
            household_address=household_address,
            residence_division_code=community.division_code,
            residence_address=residence_address,
            school_id=school.id if school else None,
            grade=GRADE_NAMES[grade - 1] if school and 1 <= grade <= len(GRADE_NAMES) else None,
            schooling_status=SchoolingStatus.in_school
            if in_school
            else rng.choice(
                (SchoolingStatus.dropped_out, SchoolingStatus.out_of_school, SchoolingStatus.working)
            ),
            risk_categories=sorted(categories),
            substances=substances,
            risk_level=RiskLevel.high if substances else rng.choice((RiskLevel.low, RiskLevel.medium)),
        )
        lookup_hash = cipher.lookup_hash(someone.id_number, context="id_number:mainland_id")
        if await session.scalar(sa.select(Minor.id).where(Minor.id_number_hash == lookup_hash)):
            continue
        await minors.insert_record(
            session,
            actor=None,
            minor_in=minor_in,
            number=someone.id_number,
            birth_date=someone.birth_date,
            gender=someone.gender,
            lookup_hash=lookup_hash,
            school_id=minor_in.school_id,
            managing_unit_id=township.id,
            source=MinorSource.school_report if in_school and rng.random() < 0.3 else MinorSource.screening,
        )
        added += 1
        if existing + added >= count:
            break
    return added


# (notice no, hours ago, residence code, address, what happens after)
DEMO_NOTICES = (
    ("JHPCS-DEMO-0001", 30, "330381005002", "锦湖街道锦园路8号", "acknowledged"),
    ("JHPCS-DEMO-0002", 28, "330381005001", "锦湖街道滨江社区3幢", "overdue"),
    ("JHPCS-DEMO-0003", 2, "330381001001", "安阳街道万松社区", "waiting"),
    ("JHPCS-DEMO-0004", 1, "330302001000", "温州市鹿城区五马街道某小区", "routed_out"),
)


async def _seed_seizure_notices(session: AsyncSession, *, unit_by_name: dict[str, Unit]) -> int:
    """A few notices from 锦湖派出所's system: acknowledged, overdue, waiting and routed out of the county."""
    if await session.scalar(sa.select(sa.func.count()).select_from(SeizureNotice)):
        return 0
    police = await client_principal(session, "police-jinhu")
    station_lead = await user_principal(session, "jinhu_lead")
    assert police is not None
    assert station_lead is not None
    rng = random.Random(20261123)  # noqa: S311 - made-up demo data
    today = local_today()
    for notice_no, hours_ago, residence, address, outcome in DEMO_NOTICES:
        someone = synthetic_person(rng, today=today, age=rng.choice((14, 15, 16, 17)))
        notice_in = SeizureNoticeCreate(
            notice_no=notice_no,
            seized_at=utcnow() - timedelta(hours=hours_ago + 1),
            place=rng.choice(("锦湖街道某KTV", "安阳街道某网吧", "玉海街道某酒店")),
            person=SeizurePerson(
                name=someone.name,
                id_number=someone.id_number,
                gender=someone.gender,
                residence_division_code=residence,
                residence_address=address,
            ),
            substances=[rng.choice((Substance.etomidate, Substance.nitrous_oxide))],
            test_result=SeizureTestResult.positive,
            measures=[SeizureMeasure.admonition, SeizureMeasure.ordered_repentance],
            summary="演示数据：当场查获，已通知监护人。",
        )
        pushed = await intake.push_seizure_notice(
            session,
            principal=police,
            notice_in=notice_in,
            idempotency_key=f"demo-{notice_no}",
            ack_within_hours=0,
        )
        notice = await session.get_one(SeizureNotice, pushed.notice_id)
        notice.received_at = utcnow() - timedelta(hours=hours_ago)
        notice.ack_deadline_at = seizures.ack_deadline(notice.received_at, 0)
        if outcome == "acknowledged":
            await intake.acknowledge_notice(session, principal=station_lead, notice_id=notice.id)
        await session.flush()
    return len(DEMO_NOTICES)


DEMO_TERMS = 3


async def _seed_school_metrics(session: AsyncSession, unit_by_name: dict[str, Unit]) -> int:
    """Figures for every demo school for the current term and the two before it; the same each time."""
    terms = [Term.current()]
    while len(terms) < DEMO_TERMS:
        terms.append(terms[-1].previous())
    added = 0
    for name, unit in sorted(unit_by_name.items()):
        if unit.kind != UnitKind.school:
            continue
        for term in terms:
            rng = random.Random(f"{name}/{term.code}")  # noqa: S311 - made-up demo data
            enrolled = rng.randint(600, 2400)
            registered = enrolled - rng.choice((0, 0, rng.randint(1, 40)))
            completed = registered - rng.choice((0, rng.randint(1, 60)))
            figures = {
                "students_enrolled": enrolled,
                "students_registered": registered,
                "students_completed": completed,
                "lesson_hours": rng.choice((1, 2, 2, 3)),
                "five_one_activities": rng.randint(1, 5),
                "exams_with_content": rng.randint(0, 3),
                "teachers_trained": rng.randint(2, 12),
            }
            added += await school_metrics.record_system_figures(
                session, school_id=unit.id, term=term, figures=figures
            )
    return added


# Days since the last contact of each demo file, in order: on time, due soon, overdue, lost (no contact),
# lost (two failed attempts), and so on round.
DEMO_CONTACT_AGES = (2, 10, 20, 40, 3, 1, 12, 25)


async def _seed_care_files(session: AsyncSession, *, per_township: int = 8) -> int:
    """Care files for the first minors of 锦湖街道 and 安阳街道 (by birth date and name, so the same seed gives
    the same files), with timelines that fill every worklist, a closure request and a pending transfer."""
    # Once per database: the files this opens by hand. Not "any file": the seizure notices and registrations
    # seeded before it open files of their own, which made it open none (issue 17's empty worklists).
    if await session.scalar(
        sa.select(sa.func.count()).select_from(CareFile).where(CareFile.trigger == CareTrigger.manual)
    ):
        return 0
    opened = 0
    now = utcnow()
    for township, username in ((JINHU, "jinhu_worker"), (ANYANG, "other_worker")):
        worker = await user_principal(session, username)
        assert worker is not None
        unit_id = await session.scalar(sa.select(Unit.id).where(Unit.name == township))
        minor_ids = (
            await session.scalars(
                sa.select(Minor.id)
                .where(Minor.managing_unit_id == unit_id)
                .order_by(Minor.birth_date, Minor.name)
                .limit(per_township)
            )
        ).all()
        for index, minor_id in enumerate(minor_ids):
            care_file = await care_files.open_or_reopen_file(
                session, minor_id=minor_id, unit_id=unit_id, trigger=CareTrigger.manual, actor=worker
            )
            care_file.lead_worker_id = worker.id
            care_file.team = [
                {
                    "role": TeamRole.family_member.value,
                    "user_id": None,
                    "name": "王秀芳",
                    "organisation": "母亲",
                }
            ]
            # Named by the station: the lead's assignment, confirmed.
            care_file.responsible_user_ids = care_file.confirmed_responsible_ids = [str(worker.id)]
            care_file.goals = "保持学业稳定，远离新型成瘾物质"
            care_file.measures = "每两周谈心谈话一次；每月家访；每季度尿检"
            age = DEMO_CONTACT_AGES[index % len(DEMO_CONTACT_AGES)]
            await followup.record_care_entry(
                session,
                principal=worker,
                care_file=care_file,
                entry_in=EntryCreate(
                    kind=EntryKind.talk,
                    occurred_at=now - timedelta(days=age),
                    summary="谈心谈话，了解近期学习和交友情况",
                ),
            )
            if index % len(DEMO_CONTACT_AGES) == 4:  # two failed attempts since: lost contact
                for days in (2, 1):
                    await followup.record_care_entry(
                        session,
                        principal=worker,
                        care_file=care_file,
                        entry_in=EntryCreate(
                            kind=EntryKind.home_visit,
                            occurred_at=now - timedelta(days=days, hours=-1),
                            summary="上门家访，家中无人",
                            contact_succeeded=False,
                        ),
                    )
            if index == 1:
                await followup.record_care_entry(
                    session,
                    principal=worker,
                    care_file=care_file,
                    entry_in=EntryCreate(
                        kind=EntryKind.urine_test,
                        occurred_at=now - timedelta(days=9),
                        summary="尿检结果阴性",
                        urine_result=UrineResult.negative,
                    ),
                )
            if township == JINHU and index == 5:
                await care_closure.request_closure(
                    session,
                    principal=worker,
                    care_file=care_file,
                    closure_in=ClosureRequest(reason=ClosureReason.stable, note="帮教期满，表现良好"),
                )
            if township == JINHU and index == 6:
                anyang_id = await session.scalar(sa.select(Unit.id).where(Unit.name == ANYANG))
                await transfers.start_transfer(
                    session,
                    minor_id=minor_id,
                    from_unit_id=unit_id,
                    to_unit_id=anyang_id,
                    outside_division_code=None,
                    outside_place_name=None,
                    reason="实际居住地在安阳街道",
                    actor=worker,
                    reason_code=TransferReason.residence_differs,
                )
            opened += 1
    return opened


async def seed_demo_county(
    session: AsyncSession,
    *,
    credentials: DemoCredentials,
    if_empty: bool = False,
    minors: int = 0,
    campaigns: bool = False,
) -> str | None:
    """Load the demo county; with ``if_empty``, only into a database without units. Returns a summary."""
    if if_empty and await session.scalar(sa.select(sa.func.count()).select_from(Unit)):
        return None
    unit_by_name = await _ensure_units(session)
    for username, display_name, role, unit_name in DEMO_PEOPLE:
        if await session.scalar(sa.select(User.id).where(User.username == username)) is None:
            await users.create_user(
                session,
                principal=None,
                user_in=UserCreate(
                    username=username,
                    display_name=display_name,
                    role=role,
                    unit_id=unit_by_name[unit_name].id,
                    password=credentials.password,
                ),
                must_change_password=False,
            )
    for client_id, name, unit_name, scopes in DEMO_CLIENTS:
        if await session.scalar(sa.select(ApiClient.id).where(ApiClient.client_id == client_id)) is None:
            await clients.create_client(
                session,
                principal=None,
                client_in=ClientCreate(
                    client_id=client_id, name=name, unit_id=unit_by_name[unit_name].id, scopes=list(scopes)
                ),
                secret=credentials.client_secret,
            )
    added_minors = await _seed_minors(session, count=minors) if minors else 0
    added_campaigns = await seed_demo_campaigns(session) if campaigns else 0
    # With the campaigns (``make run``'s county): the pages of work records are not empty.
    added_records = await seed_demo_work_records(session) if campaigns else 0
    added_notices = await _seed_seizure_notices(session, unit_by_name=unit_by_name) if minors else 0
    await _seed_school_metrics(session, unit_by_name)
    opened_files = await _seed_care_files(session) if minors else 0
    added_venues = await seed_demo_venues(session) if campaigns else 0
    added_schemes = await seed_demo_assessment(session) if campaigns else 0
    accounts = ", ".join(username for username, *_ in DEMO_PEOPLE)
    clients_line = ", ".join(client_id for client_id, *_ in DEMO_CLIENTS)
    return (
        f"Demo county {COUNTY} loaded: {len(unit_by_name)} units, {added_minors} synthetic minors added, "
        f"{added_campaigns} campaigns and {added_records} work records added.\n"
        f"{added_notices} seizure notices added.\n"
        f"{opened_files} care files opened.\n"
        f"{added_venues} venues added with their checks, and pharmacy checks.\n"
        f"{added_schemes} assessment schemes added (with a finalised run).\n"
        f"Accounts: {accounts} (password from QINGHU_DEMO_PASSWORD).\n"
        f"Machine clients: {clients_line} (secret from QINGHU_DEMO_CLIENT_SECRET)."
    )
