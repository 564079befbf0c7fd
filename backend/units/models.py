import uuid

import sqlalchemy as sa
from sqlmodel import Field

from backend.db import Versioned, code_column, new_id
from backend.reference import LabelledEnum, reference


@reference("unit_kinds")
class UnitKind(LabelledEnum):
    county_office = ("county_office", "县（市、区）禁毒办", "County anti-drug office")
    township = ("township", "乡镇（街道）", "Township / street")
    community = ("community", "社区（村）", "Community / village")
    school = ("school", "学校", "School")
    police_station = ("police_station", "派出所", "Police station")
    department = ("department", "职能部门", "Department")


# Kinds of unit that manage minors (a township station, a community, the county office itself).
MANAGING_KINDS = frozenset({UnitKind.township, UnitKind.community, UnitKind.county_office})


# Which kind of unit may sit under which: the tree of docs/domain.md (Units).
ALLOWED_PARENT_KINDS: dict[UnitKind, frozenset[UnitKind | None]] = {
    UnitKind.county_office: frozenset({None, UnitKind.county_office}),
    UnitKind.department: frozenset({UnitKind.county_office, UnitKind.department}),
    UnitKind.township: frozenset({UnitKind.county_office}),
    UnitKind.community: frozenset({UnitKind.township}),
    UnitKind.school: frozenset({UnitKind.township, UnitKind.department}),
    UnitKind.police_station: frozenset({UnitKind.township}),
}

# Paths compare byte-wise; PostgreSQL's default collation would ignore the "/" separators.
PATH_TYPE = sa.String(400).with_variant(sa.String(400, collation="C"), "postgresql")


class Unit(Versioned, table=True):
    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("parent_id", "name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_type=sa.String(100), nullable=False)
    kind: UnitKind = code_column(nullable=False)
    division_code: str | None = Field(default=None, sa_type=sa.String(12), index=True)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="units.id", index=True)
    # Materialised path "/<root hex>/…/<own hex>/": a subtree is one range scan on this unique index.
    path: str = Field(sa_type=PATH_TYPE, nullable=False, unique=True)
    depth: int = Field(default=0, nullable=False)
    is_active: bool = Field(default=True, nullable=False)


def path_for(unit_id: uuid.UUID, parent_path: str | None) -> str:
    return f"{parent_path or '/'}{unit_id.hex}/"


def ids_on_path(path: str) -> list[uuid.UUID]:
    """``/a/b/c/`` → the ids of a, b and c: the unit and every unit above it, from the top down."""
    return [uuid.UUID(hex=segment) for segment in path.strip("/").split("/") if segment]


def root_path(path: str) -> str:
    """``/a/b/c/`` → ``/a/``: the top of the tree a unit belongs to (its county office)."""
    return "/" + path.strip("/").split("/", 1)[0] + "/"
