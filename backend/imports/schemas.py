import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from backend.imports.models import ImportKind, ImportMode, ImportStatus, RowOutcome


class RowProblem(BaseModel):
    column: str = Field(description="The column's header as in the template", examples=["身份证号"])
    code: str = Field(examples=["id_number.checksum"])
    message: str = Field(description="In the reader's language", examples=["校验码不正确"])


class RowReport(BaseModel):
    row: int = Field(description="The row's number in the sheet, as Excel shows it")
    outcome: RowOutcome
    action: str | None = Field(
        default=None,
        description="What committing does with a duplicate",
        examples=["已在本单位登记，将补充人员类别"],
    )
    problems: list[RowProblem] = Field(default_factory=list)


class ImportReport(BaseModel):
    notes: list[str] = Field(description="Which sheet was read, what was ignored")
    columns: list[str] = Field(description="The form's columns found, by header")
    rows: list[RowReport] = Field(description="Every row that is not ok; ok rows are counted only")


class ImportFailure(BaseModel):
    code: str
    message: str


class ImportJobSummary(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    mode: ImportMode
    all_or_nothing: bool
    status: ImportStatus
    file_name: str
    file_hash: str = Field(description="SHA-256 of the uploaded file")
    file_size: int
    sheet_name: str | None
    unit_id: uuid.UUID
    created_by: str = Field(description="Who uploaded (display name)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_total: int
    rows_done: int
    rows_ok: int
    rows_duplicate: int
    rows_invalid: int
    rows_applied: int
    committed: bool = Field(description="Rows were written (a commit that was not refused)")
    error: ImportFailure | None = Field(default=None, description="Why the file as a whole could not be read")


class ImportJobRead(ImportJobSummary):
    report: ImportReport | None = Field(default=None, description="When finished")
