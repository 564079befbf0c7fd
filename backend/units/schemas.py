import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from backend.units.models import UnitKind

_DIVISION_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def _division_code(value: str | None) -> str | None:
    if value is None:
        return None
    if not _DIVISION_CODE.fullmatch(value):
        raise ValueError("must be a 6, 9 or 12-digit administrative division code")
    # 12-digit statistical codes are canonical: pad 6- and 9-digit codes with zeros.
    return value.ljust(12, "0")


DivisionCode = Annotated[
    str | None,
    AfterValidator(_division_code),
    Field(description="GB/T 2260 or 12-digit 统计用区划代码", examples=["330381005000"]),
]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class UnitSummary(BaseModel):
    """The unit as other resources name it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: UnitKind


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: UnitName = Field(examples=["锦湖街道"])
    kind: UnitKind
    parent_id: uuid.UUID
    division_code: DivisionCode = None


class UnitUpdate(BaseModel):
    """Rename, move (``parent_id``), change the division code, or (de)activate."""

    model_config = ConfigDict(extra="forbid")

    name: UnitName | None = None
    parent_id: uuid.UUID | None = None
    division_code: DivisionCode = None
    is_active: bool | None = None


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: UnitKind
    division_code: str | None
    parent_id: uuid.UUID | None
    depth: int
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class UnitNode(BaseModel):
    """A unit in the tree view, with its children."""

    id: uuid.UUID
    name: str
    kind: UnitKind
    division_code: str | None
    parent_id: uuid.UUID | None
    is_active: bool
    version: int
    children: list["UnitNode"] = Field(default_factory=list)
