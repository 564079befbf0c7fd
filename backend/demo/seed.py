"""The demo county, modelled on 瑞安市 (330381): units, one account per role, the two machine clients.

Idempotent: what exists is kept (passwords included), what is missing is added. Later capabilities add
their own demo data here.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients import service as clients
from backend.clients.models import ApiClient
from backend.clients.schemas import ClientCreate
from backend.security.roles import Role, Scope
from backend.settings import Settings
from backend.units import service as units
from backend.units.models import Unit, UnitKind
from backend.units.schemas import UnitCreate
from backend.users import service as users
from backend.users.models import User
from backend.users.schemas import UserCreate

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


async def seed_demo_county(
    session: AsyncSession, *, credentials: DemoCredentials, if_empty: bool = False, minors: int = 0
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
    accounts = ", ".join(username for username, *_ in DEMO_PEOPLE)
    clients_line = ", ".join(client_id for client_id, *_ in DEMO_CLIENTS)
    return (
        f"Demo county {COUNTY} loaded: {len(unit_by_name)} units.\n"
        f"Accounts: {accounts} (password from QINGHU_DEMO_PASSWORD).\n"
        f"Machine clients: {clients_line} (secret from QINGHU_DEMO_CLIENT_SECRET)."
    )
