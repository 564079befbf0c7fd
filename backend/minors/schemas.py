import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from backend.messages import InvalidValue
from backend.minors.models import (
    BirthDatePrecision,
    FoundBy,
    Gender,
    GuardianRelation,
    IdDocumentType,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    SchoolingStatus,
    Substance,
    VerificationStatus,
)
from backend.units.schemas import DivisionCode, UnitSummary

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_OTHER_DOCUMENT = re.compile(r"^[A-Za-z0-9]{5,30}$")


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().replace(" ", "")
    if not _PHONE.fullmatch(value):
        raise ValueError("must be an 11-digit mobile number or a landline such as 0577-65812345")
    return value


def unique_codes(values: list[Any]) -> list[Any]:
    """A list of codes without repeats, in the order given."""
    return list(dict.fromkeys(values))


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Phone = Annotated[str | None, AfterValidator(_phone), Field(examples=["13812345678"])]
Address = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)]
Grade = Annotated[
    str | None, StringConstraints(strip_whitespace=True, max_length=20), Field(examples=["初二"])
]


class GuardianIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relation: GuardianRelation
    name: PersonName
    phone: Phone = None


class MinorFields(BaseModel):
    """What a caller may write about a minor, on registration and on later edits."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone = None
    guardians: Annotated[list[GuardianIn], Field(max_length=6)] = Field(default_factory=list)
    household_division_code: DivisionCode = None
    household_address: Address = None
    residence_division_code: DivisionCode = None
    residence_address: Address = None
    school_id: uuid.UUID | None = None
    grade: Grade = None
    schooling_status: SchoolingStatus = SchoolingStatus.unknown
    risk_categories: Annotated[list[RiskCategory], AfterValidator(unique_codes)] = Field(default_factory=list)
    substances: Annotated[list[Substance], AfterValidator(unique_codes)] = Field(default_factory=list)
    risk_level: RiskLevel = RiskLevel.low


def _iso_date_only(value: Any) -> Any:
    """A date in a body is written as an ISO date: lax parsing would read the number 0 as 1970-01-01."""
    if isinstance(value, str | date):
        return value
    raise InvalidValue("must be an ISO 8601 date, e.g. 2026-11-20")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=30)]


class MinorCreate(MinorFields):
    name: PersonName = Field(examples=["张三"])
    id_document_type: IdDocumentType = IdDocumentType.mainland_id
    id_number: IdNumber | None = Field(
        default=None,
        examples=["330381200901011231"],
        description="Required unless `provisional` is true (then it must be left out)",
    )
    provisional: bool = Field(
        default=False,
        description="Register before the ID number is known (待核实): name, gender and an approximate birth "
        "date instead; the number is added later with POST /api/v1/minors/{id}/verify",
    )
    birth_date_precision: BirthDatePrecision = Field(
        default=BirthDatePrecision.day,
        description="How much of `birth_date` is known (provisional records only): `year` or `month` store the "
        "first day of that year or month",
    )
    found_by: FoundBy | None = Field(default=None, description="How the minor came to notice (排查, 家长, …)")
    gender: Gender | None = Field(default=None, description="Derived from a mainland ID; must agree if given")
    birth_date: date | None = Field(
        default=None, description="Derived from a mainland ID; must agree if given"
    )
    managing_unit_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the caller's station (a school's or police station's township)"
    )
    source: MinorSource | None = Field(default=None, description="Defaults by the caller's role")

    @model_validator(mode="after")
    def _other_documents_need_their_facts(self) -> Self:
        if self.id_document_type is not IdDocumentType.mainland_id and self.id_number is not None:
            if not _OTHER_DOCUMENT.fullmatch(self.id_number):
                raise ValueError("id_number: must be 5–30 letters and digits")
            if self.gender is None or self.birth_date is None:
                raise ValueError("gender and birth_date are required when the document is not a mainland ID")
        return self


class MinorVerify(BaseModel):
    """The ID number of a provisional record, added once it is known; it travels in the body."""

    model_config = ConfigDict(extra="forbid")

    id_document_type: IdDocumentType = IdDocumentType.mainland_id
    id_number: IdNumber = Field(examples=["330381200901011231"])
    gender: Gender | None = Field(
        default=None, description="For a document that is not a mainland ID (a mainland ID gives it)"
    )
    birth_date: IsoDate | None = Field(
        default=None,
        description="For a document that is not a mainland ID (a mainland ID gives it)",
    )

    @model_validator(mode="after")
    def _other_documents_need_their_facts(self) -> Self:
        if self.id_document_type is not IdDocumentType.mainland_id:
            if not _OTHER_DOCUMENT.fullmatch(self.id_number):
                raise ValueError("id_number: must be 5–30 letters and digits")
            if self.gender is None or self.birth_date is None:
                raise ValueError("gender and birth_date are required when the document is not a mainland ID")
        return self


class MinorMerge(BaseModel):
    """Merge a provisional record into the record of the same person (both in the caller's scope)."""

    model_config = ConfigDict(extra="forbid")

    into_id: uuid.UUID = Field(description="The surviving record (verified, in scope)")


class DuplicateCheck(BaseModel):
    """Name and birth date to look for possible duplicates before registering; in the body, never in a URL.
    Records match on the name and the birth year only, whatever the precision: a finer answer would tell a
    named child's birth date day by day."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName = Field(examples=["张三"])
    birth_date: IsoDate = Field(examples=["2011-03-01"])
    birth_date_precision: BirthDatePrecision = BirthDatePrecision.day


class MinorUpdate(BaseModel):
    """Only the fields sent change. Sealing and status are for supervisors; the managing unit changes by
    transfer, not here."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    phone: Phone = None
    guardians: Annotated[list[GuardianIn], Field(max_length=6)] | None = None
    household_division_code: DivisionCode = None
    household_address: Address = None
    residence_division_code: DivisionCode = None
    residence_address: Address = None
    school_id: uuid.UUID | None = None
    grade: Grade = None
    schooling_status: SchoolingStatus | None = None
    risk_categories: Annotated[list[RiskCategory], AfterValidator(unique_codes)] | None = None
    substances: Annotated[list[Substance], AfterValidator(unique_codes)] | None = None
    risk_level: RiskLevel | None = None
    status: MinorStatus | None = None
    is_sealed: bool | None = None


class GuardianRead(BaseModel):
    relation: GuardianRelation
    name: str
    phone: str | None = None


class MinorRead(BaseModel):
    """A minor as the privacy policy lets the caller see it. Fields in ``hidden_fields`` are absent; fields in
    ``masked_fields`` hold their masked form (a birth date is then absent, the age stays)."""

    id: uuid.UUID
    version: int
    name: str | None = None
    id_document_type: IdDocumentType | None = None
    id_number: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    age: int = Field(description="In whole years")
    turns_18_on: date | None = Field(
        default=None, description="Only where the birth date is shown in full (it is computed from it)"
    )
    turns_18_soon: bool = Field(description="Turns 18 within the next 90 days")
    aged_out_candidate: bool = Field(
        description="18 or older while still active: to be closed or handed over"
    )
    phone: str | None = None
    guardians: list[GuardianRead] | None = None
    household_division_code: str | None = None
    household_address: str | None = None
    residence_division_code: str | None = None
    residence_address: str | None = None
    school: UnitSummary | None = None
    grade: str | None = None
    schooling_status: SchoolingStatus | None = None
    risk_categories: list[RiskCategory] | None = None
    substances: list[Substance] | None = None
    risk_level: RiskLevel | None = None
    managing_unit: UnitSummary | None = None
    status: MinorStatus | None = None
    is_sealed: bool | None = None
    source: MinorSource | None = None
    verification_status: VerificationStatus | None = None
    birth_date_precision: BirthDatePrecision | None = None
    found_by: FoundBy | None = None
    merged_into_id: uuid.UUID | None = Field(
        default=None, description="For a merged record: the record it was merged into"
    )
    created_at: datetime
    updated_at: datetime
    masked_fields: list[str]
    hidden_fields: list[str]
    revealable_fields: list[str] = Field(description="Fields the caller may reveal with a reason")


class MinorPolicy(BaseModel):
    """How the privacy policy treats the caller, so that clients offer only what it allows."""

    list_fields: dict[str, str] = Field(
        description="Each field's visibility in lists: full, masked or hidden"
    )
    detail_fields: dict[str, str] = Field(
        description="Each field's visibility in a detail read (before a care file makes a caseworker responsible)"
    )
    revealable_fields: list[str] = Field(description="Fields the caller may reveal with a reason")
    may_search_names: bool = Field(description="Whether the list's `q` (name search) is open to the caller")
    may_filter_sensitive: bool = Field(
        description="Whether the list may be filtered by substance and by the sensitive risk categories"
    )
    sensitive_risk_categories: list[RiskCategory]
    may_edit: bool = Field(description="Whether the caller may change a registered minor's record")
    may_change_status: bool = Field(description="Whether the caller may change the status and seal a record")


class PossibleDuplicates(BaseModel):
    """Records that may be the same person (same name, born in the same year)."""

    in_scope: list[MinorRead] = Field(
        description="Records in the caller's scope, shaped as in a list (identity masked); always empty for "
        "those who may not search by name (a school's staff)"
    )
    managed_elsewhere: bool = Field(
        description="Whether a record outside the caller's scope matches; never which one, nor where "
        "(an audit event, counted against the daily limit of such answers)"
    )


class MinorLookup(BaseModel):
    """Exact match by identity document; the number travels in the body, never in a URL."""

    model_config = ConfigDict(extra="forbid")

    id_document_type: IdDocumentType = IdDocumentType.mainland_id
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=30)]


RevealReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RevealReason = Field(description="Why the full values are needed; recorded in the audit trail")
    fields: Annotated[list[str], Field(min_length=1, max_length=12)] = Field(examples=[["name", "phone"]])


class Revealed(BaseModel):
    minor_id: uuid.UUID
    values: dict[str, object] = Field(description="The full value of each field asked for")
    reveals_left_today: int
